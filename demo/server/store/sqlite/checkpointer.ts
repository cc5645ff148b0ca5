// WAL checkpoints off the event loop. better-sqlite3 is synchronous, and by default the connection that commits the
// transaction that fills the WAL past 1,000 pages also runs the checkpoint: it copies pages into the database file
// and fsyncs it, with every socket of the gateway waiting. Instead the gateway's connection never checkpoints
// (`wal_autocheckpoint = 0`) and a worker thread with a connection of its own runs `PRAGMA wal_checkpoint(PASSIVE)`
// (which never waits for, nor blocks, the writer) whenever the WAL has grown. Commits stay on the main thread: with
// `synchronous = NORMAL` a WAL commit is a write to the page cache, no fsync. BENCHMARKS.md ("Disk off the event
// loop") compares this with the whole store in a worker thread.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker looks at the WAL (a checkpoint runs only when it has grown since the last one). */
export const CHECKPOINT_INTERVAL_MS = 500;

export interface Checkpointer {
  /** Stops the worker after one last checkpoint. */
  close(): Promise<void>;
}

// Kept as plain CommonJS text and run with `eval`, so the same code works from the TypeScript sources (tests) and
// from the bundled gateway without a separate entry file. `driver` is better-sqlite3's resolved path.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
const checkpoint = () => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    if (result && result.log > 0) parentPort.postMessage({ checkpoint: result });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface CheckpointerOptions {
  path: string;
  intervalMs?: number;
  busyTimeoutMs?: number;
  /** A checkpoint failed (e.g. SQLITE_BUSY past the timeout); the next one retries. Default: ignored. */
  onError?: (message: string) => void;
  /** A checkpoint ran: WAL frames (`log`) and how many were copied (`checkpointed`). For tests and diagnostics. */
  onCheckpoint?: (result: { busy: number; log: number; checkpointed: number }) => void;
  /** The worker ended without being asked to (it failed): the caller checkpoints again itself. */
  onLost?: () => void;
}

export function startCheckpointer(options: CheckpointerOptions): Checkpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path: options.path,
      intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS,
      busyTimeoutMs: Math.max(0, Math.trunc(options.busyTimeoutMs ?? 1000)),
    },
  });
  // The worker is a helper: it never keeps the process alive, and its failure never takes the gateway down (the WAL
  // then only grows until the next start, whose first connection checkpoints it).
  worker.unref();
  worker.on('message', (message: { checkpoint?: never; error?: string }) => {
    if (message.error !== undefined) options.onError?.(message.error);
    else if (message.checkpoint) options.onCheckpoint?.(message.checkpoint);
  });
  worker.on('error', (err) => options.onError?.(err.message));
  let closing: Promise<void> | undefined;
  let exited = false;
  worker.once('exit', () => {
    exited = true;
    if (!closing) options.onLost?.();
  });
  return {
    close() {
      closing ??= exited
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            worker.postMessage('close');
          });
      return closing;
    },
  };
}
