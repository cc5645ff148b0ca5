// `npm run bench:soak` (after `node build.mjs`): the gateway for a long time under steady load with churn, to show
// that nothing grows but the database, and that only by what the stored messages explain. Not part of `npm run bench`
// or CI. Writes its section into BENCHMARKS.md (bench/soak-report.mjs), which `npm run bench` keeps.
//
//   PARLEY_SOAK_MINUTES (default 30), PARLEY_SOAK_WINDOW_MINUTES (default 5): length of the run and of each row.
//   PARLEY_SOAK_DRY=1: print the section instead of writing BENCHMARKS.md (for a short trial).
//
// One gateway (SQLite) with bench/soak-probe.mjs preloaded, which reports heap after a full GC and event-loop delay
// when asked; 2,000 visitors and 20 agents (Agent01 replies), 200 visitor messages/s, 20 replies/s and 100 visitor
// typing events/s; every minute 10% of the visitors disconnect and come back with their session.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AGENTS, gatewayScript, startGateway } from './gateway.mjs';
import { delay, freePort, killAll, loadAverage, procStat, root, startWorker } from './proc.mjs';
import { renderSoak, writeSoakSection } from './soak-report.mjs';

const minutes = Number(process.env.PARLEY_SOAK_MINUTES ?? 30);
const windowMinutes = Number(process.env.PARLEY_SOAK_WINDOW_MINUTES ?? 5);
export const SOAK = {
  durationMs: minutes * 60_000,
  windowMs: windowMinutes * 60_000,
  visitors: 2000,
  connectRate: 500,
  visitorRate: 200,
  agentRate: 20,
  typingRate: 100,
  churnFraction: 0.1,
  churnEveryMs: 60_000,
};

const log = (line) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Size of the SQLite file and its WAL, in bytes. */
function dbBytes(dbPath) {
  let total = 0;
  for (const suffix of ['', '-wal']) {
    try {
      total += statSync(dbPath + suffix).size;
    } catch {
      // no WAL yet
    }
  }
  return total;
}

/** Messages stored, and the database's size as its pages (WAL included, the WAL file's unused space not). */
function stored(dbPath) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const pages = db.pragma('page_count', { simple: true }) - db.pragma('freelist_count', { simple: true });
    const dataBytes = pages * db.pragma('page_size', { simple: true });
    return { messages: db.prepare('SELECT count(*) AS n FROM messages').get().n, dataBytes };
  } finally {
    db.close();
  }
}

/** Asks the probe for a line (heap after GC, event-loop delay since the last one) and reads it. */
async function probe(pid, file) {
  const before = readLines(file).length;
  process.kill(pid, 'SIGUSR2');
  // A starved event loop (a busy shared machine) can take seconds to get to the signal.
  for (let i = 0; i < 1200; i++) {
    const lines = readLines(file);
    if (lines.length > before) return lines.at(-1);
    await delay(50);
  }
  throw new Error('the gateway probe did not answer');
}

