// WAL checkpoints off the event loop. better-sqlite3 is synchronous, and by default the connection that commits the
// transaction that fills the WAL past 1,000 pages also runs the checkpoint: it copies pages into the database file
// and fsyncs it, with every socket of the gateway waiting. Instead the gateway's connection never checkpoints
// (`wal_autocheckpoint = 0`) and a worker thread with a connection of its own runs `PRAGMA wal_checkpoint(PASSIVE)`,
// which never blocks the writer. Commits stay on the main thread: with `synchronous = NORMAL` a WAL commit is a write
// to the page cache, no fsync. BENCHMARKS.md ("Disk off the event loop") compares this with the whole store in a
// worker thread.
//
// The WAL file starts over only when a write begins while every frame of it has been copied. Under a steady stream of
// appends a checkpoint running beside them never catches the last frames, and the WAL would grow without bound. So
// when a checkpoint leaves the WAL at `restartFrames` or more, the next one is *gated*: appends wait (asynchronously,
// in the batcher: the event loop keeps serving sockets) until it has copied everything, and the next write starts
// the WAL over. Main-thread writes are synchronous, so no transaction is ever open while JavaScript runs the gate.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker checkpoints, at the latest. */
export const CHECKPOINT_INTERVAL_MS = 100;
/** Commits after which it checkpoints sooner (so a burst of writes cannot outrun it between two intervals). */
export const CHECKPOINT_COMMITS = 100;
/**
 * WAL size (frames, i.e. pages: about 200 MB) from which the next checkpoint holds appends until it is complete. Each
 * gate holds appends for one checkpoint's last copy and fsyncs, however large the WAL (the checkpoints beside the
 * appends copied the rest), so gates are worth making rare; the WAL's size on disk is bounded by this. An append
 * commit writes 7 to 13 pages (a batch of four messages to a batch of one), so at 1,000 messages a second 10,000
 * frames gated about once a second. 20 s of appends at that rate to 2,000 conversations (the store alone, one per
 * event-loop turn): p99 2.5–3.1 ms and 0.6–0.7% over 5 ms with 10,000; 0.45–0.70 ms and 0.05% with 50,000.
 */
export const RESTART_FRAMES = 50_000;
/**
 * Longest appends are held by a gated checkpoint. On a disk so slow that a checkpoint takes longer, appends go on, the
 * WAL does not start over this time, and no checkpoint gates again for `GATE_BACKOFF_MS`.
 */
const GATE_LIMIT_MS = 200;
const GATE_BACKOFF_MS = 5000;

export interface CheckpointResult {
  busy: number;
  /** Frames in the WAL. */
  log: number;
  /** Frames copied into the database file. */
  checkpointed: number;
}

export interface Checkpointer {
  /** While a gated checkpoint runs: resolves when it ends. Appends await it before writing. */
  gate(): Promise<void> | undefined;
  /** The store committed a write transaction. */
  committed(): void;
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
parentPort.on('message', (message) => {
  let reply;
  try {
    reply = { result: db.pragma('wal_checkpoint(PASSIVE)')[0] };
  } catch (err) {
    reply = { error: String((err && err.message) || err) };
  }
  if (message === 'close') {
    db.close();
    parentPort.close();
  } else {
    parentPort.postMessage(reply);
  }
});
`;

export interface CheckpointerOptions {
  path: string;
  intervalMs?: number;
  commits?: number;
  restartFrames?: number;
  busyTimeoutMs?: number;
  /** A checkpoint failed (e.g. SQLITE_BUSY past the timeout); the next one retries. Default: ignored. */
  onError?: (message: string) => void;
  /** A checkpoint ran (for tests and diagnostics). */
  onCheckpoint?: (result: CheckpointResult & { gated: boolean }) => void;
  /** The worker ended without being asked to (it failed): the caller checkpoints again itself. */
  onLost?: () => void;
}

/** The checkpointing thread, on its own connection to the database file. */
function spawnWorker(options: CheckpointerOptions): Worker {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path: options.path,
      busyTimeoutMs: Math.max(0, Math.trunc(options.busyTimeoutMs ?? 1000)),
    },
  });
  // The worker is a helper: it never keeps the process alive, and its failure never takes the gateway down.
  worker.unref();
  return worker;
}

/** A gate appends wait on while a checkpoint holds them; `onTimeout` runs if it is still closed after GATE_LIMIT_MS. */
function timedGate(onTimeout: () => void): { promise: Promise<void>; open(): void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  const limit = setTimeout(onTimeout, GATE_LIMIT_MS);
  limit.unref();
  return {
    promise,
    open: () => {
      clearTimeout(limit);
      open();
    },
  };
}

export function startCheckpointer(options: CheckpointerOptions): Checkpointer {
  const restartFrames = options.restartFrames ?? RESTART_FRAMES;
  const worker = spawnWorker(options);
  let closing: Promise<void> | undefined;
  let exited = false;
  let running = false;
  let walFrames = 0;
  let commits = 0;
  const commitsPerCheckpoint = options.commits ?? CHECKPOINT_COMMITS;
  let gate: { promise: Promise<void>; open(): void } | undefined;
  /** The checkpoint running holds appends. */
  let gating = false;
  let gateTimedOut = false;
  let gateNotBefore = 0;

  const openGate = () => {
    gate?.open();
    gate = undefined;
  };
  worker.on('message', (reply: { result?: CheckpointResult; error?: string }) => {
    running = false;
    const gated = gating;
    gating = false;
    openGate();
    if (reply.error !== undefined) return options.onError?.(reply.error);
    if (!reply.result) return;
    options.onCheckpoint?.({ ...reply.result, gated });
    if (gated && gateTimedOut) gateNotBefore = Date.now() + GATE_BACKOFF_MS;
    // After a complete gated checkpoint the next write starts the WAL over; after one beside the appends that left a
    // long WAL, the next one holds them, right away.
    walFrames = gated && !gateTimedOut ? 0 : reply.result.log;
    if (!gated && walFrames >= restartFrames && Date.now() >= gateNotBefore) setImmediate(checkpoint);
  });
  worker.on('error', (err) => options.onError?.(err.message));
  worker.once('exit', () => {
    exited = true;
    clearInterval(timer);
    openGate();
    if (!closing) options.onLost?.();
  });

  function checkpoint(): void {
    if (running || closing || exited) return;
    running = true;
    commits = 0;
    if (walFrames >= restartFrames && Date.now() >= gateNotBefore) {
      gating = true;
      gateTimedOut = false;
      gate = timedGate(() => {
        gateTimedOut = true;
        openGate();
      });
    }
    worker.postMessage('checkpoint');
  }
  const timer = setInterval(checkpoint, options.intervalMs ?? CHECKPOINT_INTERVAL_MS);
  timer.unref();

  return {
    gate: () => gate?.promise,
    committed() {
      if (++commits >= commitsPerCheckpoint) checkpoint();
    },
    close() {
      clearInterval(timer);
      openGate();
      closing ??= exited
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            // Held until it has exited: an unreferenced worker would let an otherwise idle process end first.
            worker.ref();
            worker.postMessage('close');
          });
      return closing;
    },
  };
}
