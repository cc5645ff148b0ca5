import type { AppendResult, NewMessage } from './types';

// Group commit for message appends, shared by both stores. Items that arrive while a write is in progress wait and
// are written together by the next one (one transaction on SQLite, one statement on PostgreSQL), so the cost of a
// commit (WAL write, round trip) is paid once per batch rather than once per message.
//
// Guarantees, whatever the store:
// - an item's promise settles only with its own result: the store's write reports one outcome per item, and a write
//   that fails as a whole is run again item by item, so one bad item never fails (or hides) the others;
// - items with the same `orderKey` (the conversation) are written in arrival order, and never by two writes at once;
// - items with the same `coalesceKey` in one batch are written once: the later ones get the first one's result,
//   marked by `repeat` (across batches, the store's own idempotency answers);
// - no item waits longer than `maxWaitMs` for a write to start while fewer than `maxInFlight` writes run.

/** One item's outcome, as reported by a store's batch write. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface BatcherOptions<I, R> {
  /** Writes `items` (in order) and reports one outcome per item, in the same order. May reject as a whole. */
  write(items: I[]): Promise<Outcome<R>[]>;
  /** Items that must be written in arrival order, one write at a time (the conversation id). */
  orderKey(item: I): string;
  /** Items that are the same request (conversation, author, clientId); undefined: never the same as another. */
  coalesceKey?(item: I): string | undefined;
  /** The result for a repeat of an item in the same batch, from the first one's result. */
  repeat?(first: R): R;
  /**
   * A write that fails as a whole is run again item by item (default true), for stores where one item can fail a whole
   * write. A store that reports item failures itself (SQLite: a savepoint per item) turns it off: there, a whole
   * write fails only for what every item would meet alone too (the write lock, the disk), and running each item again
   * would only repeat the wait, synchronously.
   */
  retryOneByOne?: boolean;
  /** Most items in one write (default 256). */
  maxBatch?: number;
  /** Writes that may run at once (default 1). Above 1, a batch may start while another is in progress. */
  maxInFlight?: number;
  /** Longest an item waits for a write in progress before a concurrent write takes it (default 10 ms). */
  maxWaitMs?: number;
  /** Clock and timers, injectable for tests. */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
  /** Runs `fn` after the current burst of events (default `setImmediate`), so items of one burst share a write. */
  defer?: (fn: () => void) => void;
}

interface Pending<I, R> {
  item: I;
  at: number;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export interface Batcher<I, R> {
  add(item: I): Promise<R>;
  /** Items queued or being written. */
  readonly pending: number;
}

/**
 * About 90 lines, on purpose: one closure over the queue's state (queue, writes in progress, the wait timer), whose steps
 * are short named functions (`pump`, `take`, `run`); the writing itself is below, outside it.
 */
export function createBatcher<I, R>(options: BatcherOptions<I, R>): Batcher<I, R> {
  const maxBatch = Math.max(1, options.maxBatch ?? 256);
  const maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  const maxWaitMs = Math.max(0, options.maxWaitMs ?? 10);
  const now = options.now ?? Date.now;
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as NodeJS.Timeout));
  const defer = options.defer ?? ((fn) => void setImmediate(fn));

  let queue: Pending<I, R>[] = [];
  /** Order keys of the writes in progress. */
  const busy = new Map<string, number>();
  let inFlight = 0;
  let writing = 0;
  let deferred = false;
  let timer: unknown;

  function pump(): void {
    if (timer !== undefined) {
      clearTimer(timer);
      timer = undefined;
    }
    let blocked = false;
    while (inFlight < maxInFlight && queue.length > 0) {
      // While a write is in progress, items gather for the next one, unless one has waited too long.
      if (inFlight > 0 && now() - queue[0]!.at < maxWaitMs) break;
      const batch = take();
      // Everything queued belongs to conversations being written: the end of those writes takes it.
      blocked = batch.length === 0;
      if (blocked) break;
      void run(batch);
    }
    if (!blocked && queue.length > 0 && inFlight > 0 && inFlight < maxInFlight) {
      timer = setTimer(pump, Math.max(0, queue[0]!.at + maxWaitMs - now()));
    }
  }

  /** Up to `maxBatch` queued items, oldest first, skipping conversations that a write in progress holds. */
  function take(): Pending<I, R>[] {
    const batch: Pending<I, R>[] = [];
    const rest: Pending<I, R>[] = [];
    for (const entry of queue) {
      if (batch.length < maxBatch && !busy.has(options.orderKey(entry.item))) batch.push(entry);
      else rest.push(entry);
    }
    queue = rest;
    return batch;
  }

  async function run(batch: Pending<I, R>[]): Promise<void> {
    inFlight++;
    writing += batch.length;
    const keys = batch.map((entry) => options.orderKey(entry.item));
    for (const key of keys) busy.set(key, (busy.get(key) ?? 0) + 1);
    try {
      await writeSettled(options, batch);
    } finally {
      for (const key of keys) {
        const left = (busy.get(key) ?? 1) - 1;
        if (left > 0) busy.set(key, left);
        else busy.delete(key);
      }
      writing -= batch.length;
      inFlight--;
      pump();
    }
  }

  return {
    add(item: I): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, at: now(), resolve, reject });
        if (inFlight > 0) {
          // Gathers for the next write; the timer bounds the wait when a concurrent write is allowed.
          if (timer === undefined && inFlight < maxInFlight) pump();
          return;
        }
        if (!deferred) {
          deferred = true;
          defer(() => {
            deferred = false;
            pump();
          });
        }
      });
    },
    get pending() {
      return queue.length + writing;
    },
  };
}

