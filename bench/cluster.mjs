// Two gateway processes sharing PostgreSQL (storage) and Redis (fan-out, presence): capacity and cross-process
// latency. Every measured path crosses processes: generator A holds the visitors of gateway A and a measuring agent
// on gateway B, generator B the reverse, so a visitor message goes A → Redis → B and an agent reply B → Redis → A.
// The other 18 agents (worker "agents") are split between the two processes and must each receive every message.
//
// Needs a PostgreSQL and a Redis server: PARLEY_BENCH_DATABASE_URL / PARLEY_BENCH_REDIS_URL, or the test suite's
// PARLEY_TEST_DATABASE_URL / PARLEY_TEST_REDIS_URL (set by .ci/run). Without them the run is skipped and the report
// says why. Each run uses a schema and Redis prefix of its own, dropped afterwards.
import pg from 'pg';
import { createClient } from 'redis';
import { AGENTS, startGateway, startRelay } from './gateway.mjs';
import { cpuWindow, delay, freePort, processesNamed, procStat, startWorker } from './proc.mjs';

/** Where the cluster's PostgreSQL and Redis are, or why the run cannot happen. */
export function clusterServices(env = process.env) {
  const databaseUrl = env.PARLEY_BENCH_DATABASE_URL || env.PARLEY_TEST_DATABASE_URL;
  const redisUrl = env.PARLEY_BENCH_REDIS_URL || env.PARLEY_TEST_REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    const missing = [!databaseUrl && 'PARLEY_BENCH_DATABASE_URL', !redisUrl && 'PARLEY_BENCH_REDIS_URL'].filter(
      Boolean,
    );
    return { skipped: `${missing.join(' and ')} not set (nor the PARLEY_TEST_ ones that .ci/run sets)` };
  }
  return { databaseUrl, redisUrl };
}

/**
 * @param {object} o
 * @param {number} o.visitorsPerProcess  visitor sockets held open on each gateway process
 * @param {number} o.connectRate  new visitor sockets per second, per generator
 * @param {number} o.warmupMs
 * @param {number} o.durationMs  measured window
 * @param {number} o.visitorRate  visitor messages per second, per generator (the cluster gets twice this)
 * @param {number} o.agentRate  agent replies per second, per generator
 * @param {'parley'|'relay'} [o.target]  two Parley gateways (PostgreSQL + Redis), or two bare relays on the same Redis
 *   adapter (no storage): the baseline that measures what sharing costs without Parley's work
 */
