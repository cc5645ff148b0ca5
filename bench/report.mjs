// Renders BENCHMARKS.md from the results of bench/run.mjs. Everything here is derived from measurements; the layout
// is fixed so that reruns differ only in their numbers.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { GENEROUS_LIMITS } from './gateway.mjs';
import { renderLighthouse } from './lighthouse-report.mjs';
import { ratioLimits, renderGatewayRatios } from './ratios-report.mjs';
import { renderSearch } from './search.mjs';

export function machineFacts() {
  const cpus = os.cpus();
  let ulimit = 'unknown';
  try {
    ulimit = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch {
    // keep unknown
  }
  let distro = '';
  try {
    distro = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m)?.[1] ?? '';
  } catch {
    // not Linux, or no os-release
  }
  let virtual = false;
  try {
    virtual = /\bhypervisor\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    // unknown
  }
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    virtual,
    cores: cpus.length,
    memory: os.totalmem(),
    ulimit,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}${distro ? ` (${distro})` : ''}`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------------------------

const int = (n) => (n === null || n === undefined || Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en-US'));
const ms = (v) =>
  v === null || v === undefined || Number.isNaN(v) ? '—' : v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`;
const sec = (v) => (v === null || v === undefined ? '—' : `${(v / 1000).toFixed(1)} s`);
const mb = (b) => `${Math.round(b / 1024 / 1024)} MB`;
const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
const pct = (v) => (v === null || v === undefined || Number.isNaN(v) ? '—' : `${Math.round(v)}%`);
const ratio = (a, b) => (a === null || b === null || !b ? null : a / b);
const x = (r) => (r === null ? '—' : `${r.toFixed(1)}×`);
/** Error messages grouped, with the port number (different in every run) taken out. */
const errorCounts = (counts = {}) => {
  const merged = {};
  for (const [e, k] of Object.entries(counts)) {
    const key = e.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1');
    merged[key] = (merged[key] ?? 0) + k;
  }
  return Object.entries(merged);
};
const plural = (count, one, many = `${one}s`) => `${int(count)} ${count === 1 ? one : many}`;
const verdict = (ok) => (ok === null ? '' : ok ? 'pass' : '**miss**');
const row = (cells) => `| ${cells.join(' | ')} |`;
const table = (head, rows) => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

function perSecond(list) {
  if (!list?.length) return '—';
  const over = list.filter((v) => v >= GOALS.p99Ms).length;
  const sorted = [...list].sort((a, b) => a - b);
  return `${over} of ${list.length}; ${ms(sorted[Math.floor(sorted.length / 2)])}, ${ms(sorted.at(-1))}`;
}

const GOALS = { p99Ms: 50, relayRatio: 2, storm95Ms: 10_000, storm100Ms: 30_000 };

function handshakeDefault() {
  try {
    const src = readFileSync(new URL('../demo/server/limits.ts', import.meta.url), 'utf8');
    return Number(src.match(/handshakesPerSecond:\s*(\d+)/)?.[1]) || null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------------------------

/**
 * BENCHMARKS.md from a run's results: one renderer per section, in the order they appear. A section whose scenario
 * failed (its data missing) says so under its heading instead (see `section`).
 */
export function renderReport({ machine, plan, results }) {
  const ctx = {
    out: [],
    machine,
    plan,
    results,
    L: plan.latency,
    env: (r) => `2 cores, open-file limit ${machine.ulimit} per process; ${r}`,
    hsDefault: handshakeDefault(),
    /** Set by the capacity and latency sections, read by "What limits it"; null when that section failed first. */
    verdicts: { capOk: null, latOk: null, v2aRatio: null, a2vRatio: null },
  };
  renderIntro(ctx);
  renderSetup(ctx);
  section(
    ctx,
    `### Capacity: ${int(plan.latency.visitors)} visitor sockets + 20 agent sockets on one gateway process`,
    renderCapacity,
  );
  section(ctx, '### Latency under load', () => {
    renderLatency(ctx);
    renderLatencyWindow(ctx);
    renderProfile(ctx);
  });
  section(ctx, '### Reconnection storm', renderStorm);
  renderCluster(ctx);
  section(ctx, '### Against the bare relay', renderGatewayRatios);
  section(ctx, '### What limits it', renderLimits);
  section(ctx, '### Search', ({ out, results: r }) => renderSearch(out, r.search));
  renderHostPage(ctx);
  ctx.out.push(renderLighthouse(ctx.results.lighthouse));
  return ctx.out.join('\n');
}

/** Runs `render(ctx)`; if its scenario failed (missing data), says so under `heading` instead of a partial section. */
function section(ctx, heading, render) {
  const { out, results } = ctx;
  const mark = out.length;
  try {
    render(ctx);
  } catch (err) {
    out.length = mark;
    const failed = Object.entries(results)
      .filter(([, v]) => v?.error)
      .map(([k, v]) => `${k}: ${v.error}`);
    out.push(
      heading,
      '',
      `_Not measured in this run (${failed.length ? failed.join('; ') : String(err?.message ?? err)})._`,
      '',
    );
  }
}

/** Title, what the numbers are, and the machine they come from. */
function renderIntro({ out, machine, results }) {
  // The load average after the run counts the benchmark's own processes; what else ran shows before it, and as the
  // CPU of processes outside the benchmark during the latency window.
  const othersCpu = results.parley?.cpu?.others ?? 0;
  const shared = results.loadBefore[0] >= 1 || othersCpu >= 20;

  out.push('# Benchmarks');
  out.push('');
  out.push('<!-- Written by `npm run bench` (bench/run.mjs, bench/report.mjs). Do not edit by hand: rerun it. -->');
  out.push('');
  if (results.quick)
    out.push('> **Quick mode** (`node bench/run.mjs --quick`): small sizes, not the numbers the goals are about.\n');
  out.push(
    'Every number below comes from one run of `npm run bench` on the machine described here. The gateway is the real ' +
      'one (`dist/server/main.js`, SQLite persistence; two of them on PostgreSQL and Redis in the two-process run), each in its own process; visitors and agents are the real ' +
      '`socket.io-client` in separate load-generator processes, over WebSocket on 127.0.0.1.',
  );
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push(
    table(
      ['', ''],
      [
        ['CPU', `${machine.cpu}${machine.virtual ? ' (virtual machine)' : ''}`],
        ['cores', String(machine.cores)],
        ['memory', `${(machine.memory / 1024 ** 3).toFixed(1)} GiB`],
        ['open-file limit (`ulimit -n`)', `${machine.ulimit} per process`],
        ['Node', machine.node],
        ['OS', machine.os],
        ['date', results.startedAt],
        ['command', '`npm run bench` (= `node build.mjs && node bench/run.mjs`)'],
        [
          'run time',
          `${Math.round((results.totalMs ?? results.durationMs) / 1000)} s (gateway benchmarks ${Math.round(results.durationMs / 1000)} s)`,
        ],
        [
          'load average (1 / 5 / 15 min)',
          `before ${results.loadBefore.map((v) => v.toFixed(2)).join(' / ')}; after ${results.loadAfter.map((v) => v.toFixed(2)).join(' / ')}`,
        ],
        [
          'shared machine',
          shared
            ? "**yes**: other work (other engineers' builds and tests) ran on these 2 cores during the run, so the " +
              'gateway competed for CPU with it as well as with the load generators'
            : `no: load average ${results.loadBefore[0].toFixed(2)} before the run, and ${pct(othersCpu)} of a core used outside the benchmark's processes during the latency window`,
        ],
      ],
    ),
  );
  out.push('');
}

/** How the one-process runs are set up: processes, clients, what latency means, the relay, the lifted limits. */
function renderSetup({ out, L }) {
  out.push('## Gateway');
  out.push('');
  out.push('### Setup');
  out.push('');
  out.push(
    [
      `- **Processes** (all on this machine): the gateway (\`node dist/server/main.js\`, fresh SQLite file in a temporary directory, \`PARLEY_DB_SYNC\` default \`normal\`, WAL); worker *generator* (every visitor socket, plus \`Agent01\`, which measures visitor → agent and sends the agent replies); worker *agents* (the other 19 agent sockets, each receiving every message like a real console). The orchestrator (\`bench/run.mjs\`) only starts processes, reads \`/proc\` and checks the database afterwards.`,
      `- **Clients**: \`socket.io-client\` 4.8 with the widget's options: \`transports: ['websocket']\`, \`upgrade: false\`, \`reconnectionDelay: 500\`, \`reconnectionDelayMax: 5000\`, \`randomizationFactor: 0.5\`, one Manager per visitor, \`auth\` re-evaluated on every attempt (\`{ v: 1, site, session, lastSeq }\`). Each visitor has an in-order outbox with one message in flight, resent with the same \`clientId\` after a reconnect (as \`src/app/chat.ts\` does), and fetches \`history\` when its sequence numbers are not 1…n.`,
      `- **Latency** is measured inside the generator process, so both ends use one clock: visitor \`send\` → \`message\` event at \`Agent01\`; \`Agent01\` \`send\` → \`message\` event at the visitor. Messages are ~100 characters; visitor messages go to random visitors, replies to random conversations, at fixed rates (open loop). A ${L.warmupMs / 1000} s warm-up at the same rates precedes the measured window and is not counted.`,
      `- **Bare relay** (\`bench/relay.mjs\`): the same Socket.IO version and WebSocket transport, the same namespaces, events and fan-out (visitor \`send\` → ack → \`message\` to all 20 agents; agent \`send\` → ack → \`message\` to the visitor and the other agents), and nothing else: no persistence, validation, sessions, limits or summaries. Driven by the same generator with the same load.`,
      `- **Abuse limits lifted**: every benchmark socket comes from 127.0.0.1, which the gateway's per-address limits would treat as one client, and one agent socket sends all the agents' replies. The gateway runs with ${Object.entries(
        GENEROUS_LIMITS,
      )
        .map(([k, v]) => `\`${k}=${v}\``)
        .join(
          ', ',
        )}. The limiter code still runs on every handshake and event. The storm is also run once with the gateway's default handshake budget (below).`,
    ].join('\n'),
  );
  out.push('');
}

