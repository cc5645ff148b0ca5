// Capacity and latency under load, against one server (the Parley gateway or the bare relay):
// 20 agents, then N visitors at a bounded connect rate (memory per connection from the server's RSS), then a warm-up
// and a measured window of visitor messages and agent replies at fixed rates.
//
// Processes: the server; worker "generator" (every visitor socket + Agent01, which measures visitor → agent and sends
// the replies whose visitor → receipt gives agent → visitor, so both ends of each measurement share one clock);
// worker "agents" (the other 19 agent sockets, each receiving every message like a real console).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AGENTS, startGateway, startRelay } from './gateway.mjs';
import { cpuWindow, delay, freePort, procStat, startWorker } from './proc.mjs';

/**
 * @param {object} o
 * @param {'parley'|'relay'} o.target
 * @param {number} o.visitors  visitor sockets to hold open
 * @param {number} o.connectRate  new visitor sockets per second while connecting
 * @param {number} o.warmupMs
 * @param {number} o.durationMs  measured window
 * @param {number} o.visitorRate  visitor messages per second
 * @param {number} o.agentRate  agent replies per second
 */
export async function runLatency(o) {
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(path.join(tmpdir(), `parley-bench-${o.target}-`));
  const dbPath = path.join(dir, 'parley.db');
  const port = await freePort();
  const workers = [];
  let server;
  try {
    server = o.target === 'parley' ? await startGateway({ port, dbPath }) : await startRelay({ port });
    log(`${o.target}: pid ${server.pid} on ${server.url} (started in ${server.startMs.toFixed(0)} ms)`);
    const gen = startWorker(`${o.target}-generator`);
    const sink = startWorker(`${o.target}-agents`);
    workers.push(gen, sink);

    const idle = procStat(server.pid);
    const a1 = await gen.call('connectAgents', { url: server.url, agents: AGENTS.slice(0, 1), measure: true });
    const a2 = await sink.call('connectAgents', { url: server.url, agents: AGENTS.slice(1), measure: false });
    const agentsConnected = a1.connected + a2.connected;
    await delay(2000);
    const before = procStat(server.pid);
    log(`${o.target}: ${agentsConnected} agents connected; connecting ${o.visitors} visitors at ${o.connectRate}/s`);

    const connectTimeout = (o.visitors / o.connectRate) * 1000 + 90_000;
    const connectCpu = cpuWindow([server.pid]);
    const connect = await gen.call(
      'connectVisitors',
      { url: server.url, count: o.visitors, rate: o.connectRate, maxPending: 500, timeoutMs: connectTimeout - 30_000 },
      connectTimeout,
    );
    connect.serverCpu = connectCpu.end()[server.pid];
    log(
      `${o.target}: ${connect.connected}/${connect.requested} visitors in ${connect.seconds.toFixed(1)} s, ` +
        `handshake p99 ${connect.handshake.p99?.toFixed(1)} ms, ${connect.connectErrors} connect errors`,
    );
    await delay(5000);
    const after = procStat(server.pid);
    const generatorMemory = await gen.call('memory');
    const sockets = connect.connected;

    log(`${o.target}: warm-up ${o.warmupMs / 1000} s`);
    const rates = { visitorRate: o.visitorRate, agentRate: o.agentRate };
    await gen.call('phase', { tag: 'w', durationMs: o.warmupMs, ...rates, measure: false }, o.warmupMs + 60_000);
    await delay(500);
    await sink.call('resetAgentCounts', { prefixes: ['m-', 'rm'] });
    log(
      `${o.target}: measuring ${o.durationMs / 1000} s at ${o.visitorRate} visitor msg/s + ${o.agentRate} agent msg/s`,
    );
    const cpu = cpuWindow([server.pid, gen.pid, sink.pid]);
    const phase = await gen.call(
      'phase',
      { tag: 'm', durationMs: o.durationMs, ...rates, measure: true },
      o.durationMs + 60_000,
    );
    const machineCpu = cpu.machine();
    const cpuUse = cpu.end();
    const results = await gen.call('results', { drainMs: 10_000 }, 30_000);
    const end = procStat(server.pid);

    // Every other agent must have received every measured message too (visitor messages + the replies of Agent01).
    const expectedPerAgent = results.counters.visitorAcked + results.counters.agentRepliesAcked;
    let sinkCounts = await sink.call('agentCounts');
    for (let i = 0; i < 50 && sinkCounts.some((a) => a.messages < expectedPerAgent); i++) {
      await delay(200);
      sinkCounts = await sink.call('agentCounts');
    }
    const minAgentReceived = Math.min(...sinkCounts.map((a) => a.messages));
    // Events each console receives per message: `message`, plus the gateway's `conversation` summary.
    const eventsPerMessage =
      sinkCounts.reduce((n, a) => n + a.messages + a.conversations, 0) /
      Math.max(
        1,
        sinkCounts.reduce((n, a) => n + a.messages, 0),
      );

    await gen.call('closeAll', {}, 60_000);
    await sink.call('closeAll', {}, 60_000);
    await server.stop('SIGTERM');

    let stored = null;
    if (o.target === 'parley') {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      const rows = db.prepare('SELECT author, count(*) AS n FROM messages GROUP BY author').all();
      const conversations = db.prepare('SELECT count(*) AS n FROM conversations').get().n;
      db.close();
      const by = Object.fromEntries(rows.map((r) => [r.author, r.n]));
      stored = {
        visitor: by.visitor ?? 0,
        agent: by.agent ?? 0,
        conversations,
        expectedVisitor: results.totals.visitorStored,
        expectedAgent: results.totals.agentStored,
      };
    }

    const messagesPerSecond = phase.visitorRate + phase.agentRate;
    const serverCpu = cpuUse[server.pid];
    return {
      target: o.target,
      params: o,
      agentsConnected,
      connect,
      memory: {
        idleRss: idle.rss,
        rssBefore: before.rss,
        rssAfter: after.rss,
        rssEnd: end.rss,
        peakRss: end.peakRss,
        perConnection: (after.rss - before.rss) / Math.max(1, sockets),
        fds: after.fds,
        fdsBefore: before.fds,
        generatorRss: generatorMemory.rss,
        generatorPerConnection: generatorMemory.rss / Math.max(1, sockets),
      },
      phase,
      results,
      delivery: { expectedPerAgent, minAgentReceived, agents: sinkCounts.length + 1, eventsPerMessage },
      cpu: {
        server: serverCpu.percent,
        generator: cpuUse[gen.pid].percent,
        agents: cpuUse[sink.pid].percent,
        serverRunQueue: serverCpu.runQueuePercent,
        // Everything the machine did in the window (percent of one core; 2 cores = 200%), and what was not ours.
        machine: machineCpu,
        others: Math.max(0, machineCpu - serverCpu.percent - cpuUse[gen.pid].percent - cpuUse[sink.pid].percent),
        generatorRunQueue: cpuUse[gen.pid].runQueuePercent,
        serverMicrosPerMessage: (serverCpu.cpuSeconds * 1e6) / Math.max(1, messagesPerSecond * phase.seconds),
      },
      stored,
    };
  } finally {
    for (const w of workers) await w.stop();
    if (server?.alive()) await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
