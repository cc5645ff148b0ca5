import { LAUNCHER, languageOf } from '../locales';
import { textColorOn } from './config';
import { adoptStyles, createDom, themeCss } from './element';
import { createEmitter, type Listener, type ParleyEvent } from './events';
import type { App, AppModule, Host } from './host';
import launcherCss from './launcher.css' with { type: 'text' };
import { clearPersisted, readPersisted, writePersisted } from './persisted';
import type { Config } from './types';

/** The public JS API, `window.Parley` and the return value of `mount()`. */
export interface ParleyApi {
  open(): void;
  close(): void;
  toggle(): void;
  /** Sends a message as the visitor; resolves once it is safely in the outbox. */
  send(text: string): Promise<void>;
  /** Identifies a logged-in user with a JWT signed by the site's backend. */
  identify(token: string): void;
  on<E extends ParleyEvent>(event: E, fn: Listener<E>): () => void;
  unreadCount(): number;
  /** Forgets the session and the outbox, e.g. on logout. */
  shutdown(): Promise<void>;
  /** Removes the widget, its socket, listeners and timers. */
  destroy(): void;
}

let mounted: ParleyApi | undefined;

/**
 * Mounts the widget once per page: a second call returns the widget already mounted. Only the launcher is built here;
 * the panel, the socket and the outbox come with the app chunk, loaded when the visitor opens the chat, when the page
 * calls the API, or when a returning visitor already has a conversation (after load, when the browser is idle).
 */
export function mount(config: Config, loadApp: () => Promise<AppModule>): ParleyApi {
  if (mounted) return mounted;
  const lang = languageOf(config.locale);
  const strings = LAUNCHER[lang]!;
  const emitter = createEmitter();
  const dom = createDom(config, lang, strings);
  adoptStyles(dom.root, launcherCss + themeCss(config, textColorOn(config.color)), config.nonce);

  let open = false;
  let unread = readPersisted(config.site).unread ?? 0;
  let app: App | undefined;
  let appPromise: Promise<App | undefined> | undefined;
  let destroyed = false;
  const openListeners = new Set<(open: boolean) => void>();
  const cleanups: (() => void)[] = [];

  const renderBadge = () => {
    dom.badge.hidden = unread === 0;
    dom.badge.textContent = unread > 99 ? '99+' : String(unread);
    const label = open ? strings.closeChat : strings.openChat;
    dom.launcher.setAttribute('aria-label', unread > 0 && !open ? `${label} (${unread} ${strings.unread})` : label);
  };

  const host: Host = {
    config,
    lang,
    root: dom.root,
    panel: dom.panel,
    emit: emitter.emit,
    isOpen: () => open,
    setOpen: (next) => setOpen(next),
    onOpenChange(fn) {
      openListeners.add(fn);
      return () => openListeners.delete(fn);
    },
    setUnread(count) {
      if (count === unread) return;
      unread = count;
      writePersisted(config.site, { unread });
      renderBadge();
      emitter.emit('unread', { count });
    },
    adoptStyles: (css) => adoptStyles(dom.root, css, config.nonce),
    persisted: {
      read: () => readPersisted(config.site),
      write: (patch) => writePersisted(config.site, patch),
      clear: () => clearPersisted(config.site),
    },
  };

  function ensureApp(): Promise<App | undefined> {
    appPromise ??= loadApp()
      .then(async (mod) => {
        const started = destroyed ? undefined : await mod.start(host);
        // destroy() may have run while the panel's strings loaded.
        if (destroyed) started?.destroy();
        else app = started;
        return app;
      })
      .catch((err: unknown) => {
        // Loading the chunk or starting the panel (e.g. its language chunk) failed: a gateway that cannot be reached
        // must not throw into the host page, and the next open() or API call tries again.
        console.warn('[parley] could not load the chat:', err);
        appPromise = undefined;
        return undefined;
      });
    return appPromise;
  }

  function setOpen(next: boolean): void {
    if (destroyed || next === open) return;
    open = next;
    dom.frame.classList.toggle('open', open);
    dom.launcher.setAttribute('aria-expanded', String(open));
    renderBadge();
    if (open) void ensureApp();
    else if (dom.root.activeElement && dom.panel.contains(dom.root.activeElement)) dom.launcher.focus();
    for (const fn of openListeners) fn(open);
    emitter.emit(open ? 'open' : 'close', undefined);
  }

  const onLauncherClick = () => setOpen(!open);
  dom.launcher.addEventListener('click', onLauncherClick);
  cleanups.push(() => dom.launcher.removeEventListener('click', onLauncherClick));

  renderBadge();
  document.body.append(dom.element);

  // A returning visitor reconnects once the page is loaded and the browser idle, so that agent replies that arrived
  // meanwhile reach the badge and queued messages are delivered; a first-time visitor who never opens the chat costs
  // nothing more.
  const persisted = readPersisted(config.site);
  if ((persisted.session || persisted.queued) && !config.open) {
    const whenIdle = () => {
      const w = window as Window & { requestIdleCallback?: (fn: () => void, o?: object) => number };
      if (w.requestIdleCallback) {
        const id = w.requestIdleCallback(() => void ensureApp(), { timeout: 3000 });
        cleanups.push(() => (window as unknown as { cancelIdleCallback(id: number): void }).cancelIdleCallback(id));
      } else {
        const id = setTimeout(() => void ensureApp(), 200);
        cleanups.push(() => clearTimeout(id));
      }
    };
    if (document.readyState === 'complete') whenIdle();
    else {
      window.addEventListener('load', whenIdle, { once: true });
      cleanups.push(() => window.removeEventListener('load', whenIdle));
    }
  }
  if (config.open) setOpen(true);

  const api: ParleyApi = {
    open: () => setOpen(true),
    close: () => setOpen(false),
    toggle: () => setOpen(!open),
    async send(text) {
      const a = await ensureApp();
      if (!a) throw new Error('[parley] the chat could not be loaded');
      await a.send(String(text));
    },
    identify(token) {
      config.userToken = String(token);
      app?.identify();
    },
    on: (event, fn) => emitter.on(event, fn),
    unreadCount: () => unread,
    async shutdown() {
      const a = await ensureApp();
      delete config.userToken;
      if (a) await a.shutdown();
      else clearPersisted(config.site);
      host.setUnread(0);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      app?.destroy();
      for (const fn of cleanups) fn();
      openListeners.clear();
      emitter.clear();
      dom.element.remove();
      mounted = undefined;
    },
  };
  mounted = api;
  queueMicrotask(() => emitter.emit('ready', undefined));
  return api;
}
