/**
 * The script-tag entry, dist/parley.js: reads the `data-*` attributes of its own script element, installs
 * `window.Parley` (replaying calls the page queued before the script loaded) and mounts the widget after the page's
 * `load`, when the browser is idle (src/loader/boot.ts). Never throws into the page.
 */

import { boot } from './loader/boot';
import { parseConfig } from './loader/config';
import type { AppModule } from './loader/host';
import type { ParleyApi } from './loader/mount';

type Queued = [keyof ParleyApi, ArrayLike<unknown>];
type Stub = { q?: Queued[] };
// Shared by every copy of this script on the page (each has its own module scope), through the global symbol registry.
const CLAIMED = Symbol.for('parley.claimed');

function start(): void {
  const w = window as unknown as { Parley?: ParleyApi & Stub & { version?: string }; [CLAIMED]?: boolean };
  // Included twice: the first copy to run claims the page at once, though it mounts only after the page's load.
  if (w[CLAIMED] || w.Parley?.version) return;
  w[CLAIMED] = true;
  const script = (document.currentScript ??
    document.querySelector('script[src*="parley"][data-site], script[src$="/parley.js"]')) as HTMLScriptElement | null;
  const src = script?.src || location.href;
  // Read now: document.currentScript is only set while this script runs. Parsed (and warned about) at mount.
  const attrs = script ? { ...script.dataset } : {};
  const context = { scriptSrc: src, scriptNonce: script?.nonce || undefined, language: navigator.language };
  const queued = w.Parley?.q ?? [];
  const loadApp = () => import(/* @vite-ignore */ new URL(__PARLEY_APP_CHUNK__, src).href) as Promise<AppModule>;
  const api = boot(() => parseConfig(attrs, context), loadApp);
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
}

try {
  start();
} catch (err) {
  console.error('[parley] failed to start', err);
}
