import type { OutboxFile } from '../attachments/deliver';
import { createOutboxStore, type Queued } from '../client/outbox-store';

export { OUTBOX_CAP, OutboxFullError } from '../client/outbox-store';

/**
 * The visitor's unsent messages: the client core's durable outbox (`src/client/outbox-store.ts`), one IndexedDB
 * database per site, so a reload, a crash or a long offline period loses nothing.
 */
export interface OutboxEntry extends Queued {
  text: string;
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

export function outboxDbName(site: string): string {
  return `parley-${site}`;
}

function isEntry(v: unknown): v is OutboxEntry {
  const e = v as OutboxEntry;
  return !!e && typeof e.clientId === 'string' && typeof e.text === 'string' && typeof e.order === 'number';
}

export function createOutbox(site: string, onDegrade: (err: unknown) => void = () => {}): Outbox {
  return createOutboxStore(
    outboxDbName(site),
    'outbox',
    isEntry,
    (text: string, files?: OutboxFile[]) => (files?.length ? { text, files } : { text }),
    onDegrade,
  );
}
