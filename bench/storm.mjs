// Reconnection storm: N visitors with sessions and 20 agents on the gateway, messages in flight both ways, then
// SIGKILL and an immediate restart on the same port and database. Every client reconnects on its own
// (socket.io-client reconnection with the widget's randomized backoff), presents its session and highest seq, and
// resends what was not acknowledged with the same clientId. Measured: time from the kill until 95% / 100% of the
// visitors are reconnected, and caught up (welcome received after the restart and every message of its outbox
// acknowledged). Then the database is read to prove that nothing was lost or stored twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AGENTS, startGateway } from './gateway.mjs';
import { cpuWindow, delay, freePort, procStat, startWorker } from './proc.mjs';

/**
 * @param {object} o
 * @param {number} o.visitors
 * @param {number} o.connectRate
 * @param {number} o.loadMs  how long messages flow before the kill
 * @param {number} o.visitorRate  visitor messages per second (until the kill)
 * @param {number} o.agentRate  agent replies per second (until the kill)
 * @param {number} o.timeoutMs  how long to wait for every visitor to be caught up
 */
export async function runStorm(o) {
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-bench-storm-'));
  const dbPath = path.join(dir, 'parley.db');
  const port = await freePort();
  const workers = [];
  const servers = [];
  try {
    const first = await startGateway({ port, dbPath, env: o.gatewayEnv });
    servers.push(first);
    log(`storm: gateway pid ${first.pid} on ${first.url}`);
    const gen = startWorker('storm-generator');
    const sink = startWorker('storm-agents');
    workers.push(gen, sink);
    await gen.call('connectAgents', { url: first.url, agents: AGENTS.slice(0, 1), measure: true });
    await sink.call('connectAgents', { url: first.url, agents: AGENTS.slice(1), measure: false });
    const connectTimeout = (o.visitors / o.connectRate) * 1000 + 90_000;
    const connect = await gen.call(
      'connectVisitors',
      { url: first.url, count: o.visitors, rate: o.connectRate, maxPending: 500, timeoutMs: connectTimeout - 30_000 },
      connectTimeout,
    );
    log(`storm: ${connect.connected}/${connect.requested} visitors connected in ${connect.seconds.toFixed(1)} s`);
    if (connect.connected < o.visitors)
      throw new Error(`only ${connect.connected} of ${o.visitors} visitors connected`);

    await gen.call('generate', { visitorRate: o.visitorRate, agentRate: o.agentRate });
    await delay(o.loadMs);
    const rssBeforeKill = procStat(first.pid).rss;

    // Kill while messages are in flight; the generator stops creating new ones when it hears of it (< 1 ms later).
    const killedAt = performance.now();
    first.child.kill('SIGKILL');
    const atKill = await gen.call('killed');
    await first.exited;
    const exitMs = performance.now() - killedAt;
    log(
      `storm: gateway killed with ${atKill.unackedVisitorMessages} visitor messages and ` +
        `${atKill.unackedAgentReplies} agent replies unacknowledged; restarting`,
    );
    const second = await startGateway({ port, dbPath, env: o.gatewayEnv });
    servers.push(second);
    const restartMs = performance.now() - killedAt;
    log(`storm: gateway back (pid ${second.pid}) ${restartMs.toFixed(0)} ms after the kill`);

    const window = cpuWindow([second.pid, gen.pid, sink.pid]);
    const storm = await gen.call('awaitCaughtUp', { timeoutMs: o.timeoutMs }, o.timeoutMs + 30_000);
    const machineCpu = window.machine();
    const used = window.end();
    const cpu = {
      gateway: used[second.pid].percent,
      gatewayRunQueue: used[second.pid].runQueuePercent,
      generator: used[gen.pid].percent,
      agents: used[sink.pid].percent,
      machine: machineCpu,
      others: Math.max(0, machineCpu - used[second.pid].percent - used[gen.pid].percent - used[sink.pid].percent),
    };
    log(
      `storm: ${storm.caughtUp}/${storm.total} caught up; 95% at ${fmt(storm.caughtUp95)}, 100% at ${fmt(storm.caughtUp100)}`,
    );
    const settle = await gen.call('settle', { timeoutMs: 30_000 }, 60_000);
    const agentsBack = [...(await gen.call('agentCounts')), ...(await sink.call('agentCounts'))].filter(
      (a) => a.welcomed,
    ).length;
    const expected = await gen.call('collect', {}, 60_000);
    const rssAfter = procStat(second.pid).rss;
    await gen.call('closeAll', {}, 60_000);
    await sink.call('closeAll', {}, 60_000);
    await second.stop('SIGTERM');

    const check = verify(dbPath, expected);
    log(
      `storm: database check: ${check.visitorStored}/${check.visitorCreated} visitor messages stored, ` +
        `${check.lost} lost, ${check.doubled} doubled, ${check.outOfOrder} conversations out of order`,
    );
    return {
      params: o,
      connect,
      atKill,
      exitMs,
      restartMs,
      restartStartMs: second.startMs,
      storm,
      cpu,
      settle,
      agentsBack,
      check,
      rssBeforeKill,
      rssAfter,
    };
  } finally {
    for (const w of workers) await w.stop();
    for (const s of servers) if (s.alive()) await s.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (ms) => (ms === null ? 'never' : `${(ms / 1000).toFixed(2)} s`);

/** Compares what the clients created and hold with what the database stored. */
export function verify(dbPath, expected) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  const rows = db
    .prepare('SELECT conversation_id AS c, seq, author, client_id AS id FROM messages ORDER BY conversation_id, seq')
    .all();
  const conversations = db.prepare('SELECT count(*) AS n FROM conversations').get().n;
  db.close();
  const byConversation = new Map();
  for (const r of rows) {
    const list = byConversation.get(r.c) ?? [];
    if (list.length === 0) byConversation.set(r.c, list);
    list.push(r);
  }

  const out = {
    conversations,
    visitors: expected.visitors.length,
    visitorCreated: 0,
    visitorStored: 0,
    /** Created and never stored, although the visitor's outbox was empty (acknowledged): a lost message. */
    lost: 0,
    /** Created, not stored, still in the visitor's outbox at the end (not caught up). */
    stillQueued: 0,
    /** A clientId stored more than once in its conversation. */
    doubled: 0,
    /** Stored visitor messages this visitor never created. */
    unexpected: 0,
    /** Conversations whose visitor messages are not exactly the created ones in creation order. */
    outOfOrder: 0,
    /** Conversations whose seqs are not 1…n. */
    seqGaps: 0,
    /** Stored messages (either author) the visitor did not hold at the end: a failed catch-up. */
    missingFromView: 0,
    visitorsMissingMessages: 0,
    agentRepliesCreated: expected.replies.length,
    agentRepliesStored: 0,
    agentRepliesLost: 0,
    agentRepliesUnacked: 0,
    agentRepliesDoubled: 0,
    totalRows: rows.length,
  };

  for (const v of expected.visitors) {
    const list = byConversation.get(v.conversationId) ?? [];
    if (list.some((r, i) => r.seq !== i + 1)) out.seqGaps++;
    const stored = list.filter((r) => r.author === 'visitor').map((r) => r.id);
    const counts = new Map();
    for (const id of stored) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const n of counts.values()) if (n > 1) out.doubled += n - 1;
    const created = new Set(v.created);
    for (const id of counts.keys()) if (!created.has(id)) out.unexpected++;
    out.visitorCreated += v.created.length;
    out.visitorStored += stored.length;
    // The outbox holds the last `v.outbox` created messages, which may legitimately be missing.
    const mustHave = v.created.slice(0, v.created.length - v.outbox);
    for (const id of mustHave) if (!counts.has(id)) out.lost++;
    for (const id of v.created.slice(mustHave.length)) if (!counts.has(id)) out.stillQueued++;
    const inOrder = stored.length >= mustHave.length && mustHave.every((id, i) => stored[i] === id);
    const exact = inOrder && stored.every((id, i) => v.created[i] === id);
    if (!exact) out.outOfOrder++;
    const held = new Set(v.seqs);
    const missing = list.filter((r) => !held.has(r.seq)).length;
    out.missingFromView += missing;
    if (missing > 0) out.visitorsMissingMessages++;
  }

  const agentByConversation = new Map();
  for (const r of rows) {
    if (r.author !== 'agent') continue;
    agentByConversation.set(`${r.c} ${r.id}`, (agentByConversation.get(`${r.c} ${r.id}`) ?? 0) + 1);
  }
  for (const r of expected.replies) {
    const n = agentByConversation.get(`${r.conversationId} ${r.clientId}`) ?? 0;
    if (n > 0) out.agentRepliesStored++;
    if (n > 1) out.agentRepliesDoubled += n - 1;
    if (n === 0 && r.acked) out.agentRepliesLost++;
    if (n === 0 && !r.acked) out.agentRepliesUnacked++;
  }
  out.ok =
    out.lost === 0 &&
    out.doubled === 0 &&
    out.unexpected === 0 &&
    out.outOfOrder === 0 &&
    out.seqGaps === 0 &&
    out.agentRepliesLost === 0 &&
    out.agentRepliesDoubled === 0 &&
    out.stillQueued === 0 &&
    out.agentRepliesUnacked === 0;
  out.viewOk = out.missingFromView === 0;
  return out;
}