/** Sockets held at once by the gateway and the relay, and what each costs in memory and file descriptors. */
function renderCapacity({ out, L, machine, env, results, verdicts }) {
  const { parley, relay } = results;
  const cap = parley;
  verdicts.capOk = cap.connect.connected === L.visitors && cap.agentsConnected === 20;
  out.push(`### Capacity: ${int(L.visitors)} visitor sockets + 20 agent sockets on one gateway process`);
  out.push('');
  out.push(
    table(
      ['', 'goal', 'Parley gateway', '', 'bare relay (reference)'],
      [
        [
          'visitor sockets open at once',
          int(L.visitors),
          int(cap.connect.connected),
          verdict(cap.connect.connected === L.visitors),
          int(relay.connect.connected),
        ],
        [
          'agent sockets open at once',
          '20',
          int(cap.agentsConnected),
          verdict(cap.agentsConnected === 20),
          int(relay.agentsConnected),
        ],
        [
          'connection errors',
          '0',
          int(cap.connect.connectErrors),
          verdict(cap.connect.connectErrors === 0),
          int(relay.connect.connectErrors),
        ],
        [
          `time to open them (generator capped at ${int(L.connectRate)}/s, at most 500 pending)`,
          '—',
          `${cap.connect.seconds.toFixed(1)} s (${int(cap.connect.rate)}/s)`,
          '',
          `${relay.connect.seconds.toFixed(1)} s (${int(relay.connect.rate)}/s)`,
        ],
        [
          'handshake, new socket → `welcome`: p50 / p99',
          '—',
          `${ms(cap.connect.handshake.p50)} / ${ms(cap.connect.handshake.p99)}`,
          '',
          `${ms(relay.connect.handshake.p50)} / ${ms(relay.connect.handshake.p99)}`,
        ],
        [
          'server CPU while connecting (one core = 100%)',
          '—',
          pct(cap.connect.serverCpu?.percent),
          '',
          pct(relay.connect.serverCpu?.percent),
        ],
        [
          'server RSS: 20 agents only → all visitors connected',
          '—',
          `${mb(cap.memory.rssBefore)} → ${mb(cap.memory.rssAfter)}`,
          '',
          `${mb(relay.memory.rssBefore)} → ${mb(relay.memory.rssAfter)}`,
        ],
        [
          '**memory per connection** (RSS difference ÷ visitor sockets)',
          '—',
          `**${kb(cap.memory.perConnection)}**`,
          '',
          kb(relay.memory.perConnection),
        ],
        [
          'server RSS at the end of the latency run (peak)',
          '—',
          `${mb(cap.memory.rssEnd)} (${mb(cap.memory.peakRss)})`,
          '',
          `${mb(relay.memory.rssEnd)} (${mb(relay.memory.peakRss)})`,
        ],
        [
          `open files of the server process (limit ${machine.ulimit})`,
          '—',
          `${int(cap.memory.fds)} (${int(cap.memory.fdsBefore)} before the visitors)`,
          '',
          int(relay.memory.fds),
        ],
        [
          'load-generator RSS ÷ visitor sockets (client side, for reference)',
          '—',
          kb(cap.memory.generatorPerConnection),
          '',
          kb(relay.memory.generatorPerConnection),
        ],
      ],
    ),
  );
  out.push('');
  const fdPerSocket = (cap.memory.fds - cap.memory.fdsBefore) / Math.max(1, cap.connect.connected);
  const fdCeiling = Number(machine.ulimit) - cap.memory.fdsBefore;
  out.push(
    `_${env(`the load generator holds its ${int(L.visitors)} visitor sockets in one process, the 19 passive agents in another.`)}_ ` +
      `Each socket costs the gateway ${fdPerSocket.toFixed(2)} file descriptors, so one gateway process on this machine cannot hold more than about ${int(fdCeiling / Math.max(1, fdPerSocket))} sockets, whatever its memory. ` +
      `RSS is the whole process (heap not yet collected included), read from \`/proc/<pid>/status\` 5 s after the last visitor connected.`,
  );
  out.push('');
}

