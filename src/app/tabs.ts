/**
 * Coordination between the tabs of one site: a named lock (Web Locks API) and a broadcast channel. Both degrade
 * safely where missing: without Web Locks the work simply runs (callers make that safe), without BroadcastChannel
 * tabs still converge through the gateway, only later.
 */
export type TabMessage = { type: 'outbox' } | { type: 'read'; seq: number } | { type: 'identify' };

export function createTabs(site: string) {
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(`parley:${site}`) : undefined;
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  const held = new Set<() => void>();
  return {
    /** Runs `fn` while no other tab of this site runs work under the same name. */
    exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
      return locks ? (locks.request(`parley:${site}:${name}`, fn) as Promise<T>) : fn();
    },
    /**
     * Runs `fn` in only one of the tabs that call `once` with the same key within `holdMs` (the first one; the lock
     * is held that long so that later tabs find it taken). localStorage cannot decide this: Chromium propagates its
     * writes to other tabs asynchronously. Without Web Locks every tab runs `fn`.
     */
    once(key: string, holdMs: number, fn: () => void): void {
      if (!locks) {
        fn();
        return;
      }
      void locks.request(`parley:${site}:${key}`, { ifAvailable: true }, async (lock) => {
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
    post(message: TabMessage): void {
      channel?.postMessage(message);
    },
    listen(fn: (message: TabMessage) => void): () => void {
      const onMessage = (e: MessageEvent<TabMessage>) => fn(e.data);
      channel?.addEventListener('message', onMessage);
      return () => channel?.removeEventListener('message', onMessage);
    },
    close(): void {
      for (const release of [...held]) release();
      channel?.close();
    },
  };
}

export type Tabs = ReturnType<typeof createTabs>;
