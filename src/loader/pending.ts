import type { ParleyApi } from './mount';

type Method = Exclude<keyof ParleyApi, 'unreadCount' | 'destroy'>;
/** A kept call: the method, its arguments, and what receives its result (a promise's, for `send` and `shutdown`). */
type Kept = [Method, unknown[], ((result: never) => void)?, ((err: Error) => void)?];

export interface PendingApi {
  /** `window.Parley` from the moment the script runs: calls are kept until `attach`, then forwarded. */
  api: ParleyApi;
  /** Replays the kept calls, in order, on the mounted widget; later calls go straight to it. */
  attach(mounted: ParleyApi): void;
}

/**
 * The API of a widget that is not mounted yet (the launcher is built after the page's `load`). Calls are kept in
 * order and replayed on the widget once mounted; `send` and `shutdown` resolve when the widget has done them, and an
 * `on()` subscription can be undone before. `unreadCount` answers at once from `unread`; `destroy` before the mount
 * cancels it through `cancel` and rejects the kept promises.
 */
export function createPendingApi(unread: () => number, cancel: () => void): PendingApi {
  let mounted: ParleyApi | undefined;
  let kept: Kept[] = [];
  const call = (widget: ParleyApi, method: Method, args: unknown[]) =>
    (widget[method] as (...a: unknown[]) => unknown)(...args);
  const forward =
    (method: Method) =>
    (...args: unknown[]): never => {
      if (mounted) return call(mounted, method, args) as never;
      if (method === 'send' || method === 'shutdown')
        return new Promise((resolve, reject) => kept.push([method, args, resolve, reject])) as never;
      if (method !== 'on') {
        kept.push([method, args]);
        return undefined as never;
      }
      let off: (() => void) | undefined;
      const entry: Kept = [method, args, (unsubscribe: () => void) => (off = unsubscribe)];
      kept.push(entry);
      return (() => {
        if (off) off();
        else kept = kept.filter((k) => k !== entry);
      }) as never;
    };
  const api: ParleyApi = {
    open: forward('open'),
    close: forward('close'),
    toggle: forward('toggle'),
    send: forward('send'),
    identify: forward('identify'),
    on: forward('on'),
    unreadCount: () => (mounted ? mounted.unreadCount() : unread()),
    shutdown: forward('shutdown'),
    destroy() {
      if (mounted) return mounted.destroy();
      cancel();
      for (const [, , , reject] of kept) reject?.(new Error('[parley] destroyed before the chat started'));
      kept = [];
    },
  };
  return {
    api,
    attach(widget) {
      mounted = widget;
      for (const [method, args, done, fail] of kept) {
        const result = call(widget, method, args);
        if (fail) (result as Promise<never>).then(done, fail);
        else done?.(result as never);
      }
      kept = [];
    },
  };
}