export async function runCluster(o) {
  const target = o.target ?? 'parley';
  const log = o.log ?? (() => {});
  const services = clusterServices();
  if (services.skipped) {
    log(`cluster: skipped: ${services.skipped}`);
    return { skipped: services.skipped };
  }
  const tag = `bench_${process.pid}_${Date.now().toString(36)}`;
  const env = {
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    PARLEY_DB_SCHEMA: tag,
    PARLEY_REDIS_PREFIX: tag,
  };
  const workers = [];
  const servers = [];
  try {
    // One after the other: the first creates the schema (the migration lock would serialize them anyway).
    for (const name of ['A', 'B']) {
      const port = await freePort();
      const server =
        target === 'relay'
          ? await startRelay({ port, env: { REDIS_URL: services.redisUrl, RELAY_PREFIX: tag }, name: `relay ${name}` })
          : await startGateway({ port, env, name: `gateway ${name}` });
      servers.push(server);
      log(`cluster: ${target === 'relay' ? 'relay' : 'gateway'} ${name}: pid ${server.pid} on ${server.url}`);
    }
    const [a, b] = servers;
    const genA = startWorker('cluster-generator-A');
    const genB = startWorker('cluster-generator-B');
    const sink = startWorker('cluster-agents');
    workers.push(genA, genB, sink);
    await genB.call('configure', { indexBase: o.visitorsPerProcess, replyBase: 1e9 });

    const idle = servers.map((s) => procStat(s.pid));
    await genA.call('connectAgents', { url: b.url, agents: AGENTS.slice(0, 1), measure: true });
    await genB.call('connectAgents', { url: a.url, agents: AGENTS.slice(1, 2), measure: true });
    const rest = AGENTS.slice(2);
    const half = Math.ceil(rest.length / 2);
    const s1 = await sink.call('connectAgents', { url: a.url, agents: rest.slice(0, half), measure: false });
    const s2 = await sink.call('connectAgents', { url: b.url, agents: rest.slice(half), measure: false });
    const agentsConnected = 2 + s1.connected + s2.connected;
    await delay(2000);
    const before = servers.map((s) => procStat(s.pid));
    log(`cluster: ${agentsConnected} agents; ${o.visitorsPerProcess} visitors per process at ${o.connectRate}/s each`);

    const connectTimeout = (o.visitorsPerProcess / o.connectRate) * 1000 + 90_000;
    const connectCpu = cpuWindow(servers.map((s) => s.pid));
    const connectArgs = { count: o.visitorsPerProcess, rate: o.connectRate, maxPending: 500 };
    const connects = await Promise.all([
      genA.call('connectVisitors', { url: a.url, ...connectArgs, timeoutMs: connectTimeout - 30_000 }, connectTimeout),
      genB.call('connectVisitors', { url: b.url, ...connectArgs, timeoutMs: connectTimeout - 30_000 }, connectTimeout),
    ]);
    const connectCpuUse = connectCpu.end();
    for (const [i, c] of connects.entries()) {
      c.serverCpu = connectCpuUse[servers[i].pid];
      log(
        `cluster: ${target === 'relay' ? 'relay' : 'gateway'} ${'AB'[i]}: ${c.connected}/${c.requested} visitors in ${c.seconds.toFixed(1)} s, ` +
          `handshake p99 ${c.handshake.p99?.toFixed(1)} ms, ${c.connectErrors} connect errors`,
      );
    }
    await delay(5000);
    const after = servers.map((s) => procStat(s.pid));

    const rates = { visitorRate: o.visitorRate, agentRate: o.agentRate };
    log(`cluster: warm-up ${o.warmupMs / 1000} s`);
    await Promise.all(
      [genA, genB].map((g) =>
        g.call('phase', { tag: 'w', durationMs: o.warmupMs, ...rates, measure: false }, o.warmupMs + 60_000),
      ),
    );
    await delay(500);
    await sink.call('resetAgentCounts', { prefixes: ['m-', 'rm'] });
    log(`cluster: measuring ${o.durationMs / 1000} s at 2 × (${o.visitorRate} visitor + ${o.agentRate} agent) msg/s`);
    const services0 = serviceCpu();
    const cpu = cpuWindow([...servers.map((s) => s.pid), genA.pid, genB.pid, sink.pid]);
    const phases = await Promise.all(
      [genA, genB].map((g) =>
        g.call('phase', { tag: 'm', durationMs: o.durationMs, ...rates, measure: true }, o.durationMs + 60_000),
      ),
    );
    const machineCpu = cpu.machine();
    const cpuUse = cpu.end();
    const servicesUse = serviceCpu(services0);
    const results = await Promise.all([genA, genB].map((g) => g.call('results', { drainMs: 10_000 }, 30_000)));

    // Every other agent, on either process, must have received every measured message of both generators.
    const expectedPerAgent = results.reduce((n, r) => n + r.counters.visitorAcked + r.counters.agentRepliesAcked, 0);
    let sinkCounts = await sink.call('agentCounts');
    for (let i = 0; i < 50 && sinkCounts.some((c) => c.messages < expectedPerAgent); i++) {
      await delay(200);
      sinkCounts = await sink.call('agentCounts');
    }
    const minAgentReceived = Math.min(...sinkCounts.map((c) => c.messages));
    const events = sinkCounts.reduce((n, c) => n + c.messages + c.conversations, 0);
    const eventsPerMessage =
      events /
      Math.max(
        1,
        sinkCounts.reduce((n, c) => n + c.messages, 0),
      );
    const end = servers.map((s) => procStat(s.pid));

    for (const w of [genA, genB, sink]) await w.call('closeAll', {}, 60_000);
    for (const s of servers) await s.stop('SIGTERM');
    const stored = target === 'relay' ? null : await storedCounts(services.databaseUrl, tag);
    const versions = { postgres: stored?.version ?? null, redis: await redisVersion(services.redisUrl) };

    const seconds = phases[0].seconds;
    const messages = phases.reduce((n, p) => n + (p.visitorRate + p.agentRate) * p.seconds, 0);
    const serverCpu = servers.map((s) => cpuUse[s.pid]);
    return {
      params: o,
      versions,
      agentsConnected,
      connects,
      memory: servers.map((_, i) => ({
        idleRss: idle[i].rss,
        rssBefore: before[i].rss,
        rssAfter: after[i].rss,
        rssEnd: end[i].rss,
        peakRss: end[i].peakRss,
        perConnection: (after[i].rss - before[i].rss) / Math.max(1, connects[i].connected),
        fds: after[i].fds,
      })),
      phases,
      results,
      delivery: {
        expectedPerAgent,
        minAgentReceived,
        agents: sinkCounts.length + 2,
        eventsPerMessage,
        resyncs: sinkCounts.reduce((n, c) => n + (c.resyncs ?? 0), 0),
      },
      cpu: {
        servers: serverCpu.map((c) => c.percent),
        serverRunQueues: serverCpu.map((c) => c.runQueuePercent),
        serverMicrosPerMessage: (serverCpu.reduce((n, c) => n + c.cpuSeconds, 0) * 1e6) / Math.max(1, messages),
        generators: [cpuUse[genA.pid].percent, cpuUse[genB.pid].percent],
        agents: cpuUse[sink.pid].percent,
        redis: (servicesUse.redis / seconds) * 100,
        postgres: (servicesUse.postgres / seconds) * 100,
        machine: machineCpu,
      },
      target,
      stored: stored && {
        ...stored,
        expectedVisitor: results.reduce((n, r) => n + r.totals.visitorStored, 0),
        expectedAgent: results.reduce((n, r) => n + r.totals.agentStored, 0),
      },
    };
  } finally {
    for (const w of workers) await w.stop();
    for (const s of servers) if (s.alive()) await s.stop('SIGKILL');
    if (target !== 'relay') {
      await dropSchema(services.databaseUrl, tag).catch((err) => log(`cluster: could not drop schema ${tag}: ${err}`));
    }
  }
}

