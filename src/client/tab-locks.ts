/**
 * Work that only one of the browser's tabs may do, decided with Web Locks named `prefix + name` (the widget's are
 * `parley:<site>:…`, the console's its own). Where Web Locks are missing (plain-http pages, happy-dom) every tab does
 * the work, which callers make safe. `locks` is injectable for tests.
 */
export function createTabLocks(
  prefix: string,
  locks: LockManager | undefined = typeof navigator !== 'undefined' ? navigator.locks : undefined,
) {
  const held = new Set<() => void>();
  return {
    /** Runs `fn` while no other tab runs work under the same name. */
    exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
      return locks ? (locks.request(prefix + name, fn) as Promise<T>) : fn();
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
      void locks.request(prefix + key, { ifAvailable: true }, async (lock) => {
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
    /** Lets go of the locks `once` still holds (on close), so that another tab may run the next call at once. */
    release(): void {
      for (const done of [...held]) done();
    },
  };
}

export type TabLocks = ReturnType<typeof createTabLocks>;