/** Latency percentiles of both paths, Parley against the relay, with the goals. */
function renderLatency({ out, L, env, results, verdicts }) {
  const { parley, relay } = results;
  const P = parley.results;
  const R = relay.results;
  verdicts.v2aRatio = ratio(P.v2a.p99, R.v2a.p99);
  verdicts.a2vRatio = ratio(P.a2v.p99, R.a2v.p99);
  const { v2aRatio, a2vRatio } = verdicts;
  const latOk = {
    v2a: P.v2a.p99 !== null && P.v2a.p99 < GOALS.p99Ms,
    a2v: P.a2v.p99 !== null && P.a2v.p99 < GOALS.p99Ms,
    v2aRatio: v2aRatio !== null && v2aRatio <= GOALS.relayRatio,
    a2vRatio: a2vRatio !== null && a2vRatio <= GOALS.relayRatio,
  };
  verdicts.latOk = latOk;
  out.push(
    `### Latency under load: ${int(L.visitors)} visitors connected, ${int(L.visitorRate)} visitor messages/s + ${int(L.agentRate)} agent replies/s for ${L.durationMs / 1000} s`,
  );
  out.push('');
  out.push(
    table(
      ['path', 'p50', 'p90', 'p99', 'max', 'messages', 'goal', ''],
      [
        [...latencyCells('visitor → agent, Parley', P.v2a, true), `p99 < ${GOALS.p99Ms} ms`, verdict(latOk.v2a)],
        [...latencyCells('agent → visitor, Parley', P.a2v, true), `p99 < ${GOALS.p99Ms} ms`, verdict(latOk.a2v)],
        [...latencyCells('visitor → agent, bare relay', R.v2a), '', ''],
        [...latencyCells('agent → visitor, bare relay', R.a2v), '', ''],
        [
          '**visitor → agent p99, Parley ÷ relay**',
          '',
          '',
          `**${x(v2aRatio)}**`,
          '',
          '',
          `≤ ${GOALS.relayRatio}×`,
          verdict(latOk.v2aRatio),
        ],
        [
          '**agent → visitor p99, Parley ÷ relay**',
          '',
          '',
          `**${x(a2vRatio)}**`,
          '',
          '',
          `≤ ${GOALS.relayRatio}×`,
          verdict(latOk.a2vRatio),
        ],
      ],
    ),
  );
  out.push('');
  out.push(`_${env('gateway (or relay), generator and agent consoles in three processes sharing these cores.')}_`);
  out.push('');
}

/** What happened during the measured window: rates, delivery, storage, CPU. */
function renderLatencyWindow({ out, machine, results }) {
  const { parley, relay } = results;
  const P = parley.results;
  const R = relay.results;
  const delivered = (t) =>
    `${int(t.delivery.minAgentReceived)} of ${int(t.delivery.expectedPerAgent)} (${pct((t.delivery.minAgentReceived / Math.max(1, t.delivery.expectedPerAgent)) * 100)})`;
  out.push(
    table(
      ['during the measured window', 'Parley', 'bare relay'],
      [
        [
          'achieved rate: visitor / agent messages per second',
          `${parley.phase.visitorRate.toFixed(0)} / ${parley.phase.agentRate.toFixed(0)}`,
          `${relay.phase.visitorRate.toFixed(0)} / ${relay.phase.agentRate.toFixed(0)}`,
        ],
        ...windowRows(P, R, 'stored → agent'),
        ['messages received by the least-served of the other 19 agents', delivered(parley), delivered(relay)],
        [
          'refused sends (`rate_limited` or other error acks)',
          int(Object.values(P.counters.sendErrors).reduce((a, b) => a + b, 0) + P.counters.agentReplyErrors),
          int(Object.values(R.counters.sendErrors).reduce((a, b) => a + b, 0) + R.counters.agentReplyErrors),
        ],
        [
          'stored in SQLite afterwards = acknowledged (visitor / agent messages, whole run)',
          parley.stored
            ? `${int(parley.stored.visitor)} = ${int(parley.stored.expectedVisitor)} / ${int(parley.stored.agent)} = ${int(parley.stored.expectedAgent)} ${verdict(parley.stored.visitor === parley.stored.expectedVisitor && parley.stored.agent === parley.stored.expectedAgent)}`
            : '—',
          'no storage',
        ],
        ['server CPU (one core = 100%)', pct(parley.cpu.server), pct(relay.cpu.server)],
        [
          "server's event-loop thread waiting for a core (run queue)",
          pct(parley.cpu.serverRunQueue),
          pct(relay.cpu.serverRunQueue),
        ],
        [
          'server CPU per message',
          `${int(parley.cpu.serverMicrosPerMessage)} µs`,
          `${int(relay.cpu.serverMicrosPerMessage)} µs`,
        ],
        [
          'generator CPU / agents worker CPU',
          `${pct(parley.cpu.generator)} / ${pct(parley.cpu.agents)}`,
          `${pct(relay.cpu.generator)} / ${pct(relay.cpu.agents)}`,
        ],
        [
          `whole machine busy (${machine.cores} cores = ${machine.cores * 100}%) / of it, processes not part of the benchmark and kernel work`,
          `${pct(parley.cpu.machine)} / ${pct(parley.cpu.others)}`,
          `${pct(relay.cpu.machine)} / ${pct(relay.cpu.others)}`,
        ],
        [
          'generator event-loop delay p99 / max (adds to every measurement)',
          `${ms(parley.phase.eventLoopDelay.p99 - 10)} / ${ms(parley.phase.eventLoopDelay.max - 10)}`,
          `${ms(relay.phase.eventLoopDelay.p99 - 10)} / ${ms(relay.phase.eventLoopDelay.max - 10)}`,
        ],
      ],
    ),
  );
  out.push('');
}

