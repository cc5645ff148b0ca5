/**
 * When the loader does its work: after the page's `load` event, when the browser is idle, so that the host page paints
 * first and Lighthouse does not charge the widget's start-up to the page's LCP.
 */

/** At most this long after `load` the work runs even if the page never goes idle, so the launcher is never late. */
export const IDLE_TIMEOUT_MS = 1000;
/** Engines without `requestIdleCallback` (WebKit): a short delay after `load`, past the page's first paint. */
export const NO_IDLE_DELAY_MS = 50;

type IdleWindow = Window & {
  requestIdleCallback?: (fn: () => void, options?: { timeout: number }) => number;
  cancelIdleCallback?: (id: number) => void;
};

/** Runs `fn` once the page has loaded and the browser is idle; returns a function that cancels it. */
export function afterLoadWhenIdle(fn: () => void): () => void {
  const w = window as IdleWindow;
  let cancel: () => void;
  const whenIdle = () => {
    if (w.requestIdleCallback) {
      const id = w.requestIdleCallback(fn, { timeout: IDLE_TIMEOUT_MS });
      cancel = () => w.cancelIdleCallback!(id);
    } else {
      const id = setTimeout(fn, NO_IDLE_DELAY_MS);
      cancel = () => clearTimeout(id);
    }
  };
  if (document.readyState === 'complete') whenIdle();
  else {
    window.addEventListener('load', whenIdle, { once: true });
    cancel = () => window.removeEventListener('load', whenIdle);
  }
  return () => cancel();
}