function readLines(file) {
  try {
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

async function sample(server, dbPath, probeFile, t0) {
  const p = await probe(server.pid, probeFile);
  const s = procStat(server.pid);
  return {
    minute: (Date.now() - t0) / 60_000,
    rss: s.rss,
    heapUsed: p.heapUsed,
    eventLoop: p.eventLoop,
    fds: s.fds,
    dbBytes: dbBytes(dbPath),
    ...stored(dbPath),
    cpu: s.cpu,
  };
}

export async function runSoak(o = SOAK) {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-soak-'));
  const dbPath = path.join(dir, 'parley.db');
  const probeFile = path.join(dir, 'probe.jsonl');
  const workers = [];
  let server;
  try {
    server = await startGateway({
      port: await freePort(),
      dbPath,
      env: { PARLEY_SOAK_PROBE: probeFile },
      nodeArgs: ['--expose-gc', '--import', path.join(root, 'bench', 'soak-probe.mjs')],
    });
    log(`gateway pid ${server.pid} on ${server.url}`);
    const gen = startWorker('soak-generator');
    const sink = startWorker('soak-agents');
    workers.push(gen, sink);
    await gen.call('connectAgents', { url: server.url, agents: AGENTS.slice(0, 1), measure: true });
    await sink.call('connectAgents', { url: server.url, agents: AGENTS.slice(1), measure: false });
    const connect = await gen.call(
      'connectVisitors',
      { url: server.url, count: o.visitors, rate: o.connectRate, timeoutMs: 120_000 },
      180_000,
    );
    log(`${connect.connected}/${o.visitors} visitors connected; running ${o.durationMs / 60_000} min`);

    const t0 = Date.now();
    const samples = [await sample(server, dbPath, probeFile, t0)];
    await gen.call('soakStart', { visitorRate: o.visitorRate, agentRate: o.agentRate, typingRate: o.typingRate });
    const churns = [];
    let nextChurn = t0 + o.churnEveryMs;
    let nextSample = t0 + o.windowMs;
    const end = t0 + o.durationMs;
    let aborted = null;
    try {
      while (Date.now() < end) {
        await delay(Math.max(0, Math.min(nextChurn, nextSample, end) - Date.now()));
        if (Date.now() >= nextChurn && Date.now() < end) {
          nextChurn += o.churnEveryMs;
          const churn = gen.call('churn', { fraction: o.churnFraction }, 120_000);
          churn.catch(() => {});
          churns.push(churn);
        }
        if (Date.now() >= nextSample || Date.now() >= end) {
          nextSample += o.windowMs;
          const s = await sample(server, dbPath, probeFile, t0);
          samples.push(s);
          log(
            `min ${s.minute.toFixed(1)}: RSS ${(s.rss / 1e6).toFixed(0)} MB, heap ${(s.heapUsed / 1e6).toFixed(1)} MB, ` +
              `loop p99 ${s.eventLoop.p99} ms, ${s.fds} fds, db ${(s.dbBytes / 1e6).toFixed(1)} MB, ${s.messages} messages`,
          );
        }
      }
    } catch (err) {
      // A load process killed from outside (a shared machine): report what was measured up to then.
      aborted = String(err?.message ?? err).split('\n')[0];
      log(`aborted: ${aborted}`);
    }
    const counters = aborted ? { sendErrors: {} } : await gen.call('soakStop');
    const churned = (await Promise.allSettled(churns)).filter((c) => c.status === 'fulfilled').map((c) => c.value);
    if (!aborted) {
      await gen.call('closeAll', {}, 60_000);
      await sink.call('closeAll', {}, 60_000);
    }
    await server.stop('SIGTERM');
    return {
      params: o,
      connect,
      samples,
      counters,
      churned,
      aborted,
      startedAt: new Date(t0).toISOString(),
      load: loadAverage(),
    };
  } finally {
    for (const w of workers) await w.stop();
    if (server?.alive()) await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.on('exit', killAll);
  try {
    statSync(gatewayScript());
  } catch {
    throw new Error(`${gatewayScript()} is missing: run \`node build.mjs\` first`);
  }
  const loadBefore = loadAverage();
  if (process.env.PARLEY_SOAK_RENDER) {
    // Writes the section again from a saved run (PARLEY_SOAK_JSON of an earlier run), measuring nothing.
    writeSoakSection(
      path.join(root, 'BENCHMARKS.md'),
      renderSoak(JSON.parse(readFileSync(process.env.PARLEY_SOAK_RENDER, 'utf8'))),
    );
    process.exit(0);
  }
  const result = await runSoak();
  result.loadBefore = loadBefore;
  if (process.env.PARLEY_SOAK_JSON) writeFileSync(process.env.PARLEY_SOAK_JSON, JSON.stringify(result, null, 2));
  const section = renderSoak(result);
  if (process.env.PARLEY_SOAK_DRY) console.log(section);
  else writeSoakSection(path.join(root, 'BENCHMARKS.md'), section);
  log(process.env.PARLEY_SOAK_DRY ? 'dry run: BENCHMARKS.md not written' : 'wrote the soak section of BENCHMARKS.md');
  process.exit(0);
}