/** Where the gateway's time goes, from the profiled run (when there was one). */
function renderProfile({ out, results }) {
  const prof = results.profile;
  if (prof && !prof.error) {
    const perMsg = (c) => (c.ms * 1000) / Math.max(1, prof.messages);
    out.push(
      `Where the gateway's event-loop thread spends its time at these rates (a separate ${prof.seconds.toFixed(0)} s run with ${int(prof.params.visitors)} visitors, the gateway under V8's sampling profiler \`--cpu-prof\`; ` +
        `shares of wall-clock time, so time spent descheduled inside a call counts for that call; p99 visitor → agent in that run: ${ms(prof.v2a.p99)}):`,
    );
    out.push('');
    out.push(
      table(
        ['', 'share', 'per message'],
        prof.breakdown.categories
          .filter((c) => c.ms > 0)
          .sort((a, b) => b.ms - a.ms)
          .map((c) => [c.name, pct(c.share * 100), c.name === 'idle' ? '' : `${int(perMsg(c))} µs`]),
      ),
    );
    out.push('');
  }
}

/** The kill -9 and restart under load, with the default handshake budget too when that run happened. */
function renderStorm({ out, plan, env, results, hsDefault }) {
  const { storm, stormDefault } = results;
  const S = plan.storm;
  out.push(
    `### Reconnection storm: ${int(S.visitors)} visitors with sessions and 20 agents, \`kill -9\` of the gateway with messages in flight, immediate restart`,
  );
  out.push('');
  out.push(
    `Visitors send ${int(S.visitorRate)} messages/s and \`Agent01\` ${int(S.agentRate)} replies/s for ${S.loadMs / 1000} s; then the gateway gets SIGKILL and the generator stops creating messages (unsent ones stay queued in the outboxes); the gateway is started again at once on the same port and database. ` +
      'Times run from the kill. *Caught up*: `welcome` received from the new process and every message of the outbox acknowledged. ' +
      'Afterwards the SQLite file is read and compared, conversation by conversation, with what every visitor and the replying agent created and what every visitor holds.',
  );
  out.push('');
  out.push(stormTable(storm, S));
  out.push('');
  out.push(
    `_${env('gateway, generator and agent consoles in three processes; restart = new gateway process, same port and SQLite file.')}_`,
  );
  out.push('');
  out.push(stormDetails(storm));
  out.push('');
  if (stormDefault?.error) {
    out.push(
      "#### The same storm with the gateway's default handshake budget",
      '',
      `_Not measured in this run (${stormDefault.error})._`,
      '',
    );
  } else if (stormDefault) {
    out.push(
      `#### The same storm with the gateway's default handshake budget (\`PARLEY_HANDSHAKES_PER_SECOND\` unset${hsDefault ? `: ${hsDefault} new connections/s` : ''})`,
    );
    out.push('');
    out.push(stormTable(stormDefault, S));
    out.push('');
    out.push(stormDetails(stormDefault));
    out.push('');
  }
}

/** Two gateway processes on PostgreSQL and Redis, when the plan has them. */
function renderCluster(ctx) {
  const { out, plan, results, env, machine } = ctx;
  const { parley } = results;
  const C = plan.cluster;
  if (C) {
    const heading = `### Two gateway processes on PostgreSQL and Redis: 2 × ${int(C.visitorsPerProcess)} visitors`;
    if (results.cluster?.skipped) {
      out.push(heading, '', `_Skipped in this run: ${results.cluster.skipped}._`, '');
    } else {
      section(ctx, heading, () =>
        out.push(...clusterSection({ c: results.cluster, C, heading, env, parley, machine })),
      );
    }
  }
}

/** Which goals were missed and why, from the other sections' verdicts. */
function renderLimits({ out, machine, plan, results, hsDefault, verdicts }) {
  const { parley, relay, storm, stormDefault } = results;
  out.push('### What limits it');
  out.push('');
  const limits = whatLimits({
    parley,
    relay,
    storm,
    stormDefault,
    ...verdicts,
    machine,
    results,
    hsDefault,
    plan,
  });
  const ratios = ratioLimits(results);
  if (ratios) limits.push(ratios);
  out.push(limits.length ? limits.join('\n\n') : 'Every goal above was met in this run.');
  out.push('');
}

/** The host-page section that bench/host-page.mjs wrote, or why there is none. */
function renderHostPage({ out, results }) {
  const hp = results.hostPage ?? {};
  if (hp.section) {
    out.push(hp.section.trim());
  } else {
    out.push('## Host page');
    out.push('');
    out.push(hp.skipped ? `_${hp.skipped}_` : `_The host-page benchmark (bench/host-page.mjs) failed: ${hp.failed}_`);
  }
  out.push('');
}

function stormTable(s, S) {
  const c = s.check;
  const st = s.storm;
  const ok95 = st.caughtUp95 !== null && st.caughtUp95 <= GOALS.storm95Ms;
  const ok100 = st.caughtUp100 !== null && st.caughtUp100 <= GOALS.storm100Ms;
  const never = (v) => (v === null ? `not within ${S.timeoutMs / 1000} s` : sec(v));
  return table(
    ['', 'goal', 'result', ''],
    [
      ['95% of visitors reconnected', '—', never(st.reconnect95), ''],
      ['100% of visitors reconnected', '—', never(st.reconnect100), ''],
      ['**95% of visitors reconnected and caught up**', '≤ 10 s', `**${never(st.caughtUp95)}**`, verdict(ok95)],
      ['**100% of visitors reconnected and caught up**', '≤ 30 s', `**${never(st.caughtUp100)}**`, verdict(ok100)],
      [
        'visitor messages created / stored exactly once',
        'all',
        `${int(c.visitorCreated)} / ${int(c.visitorStored)}`,
        verdict(c.visitorCreated === c.visitorStored && c.doubled === 0),
      ],
      [
        'visitor messages lost (acknowledged or queued, not stored)',
        '0',
        int(c.lost + c.stillQueued),
        verdict(c.lost + c.stillQueued === 0),
      ],
      ['visitor messages stored twice', '0', int(c.doubled), verdict(c.doubled === 0)],
      [
        'conversations whose visitor messages are not exactly the sent ones, in order',
        '0',
        int(c.outOfOrder + c.unexpected),
        verdict(c.outOfOrder + c.unexpected === 0),
      ],
      ['conversations with a gap in `seq`', '0', int(c.seqGaps), verdict(c.seqGaps === 0)],
      [
        'agent replies created / stored exactly once (lost, doubled)',
        'all',
        `${int(c.agentRepliesCreated)} / ${int(c.agentRepliesStored)} (${int(c.agentRepliesLost + c.agentRepliesUnacked)}, ${int(c.agentRepliesDoubled)})`,
        verdict(
          c.agentRepliesLost + c.agentRepliesUnacked + c.agentRepliesDoubled === 0 &&
            c.agentRepliesStored === c.agentRepliesCreated,
        ),
      ],
      [
        'stored messages missing from the visitor that owns them (gap-free catch-up)',
        '0',
        int(c.missingFromView),
        verdict(c.missingFromView === 0),
      ],
      [
        'sessions not recognised after the restart (`welcome.renewed`)',
        '0',
        int(st.counters.renewed),
        verdict(st.counters.renewed === 0),
      ],
    ],
  );
}

