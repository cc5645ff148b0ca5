import { LAUNCHER, languageOf } from '../locales';
import { SITE_KEY } from '../protocol';
import type { Config } from './types';

export const DEFAULTS = { site: 'default', color: '#4f46e5', zIndex: 2147483647 };

const HEX = /^#([0-9a-f]{3}){1,2}$/i;
const LOCALE = /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i;
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

const warned = new Set<string>();

type Attrs = Record<string, string | undefined>;

/**
 * Reads one attribute: absent → the fallback, silently; present but invalid → the fallback, with one console warning
 * per attribute and value that names the attribute, the value, the problem and the fallback.
 */
function read<T>(
  attrs: Attrs,
  name: string,
  parse: (v: string) => T | undefined,
  problem: string,
  fallback: T,
  fallbackLabel = String(fallback),
): T {
  const raw = attrs[name];
  if (raw === undefined) return fallback;
  const value = parse(raw.trim());
  if (value !== undefined) return value;
  const attr = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  if (!warned.has(attr + raw)) {
    warned.add(attr + raw);
    console.warn(`[parley] data-${attr}="${raw}" ${problem}; using ${fallbackLabel}`);
  }
  return fallback;
}

const oneOf =
  <T extends string>(...allowed: T[]) =>
  (v: string) =>
    allowed.find((a) => a === v.toLowerCase());
const bool = (v: string) => (v === '' || v === 'true' ? true : v === 'false' ? false : undefined);
const matching = (re: RegExp) => (v: string) => (re.test(v) ? v : undefined);

export interface ConfigContext {
  /** Absolute URL of the script that loaded the widget, if any. */
  scriptSrc?: string;
  /** The script element's own nonce, used when `data-nonce` is absent. */
  scriptNonce?: string;
  /** The browser's language, the locale fallback. */
  language?: string;
}

/** Parses and validates the widget's `data-*` attributes (camelCased, as in `dataset`); never throws. */
export function parseConfig(attrs: Attrs, ctx: ConfigContext = {}): Config {
  let scriptOrigin = '';
  try {
    scriptOrigin = new URL(ctx.scriptSrc ?? '').origin;
  } catch {}
  const locale = read(
    attrs,
    'locale',
    matching(LOCALE),
    'is not a language tag',
    ctx.language && LOCALE.test(ctx.language) ? ctx.language : 'en',
  );
  // Texts per language (`data-greeting-ar`) win over the plain attribute when the widget speaks that language; one for
  // a language the widget does not have is a mistake worth a warning.
  const lang = languageOf(locale);
  for (const key in attrs) {
    const [, base, other] = /^(title|subtitle|greeting)([A-Z][a-z])$/.exec(key) ?? [];
    if (other && !(other.toLowerCase() in LAUNCHER))
      read(attrs, key, () => undefined, 'is for a language the widget does not have', '', `data-${base}`);
  }
  const text = (name: string) => attrs[name + lang[0]!.toUpperCase() + lang[1]]?.trim() || attrs[name]?.trim() || '';
  const nonce = attrs.nonce?.trim() || ctx.scriptNonce;
  const userToken = read(attrs, 'userToken', matching(JWT), 'is not a JWT', '', 'an anonymous session');
  return {
    gateway: read(
      attrs,
      'gateway',
      (v) => {
        try {
          const url = new URL(v, scriptOrigin || undefined);
          return /^https?:$/.test(url.protocol) ? url.origin : undefined;
        } catch {}
      },
      'is not an http(s) URL',
      scriptOrigin,
      scriptOrigin || 'none (the chat stays offline)',
    ),
    site: read(attrs, 'site', matching(SITE_KEY), 'is not 1-64 letters, digits, ., - or _', DEFAULTS.site),
    title: text('title'),
    subtitle: text('subtitle'),
    greeting: text('greeting'),
    color: read(
      attrs,
      'color',
      (v) => matching(HEX)(v)?.toLowerCase(),
      'is not a color (#rgb or #rrggbb)',
      DEFAULTS.color,
    ),
    position: read(attrs, 'position', oneOf('left', 'right'), 'is not left or right', 'right'),
    theme: read(attrs, 'theme', oneOf('light', 'dark', 'auto'), 'is not light, dark or auto', 'auto'),
    locale,
    open: read(attrs, 'open', bool, 'is not true or false', false),
    launcher: read(attrs, 'launcher', bool, 'is not true or false', true),
    zIndex: read(
      attrs,
      'zIndex',
      (v) => (/^\d{1,10}$/.test(v) && +v < 2 ** 31 ? +v : undefined),
      'is not an integer from 0 to 2147483647',
      DEFAULTS.zIndex,
    ),
    ...(nonce ? { nonce } : {}),
    ...(userToken ? { userToken } : {}),
  };
}

/** Relative luminance per WCAG 2.x of #rgb or #rrggbb. */
function luminance(hex: string): number {
  const short = hex.length === 4;
  let sum = 0;
  for (const [i, weight] of [0.2126, 0.7152, 0.0722].entries()) {
    const c = Number.parseInt(short ? hex[i + 1]!.repeat(2) : hex.slice(2 * i + 1, 2 * i + 3), 16) / 255;
    sum += weight * (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  }
  return sum;
}

/** WCAG contrast ratio between two hex colors. */
export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

/** The text color (white or near-black) with the better contrast on `background`. */
export function textColorOn(background: string): string {
  return contrast(background, '#ffffff') >= contrast(background, '#111827') ? '#ffffff' : '#111827';
}
