// Load-generator worker: holds visitor and agent sockets (the real socket.io-client, WebSocket transport, the
// widget's reconnection settings) and runs commands sent by bench/run.mjs over the IPC channel. Never runs inside the
// orchestrator's process, and never in the gateway's.
//
// Visitors behave like the widget (src/app/chat.ts): one Manager per visitor, `auth` re-evaluated on every attempt
// (session token + highest seq held), an in-order outbox with one message in flight, resent with the same clientId
// after a reconnect, and a `history` catch-up when the sequence numbers held are not 1…n.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Manager } from 'socket.io-client';
import { Samples, summarize, timeToFraction } from './stats.mjs';

const role = process.argv[2] ?? 'load';

const SOCKET_OPTIONS = {
  transports: ['websocket'],
  upgrade: false,
  reconnectionDelay: 500,
  reconnectionDelayMax: 5000,
  randomizationFactor: 0.5,
};
const ACK_TIMEOUT_MS = 10_000;
const TEXT_PAD = 'Hello, I have a question about my order, could somebody help me please? ';

const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const state = {
  visitors: [],
  agents: [],
  /** conversationId → visitor */
  byConversation: new Map(),
  /** clientId → emit time of visitor messages not yet seen by the measuring agent */
  sendTimes: new Map(),
  /** clientId → emit time of agent replies not yet seen by their visitor */
  replyTimes: new Map(),
  /** Tag of the messages whose latency is recorded ('m' in the measured window). */
  measureTag: null,
  samples: null,
  counters: null,
  /** Set by `killed`: time (performance.now()) the gateway was killed, as told by the orchestrator. */
  killAt: null,
  nextReply: 0,
  /** Added to visitor indexes, which make their clientIds: workers sharing a cluster's agents must not collide. */
  indexBase: 0,
  /** Never reset: messages acknowledged as newly stored, to compare with the database at the end. */
  totals: { visitorStored: 0, agentStored: 0 },
  /** Agents count only messages whose clientId starts with one of these (set by `resetAgentCounts`). */
  countPrefixes: null,
};

function newSamples() {
  return {
    v2a: new Samples(1 << 16),
    v2aAt: new Samples(1 << 16),
    v2aIn: new Samples(1 << 16),
    v2aOut: new Samples(1 << 16),
    a2v: new Samples(1 << 13),
    ack: new Samples(1 << 16),
    agentAck: new Samples(1 << 13),
  };
}
function newCounters() {
  return {
    visitorCreated: 0,
    visitorEmits: 0,
    visitorAcked: 0,
    duplicateAcks: 0,
    sendErrors: {},
    sendFailures: 0,
    agentReplies: 0,
    agentReplyEmits: 0,
    agentRepliesAcked: 0,
    agentReplyErrors: 0,
    measuredV2aSent: 0,
    measuredA2vSent: 0,
    agentMessages: 0,
    agentConversationEvents: 0,
    visitorMessagesReceived: 0,
    duplicateDeliveries: 0,
    connectErrors: 0,
    connectErrorCodes: {},
    disconnects: {},
    reconnectAttempts: 0,
    reconnectErrors: {},
    renewed: 0,
    historyCalls: 0,
  };
}
state.samples = newSamples();
state.counters = newCounters();

const bump = (obj, key) => {
  obj[key] = (obj[key] ?? 0) + 1;
};