function stormDetails(s) {
  const st = s.storm;
  const k = s.atKill;
  const marks = st.marks.filter((m) => m.seconds <= 30);
  const refused = Object.values(st.counters.reconnectErrors ?? {}).reduce((a, b) => a + b, 0);
  return [
    table(
      ['seconds after the kill', ...marks.map((m) => String(m.seconds))],
      [
        ['reconnected', ...marks.map((m) => int(m.reconnected))],
        ['caught up', ...marks.map((m) => int(m.caughtUp))],
      ],
    ),
    '',
    `At the kill, ${plural(k.unackedVisitorMessages, 'visitor message')} (of ${plural(k.visitorsWithUnacked, 'visitor')}) and ${plural(k.unackedAgentReplies, 'agent reply', 'agent replies')} had been sent or queued but not acknowledged; after the restart they were sent again with the same \`clientId\` (visitor resends answered \`duplicate: true\`, i.e. stored before the kill: ${int(st.counters.duplicateAcks)}). ` +
      `Gateway exit seen ${ms(s.exitMs)} after SIGKILL; new process listening ${ms(s.restartMs)} after the kill. ` +
      `Clients made ${int(st.counters.reconnectAttempts)} reconnection attempts, ${int(refused)} of them failed${
        refused
          ? ` (${errorCounts(st.counters.reconnectErrors)
              .map(([e, n]) => `${int(n)} × ${e}`)
              .join(', ')})`
          : ''
      }; ` +
      `${plural(st.counters.historyCalls, '`history` call')} filled gaps; ${plural(st.counters.duplicateDeliveries, 'live message')} arrived twice and were dropped by \`seq\`. ` +
      `All ${int(s.agentsBack)} agents were connected again at the end. ` +
      `From the restart until every visitor was caught up, the new gateway used ${pct(s.cpu?.gateway)} of a core (and waited ${pct(s.cpu?.gatewayRunQueue)} for one), the generator ${pct(s.cpu?.generator)}, the agents worker ${pct(s.cpu?.agents)}, everything else ${pct(s.cpu?.others)}.`,
  ].join('\n');
}

