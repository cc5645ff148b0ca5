// @vitest-environment node
// Group commit (demo/server/store/batcher.ts): what goes into which write, in which order, and what each caller gets.
// Time, timers and the end-of-burst hook are injected: nothing here waits on a real clock.
import { describe, expect, it } from 'vitest';
import { type BatcherOptions, createBatcher, type Outcome } from '../../../demo/server/store/batcher';

interface Item {
  conv: string;
  id?: string;
  fail?: boolean;
}

/** A controllable world: a clock, timers, deferred bursts and writes that finish when the test says so. */
function harness(options: Partial<BatcherOptions<Item, string>> = {}) {
  let clock = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const deferred: (() => void)[] = [];
  const writes: { items: Item[]; finish(): void; failAll(err: Error): void }[] = [];
  const batcher = createBatcher<Item, string>({
    write: (items) =>
      new Promise<Outcome<string>[]>((resolve, reject) => {
        writes.push({
          items,
          finish: () =>
            resolve(
              items.map((item) =>
                item.fail
                  ? { ok: false, error: new Error(`bad ${item.conv}`) }
                  : { ok: true, value: `${item.conv}:${item.id}` },
              ),
            ),
          failAll: reject,
        });
      }),
    orderKey: (item) => item.conv,
    coalesceKey: (item) => (item.id === undefined ? undefined : `${item.conv}/${item.id}`),
    repeat: (first) => `${first} (repeat)`,
    now: () => clock,
    setTimer: (fn, ms) => {
      const timer = { at: clock + ms, fn };
      timers.push(timer);
      return timer;
    },
    clearTimer: (timer) => {
      const i = timers.indexOf(timer as (typeof timers)[number]);
      if (i >= 0) timers.splice(i, 1);
    },
    defer: (fn) => void deferred.push(fn),
    ...options,
  });
  const flush = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return {
    batcher,
    writes,
    /** Ends the current burst of events: the deferred flush runs. */
    endBurst() {
      for (const fn of deferred.splice(0)) fn();
    },
    async advance(ms: number) {
      clock += ms;
      for (const timer of timers.filter((t) => t.at <= clock)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.fn();
      }
      await flush();
    },
    flush,
    labels: (i: number) => writes[i]!.items.map((item) => `${item.conv}:${item.id}`),
  };
}

