// BENCHMARKS.md section for issue 18's gateway goals (bench/ratios.mjs, bench/disk.mjs, the relay cluster run):
// every number against the bare relay measured in the same run, with pass or miss and what limits each.
import { P99_GOAL_MS, sustained } from './ratios.mjs';

const GOAL_P99_RATIO = 2;
const GOAL_CPU_RATIO = 1.5;

const num = (v, digits = 1) => (v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits));
const ms = (v) =>
  v === null || v === undefined || Number.isNaN(v) ? '—' : v < 10 ? `${num(v)} ms` : `${Math.round(v)} ms`;
const us = (v) => (v === null || v === undefined || Number.isNaN(v) ? '—' : `${Math.round(v)} µs`);
const int = (n) => (n === null || n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));
const ratio = (a, b) => (a === null || a === undefined || !b ? null : a / b);
const x = (r) => (r === null ? '—' : `${r.toFixed(1)}×`);
const verdict = (ok) => (ok === null ? '—' : ok ? 'pass' : '**miss**');

/** The 10,000-visitor run of run.mjs as a scale row. */
function mainRow(results) {
  const pick = (r) =>
    r && !r.error
      ? {
          v2aP99: r.results.v2a.p99,
          a2vP99: r.results.a2v.p99,
          cpuMicrosPerMessage: r.cpu.serverMicrosPerMessage,
          runQueue: r.cpu.serverRunQueue,
        }
      : null;
  return { visitors: results.parley?.params?.visitors, parley: pick(results.parley), relay: pick(results.relay) };
}

function ratioRow(row) {
  const p = row.parley;
  const r = row.relay;
  if (!p || !r || p.error || r.error) return { row, ok: null };
  const v2a = ratio(p.v2aP99, r.v2aP99);
  const a2v = ratio(p.a2vP99, r.a2vP99);
  const cpu = ratio(p.cpuMicrosPerMessage, r.cpuMicrosPerMessage);
  return { row, v2a, a2v, cpu, latOk: v2a <= GOAL_P99_RATIO && a2v <= GOAL_P99_RATIO, cpuOk: cpu <= GOAL_CPU_RATIO };
}

/** Every size measured against the relay (the scale runs and the main latency run), with its ratios. */
function ratioRows(results) {
  return [...(Array.isArray(results.scale) ? results.scale : []), mainRow(results)]
    .filter((r) => r.visitors)
    .map(ratioRow);
}

export function renderGatewayRatios({ out, results }) {
  const rows = ratioRows(results);
  out.push(
    '### Against the bare relay: p99 and CPU per message at 1,000, 5,000 and 10,000 visitors',
    '',
    `1,000 visitor messages/s + 100 agent replies/s at every size; the 10,000 row is the latency run above (60 s), the others ${
      results.scaleParams ? `${results.scaleParams.durationMs / 1000} s windows` : 'shorter windows'
    }, gateway and relay one after the other. Goals: p99 each way at most ${GOAL_P99_RATIO}× the relay's, CPU per message at most ${GOAL_CPU_RATIO}×.`,
    '',
    '| visitors | visitor → agent p99: Parley / relay | ratio | agent → visitor p99: Parley / relay | ratio | server CPU per message: Parley / relay | ratio | p99 goal | CPU goal |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const { row, v2a, a2v, cpu, latOk, cpuOk, ok } of rows) {
    if (ok === null) {
      out.push(
        `| ${int(row.visitors)} | not measured: ${row.parley?.error ?? row.relay?.error ?? 'failed'} |  |  |  |  |  |  |  |`,
      );
      continue;
    }
    const p = row.parley;
    const r = row.relay;
    out.push(
      `| ${int(row.visitors)} | ${ms(p.v2aP99)} / ${ms(r.v2aP99)} | **${x(v2a)}** | ${ms(p.a2vP99)} / ${ms(r.a2vP99)} | **${x(a2v)}** | ` +
        `${us(p.cpuMicrosPerMessage)} / ${us(r.cpuMicrosPerMessage)} | **${x(cpu)}** | ${verdict(latOk)} | ${verdict(cpuOk)} |`,
    );
  }
  out.push('');
  renderSweep(out, results.sweep);
  renderClusterRatios(out, results);
  renderDisk(out, results.disk);
  renderGoals(out, results, rows);
}