/** One paragraph per missed goal, from the measurements. */
/** The two-process run (bench/cluster.mjs): capacity and cross-process latency, next to the one-process numbers. */
function clusterSection({ c, C, heading, env, parley, machine }) {
  const out = [];
  const [ra, rb] = c.results;
  const total = (f) => c.results.reduce((n, r) => n + f(r), 0);
  const errors = total(
    (r) => Object.values(r.counters.sendErrors).reduce((a, b) => a + b, 0) + r.counters.agentReplyErrors,
  );
  const errorCodes = {};
  for (const r of c.results) {
    for (const [code, n] of Object.entries(r.counters.sendErrors)) errorCodes[code] = (errorCodes[code] ?? 0) + n;
  }
  const storedOk =
    c.stored.visitor === c.stored.expectedVisitor &&
    c.stored.agent === c.stored.expectedAgent &&
    c.stored.conversationsWithGaps === 0;
  const capOk = c.connects.every((k) => k.connected === C.visitorsPerProcess) && c.agentsConnected === 20;
  const rate = c.phases.reduce((n, p) => n + p.visitorRate, 0);
  const agentRate = c.phases.reduce((n, p) => n + p.agentRate, 0);
  const worstP99 = Math.max(ra.v2a.p99, rb.v2a.p99, ra.a2v.p99, rb.a2v.p99);
  const pgPerMessage = (c.cpu.postgres * 1e4) / Math.max(1, rate + agentRate);
  const redisPerMessage = (c.cpu.redis * 1e4) / Math.max(1, rate + agentRate);

  out.push(heading, '');
  out.push(
    [
      `- **Processes** (all on this machine): gateways *A* and *B* (\`node dist/server/main.js\` twice, on two ports, with \`DATABASE_URL\` and \`REDIS_URL\`; a fresh PostgreSQL schema and Redis key prefix for the run, dropped afterwards); PostgreSQL ${c.versions.postgres} and Redis ${c.versions.redis} (the servers \`.ci/run\` starts, on loopback, default settings: every commit waits for its WAL flush); generator *A* (the ${int(C.visitorsPerProcess)} visitor sockets of gateway A, and \`Agent01\` on gateway **B**); generator *B* (the ${int(C.visitorsPerProcess)} visitors of gateway B, and \`Agent02\` on gateway **A**); worker *agents* (the other 18 agents, 9 on each gateway).`,
      "- **Every measured path crosses processes**: a visitor message is stored by its own gateway and reaches the measuring agent on the other one through Redis; an agent reply is stored by the agent's gateway and reaches the visitor on the other one. The other 18 agents must each receive every message of both generators.",
      `- **Load**: each generator sends ${int(C.visitorRate)} visitor messages/s and ${int(C.agentRate)} replies/s, so the pair gets the same ${int(C.visitorRate * 2)} + ${int(C.agentRate * 2)} messages/s as the one-process run above, with twice the sockets. Same clients, limits, warm-up (${C.warmupMs / 1000} s) and window (${C.durationMs / 1000} s) as there; visitors connect at ${int(C.connectRate)}/s per generator.`,
      `- **One machine**: the two gateways, PostgreSQL, Redis and the three load processes share the same ${machine.cores} cores. A second process adds no CPU here, so this run shows what scale-out costs and that it stays correct under load, not the throughput of a real deployment, where each gateway and the database get their own cores.`,
    ].join('\n'),
  );
  out.push('');
  out.push(
    table(
      ['', 'goal', 'gateway A', 'gateway B', ''],
      [
        [
          'visitor sockets open at once',
          int(C.visitorsPerProcess),
          int(c.connects[0].connected),
          int(c.connects[1].connected),
          verdict(capOk),
        ],
        ['agent sockets open (of 20, on both)', '20', int(c.agentsConnected), '', ''],
        ['connection errors', '0', int(c.connects[0].connectErrors), int(c.connects[1].connectErrors), ''],
        [
          'time to open them (both generators at once)',
          '—',
          `${sec(c.connects[0].seconds * 1000)} (${int(c.connects[0].rate)}/s)`,
          `${sec(c.connects[1].seconds * 1000)} (${int(c.connects[1].rate)}/s)`,
          '',
        ],
        [
          'handshake, new socket → `welcome`: p50 / p99',
          '—',
          `${ms(c.connects[0].handshake.p50)} / ${ms(c.connects[0].handshake.p99)}`,
          `${ms(c.connects[1].handshake.p50)} / ${ms(c.connects[1].handshake.p99)}`,
          '',
        ],
        [
          'server RSS: agents only → all visitors connected',
          '—',
          `${mb(c.memory[0].rssBefore)} → ${mb(c.memory[0].rssAfter)}`,
          `${mb(c.memory[1].rssBefore)} → ${mb(c.memory[1].rssAfter)}`,
          '',
        ],
        [
          '**memory per connection**',
          '—',
          `**${kb(c.memory[0].perConnection)}**`,
          `**${kb(c.memory[1].perConnection)}**`,
          `one process on SQLite: ${kb(parley.memory.perConnection)}`,
        ],
        [
          'server RSS at the end of the latency run (peak)',
          '—',
          `${mb(c.memory[0].rssEnd)} (${mb(c.memory[0].peakRss)})`,
          `${mb(c.memory[1].rssEnd)} (${mb(c.memory[1].peakRss)})`,
          '',
        ],
        [
          `open files of the server process (limit ${machine.ulimit})`,
          '—',
          int(c.memory[0].fds),
          int(c.memory[1].fds),
          '',
        ],
      ],
    ),
  );
  out.push('');
  out.push(
    table(
      ['path (both ends in one generator process)', 'p50', 'p90', 'p99', 'max', 'messages'],
      [
        latencyCells('visitor on A → agent on B', ra.v2a, true),
        latencyCells('visitor on B → agent on A', rb.v2a, true),
        latencyCells('agent on B → visitor on A', ra.a2v, true),
        latencyCells('agent on A → visitor on B', rb.a2v, true),
        [
          '_one process on SQLite, same message rate (above): visitor → agent / agent → visitor_',
          '',
          '',
          `${ms(parley.results.v2a.p99)} / ${ms(parley.results.a2v.p99)}`,
          '',
          '',
        ],
      ],
    ),
  );
  out.push('');
  out.push(
    `_${env(`gateways A and B, PostgreSQL, Redis, two generators and the agent consoles, all sharing these cores; goal p99 < ${GOALS.p99Ms} ms: ${verdict(worstP99 < GOALS.p99Ms)}._`)}`,
  );
  out.push('');
  out.push(
    table(
      ['during the measured window', 'A → B (generator A)', 'B → A (generator B)'],
      [
        [
          'achieved rate: visitor / agent messages per second',
          `${c.phases[0].visitorRate.toFixed(0)} / ${c.phases[0].agentRate.toFixed(0)}`,
          `${c.phases[1].visitorRate.toFixed(0)} / ${c.phases[1].agentRate.toFixed(0)}`,
        ],
        ...windowRows(ra, rb, 'stored → agent on the other process'),
      ],
    ),
  );
  out.push('');
  out.push(
    table(
      ['whole cluster', 'result', ''],
      [
        [
          'messages received by the least-served of the other 18 agents (both processes)',
          `${int(c.delivery.minAgentReceived)} of ${int(c.delivery.expectedPerAgent)} (${pct((c.delivery.minAgentReceived / Math.max(1, c.delivery.expectedPerAgent)) * 100)})`,
          verdict(c.delivery.minAgentReceived >= c.delivery.expectedPerAgent),
        ],
        ['events per message per console', c.delivery.eventsPerMessage.toFixed(2), ''],
        ...(c.delivery.resyncs === undefined
          ? []
          : [
              [
                '`resync` requests the 18 agents received (broadcasts lost to a Redis gap; a console catches up, these do not)',
                int(c.delivery.resyncs),
                '',
              ],
            ]),
        [
          'refused sends (error acks)',
          errors
            ? `${int(errors)} (${errorCounts(errorCodes)
                .map(([e, n]) => `${int(n)} × ${e}`)
                .join(', ')})`
            : '0',
          verdict(errors === 0),
        ],
        [
          'stored in PostgreSQL afterwards = acknowledged (visitor / agent messages, whole run); conversations with a gap in `seq`',
          `${int(c.stored.visitor)} = ${int(c.stored.expectedVisitor)} / ${int(c.stored.agent)} = ${int(c.stored.expectedAgent)}; ${int(c.stored.conversationsWithGaps)} of ${int(c.stored.conversations)}`,
          verdict(storedOk),
        ],
        [
          "gateway CPU, A / B (one core = 100%); each one's event loop waiting for a core",
          `${pct(c.cpu.servers[0])} / ${pct(c.cpu.servers[1])}; ${pct(c.cpu.serverRunQueues[0])} / ${pct(c.cpu.serverRunQueues[1])}`,
          '',
        ],
        [
          'gateway CPU per message, both processes together',
          `${int(c.cpu.serverMicrosPerMessage)} µs (one process on SQLite: ${int(parley.cpu.serverMicrosPerMessage)} µs)`,
          '',
        ],
        [
          'PostgreSQL (all its processes) / Redis CPU, and per message',
          `${pct(c.cpu.postgres)} / ${pct(c.cpu.redis)}; ${int(pgPerMessage)} µs / ${int(redisPerMessage)} µs`,
          '',
        ],
        [
          'generators A / B, agents worker CPU',
          `${pct(c.cpu.generators[0])} / ${pct(c.cpu.generators[1])}, ${pct(c.cpu.agents)}`,
          '',
        ],
        [`whole machine busy (${machine.cores} cores = ${machine.cores * 100}%)`, pct(c.cpu.machine), ''],
      ],
    ),
  );
  out.push('');
  const saturated = c.cpu.machine >= machine.cores * 100 * 0.9;
  out.push(
    `**What this shows.** ${capOk ? `Two processes held ${int(C.visitorsPerProcess * 2)} visitor sockets, ${kb((c.memory[0].perConnection + c.memory[1].perConnection) / 2)} per connection on average (one process: ${kb(parley.memory.perConnection)}); each process's ${int(Math.max(c.memory[0].fds, c.memory[1].fds))} open files stay well under the limit of ${machine.ulimit}, which caps one process at about ${int(machine.ulimit - 50)} sockets: more visitors than that need more processes, which is what this setup is for. ` : `Only ${int(c.connects[0].connected)} + ${int(c.connects[1].connected)} of ${int(C.visitorsPerProcess * 2)} visitor sockets connected. `}` +
      `${storedOk && errors === 0 && c.delivery.minAgentReceived >= c.delivery.expectedPerAgent ? 'Every message was stored once, gap-free, and reached every agent on both processes; ' : 'Delivery was not complete (see the table); '}` +
      `the cost of sharing is CPU: per message the two gateways together spent ${int(c.cpu.serverMicrosPerMessage)} µs (one process on SQLite: ${int(parley.cpu.serverMicrosPerMessage)} µs) and PostgreSQL ${int(pgPerMessage)} µs, Redis ${int(redisPerMessage)} µs. ` +
      (saturated
        ? `At this rate the machine was busy ${pct(c.cpu.machine)} of its ${machine.cores * 100}%: the ${machine.cores} cores are saturated, each gateway's event loop waited for a core ${pct(c.cpu.serverRunQueues[0])} / ${pct(c.cpu.serverRunQueues[1])} of the time, and the p99 (${ms(worstP99)} at worst) is that queue. On a real deployment each process and the database have cores of their own; here they take turns on two.`
        : `The machine was busy ${pct(c.cpu.machine)} of its ${machine.cores * 100}%; the p99 was ${ms(worstP99)} at worst.`),
  );
  out.push('');
  return out;
}