/** Writes a batch and settles every item's promise, each with its own outcome. */
async function writeSettled<I, R>(options: BatcherOptions<I, R>, batch: Pending<I, R>[]): Promise<void> {
  const { unique, repeats } = coalesce(batch, (item) => options.coalesceKey?.(item));
  let outcomes: Outcome<R>[];
  try {
    outcomes = await options.write(unique.map((entry) => entry.item));
    if (outcomes.length !== unique.length) throw new Error('batch write reported the wrong number of outcomes');
  } catch (err) {
    if (unique.length === 1 || options.retryOneByOne === false)
      outcomes = unique.map(() => ({ ok: false, error: err }));
    // The write failed as a whole: each item alone, so every item gets its own outcome.
    else
      outcomes = await writeOneByOne(
        options.write,
        unique.map((entry) => entry.item),
      );
  }
  unique.forEach((entry, i) => {
    const outcome = outcomes[i]!;
    if (outcome.ok) entry.resolve(outcome.value);
    else entry.reject(outcome.error);
    for (const twin of repeats.get(entry) ?? []) {
      if (outcome.ok) twin.resolve(options.repeat ? options.repeat(outcome.value) : outcome.value);
      else twin.reject(outcome.error);
    }
  });
}

async function writeOneByOne<I, R>(write: BatcherOptions<I, R>['write'], items: I[]): Promise<Outcome<R>[]> {
  const outcomes: Outcome<R>[] = [];
  for (const item of items) {
    try {
      const [outcome] = await write([item]);
      outcomes.push(outcome ?? { ok: false, error: new Error('batch write reported no outcome') });
    } catch (error) {
      outcomes.push({ ok: false, error });
    }
  }
  return outcomes;
}

/** Items with the same coalescing key (a repeated client id) are written once; the repeats get the first's outcome. */
function coalesce<I, R>(batch: Pending<I, R>[], coalesceKey: ((item: I) => string | undefined) | undefined) {
  const unique: Pending<I, R>[] = [];
  const repeats = new Map<Pending<I, R>, Pending<I, R>[]>();
  const firstByKey = new Map<string, Pending<I, R>>();
  for (const entry of batch) {
    const key = coalesceKey?.(entry.item);
    const first = key === undefined ? undefined : firstByKey.get(key);
    if (first) {
      const list = repeats.get(first) ?? [];
      list.push(entry);
      repeats.set(first, list);
      continue;
    }
    if (key !== undefined) firstByKey.set(key, entry);
    unique.push(entry);
  }
  return { unique, repeats };
}

/** One `Store.appendMessage` call, as the append batcher queues it. */
export interface AppendItem {
  conversationId: string;
  input: NewMessage;
}

/**
 * The batcher both stores put `appendMessage` behind: one conversation's appends in arrival order, a repeated
 * (conversation, author, clientId) within one batch answered like the store answers a repeat (`duplicate: true`).
 */
export function createAppendBatcher(
  write: (items: AppendItem[]) => Promise<Outcome<AppendResult>[]>,
  options: Pick<
    BatcherOptions<AppendItem, AppendResult>,
    'maxBatch' | 'maxInFlight' | 'maxWaitMs' | 'retryOneByOne'
  > = {},
): Batcher<AppendItem, AppendResult> {
  return createBatcher<AppendItem, AppendResult>({
    ...options,
    write,
    orderKey: (item) => item.conversationId,
    coalesceKey: ({ conversationId, input }) =>
      input.clientId === undefined ? undefined : JSON.stringify([conversationId, input.author, input.clientId]),
    repeat: (first) => ({ ...first, duplicate: true, reopened: false, created: false }),
  });
}
