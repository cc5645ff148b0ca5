import { LAUNCHER, languageOf } from '../locales';
import type { LauncherStrings } from '../locales/types';
import { textColorOn } from './config';
import { adoptStyles, createDom, themeCss, type WidgetDom } from './element';
import { createEmitter, type Listener, type ParleyEvent } from './events';
import type { App, AppModule, Host } from './host';
import launcherCss from './launcher.css' with { type: 'text' };
import { clearPersisted, readPersisted, writePersisted } from './persisted';
import { afterLoadWhenIdle } from './schedule';
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
 * The launcher's DOM, not yet in the page. The script tag builds and styles it in tasks of their own
 * (src/loader/boot.ts) before `mount`, so that no task is long on a slow phone.
 */
export interface Launcher {
  lang: string;
  strings: LauncherStrings;
  dom: WidgetDom;
}

/** The launcher's elements, not styled yet. */
export function createLauncher(config: Config): Launcher {
  const lang = languageOf(config.locale);
  const strings = LAUNCHER[lang]!;
  return { lang, strings, dom: createDom(config, lang, strings) };
}

/** Adopts the launcher's styles and the page's theme into its shadow root. */
export function styleLauncher(launcher: Launcher, config: Config): Launcher {
  adoptStyles(launcher.dom.root, launcherCss + themeCss(config, textColorOn(config.color)), config.nonce);
  return launcher;
}

/**
 * Mounts the widget once per page: a second call returns the widget already mounted. Only the launcher is built here;
 * the panel, the socket and the outbox come with the app chunk, loaded when the visitor opens the chat, when the page
 * calls the API, or when a returning visitor already has a conversation (after load, when the browser is idle).
 */
export function mount(
  config: Config,
  loadApp: () => Promise<AppModule>,
  launcher: () => Launcher = () => styleLauncher(createLauncher(config), config),
): ParleyApi {
  if (mounted) return mounted;
  const { lang, strings, dom } = launcher();
  const widget = createWidget(config, lang, strings, dom, loadApp);
  widget.renderBadge();
  document.body.append(dom.element);
  const persisted = readPersisted(config.site);
  if ((persisted.session || persisted.queued) && !config.open) reconnectWhenIdle(widget);
  if (config.open) widget.setOpen(true);
  const api = createApi(widget, () => {
    mounted = undefined;
  });
  mounted = api;
  queueMicrotask(() => widget.emitter.emit('ready', undefined));
  return api;
}

/** The launcher's state (open, unread) and the lazily loaded app, behind the `Host` the app is started with. */
function createWidget(
  config: Config,
  lang: string,
  strings: LauncherStrings,
  dom: WidgetDom,
  loadApp: () => Promise<AppModule>,
) {
  const emitter = createEmitter();
  const openListeners = new Set<(open: boolean) => void>();
  const cleanups: (() => void)[] = [];
  const state = { open: false, unread: readPersisted(config.site).unread ?? 0, destroyed: false };

  const renderBadge = () => {
    const { open, unread } = state;
    dom.badge.hidden = unread === 0;
    dom.badge.textContent = unread > 99 ? '99+' : String(unread);
    const label = open ? strings.closeChat : strings.openChat;
    dom.launcher.setAttribute('aria-label', unread > 0 && !open ? `${label} (${unread} ${strings.unread})` : label);
  };

  const host = createHost(config, lang, dom, {
    emit: emitter.emit,
    isOpen: () => state.open,
    setOpen: (next) => setOpen(next),
    onOpenChange(fn) {
      openListeners.add(fn);
      return () => openListeners.delete(fn);
    },
    setUnread(count) {
      if (count === state.unread) return;
      state.unread = count;
      writePersisted(config.site, { unread: count });
      renderBadge();
      emitter.emit('unread', { count });
    },
  });

  const app = lazyApp(loadApp, host, () => state.destroyed);

  function setOpen(next: boolean): void {
    if (state.destroyed || next === state.open) return;
    state.open = next;
    dom.frame.classList.toggle('open', next);
    dom.launcher.setAttribute('aria-expanded', String(next));
    renderBadge();
    if (next) void app.ensure();
    else if (dom.root.activeElement && dom.panel.contains(dom.root.activeElement)) dom.launcher.focus();
    for (const fn of openListeners) fn(next);
    emitter.emit(next ? 'open' : 'close', undefined);
  }

  const onLauncherClick = () => setOpen(!state.open);
  dom.launcher.addEventListener('click', onLauncherClick);
  cleanups.push(() => dom.launcher.removeEventListener('click', onLauncherClick));

  function destroy(): void {
    state.destroyed = true;
    app.current()?.destroy();
    for (const fn of cleanups) fn();
    openListeners.clear();
    emitter.clear();
    dom.element.remove();
  }

  return { config, host, state, emitter, cleanups, renderBadge, setOpen, app, destroy };
}
type Widget = ReturnType<typeof createWidget>;

