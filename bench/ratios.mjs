// Issue 18's ratios against the bare relay: the latency run at more sizes (runScale), and a rate sweep (runSweep):
// the highest message rate one process sustains with p99 under 50 ms, gateway and relay measured alternately under
// the same conditions. Only summaries are kept (the full latency results of the main run live in run.mjs's JSON).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AGENTS, startGateway, startRelay } from './gateway.mjs';
import { runLatency } from './latency.mjs';
import { cpuWindow, delay, freePort, startWorker } from './proc.mjs';

/** p99 goal of the sweep and of the issue. */
export const P99_GOAL_MS = 50;

/** What the ratio tables need from one latency run. */
export function latencySummary(r) {
  return {
    visitors: r.connect.connected,
    v2aP99: r.results.v2a.p99,
    a2vP99: r.results.a2v.p99,
    cpuPercent: r.cpu.server,
    cpuMicrosPerMessage: r.cpu.serverMicrosPerMessage,
    runQueue: r.cpu.serverRunQueue,
    machine: r.cpu.machine,
    undelivered: r.results.undelivered,
    errors: Object.values(r.results.counters.sendErrors ?? {}).reduce((n, k) => n + k, 0),
  };
}

/** The latency run at each size of `sizes`, the gateway then the relay. */
export async function runScale({ sizes, log, ...o }) {
  const rows = [];
  for (const visitors of sizes) {
    const row = { visitors };
    for (const target of ['parley', 'relay']) {
      try {
        row[target] = latencySummary(await runLatency({ ...o, target, visitors, log }));
      } catch (err) {
        log(`scale ${visitors} ${target}: failed: ${err?.message ?? err}`);
        row[target] = { error: String(err?.message ?? err).split('\n')[0] };
      }
    }
    rows.push(row);
  }
  return rows;
}

/**
 * One server, `visitors` connected once, then a measured phase at each rate of `rates` (agent replies at a tenth of
 * it), highest first never: ascending, stopping after the first rate that misses the goal twice in a row.
 */
async function sweepTarget(target, o) {
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(path.join(tmpdir(), `parley-sweep-${target}-`));
  const workers = [];
  let server;
  try {
    const port = await freePort();
    server =
      target === 'parley'
        ? await startGateway({ port, dbPath: path.join(dir, 'parley.db') })
        : await startRelay({ port });
    const gen = startWorker(`sweep-${target}-generator`);
    const sink = startWorker(`sweep-${target}-agents`);
    workers.push(gen, sink);
    await gen.call('connectAgents', { url: server.url, agents: AGENTS.slice(0, 1), measure: true });
    await sink.call('connectAgents', { url: server.url, agents: AGENTS.slice(1), measure: false });
    const timeoutMs = (o.visitors / o.connectRate) * 1000 + 90_000;
    await gen.call('connectVisitors', { url: server.url, count: o.visitors, rate: o.connectRate }, timeoutMs);
    const points = [];
    let misses = 0;
    for (const [i, rate] of o.rates.entries()) {
      const rates = { visitorRate: rate, agentRate: Math.round(rate / 10) };
      await gen.call('phase', { tag: 'w', durationMs: o.warmupMs, ...rates, measure: false }, o.warmupMs + 60_000);
      const cpu = cpuWindow([server.pid]);
      const tag = `p${i}`;
      const phase = await gen.call('phase', { tag, durationMs: o.durationMs, ...rates, measure: true }, 120_000);
      const use = cpu.end()[server.pid];
      const r = await gen.call('results', { drainMs: 5000 }, 30_000);
      const undelivered = r.undelivered.v2a + r.undelivered.a2v;
      const messages = (phase.visitorRate + phase.agentRate) * phase.seconds;
      const point = {
        rate,
        achieved: phase.visitorRate + phase.agentRate,
        v2aP99: r.v2a.p99,
        a2vP99: r.a2v.p99,
        undelivered,
        cpuPercent: use.percent,
        cpuMicrosPerMessage: (use.cpuSeconds * 1e6) / Math.max(1, messages),
      };
      point.ok =
        undelivered === 0 && point.v2aP99 < P99_GOAL_MS && point.a2vP99 < P99_GOAL_MS && point.achieved >= rate;
      points.push(point);
      log(
        `sweep ${target} ${rate}/s: p99 ${point.v2aP99?.toFixed(1)} / ${point.a2vP99?.toFixed(1)} ms, ` +
          `CPU ${point.cpuPercent.toFixed(0)}%, ${undelivered} undelivered: ${point.ok ? 'ok' : 'miss'}`,
      );
      misses = point.ok ? 0 : misses + 1;
      if (misses >= 2) break;
      // Let what the last rate queued drain before the next one.
      await delay(2000);
    }
    return points;
  } finally {
    for (const w of workers) await w.stop();
    if (server?.alive()) await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runSweep(o) {
  const out = {};
  for (const target of ['parley', 'relay']) {
    try {
      out[target] = await sweepTarget(target, o);
    } catch (err) {
      o.log?.(`sweep ${target}: failed: ${err?.message ?? err}`);
      out[target] = { error: String(err?.message ?? err).split('\n')[0] };
    }
  }
  return { params: { ...o, log: undefined }, ...out };
}

/** Highest rate of a sweep that met the goal, with every lower rate meeting it too. */
export function sustained(points) {
  if (!Array.isArray(points)) return null;
  let best = null;
  for (const p of points) {
    if (!p.ok) break;
    best = p.rate;
  }
  return best;
}
