// Disk off the event loop: which works better on this machine, WAL checkpoints in a worker thread (what the gateway
// does, demo/server/store/sqlite/checkpointer.ts) or the whole SQLite connection in a worker thread? And what did the
// default (the committing connection checkpoints) cost? Each variant runs in a process of its own against a fresh
// file on the same disk as the gateway's, with Parley's append (head read, counter bump, message insert with its two
// unique indexes) and group commit (everything that arrived in one 2 ms tick in one transaction), at the benchmark's
// 1,100 messages/s into 10,000 conversations. Measured on the main thread: event-loop delay (what every socket
// waits), event-loop utilisation, and enqueue → committed per message; CPU of the whole process per message.
//
//   node bench/disk.mjs            all three variants, prints JSON
//   node bench/disk.mjs VARIANT    one variant (auto | checkpointer | worker), prints JSON (used by the above)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { root } from './proc.mjs';
import { Samples } from './stats.mjs';

export const VARIANTS = ['auto', 'checkpointer', 'worker'];
const CONVERSATIONS = 10_000;

// Parley's tables, reduced to what an append touches (demo/server/store/sqlite/migrations.ts).
const SCHEMA = `
  CREATE TABLE conversations (id TEXT PRIMARY KEY, status TEXT NOT NULL DEFAULT 'open',
    last_seq INTEGER NOT NULL DEFAULT 0, last_activity_at INTEGER NOT NULL);
  CREATE TABLE messages (id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, author TEXT NOT NULL,
    client_id TEXT, text TEXT NOT NULL, created_at INTEGER NOT NULL,
    UNIQUE (conversation_id, seq), UNIQUE (conversation_id, author, client_id));`;

/** Runs in both threads (as its source text in the worker): opens the file, returns `write(items)` (one transaction). */
function openWriterDb(Database, file, autocheckpoint) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
  const head = db.prepare('SELECT status, last_seq FROM conversations WHERE id = ?');
  const dup = db.prepare('SELECT id FROM messages WHERE conversation_id = ? AND author = ? AND client_id = ?');
  const bump = db.prepare('UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = ? WHERE id = ?');
  const insert = db.prepare('INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?)');
  const one = db.transaction((m) => {
    if (dup.get(m.conversation, 'visitor', m.clientId)) return;
    const h = head.get(m.conversation);
    bump.run(Date.now(), m.conversation);
    insert.run(m.clientId, m.conversation, h.last_seq + 1, 'visitor', m.clientId, m.text, Date.now());
  });
  return db.transaction((items) => {
    for (const m of items) one(m);
    return items.length;
  });
}

function prepare(file, Database) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA);
  const insert = db.prepare('INSERT INTO conversations (id, last_activity_at) VALUES (?, 0)');
  db.transaction(() => {
    for (let i = 0; i < CONVERSATIONS; i++) insert.run(`c${i}`);
  })();
  db.close();
}

/** A writer on this thread, or in a worker thread; `write(items)` resolves when the transaction committed. */
async function openWriter(variant, file, Database) {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  if (variant === 'auto') {
    const write = openWriterDb(Database, file, 1000);
    return { write: async (items) => write(items), close: () => {} };
  }
  if (variant === 'checkpointer') {
    // The gateway's own checkpointer, compiled from its source: appends wait for a gated checkpoint, and report
    // their commits, exactly as demo/server/store/sqlite/store.ts does.
    const write = openWriterDb(Database, file, 0);
    const checkpointer = (await loadCheckpointer()).startCheckpointer({ path: file });
    return {
      write: async (items) => {
        const gate = checkpointer.gate();
        if (gate) await gate;
        const n = write(items);
        checkpointer.committed();
        return n;
      },
      close: () => checkpointer.close(),
    };
  }
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const write = (${openWriterDb.toString()})(require(workerData.driver), workerData.file, 1000);
     parentPort.on('message', ({ id, items }) => parentPort.postMessage({ id, n: write(items) }));`,
    { eval: true, workerData: { driver, file } },
  );
  const pending = new Map();
  let next = 0;
  worker.on('message', ({ id }) => {
    pending.get(id)?.();
    pending.delete(id);
  });
  return {
    write: (items) =>
      new Promise((resolve) => {
        pending.set(++next, resolve);
        worker.postMessage({ id: next, items });
      }),
    close: () => worker.terminate(),
  };
}

/** demo/server/store/sqlite/checkpointer.ts, bundled next to dist/ so that it resolves better-sqlite3 as the gateway does. */
async function loadCheckpointer() {
  const { build } = await import('esbuild');
  const outfile = path.join(root, 'dist', 'bench', 'checkpointer.mjs');
  await build({
    entryPoints: [path.join(root, 'demo', 'server', 'store', 'sqlite', 'checkpointer.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'error',
  });
  return import(pathToFileURL(outfile).href);
}

async function runVariant(variant, { rate = 1100, durationMs = 20_000 } = {}) {
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3');
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-disk-'));
  const file = path.join(dir, 'bench.db');
  try {
    prepare(file, Database);
    const writer = await openWriter(variant, file, Database);
    const latency = new Samples(1 << 16);
    const lag = monitorEventLoopDelay({ resolution: 1 });
    let queue = [];
    let writing = false;
    let sent = 0;
    const text = 'Hello, I have a question about my order, could somebody help me please? '.padEnd(110, '.');
    const flush = async () => {
      if (writing || queue.length === 0) return;
      writing = true;
      const batch = queue;
      queue = [];
      await writer.write(batch.map(({ at, ...m }) => m));
      const t = performance.now();
      for (const m of batch) latency.push(t - m.at);
      writing = false;
      void flush();
    };
    lag.enable();
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        const due = Math.floor(((performance.now() - t0) * rate) / 1000);
        while (sent < due) {
          const n = sent++;
          queue.push({
            conversation: `c${(n * 7919) % CONVERSATIONS}`,
            clientId: `m${n}`,
            text,
            at: performance.now(),
          });
        }
        void flush();
        if (performance.now() - t0 >= durationMs) {
          clearInterval(timer);
          resolve();
        }
      }, 2);
    });
    while (writing || queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    lag.disable();
    await writer.close();
    return {
      variant,
      messages: sent,
      loopDelay: { p50: lag.percentile(50) / 1e6, p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 },
      loopUtilization: elu.utilization,
      commit: latency.summary(),
      cpuMicrosPerMessage: (cpu.user + cpu.system) / sent,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every variant, each in a fresh process (so one's page cache and heap do not help the next), `rounds` times. */
export function runDisk({ rounds = 2, durationMs = 20_000, log = () => {} } = {}) {
  const here = fileURLToPath(import.meta.url);
  const results = [];
  for (let round = 0; round < rounds; round++) {
    for (const variant of VARIANTS) {
      const out = execFileSync(process.execPath, [here, variant, String(durationMs)], { encoding: 'utf8' });
      const r = JSON.parse(out);
      log(
        `disk: ${variant}: loop delay p99 ${r.loopDelay.p99.toFixed(1)} ms, commit p99 ${r.commit.p99.toFixed(1)} ms`,
      );
      results.push({ round, ...r });
    }
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const variant = process.argv[2];
  const durationMs = Number(process.argv[3] ?? 20_000);
  const result = variant ? await runVariant(variant, { durationMs }) : runDisk({ durationMs, log: console.error });
  console.log(JSON.stringify(result));
}
