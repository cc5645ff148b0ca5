/**
 * Work a shutdown must wait for before closing the store: handler runs, summary pushes queued by disconnect handlers,
 * session sweeps.
 */
export interface Inflight {
  /** Registers `work` until it settles; returns it. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Resolves once nothing is tracked, including work started while waiting. */
  drain(): Promise<void>;
}

export function createInflight(): Inflight {
  const pending = new Set<Promise<unknown>>();
  return {
    track: (work) => {
      pending.add(work);
      const done = () => pending.delete(work);
      work.then(done, done);
      return work;
    },
    drain: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