/**
 * CPU seconds used so far by the Redis server and by every PostgreSQL process (server and connection backends);
 * with `since`, the difference. Processes that exited in between are not counted.
 */
function serviceCpu(since) {
  const sum = (names) => processesNamed(names).reduce((n, pid) => n + (procStat(pid).cpu || 0), 0);
  const now = { redis: sum(['redis-server']), postgres: sum(['postgres']) };
  return since ? { redis: now.redis - since.redis, postgres: now.postgres - since.postgres } : now;
}

async function storedCounts(databaseUrl, schema) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const version = (await client.query('SHOW server_version')).rows[0].server_version;
    const rows = (await client.query(`SELECT author, count(*)::int AS n FROM ${schema}.messages GROUP BY author`)).rows;
    const conversations = (await client.query(`SELECT count(*)::int AS n FROM ${schema}.conversations`)).rows[0].n;
    // Gap-free per conversation: the highest seq equals the number of messages.
    const gaps = (
      await client.query(
        `SELECT count(*)::int AS n FROM (SELECT conversation_id FROM ${schema}.messages
           GROUP BY conversation_id HAVING max(seq) <> count(*)) g`,
      )
    ).rows[0].n;
    const by = Object.fromEntries(rows.map((r) => [r.author, r.n]));
    return { version, visitor: by.visitor ?? 0, agent: by.agent ?? 0, conversations, conversationsWithGaps: gaps };
  } finally {
    await client.end();
  }
}

async function redisVersion(url) {
  const client = createClient({ url });
  await client.connect();
  try {
    return (await client.info('server')).match(/redis_version:(\S+)/)?.[1] ?? 'unknown';
  } finally {
    await client.quit();
  }
}

async function dropSchema(databaseUrl, schema) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
