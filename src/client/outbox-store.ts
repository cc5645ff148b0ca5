import { clear, createStore, del, entries, set, type UseStore } from 'idb-keyval';
import { clientId } from './client-id';

/** What every queued message of both clients carries: the id every attempt repeats, and its place in the send order. */
export interface Queued {
  clientId: string;
  createdAt: number;
  /** Strictly increasing within a browser: the send order. */
  order: number;
}

/** Queued messages per browser: beyond it a client refuses new ones with a clear error and keeps the queued. */
export const OUTBOX_CAP = 500;

/** What `enqueue` throws when `OUTBOX_CAP` messages are queued already; each client says it in its own words. */
export class OutboxFullError extends Error {
  override name = 'OutboxFullError';
  constructor() {
    super(`outbox full: ${OUTBOX_CAP} unsent messages`);
  }
}

const byOrder = (a: Queued, b: Queued) => a.order - b.order || (a.clientId < b.clientId ? -1 : 1);

/**
 * The durable outbox of both clients: every message is written here before its first send attempt and leaves only
 * once the gateway acknowledged it, so a reload, a crash or a long offline period loses nothing. It lives in the
 * IndexedDB database `db` (one per client, never idb-keyval's shared default), object store `storeName`, each entry
 * under `keyPrefix + clientId`; the store's other keys are the caller's (`get`/`put`/`drop`). `isEntry` recognises
 * entries among everything stored (a foreign value is never sent), `fields` makes a new entry's own fields from
 * `enqueue`'s arguments. Every operation run through `serial` waits for the previous one, so concurrent enqueues
 * keep their call order. When IndexedDB is missing or fails (private mode, quota, the browser closing the
 * connection) it reports the error through `onDegrade`, moves to memory for good and never throws into the UI.
 * (Positional parameters: an options object would cost the widget bytes for nothing.)
 */
export function createOutboxStore<E extends Queued, A extends unknown[]>(
  db: string,
  storeName: string,
  isEntry: (v: unknown) => v is E,
  fields: (...args: A) => Omit<E, keyof Queued>,
  onDegrade: (err: unknown) => void,
  keyPrefix = '',
) {
  let store: UseStore | undefined;
  let durable = typeof indexedDB !== 'undefined';
  // Mirror of what this tab knows; after a storage failure it is the store.
  let memory = new Map<string, unknown>();
  let chain: Promise<unknown> = Promise.resolve();

  /** Runs `op` on the IndexedDB store while storage works; its first failure moves the store to memory for good. */
  async function stored(op: (s: UseStore) => Promise<unknown>): Promise<void> {
    if (!durable) return;
    try {
      store ??= createStore(db, storeName);
      await op(store);
    } catch (err) {
      durable = false;
      onDegrade(err);
    }
  }

  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(fn, fn);
    chain = run.catch(() => {});
    return run;
  }

  /** Everything stored, re-read so that other tabs' writes are included. */
  async function get(): Promise<Map<string, unknown>> {
    await stored(async (s) => {
      memory = new Map(await entries<string, unknown>(s));
    });
    return memory;
  }

  function put(key: string, value: unknown): Promise<void> {
    memory.set(key, value);
    return stored((s) => set(key, value, s));
  }

  function drop(key: string): Promise<void> {
    memory.delete(key);
    return stored((s) => del(key, s));
  }

  const all = async () => [...(await get()).values()].filter(isEntry).sort(byOrder);

  return {
    /** False once storage failed: entries then live in memory only and will not survive a reload. */
    get durable() {
      return durable;
    },
    serial,
    get,
    put,
    drop,
    /** The entries in send order. */
    all: () => serial(all),
    /** Stores a new entry (a fresh client id, ordered after every other); throws `OutboxFullError` when full. */
    enqueue: (...args: A): Promise<E> =>
      serial(async () => {
        const queued = await all();
        if (queued.length >= OUTBOX_CAP) throw new OutboxFullError();
        const now = Date.now();
        const order = Math.max(now, (queued.at(-1)?.order ?? 0) + 1);
        const entry = { clientId: clientId(), createdAt: now, order, ...fields(...args) } as E;
        await put(keyPrefix + entry.clientId, entry);
        return entry;
      }),
    /** Writes an entry back (changed fields). */
    save: (entry: E) => serial(() => put(keyPrefix + entry.clientId, entry)),
    remove: (id: string) => serial(() => drop(keyPrefix + id)),
    clear: () =>
      serial(async () => {
        memory.clear();
        await stored(clear);
      }),
  };
}
