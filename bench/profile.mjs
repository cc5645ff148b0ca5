// Where the gateway's CPU goes under the latency scenario's message rates: a separate, shorter run with the gateway
// started under V8's sampling profiler (`node --cpu-prof`), so the main latency numbers carry no profiler overhead.
// Only samples inside the measured window count; they are grouped by what runs (socket writes, SQLite, Socket.IO...).
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AGENTS, startGateway, startRelay } from './gateway.mjs';
import { delay, freePort, startWorker } from './proc.mjs';

/** Categories, first match wins, by the sampled (innermost) frame. */
const CATEGORIES = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  [
    'socket writes (`writev` syscalls, kernel loopback TCP included)',
    (f) => /^(writev|writeBuffer|writeUtf8String|writeLatin1String)$/.test(f.functionName) && !f.url,
  ],
  [
    'SQLite (statements and transactions, native)',
    (f) => /better-sqlite3/.test(f.url) || f.functionName === 'sqliteTransaction',
  ],
  [
    'gateway code (`dist/server/main.js`; includes the SQLite calls it makes)',
    (f) => /dist\/server\/main\.js$/.test(f.url),
  ],
  ['validation (valibot)', (f) => /valibot/.test(f.url)],
  [
    'Socket.IO, Engine.IO, ws (JavaScript)',
    (f) =>
      /node_modules\/(socket\.io|engine\.io|ws|@socket\.io|socket\.io-parser|socket\.io-adapter|debug)/.test(f.url),
  ],
  ['Node.js streams, net, timers', (f) => f.url.startsWith('node:') || /^(internal|node:)/.test(f.url)],
];

/** The profile run of a full `npm run bench` (and of bench/profile-only.mjs): the latency scenario's rates. */
export const FULL_PROFILE = {
  visitors: 2000,
  connectRate: 1000,
  durationMs: 15_000,
  visitorRate: 1000,
  agentRate: 100,
};

export async function runProfile(o) {
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-bench-profile-'));
  const profDir = path.join(dir, 'prof');
  const port = await freePort();
  const workers = [];
  let server;
  try {
    // The relay can be profiled too (bench/profile-only.mjs --relay), to compare where the two spend their time.
    const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
    server =
      o.target === 'relay'
        ? await startRelay({ port, nodeArgs, name: 'relay (profiled)' })
        : await startGateway({ port, dbPath: path.join(dir, 'parley.db'), nodeArgs, name: 'gateway (profiled)' });
    const gen = startWorker('profile-generator');
    const sink = startWorker('profile-agents');
    workers.push(gen, sink);
    await gen.call('connectAgents', { url: server.url, agents: AGENTS.slice(0, 1), measure: true });
    await sink.call('connectAgents', { url: server.url, agents: AGENTS.slice(1), measure: false });
    await gen.call(
      'connectVisitors',
      { url: server.url, count: o.visitors, rate: o.connectRate, maxPending: 500 },
      120_000,
    );
    await delay(2000);
    const rates = { visitorRate: o.visitorRate, agentRate: o.agentRate };
    await gen.call('phase', { tag: 'w', durationMs: 2000, ...rates, measure: false });
    log(
      `profile: ${o.visitors} visitors, ${o.durationMs / 1000} s at the latency scenario's rates, gateway under --cpu-prof`,
    );
    // V8 profile timestamps are CLOCK_MONOTONIC microseconds, like process.hrtime.
    const from = Number(process.hrtime.bigint() / 1000n);
    const phase = await gen.call(
      'phase',
      { tag: 'm', durationMs: o.durationMs, ...rates, measure: true },
      o.durationMs + 60_000,
    );
    const to = Number(process.hrtime.bigint() / 1000n);
    const results = await gen.call('results', { drainMs: 10_000 }, 30_000);
    for (const w of workers) await w.stop();
    await server.stop('SIGTERM');
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('the gateway wrote no CPU profile');
    // For a closer look, per function: `node bench/hot.mjs FILE` (or DevTools, which ignores the window).
    const keep = process.env.PARLEY_BENCH_PROFILE_OUT;
    if (keep) {
      copyFileSync(path.join(profDir, file), keep);
      writeFileSync(`${keep}.window.json`, JSON.stringify({ from, to, messages: phase.visitorSent + phase.agentSent }));
    }
    const breakdown = categorize(JSON.parse(readFileSync(path.join(profDir, file), 'utf8')), from, to);
    return {
      params: o,
      messages: phase.visitorSent + phase.agentSent,
      seconds: phase.seconds,
      v2a: results.v2a,
      breakdown,
    };
  } finally {
    for (const w of workers) await w.stop();
    if (server?.alive()) await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function categorize(profile, from, to) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map(CATEGORIES.map(([name]) => [name, 0]));
  totals.set('other', 0);
  let t = profile.startTime;
  let window = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < from || t > to) continue;
    window += dt;
    const frame = nodes.get(profile.samples[i]).callFrame;
    const match = CATEGORIES.find(([, test]) => test(frame));
    const key = match ? match[0] : 'other';
    totals.set(key, totals.get(key) + dt);
  }
  return {
    windowMs: window / 1000,
    categories: [...totals].map(([name, us]) => ({ name, ms: us / 1000, share: window ? us / window : 0 })),
  };
}
