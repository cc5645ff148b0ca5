import { clear, createStore, del, entries, set, type UseStore } from 'idb-keyval';
import type { OutboxFile } from '../attachments/deliver';
import { clientId } from '../client/client-id';

/**
 * The visitor's unsent messages. Every message is written here before the first send attempt and leaves only when
 * the gateway acknowledged it, so a reload, a crash or a long offline period loses nothing. Backed by IndexedDB
 * (one database per site, never idb-keyval's shared default); when IndexedDB is missing or fails (private mode,
 * quota, the browser closing the connection) it degrades to memory, reports it, and keeps the message being sent.
 */
export interface OutboxEntry {
  clientId: string;
  text: string;
  createdAt: number;
  /** Strictly increasing within a browser: the send order. */
  order: number;
  /** Files sent with the message, kept (as Blobs) until the message is acknowledged. */
  files?: OutboxFile[];
}

export interface Outbox {
  /** False once storage failed: entries then live in memory only and will not survive a reload. */
  readonly durable: boolean;
  enqueue(text: string, files?: OutboxFile[]): Promise<OutboxEntry>;
  /** Writes an entry back (its files' upload ids). */
  save(entry: OutboxEntry): Promise<void>;
  /** Entries in send order, re-read from storage so other tabs' entries are included. */
  all(): Promise<OutboxEntry[]>;
  remove(clientId: string): Promise<void>;
  clear(): Promise<void>;
}

export const OUTBOX_CAP = 500;

export class OutboxFullError extends Error {
  override name = 'OutboxFullError';
  constructor() {
    super(`outbox full: ${OUTBOX_CAP} unsent messages`);
  }
}

export function outboxDbName(site: string): string {
  return `parley-${site}`;
}

const byOrder = (a: OutboxEntry, b: OutboxEntry) => a.order - b.order || (a.clientId < b.clientId ? -1 : 1);

function isEntry(v: unknown): v is OutboxEntry {
  const e = v as OutboxEntry;
  return !!e && typeof e.clientId === 'string' && typeof e.text === 'string' && typeof e.order === 'number';
}

export function createOutbox(site: string, onDegrade: (err: unknown) => void = () => {}): Outbox {
  let store: UseStore | undefined;
  let durable = typeof indexedDB !== 'undefined';
  // Mirror of what this tab knows; after a storage failure it is the outbox.
  let memory = new Map<string, OutboxEntry>();
  // Serialises this tab's writes so concurrent enqueue() calls keep their call order.
  let chain: Promise<unknown> = Promise.resolve();

  /** Runs `op` on the IndexedDB store while storage works; its first failure moves the outbox to memory for good. */
  async function stored(op: (s: UseStore) => Promise<unknown>): Promise<void> {
    if (!durable) return;
    try {
      store ??= createStore(outboxDbName(site), 'outbox');
      await op(store);
    } catch (err) {
      durable = false;
      onDegrade(err);
    }
  }

  async function read(): Promise<OutboxEntry[]> {
    await stored(async (s) => {
      const rows = await entries<string, unknown>(s);
      memory = new Map(
        rows
          .map(([, v]) => v)
          .filter(isEntry)
          .map((e) => [e.clientId, e]),
      );
    });
    return [...memory.values()].sort(byOrder);
  }

  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(fn, fn);
    chain = run.catch(() => {});
    return run;
  }

  return {
    get durable() {
      return durable;
    },
    enqueue: (text, files) =>
      serial(async () => {
        const current = await read();
        if (current.length >= OUTBOX_CAP) throw new OutboxFullError();
        const last = current.at(-1)?.order ?? 0;
        const now = Date.now();
        const entry: OutboxEntry = { clientId: clientId(), text, createdAt: now, order: Math.max(now, last + 1) };
        if (files?.length) entry.files = files;
        memory.set(entry.clientId, entry);
        await stored((s) => set(entry.clientId, entry, s));
        return entry;
      }),
    all: () => serial(read),
    save: (entry) =>
      serial(async () => {
        memory.set(entry.clientId, entry);
        await stored((s) => set(entry.clientId, entry, s));
      }),
    remove: (id) =>
      serial(async () => {
        memory.delete(id);
        await stored((s) => del(id, s));
      }),
    clear: () =>
      serial(async () => {
        memory.clear();
        await stored(clear);
      }),
  };
}