class Visitor {
  constructor(index, url, site) {
    this.index = index;
    this.site = site;
    this.session = null;
    this.conversationId = null;
    /** Sequence numbers of every message of the conversation this visitor holds (own acks, live, catch-up). */
    this.seqs = new Set();
    this.maxSeq = 0;
    /** Messages created and not yet acknowledged, oldest first: {clientId, text, tag}. */
    this.outbox = [];
    /** Every clientId this visitor created, in order: what the gateway must end up storing. */
    this.created = [];
    this.acked = 0;
    this.flushing = false;
    this.welcomed = false;
    this.everWelcomed = false;
    this.createdAt = now();
    this.onFirstWelcome = null;
    // Reconnection-storm bookkeeping (times relative to state.killAt).
    this.disconnectedAfterKill = false;
    this.reconnectedAt = null;
    this.welcomedAfterKill = false;
    this.caughtUpAt = null;

    this.manager = new Manager(url, SOCKET_OPTIONS);
    this.manager.on('reconnect_attempt', () => state.counters.reconnectAttempts++);
    this.manager.on('reconnect_error', (err) =>
      bump(state.counters.reconnectErrors, String(err?.description?.message ?? err?.message ?? err).slice(0, 60)),
    );
    this.socket = this.manager.socket('/visitor', { auth: (cb) => cb(this.auth()) });
    this.socket.on('welcome', (w) => this.onWelcome(w));
    this.socket.on('message', (m) => this.onMessage(m));
    this.socket.on('connect', () => {
      if (state.killAt !== null && this.disconnectedAfterKill && this.reconnectedAt === null) {
        this.reconnectedAt = now() - state.killAt;
      }
    });
    this.socket.on('disconnect', (reason) => {
      this.welcomed = false;
      bump(state.counters.disconnects, reason);
      if (state.killAt !== null) this.disconnectedAfterKill = true;
    });
    this.socket.on('connect_error', (err) => {
      state.counters.connectErrors++;
      bump(state.counters.connectErrorCodes, err?.data?.code ?? err?.message ?? 'unknown');
    });
  }

  auth() {
    const auth = { v: 1, site: this.site };
    if (this.session) auth.session = this.session;
    if (this.maxSeq > 0) auth.lastSeq = this.maxSeq;
    return auth;
  }

  merge(seq) {
    if (typeof seq !== 'number') return false;
    if (this.seqs.has(seq)) return false;
    this.seqs.add(seq);
    if (seq > this.maxSeq) this.maxSeq = seq;
    return true;
  }

  /** Highest seq up to which every message is held. */
  contiguous() {
    let n = 0;
    while (this.seqs.has(n + 1)) n++;
    return n;
  }

  gapFree() {
    return this.seqs.size === this.maxSeq;
  }

  onWelcome(w) {
    if (w.renewed) state.counters.renewed++;
    if (w.session) this.session = w.session;
    if (this.conversationId && this.conversationId !== w.conversationId) {
      // A new conversation (a lost session): start over, as the widget does. Counted by `renewed`.
      state.byConversation.delete(this.conversationId);
      this.seqs.clear();
      this.maxSeq = 0;
    }
    // `null` until this visitor's first message creates the conversation (`adopt`).
    this.conversationId = w.conversationId;
    if (w.conversationId) state.byConversation.set(w.conversationId, this);
    for (const m of w.messages ?? []) this.merge(m.seq);
    this.welcomed = true;
    if (!this.everWelcomed) {
      this.everWelcomed = true;
      this.onFirstWelcome?.(now() - this.createdAt);
    }
    if (state.killAt !== null && this.disconnectedAfterKill) this.welcomedAfterKill = true;
    if (w.more || !this.gapFree()) void this.catchUp();
    this.checkCaughtUp();
    void this.flush();
  }

  /** The conversation this visitor's first message created. */
  adopt(conversationId) {
    if (this.conversationId || !conversationId) return;
    this.conversationId = conversationId;
    state.byConversation.set(conversationId, this);
  }

  onMessage(m) {
    state.counters.visitorMessagesReceived++;
    this.adopt(m.conversationId);
    if (!this.merge(m.seq)) state.counters.duplicateDeliveries++;
    if (m.author === 'agent' && m.clientId) {
      const sentAt = state.replyTimes.get(m.clientId);
      if (sentAt !== undefined) {
        state.replyTimes.delete(m.clientId);
        if (m.clientId.startsWith(`r${state.measureTag}`)) state.samples.a2v.push(now() - sentAt);
      }
    }
    if (!this.gapFree()) void this.catchUp();
  }

  /** Fetches what is missing by sequence number (the widget's gap-free catch-up). */
  async catchUp() {
    if (this.catchingUp) return;
    this.catchingUp = true;
    try {
      for (let page = 0; page < 50 && this.socket.connected; page++) {
        state.counters.historyCalls++;
        let ack;
        try {
          ack = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('history', { afterSeq: this.contiguous() });
        } catch {
          return;
        }
        if (!ack?.ok) return;
        for (const m of ack.messages) this.merge(m.seq);
        if (!ack.more || ack.messages.length === 0) return;
      }
    } finally {
      this.catchingUp = false;
    }
  }