/** Loads and starts the app chunk once; a failure is reported in the console and the next call tries again. */
function lazyApp(loadApp: () => Promise<AppModule>, host: Host, destroyed: () => boolean) {
  let app: App | undefined;
  let appPromise: Promise<App | undefined> | undefined;
  return {
    current: () => app,
    ensure(): Promise<App | undefined> {
      appPromise ??= loadApp()
        .then(async (mod) => {
          // The chunk's evaluation and the app's start in separate tasks: together they are long on a slow phone.
          await new Promise((resolve) => setTimeout(resolve, 0));
          const started = destroyed() ? undefined : await mod.start(host);
          // destroy() may have run while the panel's strings loaded.
          if (destroyed()) started?.destroy();
          else app = started;
          return app;
        })
        .catch((err: unknown) => {
          // Loading the chunk or starting the panel (e.g. its language chunk) failed: a gateway that cannot be
          // reached must not throw into the host page, and the next open() or API call tries again.
          console.warn('[parley] could not load the chat:', err);
          appPromise = undefined;
          return undefined;
        });
      return appPromise;
    },
  };
}

/** The `Host` the app is started with: the widget's DOM, config and storage, and its state through `live`. */
function createHost(
  config: Config,
  lang: string,
  dom: WidgetDom,
  live: Pick<Host, 'emit' | 'isOpen' | 'setOpen' | 'onOpenChange' | 'setUnread'>,
): Host {
  return {
    config,
    lang,
    root: dom.root,
    panel: dom.panel,
    ...live,
    adoptStyles: (css) => adoptStyles(dom.root, css, config.nonce),
    persisted: {
      read: () => readPersisted(config.site),
      write: (patch) => writePersisted(config.site, patch),
      clear: () => clearPersisted(config.site),
    },
  };
}

/**
 * A returning visitor reconnects once the page is loaded and the browser idle, so that agent replies that arrived
 * meanwhile reach the badge and queued messages are delivered; a first-time visitor who never opens the chat costs
 * nothing more.
 */
function reconnectWhenIdle(widget: Widget): void {
  widget.cleanups.push(afterLoadWhenIdle(() => void widget.app.ensure()));
}

/** The public API over the widget; `onDestroy` lets a later `mount()` build a new one. */
function createApi(widget: Widget, onDestroy: () => void): ParleyApi {
  const { config, state, emitter, setOpen } = widget;
  const ensureApp = widget.app.ensure;
  return {
    open: () => setOpen(true),
    close: () => setOpen(false),
    toggle: () => setOpen(!state.open),
    async send(text) {
      const a = await ensureApp();
      if (!a) throw new Error('[parley] the chat could not be loaded');
      await a.send(String(text));
    },
    identify(token) {
      config.userToken = String(token);
      widget.app.current()?.identify();
    },
    on: (event, fn) => emitter.on(event, fn),
    unreadCount: () => state.unread,
    async shutdown() {
      const a = await ensureApp();
      delete config.userToken;
      if (a) await a.shutdown();
      else clearPersisted(config.site);
      widget.host.setUnread(0);
    },
    destroy() {
      if (state.destroyed) return;
      widget.destroy();
      onDestroy();
    },
  };
}
