import { LIMITS, type Message } from '../../../src/protocol';
import type { ListOptions, MessagePage, SweepResult } from './types';

/**
 * The longest head of `items` whose JSON fits in `maxBytes` (as a client receives it: UTF-8, with a comma between
 * items), and never less than one item: a reply is bounded by bytes as well as by count, so a page of 4,000-character
 * messages costs the gateway's send buffer what a page of short ones does.
 */
export function fitBytes<T>(items: readonly T[], maxBytes: number = LIMITS.pageBytes): T[] {
  let bytes = 0;
  for (let i = 0; i < items.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(items[i])) + 1;
    if (bytes > maxBytes) return items.slice(0, Math.max(1, i));
  }
  return items.slice();
}

/**
 * What a store's query may skip: messages after `limit + 1` in seq order, and those whose text starts more than this
 * many bytes (UTF-8) into the page's texts. A message's JSON is never shorter than its text, so every message that
 * fits in a page is still read, and so is the first one that does not (it starts at most a page in), which makes
 * `more` true. Reading 200 long messages to send 30 of them cost a SQLite gateway ~20 ms of CPU per page.
 */
export const PAGE_TEXT_BYTES = LIMITS.pageBytes;

/**
 * A history page from the messages a store read in seq order (see `PAGE_TEXT_BYTES`): at most `limit` of them and
 * `LIMITS.pageBytes`, with `more` when anything was left out.
 */
export function messagePage(messages: readonly Message[], limit: number): MessagePage {
  const page = fitBytes(messages.slice(0, limit));
  return { messages: page, more: messages.length > page.length };
}

/** Conversations one list returns at most, whatever `limit` asks; 100 when it asks nothing. */
export const MAX_LIST = 500;
const DEFAULT_LIST = 100;

/** The status filter and row limit a conversation list query runs with. */
export function listQuery(options: ListOptions): { status: ListOptions['status'] & string; limit: number } {
  const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? DEFAULT_LIST)), MAX_LIST);
  return { status: options.status ?? 'all', limit };
}

/** Sessions one sweep transaction deletes at most, unless the caller asks otherwise. */
export const SWEEP_BATCH = 1000;

/**
 * Sweeps in batches of `batch`, each its own short transaction (`sweepBatch`), so a large sweep never holds the write
 * lock (SQLite) or many row locks (PostgreSQL) for long; stops after the first batch that was not full.
 */
export async function sweepInBatches(batch: number, sweepBatch: () => Promise<SweepResult>): Promise<SweepResult> {
  const total: SweepResult = { sessions: 0, visitors: 0 };
  for (;;) {
    const done = await sweepBatch();
    total.sessions += done.sessions;
    total.visitors += done.visitors;
    if (done.sessions < batch) return total;
  }
}