  enqueue(tag) {
    const n = this.created.length;
    const clientId = `${tag}-${this.index.toString(36).padStart(4, '0')}-${n.toString(36).padStart(4, '0')}`;
    const message = { clientId, text: `${TEXT_PAD}#${clientId}`, tag };
    this.created.push(clientId);
    this.outbox.push(message);
    state.counters.visitorCreated++;
    void this.flush();
  }

  /** Sends the outbox in order, one message in flight, while connected and welcomed (src/app/chat.ts `drain`). */
  async flush() {
    if (this.flushing) return;
    this.flushing = true;
    let attempt = 0;
    try {
      while (this.outbox.length > 0 && this.socket.connected && this.welcomed) {
        const next = this.outbox[0];
        const sentAt = now();
        if (!state.sendTimes.has(next.clientId)) state.sendTimes.set(next.clientId, sentAt);
        state.counters.visitorEmits++;
        let ack;
        try {
          ack = await this.socket
            .timeout(ACK_TIMEOUT_MS)
            .emitWithAck('send', { clientId: next.clientId, text: next.text });
        } catch {
          // Disconnected (the loop ends; the next welcome flushes again) or no ack within the timeout (retry).
          state.counters.sendFailures++;
          continue;
        }
        if (ack?.ok) {
          attempt = 0;
          this.outbox.shift();
          this.acked++;
          state.counters.visitorAcked++;
          if (!ack.duplicate) state.totals.visitorStored++;
          if (ack.duplicate) state.counters.duplicateAcks++;
          if (next.tag === state.measureTag) state.samples.ack.push(now() - sentAt);
          this.adopt(ack.message?.conversationId);
          this.merge(ack.message?.seq);
          this.checkCaughtUp();
        } else {
          bump(state.counters.sendErrors, ack?.code ?? 'no_ack');
          await sleep(Math.random() * Math.min(15_000, 500 * 2 ** Math.min(attempt++, 10)));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  checkCaughtUp() {
    if (state.killAt !== null && this.caughtUpAt === null && this.welcomedAfterKill && this.outbox.length === 0) {
      this.caughtUpAt = now() - state.killAt;
    }
  }

  close() {
    this.socket.disconnect();
    this.manager.engine?.close();
  }
}

class Agent {
  constructor(name, token, url, measure) {
    this.name = name;
    this.measure = measure;
    this.welcomed = false;
    this.received = 0;
    this.resyncs = 0;
    this.conversationEvents = 0;
    /** Replies sent and not yet acknowledged: clientId → payload. */
    this.pending = new Map();
    /** Every reply this agent created: {clientId, conversationId}. */
    this.replies = [];
    this.manager = new Manager(url, SOCKET_OPTIONS);
    this.socket = this.manager.socket('/agent', { auth: { token } });
    this.socket.on('welcome', () => {
      this.welcomed = true;
      this.onWelcome?.();
      // Replies whose ack was lost with the connection: send again with the same clientId.
      for (const payload of this.pending.values()) void this.emit(payload);
    });
    this.socket.on('disconnect', () => {
      this.welcomed = false;
    });
    this.socket.on('connect_error', (err) => {
      state.counters.connectErrors++;
      bump(state.counters.connectErrorCodes, `agent:${err?.data?.code ?? err?.message ?? 'unknown'}`);
    });
    this.socket.on('conversation', () => {
      this.conversationEvents++;
    });
    // The gateway lost broadcasts (a Redis gap) and asks for a catch-up, which a real console does and this one does
    // not: counted, so that missing deliveries can be told apart from late ones.
    this.socket.on('resync', () => {
      this.resyncs++;
    });
    this.socket.on('message', (m) => {
      if (!state.countPrefixes || state.countPrefixes.some((p) => m.clientId?.startsWith(p))) this.received++;
      if (!this.measure || m.author !== 'visitor' || !m.clientId) return;
      state.counters.agentMessages++;
      const sentAt = state.sendTimes.get(m.clientId);
      if (sentAt === undefined) return;
      state.sendTimes.delete(m.clientId);
      if (m.clientId.startsWith(`${state.measureTag}-`)) {
        const t = now();
        state.samples.v2a.push(t - sentAt);
        state.samples.v2aAt.push(sentAt - state.phaseStart);
        // Split at the gateway's clock (same machine, millisecond resolution): up to storage, and from it to here.
        if (typeof m.createdAt === 'number') {
          state.samples.v2aIn.push(m.createdAt - (performance.timeOrigin + sentAt));
          state.samples.v2aOut.push(performance.timeOrigin + t - m.createdAt);
        }
      }
    });
  }

  reply(conversationId, tag) {
    const clientId = `r${tag}-${(state.nextReply++).toString(36).padStart(8, '0')}`;
    const payload = { conversationId, clientId, text: `Thanks for waiting, let me check that for you. #${clientId}` };
    this.pending.set(clientId, payload);
    this.replies.push({ clientId, conversationId });
    state.counters.agentReplies++;
    if (tag === state.measureTag) state.counters.measuredA2vSent++;
    if (this.welcomed && this.socket.connected) void this.emit(payload);
  }

  async emit(payload) {
    const sentAt = now();
    if (!state.replyTimes.has(payload.clientId)) state.replyTimes.set(payload.clientId, sentAt);
    state.counters.agentReplyEmits++;
    let ack;
    try {
      ack = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('send', payload);
    } catch {
      // Lost with the connection: resent on the next welcome. A timeout while connected: retry.
      if (this.socket.connected && this.pending.has(payload.clientId)) setTimeout(() => this.retry(payload), 1000);
      return;
    }
    if (ack?.ok) {
      if (this.pending.delete(payload.clientId)) {
        state.counters.agentRepliesAcked++;
        if (!ack.duplicate) state.totals.agentStored++;
      }
      if (payload.clientId.startsWith(`r${state.measureTag}`)) state.samples.agentAck.push(now() - sentAt);
    } else {
      state.counters.agentReplyErrors++;
      setTimeout(() => this.retry(payload), 1000);
    }
  }

  retry(payload) {
    if (this.pending.has(payload.clientId) && this.welcomed) void this.emit(payload);
  }

  close() {
    this.socket.disconnect();
    this.manager.engine?.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------------------------

/** Calls `fn` `rate` times per second (open loop: what is due is sent even after a stall) until stopped. */
function pace(rate, fn) {
  const t0 = now();
  let done = 0;
  const tick = () => {
    const due = Math.floor(((now() - t0) * rate) / 1000);
    while (done < due) {
      done++;
      fn();
    }
  };
  const timer = rate > 0 ? setInterval(tick, 2) : null;
  return {
    stop() {
      if (timer) clearInterval(timer);
      return { count: done, seconds: (now() - t0) / 1000 };
    },
  };
}

/** Any visitor: its first message creates its conversation. */
const anyVisitor = () => state.visitors[Math.floor(Math.random() * state.visitors.length)];

/** A visitor whose conversation exists (agents can only reply there); undefined while nobody has written yet. */
const chattingVisitor = () => {
  const list = state.visitors;
  for (let i = 0; i < 20; i++) {
    const v = anyVisitor();
    if (v?.conversationId) return v;
  }
  return list.find((v) => v.conversationId);
};

/** An agent reply into a random existing conversation; skipped until one exists. */
const replyToSomeone = (agent, tag) => {
  const v = chattingVisitor();
  if (v) agent.reply(v.conversationId, tag);
};

async function waitFor(predicate, timeoutMs, stepMs = 50) {
  const deadline = now() + timeoutMs;
  while (!predicate()) {
    if (now() > deadline) return false;
    await sleep(stepMs);
  }
  return true;
}

const commands = {
  /**
   * Makes this worker's clientIds unique among several workers (the cluster run): visitor indexes start at
   * `indexBase`, agent reply numbers at `replyBase`. Each measuring agent also sees the other workers' messages and
   * must not take them for its own.
   */
  configure({ indexBase = 0, replyBase = 0 }) {
    state.indexBase = indexBase;
    state.nextReply = replyBase;
    return true;
  },

  async connectAgents({ url, agents, measure }) {
    const list = agents.map((a, i) => new Agent(a.name, a.token, url, measure && i === 0));
    state.agents.push(...list);
    const ok = await waitFor(() => list.every((a) => a.welcomed), 30_000);
    return { connected: list.filter((a) => a.welcomed).length, requested: list.length, ok };
  },

  async connectVisitors({ url, count, rate, maxPending = 500, site = 'bench', timeoutMs }) {
    const t0 = now();
    const handshake = new Samples(count);
    let created = 0;
    let welcomed = 0;
    let inFlight = 0;
    const errorsBefore = state.counters.connectErrors;
    await new Promise((resolve) => {
      const deadline = t0 + (timeoutMs ?? (count / rate) * 1000 + 60_000);
      const timer = setInterval(() => {
        const t = now();
        const due = Math.min(count, Math.floor(((t - t0) * rate) / 1000) + 1);
        while (created < due && inFlight < maxPending) {
          const v = new Visitor(state.indexBase + state.visitors.length, url, site);
          inFlight++;
          v.onFirstWelcome = (ms) => {
            inFlight--;
            welcomed++;
            handshake.push(ms);
          };
          state.visitors.push(v);
          created++;
        }
        if (welcomed >= count || t > deadline) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const seconds = (now() - t0) / 1000;
    return {
      requested: count,
      connected: welcomed,
      seconds,
      rate: welcomed / seconds,
      handshake: handshake.summary(),
      connectErrors: state.counters.connectErrors - errorsBefore,
      connectErrorCodes: state.counters.connectErrorCodes,
    };
  },

  /**
   * One phase of the latency run: visitor messages at `visitorRate`/s to random visitors and agent replies at
   * `agentRate`/s to random conversations, for `durationMs`. A `measure`d phase resets samples and counters first and
   * records latencies of its own messages only (tag `m`); a warm-up phase (tag `w`) records nothing.
   */
  async phase({ tag, durationMs, visitorRate, agentRate, measure }) {
    const measuring = state.agents.find((a) => a.measure);
    if (!measuring) throw new Error('no measuring agent in this worker');
    if (measure) {
      state.measureTag = tag;
      state.samples = newSamples();
      state.counters = newCounters();
    }
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const cpu0 = process.cpuUsage();
    const t0 = now();
    if (measure) {
      state.phaseStart = t0;
      state.phaseMs = durationMs;
    }
    const sent = await new Promise((resolve) => {
      const v = pace(visitorRate, () => anyVisitor().enqueue(tag));
      const a = pace(agentRate, () => replyToSomeone(measuring, tag));
      setTimeout(() => resolve({ visitor: v.stop(), agent: a.stop() }), durationMs);
    });
    const seconds = (now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    lag.disable();
    return {
      seconds,
      visitorSent: sent.visitor.count,
      agentSent: sent.agent.count,
      visitorRate: sent.visitor.count / seconds,
      agentRate: sent.agent.count / seconds,
      generatorCpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
      eventLoopDelay: { p50: lag.percentile(50) / 1e6, p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 },
    };
  },

  /** After a measured phase: waits for its messages to be delivered (at most `drainMs`), then reports. */
  async results({ drainMs = 10_000 }) {
    const tag = state.measureTag;
    const outstanding = () => ({
      v2a: [...state.sendTimes.keys()].filter((k) => k.startsWith(`${tag}-`)).length,
      a2v: [...state.replyTimes.keys()].filter((k) => k.startsWith(`r${tag}`)).length,
    });
    const drained = await waitFor(
      () => {
        const o = outstanding();
        return o.v2a === 0 && o.a2v === 0 && state.visitors.every((v) => v.outbox.length === 0);
      },
      drainMs,
      100,
    );
    // Visitor → agent p99 of each second of the window (by send time): steady, or bursts?
    const bySecond = new Map();
    const { v2a, v2aAt } = state.samples;
    for (let i = 0; i < v2a.length; i++) {
      const second = Math.floor(v2aAt.data[i] / 1000);
      const list = bySecond.get(second) ?? [];
      if (list.length === 0) bySecond.set(second, list);
      list.push(v2a.data[i]);
    }
    const perSecondP99 = [...bySecond.keys()]
      .filter((k) => k < Math.floor(state.phaseMs / 1000))
      .sort((a, b) => a - b)
      .map((k) => summarize(bySecond.get(k)).p99);
    return {
      drained,
      perSecondP99,
      undelivered: outstanding(),
      v2a: state.samples.v2a.summary(),
      v2aIn: state.samples.v2aIn.summary(),
      v2aOut: state.samples.v2aOut.summary(),
      a2v: state.samples.a2v.summary(),
      ack: state.samples.ack.summary(),
      agentAck: state.samples.agentAck.summary(),
      counters: state.counters,
      totals: state.totals,
    };
  },

  /** Messages and summaries received by each agent of this worker since the last reset. */
  agentCounts() {
    return state.agents.map((a) => ({
      name: a.name,
      welcomed: a.welcomed,
      messages: a.received,
      conversations: a.conversationEvents,
      resyncs: a.resyncs,
    }));
  },

  resetAgentCounts({ prefixes = null } = {}) {
    state.countPrefixes = prefixes;
    for (const a of state.agents) {
      a.received = 0;
      a.conversationEvents = 0;
    }
    return true;
  },

  /** Reconnection storm, step 1: messages in flight, open loop, until `killed`. */
  generate({ visitorRate, agentRate }) {
    const replier = state.agents.find((a) => a.measure);
    state.measureTag = 's';
    state.counters = newCounters();
    state.generators = [
      pace(visitorRate, () => anyVisitor().enqueue('s')),
      ...(replier ? [pace(agentRate, () => replyToSomeone(replier, 's'))] : []),
    ];
    return true;
  },

  /** Step 2, sent right after the orchestrator's SIGKILL: stop creating messages, start the storm clock. */
  killed() {
    const generated = (state.generators ?? []).map((g) => g.stop());
    state.generators = [];
    state.killAt = now();
    const replier = state.agents.find((a) => a.measure);
    return {
      visitorMessages: state.counters.visitorCreated,
      agentReplies: state.counters.agentReplies,
      generateSeconds: generated[0]?.seconds ?? 0,
      // What was not acknowledged when the gateway died: in flight or still queued in an outbox.
      visitorsWithUnacked: state.visitors.filter((v) => v.outbox.length > 0).length,
      unackedVisitorMessages: state.visitors.reduce((n, v) => n + v.outbox.length, 0),
      inFlightVisitorMessages: state.visitors.filter((v) => v.flushing && v.outbox.length > 0).length,
      unackedAgentReplies: replier?.pending.size ?? 0,
    };
  },

  /** Step 3: waits until every visitor is reconnected and caught up (welcome after the restart, outbox empty). */
  async awaitCaughtUp({ timeoutMs }) {
    const total = state.visitors.length;
    await waitFor(() => state.visitors.every((v) => v.caughtUpAt !== null), timeoutMs, 50);
    const reconnected = state.visitors.filter((v) => v.reconnectedAt !== null).map((v) => v.reconnectedAt);
    const caughtUp = state.visitors.filter((v) => v.caughtUpAt !== null).map((v) => v.caughtUpAt);
    const marks = [1, 2, 5, 10, 20, 30, 60].map((s) => ({
      seconds: s,
      reconnected: reconnected.filter((t) => t <= s * 1000).length,
      caughtUp: caughtUp.filter((t) => t <= s * 1000).length,
    }));
    return {
      total,
      waitedMs: now() - state.killAt,
      reconnected: reconnected.length,
      caughtUp: caughtUp.length,
      reconnect95: timeToFraction(reconnected, total, 0.95),
      reconnect100: timeToFraction(reconnected, total, 1),
      caughtUp95: timeToFraction(caughtUp, total, 0.95),
      caughtUp100: timeToFraction(caughtUp, total, 1),
      caughtUpSummary: summarize(caughtUp),
      marks,
      counters: state.counters,
    };
  },

  /** Step 4: waits until agent replies are acknowledged and every visitor's view is gap-free. */
  async settle({ timeoutMs }) {
    const replier = state.agents.find((a) => a.measure);
    const ok = await waitFor(
      () =>
        (replier?.pending.size ?? 0) === 0 &&
        state.visitors.every((v) => v.outbox.length === 0 && v.gapFree() && !v.catchingUp),
      timeoutMs,
      100,
    );
    // Live deliveries of the last replies may still be on the wire.
    await sleep(1000);
    for (const v of state.visitors) if (!v.gapFree()) void v.catchUp();
    await sleep(500);
    return { ok, pendingReplies: replier?.pending.size ?? 0 };
  },

  /** Step 5: what each visitor created and holds, for the check against the database. */
  collect() {
    const replier = state.agents.find((a) => a.measure);
    return {
      visitors: state.visitors.map((v) => ({
        conversationId: v.conversationId,
        created: v.created,
        outbox: v.outbox.length,
        seqs: [...v.seqs].sort((a, b) => a - b),
      })),
      replies: (replier?.replies ?? []).map((r) => ({ ...r, acked: !replier.pending.has(r.clientId) })),
      counters: state.counters,
    };
  },

  /**
   * The soak (bench/soak.mjs): visitor messages, agent replies and visitor typing events at fixed rates until
   * `soakStop`; nothing is measured here but what was sent and the errors.
   */
  soakStart({ visitorRate, agentRate, typingRate }) {
    const replier = state.agents.find((a) => a.measure);
    state.counters = newCounters();
    let typing = 0;
    state.generators = [
      pace(visitorRate, () => anyVisitor().enqueue('k')),
      pace(agentRate, () => replier && replyToSomeone(replier, 'k')),
      pace(typingRate, () => {
        const v = anyVisitor();
        if (v.welcomed) {
          typing++;
          v.socket.emit('typing', { typing: true });
        }
      }),
    ];
    state.typingSent = () => typing;
    return true;
  },

  soakStop() {
    for (const g of state.generators ?? []) g.stop();
    state.generators = [];
    return commands.soakCounters();
  },

  soakCounters() {
    const c = state.counters;
    const connected = state.visitors.filter((v) => v.socket.connected).length;
    return {
      connected,
      visitorAcked: c.visitorAcked,
      agentRepliesAcked: c.agentRepliesAcked,
      typingSent: state.typingSent?.() ?? 0,
      sendErrors: c.sendErrors,
      agentReplyErrors: c.agentReplyErrors,
      connectErrors: c.connectErrors,
      queued: state.visitors.reduce((n, v) => n + v.outbox.length, 0),
    };
  },

  /**
   * Churn: `fraction` of the visitors, at random, disconnect, and each connects again (same session, as a reloaded
   * page does) after a random pause of up to `pauseMs`. Resolves when all of them are welcomed again.
   */
  async churn({ fraction, pauseMs = 5000, timeoutMs = 50_000 }) {
    const chosen = new Set();
    const count = Math.round(state.visitors.length * fraction);
    while (chosen.size < Math.min(count, state.visitors.length)) chosen.add(anyVisitor());
    for (const v of chosen) {
      v.socket.disconnect();
      setTimeout(() => v.socket.connect(), Math.random() * pauseMs);
    }
    await sleep(pauseMs);
    const back = await waitFor(() => [...chosen].every((v) => v.welcomed), timeoutMs, 100);
    return { churned: chosen.size, back, welcomed: [...chosen].filter((v) => v.welcomed).length };
  },

  memory() {
    return { rss: process.memoryUsage().rss, visitors: state.visitors.length, agents: state.agents.length };
  },

  async closeAll() {
    for (const v of state.visitors) v.close();
    for (const a of state.agents) a.close();
    state.visitors = [];
    state.agents = [];
    state.byConversation.clear();
    await sleep(200);
    return true;
  },
};

process.on('message', async ({ id, cmd, args }) => {
  try {
    const fn = commands[cmd];
    if (!fn) throw new Error(`unknown command ${cmd}`);
    const result = await fn(args ?? {});
    process.send({ id, result });
  } catch (err) {
    process.send({ id, error: err?.stack ?? String(err) });
  }
});

// The orchestrator is gone: nothing left to do.
process.on('disconnect', () => process.exit(0));
process.title = `parley-bench-${role}`;
