import type Database from 'better-sqlite3';
import type { Checkpointer } from './checkpointer';

// Indexes queued messages for search in bulk, off the append path (see the migration that added
// messages_fts_pending): FTS5's cost per transaction is paid once per chunk instead of once per append batch.

/** Rows per transaction: about a millisecond of FTS5 work, so the event loop never waits long for one chunk. */
export const INDEX_CHUNK = 256;
/** How often queued messages are indexed when nobody searches. */
export const INDEX_INTERVAL_MS = 200;

export interface SearchIndexer {
  /** Indexes every queued message now: a search sees every stored message. */
  catchUp(): void;
  stop(): void;
}

export function startSearchIndexer(
  db: Database.Database,
  options: { checkpointer?: Checkpointer; intervalMs?: number } = {},
): SearchIndexer {
  const lastOfChunk = db
    .prepare<[number], number | null>('SELECT max(id) FROM (SELECT id FROM messages_fts_pending ORDER BY id LIMIT ?)')
    .pluck();
  const index = db.prepare<[number]>(
    `INSERT INTO messages_fts (rowid, text)
     SELECT m.rowid, m.text FROM messages_fts_pending p JOIN messages m ON m.rowid = p.id WHERE p.id <= ? ORDER BY p.id`,
  );
  const dequeue = db.prepare<[number]>('DELETE FROM messages_fts_pending WHERE id <= ?');
  /** Indexes the oldest `limit` queued rows; returns how many there were. */
  const indexChunk = db.transaction((limit: number): number => {
    const last = lastOfChunk.get(limit);
    if (last === null || last === undefined) return 0;
    index.run(last);
    return dequeue.run(last).changes;
  });
  const anyQueued = db.prepare('SELECT 1 FROM messages_fts_pending LIMIT 1').pluck();
  const run = (limit: number) => {
    // A read first: an idle gateway would otherwise take the write lock five times a second for nothing.
    if (anyQueued.get() === undefined) return 0;
    const n = indexChunk.immediate(limit);
    if (n > 0) options.checkpointer?.committed();
    return n;
  };

  let stopped = false;
  const tick = () => {
    // A gated checkpoint holds writes until the WAL starts over; this one can wait for the next tick.
    if (stopped || options.checkpointer?.gate()) return;
    try {
      // A backlog larger than a chunk (a burst, or rows queued before a restart) goes on after the sockets had a turn.
      if (run(INDEX_CHUNK) === INDEX_CHUNK) setImmediate(tick);
    } catch {
      // The lock or the disk: the next tick tries again, and a search that cannot catch up reports the error itself.
    }
  };
  const timer = setInterval(tick, options.intervalMs ?? INDEX_INTERVAL_MS);
  timer.unref();

  return {
    catchUp() {
      while (run(INDEX_CHUNK) === INDEX_CHUNK);
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
