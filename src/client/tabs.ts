/**
 * Coordination between the browser's tabs of one client: the broadcast channel `channelName` and Web Locks named
 * `lockPrefix + name`. Both degrade safely where missing: without Web Locks (plain-http pages, happy-dom) every tab
 * does the work, which callers make safe; without BroadcastChannel tabs still converge through the gateway, only
 * later. `locks` is injectable for tests.
 */
export function createTabs<M>(
  channelName: string,
  lockPrefix = channelName + ':',
  locks: LockManager | undefined = typeof navigator !== 'undefined' ? navigator.locks : undefined,
) {
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(channelName) : undefined;
  const held = new Set<() => void>();
  return {
    /** Runs `fn` while no other tab runs work under the same name. */
    exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
      return locks ? (locks.request(lockPrefix + name, fn) as Promise<T>) : fn();
    },
    /**
     * Runs `fn` in only one of the tabs that call `once` with the same key within `holdMs` (the first one; the lock
     * is held that long so that later tabs find it taken). localStorage cannot decide this: Chromium propagates its
     * writes to other tabs asynchronously.
     */
    once(key: string, holdMs: number, fn: () => void): void {
      if (!locks) {
        fn();
        return;
      }
      void locks.request(lockPrefix + key, { ifAvailable: true }, async (lock) => {
        if (!lock) return;
        fn();
        await new Promise<void>((release) => {
          const done = () => {
            clearTimeout(timer);
            held.delete(done);
            release();
          };
          const timer = setTimeout(done, holdMs);
          held.add(done);
        });
      });
    },
    post(message: M): void {
      channel?.postMessage(message);
    },
    /** Hears the other tabs' messages; returns the function that stops. */
    listen(fn: (message: M) => void): () => void {
      const onMessage = (e: MessageEvent<M>) => fn(e.data);
      channel?.addEventListener('message', onMessage);
      return () => channel?.removeEventListener('message', onMessage);
    },
    /** Lets go of the locks `once` still holds, so another tab may run the next call at once, and of the channel. */
    close(): void {
      for (const release of [...held]) release();
      channel?.close();
    },
  };
}

export type Tabs<M> = ReturnType<typeof createTabs<M>>;