/** A latency table row's cells: label, p50, p90, p99 (bold for the measured side), max, messages. */
function latencyCells(label, v, bold = false) {
  const p99 = ms(v.p99);
  return [label, ms(v.p50), ms(v.p90), bold ? `**${p99}**` : p99, ms(v.max), int(v.n)];
}

/** Rows of a measured window common to two generators' results: acks, per-second tail, where the time went, losses. */
function windowRows(a, b, afterStored) {
  return [
    ['visitor `send` → ack: p50 / p99', `${ms(a.ack.p50)} / ${ms(a.ack.p99)}`, `${ms(b.ack.p50)} / ${ms(b.ack.p99)}`],
    [
      `seconds of the window whose visitor → agent p99 was ≥ ${GOALS.p99Ms} ms; median and worst per-second p99`,
      perSecond(a.perSecondP99),
      perSecond(b.perSecondP99),
    ],
    [
      `visitor → agent split at the server clock (ms resolution), p99: up to stored / ${afterStored}`,
      `${ms(a.v2aIn.p99)} / ${ms(a.v2aOut.p99)}`,
      `${ms(b.v2aIn.p99)} / ${ms(b.v2aOut.p99)}`,
    ],
    [
      'measured messages not delivered after 10 s (visitor → agent / agent → visitor)',
      `${a.undelivered.v2a} / ${a.undelivered.a2v}`,
      `${b.undelivered.v2a} / ${b.undelivered.a2v}`,
    ],
  ];
}

/** How many events a console receives per message, against the relay. */
function eventsPerConsole(parley, relay) {
  const n = parley.delivery.eventsPerMessage;
  const r = relay.delivery.eventsPerMessage.toFixed(1);
  return n < 1.05
    ? `the message as one \`message\` event, as from the relay (${n.toFixed(2)} events per message; relay ${r})`
    : `the message as ${n.toFixed(1)} events (\`message\` plus a \`conversation\` summary; the relay: ${r})`;
}

