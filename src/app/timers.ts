/** The chat's timers and sleeps, all cancelled by `clear` so a destroyed chat leaves nothing running. */
export function createTimers() {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  // Cleared sleepers are woken, so a flush waiting to retry ends and releases the tabs' outbox lock.
  const sleepers = new Set<() => void>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  };
  return {
    later,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        sleepers.add(resolve);
        later(ms, () => {
          sleepers.delete(resolve);
          resolve();
        });
      }),
    clear(): void {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const wake of sleepers) wake();
    },
  };
}

export type Timers = ReturnType<typeof createTimers>;