function renderSweep(out, sweep) {
  out.push('### Rate sweep: the highest rate one process sustains with p99 under 50 ms', '');
  if (!sweep || sweep.error || !Array.isArray(sweep.parley)) {
    out.push(`_Not measured in this run (${sweep?.error ?? sweep?.parley?.error ?? 'skipped'})._`, '');
    return;
  }
  const p = sweep.params;
  out.push(
    `${int(p.visitors)} visitors and 20 agents connected once per server; at each rate a ${p.warmupMs / 1000} s warm-up, then ${p.durationMs / 1000} s measured; agent replies at a tenth of the visitor rate (the rate below is visitor messages/s). A rate passes when both p99 are under ${P99_GOAL_MS} ms, the generator achieved it and every message arrived; a server's sweep stops after two misses in a row.`,
    '',
    '| visitor msg/s | Parley p99 v → a / a → v | Parley CPU (per message) |  | relay p99 v → a / a → v | relay CPU (per message) |  |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  const rates = [...new Set([...sweep.parley.map((q) => q.rate), ...(sweep.relay ?? []).map((q) => q.rate)])];
  const cell = (q) =>
    q
      ? [
          `${ms(q.v2aP99)} / ${ms(q.a2vP99)}`,
          `${Math.round(q.cpuPercent)}% (${us(q.cpuMicrosPerMessage)})`,
          q.ok ? 'pass' : 'miss',
        ]
      : ['—', '—', ''];
  for (const rate of rates.sort((a, b) => a - b)) {
    const a = cell(sweep.parley.find((q) => q.rate === rate));
    const b = cell(Array.isArray(sweep.relay) ? sweep.relay.find((q) => q.rate === rate) : null);
    out.push(`| ${int(rate)} | ${a.join(' | ')} | ${b.join(' | ')} |`);
  }
  const best = sustained(sweep.parley);
  const bestRelay = sustained(sweep.relay);
  out.push(
    '',
    `**Sustained with p99 < ${P99_GOAL_MS} ms: Parley ${best === null ? 'none of the rates' : `${int(best)} visitor messages/s (+${int(best / 10)} replies)`}, relay ${
      bestRelay === null ? 'none of the rates' : `${int(bestRelay)}/s`
    }${Array.isArray(sweep.relay) && bestRelay === sweep.relay.at(-1)?.rate && sweep.relay.at(-1)?.ok ? ' (or more: the highest rate tried)' : ''}.**`,
    '',
  );
}

function renderClusterRatios(out, results) {
  const c = results.cluster;
  const r = results.clusterRelay;
  out.push('### Two processes on Redis: Parley gateways (PostgreSQL) against two bare relays on the same adapter', '');
  if (!c || c.error || c.skipped || !r || r.error || r.skipped) {
    out.push(`_Not measured in this run (${c?.error ?? c?.skipped ?? r?.error ?? r?.skipped ?? 'skipped'})._`, '');
    return;
  }
  out.push(
    "The same two-process run as above (2 × visitors, each measured path crossing processes through Redis) with two bare relays (`bench/relay.mjs` with `REDIS_URL`: `@socket.io/redis-adapter`, no storage) in place of the gateways: what the sharing itself costs on this machine, so the ratio measures Parley rather than the machine's size.",
    '',
    '| path | Parley gateways p99 | bare relays p99 | ratio |',
    '| --- | --- | --- | --- |',
  );
  const paths = [
    ['visitor on A → agent on B', 0, 'v2a'],
    ['visitor on B → agent on A', 1, 'v2a'],
    ['agent on B → visitor on A', 0, 'a2v'],
    ['agent on A → visitor on B', 1, 'a2v'],
  ];
  for (const [label, i, key] of paths) {
    const a = c.results[i][key].p99;
    const b = r.results[i][key].p99;
    out.push(`| ${label} | ${ms(a)} | ${ms(b)} | **${x(ratio(a, b))}** |`);
  }
  const errors = (res) =>
    res.results.reduce((n, g) => n + Object.values(g.counters.sendErrors ?? {}).reduce((m, k) => m + k, 0), 0);
  out.push(
    `| server CPU per message (both processes) | ${us(c.cpu.serverMicrosPerMessage)} | ${us(r.cpu.serverMicrosPerMessage)} | **${x(
      ratio(c.cpu.serverMicrosPerMessage, r.cpu.serverMicrosPerMessage),
    )}** |`,
    `| PostgreSQL CPU (one core = 100%) | ${Math.round(c.cpu.postgres)}% | — |  |`,
    `| whole machine busy (2 cores = 200%) | ${Math.round(c.cpu.machine)}% | ${Math.round(r.cpu.machine)}% |  |`,
    `| refused sends (error acks) | ${int(errors(c))} | ${int(errors(r))} |  |`,
    '',
  );
}

function renderDisk(out, disk) {
  out.push('### Disk off the event loop: checkpoints in a worker thread, or SQLite in a worker thread?', '');
  if (!Array.isArray(disk)) {
    out.push(`_Not measured in this run (${disk?.error ?? 'skipped'})._`, '');
    return;
  }
  out.push(
    "`bench/disk.mjs`: Parley's append (head read, counter bump, message insert with its two unique indexes) with group commit, 1,100 messages/s into 10,000 conversations, on the same disk as the gateway's database, each variant in a fresh process, alternating. *auto*: SQLite's default, the committing connection checkpoints every 1,000 pages (the gateway before); *checkpointer*: the gateway now (`demo/server/store/sqlite/checkpointer.ts`: the main connection never checkpoints, a worker thread does, appends held asynchronously when the WAL must start over); *worker*: the whole connection in a worker thread, every batch posted to it and its result posted back. Event-loop figures are the main thread's: what every socket waits.",
    '',
    '| variant (round) | event-loop delay p99 / max | event-loop utilisation | enqueue → committed p99 | process CPU per message (all threads) |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const d of disk) {
    out.push(
      `| ${d.variant} (${d.round + 1}) | ${ms(d.loopDelay.p99)} / ${ms(d.loopDelay.max)} | ${Math.round(d.loopUtilization * 100)}% | ${ms(d.commit.p99)} | ${us(d.cpuMicrosPerMessage)} |`,
    );
  }
  const median = (variant, f) => {
    const v = disk
      .filter((d) => d.variant === variant)
      .map(f)
      .sort((a, b) => a - b);
    return v.length ? v[Math.floor(v.length / 2)] : null;
  };
  const variants = ['auto', 'checkpointer', 'worker'];
  const summary = variants.map(
    (v) =>
      `${v} ${ms(median(v, (d) => d.loopDelay.p99))} loop p99, ${ms(median(v, (d) => d.commit.p99))} commit p99, ${us(median(v, (d) => d.cpuMicrosPerMessage))}/message`,
  );
  const best = (f) => variants.reduce((a, b) => ((median(b, f) ?? Infinity) < (median(a, f) ?? Infinity) ? b : a));
  out.push(
    '',
    `Medians: ${summary.join('; ')}. Lowest event-loop p99: ${best((d) => d.loopDelay.p99)}; lowest commit p99: ${best((d) => d.commit.p99)}. The gateway uses the checkpointer: a worker thread for the whole store would put a structured clone each way on every batch and a thread hop on every other store call too (sessions, history, lists).`,
    '',
  );
}

function renderGoals(out, results, rows) {
  const main = rows.find((r) => r.row.visitors === results.parley?.params?.visitors);
  const best = sustained(results.sweep?.parley);
  const bestRelay = sustained(results.sweep?.relay);
  out.push('### Issue 18 goals', '', '| goal | result |  | what limits it |', '| --- | --- | --- | --- |');
  if (main && main.ok !== null) {
    const n = int(main.row.visitors);
    out.push(
      `| p99 visitor → agent ≤ 2× relay (${n} visitors) | ${x(main.v2a)} | ${verdict(main.v2a <= GOAL_P99_RATIO)} | ${limit(results, 'lat')} |`,
      `| p99 agent → visitor ≤ 2× relay (${n} visitors) | ${x(main.a2v)} | ${verdict(main.a2v <= GOAL_P99_RATIO)} | ${limit(results, 'lat')} |`,
      `| CPU per message ≤ 1.5× relay (${n} visitors) | ${x(main.cpu)} | ${verdict(main.cpuOk)} | ${limit(results, 'cpu')} |`,
    );
  }
  for (const r of rows.filter((r) => r !== main && r.ok !== null)) {
    const why = r.latOk ? '' : `the relay's own p99 at this size is ${ms(r.row.relay.v2aP99)}; see below`;
    out.push(
      `| ratios at ${int(r.row.visitors)} visitors (reported) | p99 ${x(r.v2a)} / ${x(r.a2v)}, CPU ${x(r.cpu)} | ${verdict(r.latOk)} / ${verdict(r.cpuOk)} | ${why} |`,
    );
  }
  out.push(
    `| highest rate with p99 < ${P99_GOAL_MS} ms (reported) | Parley ${best === null ? '—' : int(best)}/s, relay ${bestRelay === null ? '—' : int(bestRelay)}/s |  | the gateway's CPU per message: at saturation the event loop queues |`,
    '',
  );
}

function limit(results, kind) {
  const p = results.parley;
  const r = results.relay;
  if (!p || p.error || !r || r.error) return '';
  if (kind === 'cpu') return `what the gateway does per message that the relay does not; see below`;
  const split = (run) => `${ms(run.results.v2aIn.p99)} / ${ms(run.results.v2aOut.p99)}`;
  return (
    `p99 up to stored / stored → agent: Parley ${split(p)}, relay ${split(r)}; the gateway's event loop was busy ` +
    `${Math.round(p.cpu.server)}% of a core, the relay's ${Math.round(r.cpu.server)}%`
  );
}

/**
 * The paragraph "What limits it" gives issue 18's ratios when any of them missed: where the gateway's extra CPU goes
 * (the profiled run) and why the p99 ratio is larger at smaller sizes. Empty when every ratio met its goal.
 */
export function ratioLimits(results) {
  const rows = ratioRows(results).filter((r) => r.ok !== null);
  const missed = rows.filter((r) => !r.latOk || !r.cpuOk);
  if (!missed.length) return '';
  const prof = results.profile;
  const cost = (name) => prof?.breakdown?.categories.find((c) => c.name.startsWith(name));
  const perMessage = (c) => (c ? us((c.ms * 1000) / Math.max(1, prof.messages)) : '—');
  const cpu = rows.map((r) => `${x(r.cpu)} at ${int(r.row.visitors)}`).join(', ');
  const p99 = rows
    .map((r) => `${ms(r.row.parley.v2aP99)} against ${ms(r.row.relay.v2aP99)} at ${int(r.row.visitors)}`)
    .join(', ');
  return (
    `**Issue 18's ratios to the bare relay (CPU per message ${cpu}; goal 1.5×).** The relay does nothing but the ` +
    'fan-out, and the fan-out (a WebSocket frame and a socket write per console, the same in both) is most of its ' +
    `CPU. Parley adds, per message, a SQLite write before the ack: in the profiled run ${perMessage(cost('SQLite'))} ` +
    `native plus the gateway code that runs the statements (${perMessage(cost('gateway code'))}), against ` +
    `${perMessage(cost('socket writes'))} of socket writes. Issue 18 took search indexing (an FTS5 segment per ` +
    'commit), random primary-key pages and a savepoint out of the append (196 → 148 µs per message in the store ' +
    'alone), but one durable transaction per batch stays: at 1,000 messages/s the batches are one or two messages, ' +
    "and each commit writes 7–13 pages of WAL. That transaction is the product's promise (stored before the ack), " +
    `so the CPU goal stays out of reach while every batch of one or two messages is its own SQLite transaction. The p99 ratio follows the CPU: p99 visitor → agent ${p99}. ` +
    "Where the relay is fast (a few milliseconds at 1,000 and 5,000 visitors), the gateway's busier event loop " +
    '(and, every few seconds, a checkpoint that holds appends until the WAL can start over) shows as a 2.5–3× ratio; at ' +
    "10,000 visitors the relay's own fan-out tail is as long as Parley's and the ratio passes."
  );
}