describe('createBatcher', () => {
  it('writes one burst together, and what arrives during a write together in the next write', async () => {
    const h = harness();
    const first = [h.batcher.add({ conv: 'a', id: '1' }), h.batcher.add({ conv: 'b', id: '1' })];
    expect(h.writes).toHaveLength(0);
    h.endBurst();
    expect(h.writes).toHaveLength(1);
    expect(h.labels(0)).toEqual(['a:1', 'b:1']);

    const second = [h.batcher.add({ conv: 'a', id: '2' }), h.batcher.add({ conv: 'c', id: '1' })];
    h.endBurst();
    const third = h.batcher.add({ conv: 'a', id: '3' });
    h.endBurst();
    expect(h.writes).toHaveLength(1);
    expect(h.batcher.pending).toBe(5);

    h.writes[0]!.finish();
    expect(await Promise.all(first)).toEqual(['a:1', 'b:1']);
    await h.flush();
    expect(h.writes).toHaveLength(2);
    expect(h.labels(1)).toEqual(['a:2', 'c:1', 'a:3']);
    h.writes[1]!.finish();
    expect(await Promise.all([...second, third])).toEqual(['a:2', 'c:1', 'a:3']);
    expect(h.batcher.pending).toBe(0);
  });

  it('splits at maxBatch, keeping arrival order', async () => {
    const h = harness({ maxBatch: 2 });
    const all = ['1', '2', '3'].map((id) => h.batcher.add({ conv: `c${id}`, id }));
    h.endBurst();
    expect(h.labels(0)).toEqual(['c1:1', 'c2:2']);
    h.writes[0]!.finish();
    await h.flush();
    expect(h.labels(1)).toEqual(['c3:3']);
    h.writes[1]!.finish();
    expect(await Promise.all(all)).toEqual(['c1:1', 'c2:2', 'c3:3']);
  });

  it('writes a repeated request once per batch and answers the repeat from the first', async () => {
    const h = harness();
    const results = [
      h.batcher.add({ conv: 'a', id: 'x' }),
      h.batcher.add({ conv: 'a', id: 'x' }),
      h.batcher.add({ conv: 'b', id: 'x' }),
      h.batcher.add({ conv: 'a' }),
      h.batcher.add({ conv: 'a' }),
    ];
    h.endBurst();
    expect(h.labels(0)).toEqual(['a:x', 'b:x', 'a:undefined', 'a:undefined']);
    h.writes[0]!.finish();
    expect(await Promise.all(results)).toEqual(['a:x', 'a:x (repeat)', 'b:x', 'a:undefined', 'a:undefined']);
    // Across batches the store answers repeats itself: the batcher writes it again.
    const later = h.batcher.add({ conv: 'a', id: 'x' });
    h.endBurst();
    expect(h.labels(1)).toEqual(['a:x']);
    h.writes[1]!.finish();
    expect(await later).toBe('a:x');
  });

  it('gives each item its own outcome: a failed item fails alone, and its repeat with it', async () => {
    const h = harness();
    const results = Promise.allSettled([
      h.batcher.add({ conv: 'a', id: '1' }),
      h.batcher.add({ conv: 'b', id: '1', fail: true }),
      h.batcher.add({ conv: 'b', id: '1', fail: true }),
      h.batcher.add({ conv: 'c', id: '1' }),
    ]);
    h.endBurst();
    h.writes[0]!.finish();
    expect(await results).toEqual([
      { status: 'fulfilled', value: 'a:1' },
      { status: 'rejected', reason: new Error('bad b') },
      { status: 'rejected', reason: new Error('bad b') },
      { status: 'fulfilled', value: 'c:1' },
    ]);
  });

  it('runs the items of a write that failed as a whole again one by one, so each ack is its own', async () => {
    const h = harness();
    const results = Promise.allSettled([h.batcher.add({ conv: 'a', id: '1' }), h.batcher.add({ conv: 'b', id: '1' })]);
    h.endBurst();
    h.writes[0]!.failAll(new Error('statement failed'));
    await h.flush();
    expect(h.writes.map((w) => w.items.length)).toEqual([2, 1]);
    h.writes[1]!.failAll(new Error('a is bad'));
    await h.flush();
    expect(h.labels(2)).toEqual(['b:1']);
    h.writes[2]!.finish();
    expect(await results).toEqual([
      { status: 'rejected', reason: new Error('a is bad') },
      { status: 'fulfilled', value: 'b:1' },
    ]);
  });

  it('does not run the items again one by one when the store says a whole-write failure is shared', async () => {
    const h = harness({ retryOneByOne: false });
    const results = Promise.allSettled([h.batcher.add({ conv: 'a', id: '1' }), h.batcher.add({ conv: 'b', id: '1' })]);
    h.endBurst();
    h.writes[0]!.failAll(new Error('database is locked'));
    expect(await results).toEqual([
      { status: 'rejected', reason: new Error('database is locked') },
      { status: 'rejected', reason: new Error('database is locked') },
    ]);
    expect(h.writes).toHaveLength(1);
  });

  it('bounds the wait: with room for another write, an item waits at most maxWaitMs for the one in progress', async () => {
    const h = harness({ maxInFlight: 2, maxWaitMs: 5 });
    const first = h.batcher.add({ conv: 'a', id: '1' });
    h.endBurst();
    expect(h.writes).toHaveLength(1);
    const waiting = [h.batcher.add({ conv: 'b', id: '1' }), h.batcher.add({ conv: 'a', id: '2' })];
    await h.advance(4);
    expect(h.writes).toHaveLength(1);
    await h.advance(1);
    // b goes now, beside the write in progress; a's next message waits for a's write (one conversation, in order).
    expect(h.writes).toHaveLength(2);
    expect(h.labels(1)).toEqual(['b:1']);
    await h.advance(100);
    expect(h.writes).toHaveLength(2);
    h.writes[0]!.finish();
    expect(await first).toBe('a:1');
    await h.flush();
    expect(h.labels(2)).toEqual(['a:2']);
    h.writes[1]!.finish();
    h.writes[2]!.finish();
    expect(await Promise.all(waiting)).toEqual(['b:1', 'a:2']);
  });

  it('never starts more than maxInFlight writes', async () => {
    const h = harness({ maxInFlight: 1, maxWaitMs: 0 });
    h.batcher.add({ conv: 'a', id: '1' });
    h.endBurst();
    const late = h.batcher.add({ conv: 'b', id: '1' });
    await h.advance(1000);
    expect(h.writes).toHaveLength(1);
    h.writes[0]!.finish();
    await h.flush();
    expect(h.labels(1)).toEqual(['b:1']);
    h.writes[1]!.finish();
    expect(await late).toBe('b:1');
  });
});
