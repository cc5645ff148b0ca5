/**
 * The script-tag entry, dist/parley.js: reads the `data-*` attributes of its own script element, mounts the widget
 * and installs `window.Parley`, replaying calls the page queued before the script loaded. Never throws into the page.
 */
import { parseConfig } from './loader/config';
import type { AppModule } from './loader/host';
import { mount, type ParleyApi } from './loader/mount';

type Queued = [keyof ParleyApi, ArrayLike<unknown>];
type Stub = { q?: Queued[] };
// Shared by every copy of this script on the page (each has its own module scope), through the global symbol registry.
const CLAIMED = Symbol.for('parley.claimed');

function start(): void {
  const w = window as unknown as { Parley?: ParleyApi & Stub & { version?: string }; [CLAIMED]?: boolean };
  // Included twice: the first copy to run claims the page at once, even when it must wait for <body> to mount (a copy
  // in <head> and one in <body>: window.Parley.version is only set once mounted, too late for the second copy).
  if (w[CLAIMED] || w.Parley?.version) return;
  w[CLAIMED] = true;
  const script = (document.currentScript ??
    document.querySelector('script[src*="parley"][data-site], script[src$="/parley.js"]')) as HTMLScriptElement | null;
  const src = script?.src || location.href;
  const config = parseConfig(script ? { ...script.dataset } : {}, {
    scriptSrc: src,
    scriptNonce: script?.nonce || undefined,
    language: navigator.language,
  });
  const queued = w.Parley?.q ?? [];
  const loadApp = () => import(/* @vite-ignore */ new URL(__PARLEY_APP_CHUNK__, src).href) as Promise<AppModule>;
  const go = () => {
    const api = mount(config, loadApp);
    const destroy = api.destroy;
    // After destroy() the page may include the script again (single-page apps) and get a new widget.
    api.destroy = () => {
      destroy();
      delete w[CLAIMED];
    };
    w.Parley = Object.assign(api, { version: __PARLEY_VERSION__ });
    for (const [method, args] of queued) {
      const fn = api[method] as ((...a: unknown[]) => unknown) | undefined;
      if (typeof fn === 'function')
        Promise.resolve(fn.apply(api, Array.from(args))).catch((e) => console.warn('[parley]', e));
      else console.warn(`[parley] queued call to unknown method Parley.${String(method)}() ignored`);
    }
  };
  // An async script can run before <body> exists when it is placed in <head>.
  if (document.body) go();
  else document.addEventListener('DOMContentLoaded', go, { once: true });
}

try {
  start();
} catch (err) {
  console.error('[parley] failed to start', err);
}
