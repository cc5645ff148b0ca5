import { CHAT_ICON, CLOSE_ICON } from '../icons';
import { isRtl } from '../locales';
import type { LauncherStrings } from '../locales/types';
import { contrast } from './config';
import type { Config } from './types';

/** Creates an element (HTML, or SVG with `svg: true`) with attributes. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string>): HTMLElementTagNameMap[K];
function el(tag: string, attrs: Record<string, string>, svg: true): SVGElement;
function el(tag: string, attrs: Record<string, string>, svg?: boolean): Element {
  const node = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

/** An inline SVG icon; an emoji or icon font would cost a font load on first paint. */
export function icon(d: string, className: string): SVGElement {
  const svg = el('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false', class: className }, true);
  svg.append(el('path', { d }, true));
  return svg;
}

/**
 * Styles go into the shadow root only. Constructable stylesheets work under a strict `style-src 'self'` CSP; where
 * they are missing, a `<style>` element carrying the page's nonce is the fallback.
 */
export function adoptStyles(root: ShadowRoot, css: string, nonce?: string): void {
  if (
    'adoptedStyleSheets' in root &&
    typeof CSSStyleSheet !== 'undefined' &&
    'replaceSync' in CSSStyleSheet.prototype
  ) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    return;
  }
  const style = document.createElement('style');
  if (nonce) style.nonce = nonce;
  style.textContent = css;
  root.append(style);
}

/**
 * Per-instance custom properties; a `:host` rule, so the site's own CSS on `parley-chat` can still override them. The
 * focus ring is the accent where it has 3:1 contrast with the panel's background (light, then dark), else the
 * accent's text colour, which then does (an accent too close to a background is far from the other text colour).
 */
export function themeCss(config: Config, accentText: string): string {
  const ring = (bg: string) => (contrast(config.color, bg) < 3 ? accentText : config.color);
  return `:host{--parley-accent:${config.color};--parley-accent-text:${accentText};--parley-z:${config.zIndex};--parley-focus:${ring('#fff')};--parley-focus-dark:${ring('#111827')}}`;
}

export interface WidgetDom {
  element: HTMLElement;
  root: ShadowRoot;
  frame: HTMLElement;
  panel: HTMLElement;
  launcher: HTMLButtonElement;
  badge: HTMLElement;
}

export function createDom(config: Config, lang: string, strings: LauncherStrings): WidgetDom {
  const element = document.createElement('parley-chat');
  const root = element.attachShadow({ mode: 'open' });
  const frame = el('div', {
    class: 'frame',
    'data-position': config.position,
    'data-theme': config.theme,
    lang,
    dir: isRtl(lang) ? 'rtl' : 'ltr',
  });
  const panel = el('div', { class: 'panel-slot', id: 'parley-panel' });
  const launcher = el('button', {
    type: 'button',
    class: 'launcher',
    part: 'launcher',
    'aria-label': strings.openChat,
    'aria-expanded': 'false',
    'aria-controls': panel.id,
  });
  launcher.hidden = !config.launcher;
  const badge = el('span', { class: 'badge', part: 'badge', 'aria-hidden': 'true', hidden: '' });
  launcher.append(icon(CHAT_ICON, 'icon-chat'), icon(CLOSE_ICON, 'icon-close'), badge);
  frame.append(panel, launcher);
  root.append(frame);
  return { element, root, frame, panel, launcher, badge };
}