function whatLimits({
  parley,
  relay,
  storm,
  stormDefault,
  latOk,
  capOk,
  v2aRatio,
  a2vRatio,
  machine,
  results,
  hsDefault,
  plan,
}) {
  const paras = [];
  const P = parley.results;
  const cpuP = parley.cpu;
  const cpuR = relay.cpu;
  const loads = `load average ${results.loadBefore[0].toFixed(2)} before the run and ${results.loadAfter[0].toFixed(2)} after it`;
  if (capOk === false) {
    paras.push(
      `**Capacity.** Only ${int(parley.connect.connected)} of ${int(plan.latency.visitors)} visitor sockets and ${parley.agentsConnected} of 20 agents were connected; the clients saw ${int(parley.connect.connectErrors)} connection errors (${
        Object.entries(parley.connect.connectErrorCodes)
          .map(([c, n]) => `${int(n)} × ${c}`)
          .join(', ') || 'none'
      }).`,
    );
  }
  const prof = results.profile;
  const topCosts = () => {
    if (!prof || prof.error) return '';
    const list = prof.breakdown.categories
      .filter((c) => c.name !== 'idle' && c.name !== 'other' && c.ms > 0)
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 3)
      .map((c) => `${c.name.replace(/ \(.*$/, '')} ${int((c.ms * 1000) / Math.max(1, prof.messages))} µs`);
    return `The profiled run puts the largest shares of a message's time in ${list.join(', ')}. `;
  };
  if (latOk && (!latOk.v2a || !latOk.a2v)) {
    const inP = P.v2aIn.p99;
    const outP = P.v2aOut.p99;
    const where =
      inP !== null && outP !== null
        ? inP >= outP
          ? `Most of it is spent before the message is stored: p99 ${ms(inP)} from the visitor's emit to the gateway's \`createdAt\`, against ${ms(outP)} from there to the agent, so messages wait in front of the gateway's single event loop before their handler runs. `
          : `Most of it is spent after the message is stored: p99 ${ms(outP)} from the gateway's \`createdAt\` to the agent, against ${ms(inP)} before, so the broadcast to the agents is what waits. `
        : '';
    const seconds = P.perSecondP99 ?? [];
    const over = seconds.filter((v) => v >= GOALS.p99Ms).length;
    const share = seconds.length ? over / seconds.length : 0;
    const bursts = seconds.length
      ? `In ${over} of the ${seconds.length} seconds of the window the p99 of that second was ${GOALS.p99Ms} ms or more (median second: ${ms([...seconds].sort((a, b) => a - b)[Math.floor(seconds.length / 2)])}), ${share <= 0.25 ? 'so the misses come in bursts' : share >= 0.75 ? 'so the queue is there almost all the time' : 'so the queue comes and goes'}. `
      : '';
    paras.push(
      `**Latency (p99 ${ms(P.v2a.p99)} visitor → agent, ${ms(P.a2v.p99)} agent → visitor; goal under ${GOALS.p99Ms} ms).** ` +
        `The median is ${ms(P.v2a.p50)}; the tail is queueing. ${where}${bursts}` +
        `That event loop is short of CPU: during the window the gateway used ${pct(cpuP.server)} of one core and its event-loop thread spent a further ${pct(cpuP.serverRunQueue)} of the time runnable but waiting for a core, ` +
        `because on this ${machine.cores}-core machine it shares the cores with the load generator (${pct(cpuP.generator)}), the 19 agent consoles (${pct(cpuP.agents)}), the kernel's loopback TCP work for all of them and any other work on the machine (together ${pct(cpuP.others)}; ${loads}); the machine as a whole was busy ${pct(cpuP.machine)} of its ${machine.cores * 100}%. ` +
        `Each message costs the gateway ${int(cpuP.serverMicrosPerMessage)} µs of CPU (the relay: ${int(cpuR.serverMicrosPerMessage)} µs), so this load alone needs ${pct((cpuP.serverMicrosPerMessage * (parley.phase.visitorRate + parley.phase.agentRate)) / 1e4)} of a core. ` +
        topCosts() +
        (prof && !prof.error && prof.v2a.p99 !== null
          ? `In that profiled run (${int(prof.params.visitors)} visitors, same rates, at another moment) the gateway's thread was idle ${pct((prof.breakdown.categories.find((c) => c.name === 'idle')?.share ?? 0) * 100)} of the time and the visitor → agent p99 was ${ms(prof.v2a.p99)}: ${prof.v2a.p99 < GOALS.p99Ms ? 'the same work meets the goal when the cores are less contended' : 'it missed the goal there too'}. `
          : '') +
        `For every message the gateway runs a SQLite write transaction before the ack, and every agent console receives ${eventsPerConsole(parley, relay)}, a separate WebSocket frame and socket write per console. ` +
        'Whenever the other processes hold both cores, messages queue behind each other in that one event loop, and the queue is the tail.',
    );
  }
  if (latOk && (!latOk.v2aRatio || !latOk.a2vRatio)) {
    const cpuRatio = ratio(cpuP.serverMicrosPerMessage, cpuR.serverMicrosPerMessage);
    const worst = Math.max(v2aRatio ?? 0, a2vRatio ?? 0);
    paras.push(
      `**Ratio to the bare relay (p99 ${x(v2aRatio)} visitor → agent, ${x(a2vRatio)} agent → visitor; goal at most ${GOALS.relayRatio}×).** ` +
        `With the same fan-out the relay spends ${int(cpuR.serverMicrosPerMessage)} µs of CPU per message and Parley ${int(cpuP.serverMicrosPerMessage)} µs (${x(cpuRatio)}); at the same load the relay used ${pct(cpuR.server)} of a core (plus ${pct(cpuR.serverRunQueue)} waiting for one) and Parley ${pct(cpuP.server)} (plus ${pct(cpuP.serverRunQueue)}). ` +
        (cpuRatio !== null && worst > cpuRatio
          ? `The p99 ratio is larger than the CPU ratio because queueing delay grows much faster than the work itself as an event loop gets closer to saturation, and on these shared cores Parley's is much closer. `
          : '') +
        `What Parley does per message that the relay does not: validation, the rate-limit buckets, and a SQLite write transaction (the message, the conversation's \`last_seq\` and activity) before the ack; every console receives ${eventsPerConsole(parley, relay)}.`,
    );
  }
  for (const [label, s] of [
    ['Reconnection storm', storm],
    [`Reconnection storm with the default handshake budget${hsDefault ? ` of ${hsDefault}/s` : ''}`, stormDefault],
  ]) {
    if (!s || s.error) continue;
    const st = s.storm;
    const miss95 = st.caughtUp95 === null || st.caughtUp95 > GOALS.storm95Ms;
    const miss100 = st.caughtUp100 === null || st.caughtUp100 > GOALS.storm100Ms;
    const c = s.check;
    const integrity = c.ok && c.viewOk && st.counters.renewed === 0;
    if (!miss95 && !miss100 && integrity) continue;
    const parts = [];
    if (miss95 || miss100) {
      const refused = Object.values(st.counters.reconnectErrors ?? {}).reduce((a, b) => a + b, 0);
      const reconnectSpan = st.reconnect100 ?? st.waitedMs;
      const perSecond = (st.reconnected / Math.max(1, reconnectSpan - s.restartMs)) * 1000;
      parts.push(
        `**${label} (95% caught up at ${st.caughtUp95 === null ? 'never' : sec(st.caughtUp95)}, 100% at ${st.caughtUp100 === null ? 'never' : sec(st.caughtUp100)}; goals 10 s and 30 s).** ` +
          `The new process was listening ${ms(s.restartMs)} after the kill; from then on the visitors came back at about ${int(perSecond)} per second. ` +
          (refused
            ? `${int(refused)} reconnection attempts were refused (${errorCounts(st.counters.reconnectErrors)
                .map(([e, n]) => `${int(n)} × ${e}`)
                .join(
                  ', ',
                )}): the gateway-wide handshake budget admits ${hsDefault ?? 'a fixed number of'} new connections per second, so ${int(plan.storm.visitors)} visitors need at least ${hsDefault ? sec((plan.storm.visitors / hsDefault) * 1000) : 'that long'}, and each refused client waits out its randomized backoff (up to 5 s) before trying again. `
            : "No attempt was refused; the time is the clients' randomized backoff (500 ms doubling to 5 s) plus the handshakes the gateway can process per second on the CPU it gets. "),
      );
    }
    if (!integrity) {
      parts.push(
        `**${label}: delivery check failed.** lost ${c.lost}, still queued ${c.stillQueued}, doubled ${c.doubled}, out of order ${c.outOfOrder}, unexpected ${c.unexpected}, seq gaps ${c.seqGaps}, agent replies lost ${c.agentRepliesLost + c.agentRepliesUnacked} / doubled ${c.agentRepliesDoubled}, missing from the visitor's view ${c.missingFromView}, renewed sessions ${st.counters.renewed}. This is a bug, not a capacity limit.`,
      );
    }
    paras.push(parts.map((part) => part.trim()).join('\n\n'));
  }
  return paras;
}
