import { randomBytes } from 'node:crypto';
import type { AgentPresence, AgentStatus } from '../../src/protocol';
import type { Logger } from './log';
import { aggregateChanges, createPresence, type LocalPresence, type Presence, visitorPresence } from './presence';
import type { RedisClient } from './redis';
import { RECONNECT_MAX_MS } from './redis-reconnect';

/**
 * Presence shared by several gateway processes through Redis, behind the same synchronous `Presence` interface: each
 * process answers from its own sockets (a local `createPresence`, which counts them) plus a cached copy of every other
 * live process's state.
 *
 * - Each process owns one key, `<prefix>:presence:<processId>`, holding a snapshot of its connected agents
 *   (name → status) and of the conversations with a connected visitor, written with a TTL (`ttlMs`) and rewritten
 *   every `heartbeatMs`. The key `<prefix>:presence` (a sorted set) indexes the process ids.
 * - Changes are published at once on `<prefix>:presence:events` as deltas (agents in full, visitors added/removed),
 *   numbered per process so a snapshot read never rolls a newer delta back.
 * - Every heartbeat each process also reads all snapshots: a process whose key expired (it died, or lost Redis for
 *   longer than the TTL) is dropped, with its agents and visitors. A process that stops cleanly deletes its key and
 *   says so on the channel. After its own connection comes back, a process rewrites its key at once and drops nobody
 *   for one TTL plus the longest reconnection delay: a restarted Redis has lost every key, and the others need a
 *   moment to reconnect and write theirs again.
 * - When the merged agents view changes because of another process, `onAgentsChanged` runs (the gateway re-broadcasts
 *   to its own sockets); when conversations lose their last visitor because another process went away,
 *   `onVisitorsGone` runs (the gateway pushes their summaries to its own agents).
 * - Redis errors are logged and never thrown: the process keeps serving from its own state and last known view.
 */
export interface ClusterPresence extends Presence {
  readonly processId: string;
  /** Publishes this process's (empty) state, reads everyone else's and starts the heartbeat. */
  start(): Promise<void>;
  /** Stops the heartbeat, deletes this process's key and tells the others. Idempotent; never rejects. */
  close(): Promise<void>;
}

export interface ClusterPresenceOptions {
  agentNames: readonly string[];
  /** A connected client for commands and publishing. */
  pub: RedisClient;
  /** A connected client for subscribing (may be shared with other subscriptions). */
  sub: RedisClient;
  prefix: string;
  logger: Logger;
  /** Default 2000. */
  heartbeatMs?: number;
  /** Default 3 × heartbeat. */
  ttlMs?: number;
  onAgentsChanged(): void;
  onVisitorsGone(conversationIds: string[]): void;
}

interface Snapshot {
  /** Version: the number of the last change published. */
  v: number;
  agents: Record<string, 'online' | 'away'>;
  visitors: string[];
}

interface Delta {
  id: string;
  v: number;
  gone?: true;
  agents?: Record<string, 'online' | 'away'>;
  added?: string[];
  removed?: string[];
  /** An agent chose a status: every process applies it to that agent's sockets. */
  status?: { name: string; status: 'online' | 'away' };
}

interface Remote {
  v: number;
  agents: Map<string, 'online' | 'away'>;
  visitors: Set<string>;
}

export function createClusterPresence(options: ClusterPresenceOptions): ClusterPresence {
  return new RedisPresence(options);
}

type Status = 'online' | 'away';

class RedisPresence implements ClusterPresence {
  readonly processId = randomBytes(8).toString('hex');
  private readonly local: LocalPresence;
  private readonly remotes = new Map<string, Remote>();
  private readonly heartbeatMs: number;
  private readonly ttlMs: number;
  private readonly indexKey: string;
  private readonly channel: string;
  /** The number of the last change published. */
  private version = 0;
  /** Changes not yet published. */
  private agentsDirty = false;
  private pendingStatus: Delta['status'];
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private ticking = false;
  private closed = false;
  /** Until then a process whose key is missing is kept: Redis may have restarted, empty, and it has not written yet. */
  private graceUntil = 0;
  private lastError = 0;
  /** The merged agents view as last seen, so remote changes are announced only when they change something. */
  private seen: string;
  readonly takeAggregateChange = aggregateChanges(() => this.aggregate());

  constructor(private readonly options: ClusterPresenceOptions) {
    this.local = createPresence(options.agentNames);
    this.heartbeatMs = options.heartbeatMs ?? 2000;
    this.ttlMs = options.ttlMs ?? this.heartbeatMs * 3;
    this.indexKey = `${options.prefix}:presence`;
    this.channel = `${options.prefix}:presence:events`;
    this.seen = JSON.stringify(this.agents());
  }

  agents(): AgentPresence[] {
    return this.options.agentNames.map((name) => ({ name, status: this.statusOf(name) }));
  }

  aggregate() {
    return visitorPresence(this.agents());
  }

  agentConnected(name: string): boolean {
    // Signed in elsewhere already: keep the status the agent chose there.
    const elsewhere = this.statusOf(name);
    if (!this.local.agentConnected(name)) return false;
    if (elsewhere === 'away') this.local.setAgentStatus(name, 'away');
    this.localAgentsChanged();
    return true;
  }

  agentDisconnected(name: string): boolean {
    if (!this.local.agentDisconnected(name)) return false;
    this.localAgentsChanged();
    return true;
  }

  setAgentStatus(name: string, status: Status): boolean {
    if (!this.local.setAgentStatus(name, status)) return false;
    this.pendingStatus = { name, status };
    this.localAgentsChanged();
    return true;
  }

  visitorConnected(conversationId: string): boolean {
    if (!this.local.visitorConnected(conversationId)) return false;
    if (!this.removed.delete(conversationId)) this.added.add(conversationId);
    this.schedule();
    return true;
  }

  visitorDisconnected(conversationId: string): boolean {
    if (!this.local.visitorDisconnected(conversationId)) return false;
    if (!this.added.delete(conversationId)) this.removed.add(conversationId);
    this.schedule();
    return true;
  }

  visitorOnline(conversationId: string): boolean {
    if (this.local.visitorOnline(conversationId)) return true;
    for (const remote of this.remotes.values()) if (remote.visitors.has(conversationId)) return true;
    return false;
  }

  // Typing is per process: the process holding the visitor's sockets clears it when the last one goes; receivers
  // expire a typing indicator by themselves after `LIMITS.typingExpiryMs`, so a process that dies leaves none behind.
  setVisitorTyping(conversationId: string, typing: boolean): boolean {
    return this.local.setVisitorTyping(conversationId, typing);
  }

  async start(): Promise<void> {
    await this.options.sub.subscribe(this.channel, this.onMessage);
    this.options.pub.on('ready', this.onReconnected);
    await this.tick();
    this.heartbeat = setInterval(() => void this.tick(), this.heartbeatMs);
    this.heartbeat.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { pub, sub, logger } = this.options;
    pub.off('ready', this.onReconnected);
    clearInterval(this.heartbeat);
    clearTimeout(this.flushTimer);
    const goodbye = async () => {
      await pub.multi().del(this.keyOf(this.processId)).zRem(this.indexKey, this.processId).exec();
      const delta: Delta = { id: this.processId, v: ++this.version, gone: true };
      await pub.publish(this.channel, JSON.stringify(delta));
      await sub.unsubscribe(this.channel, this.onMessage);
    };
    // Redis away: commands would wait for a reconnection; let the key expire instead of holding the shutdown.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        logger.warn('redis presence: could not say goodbye in time; this process expires from the others', {});
        resolve();
      }, 1000);
    });
    const done = goodbye().catch((err: unknown) => this.warn('close', err));
    await Promise.race([done, timeout]);
    clearTimeout(timer);
  }

  private keyOf(id: string): string {
    return `${this.options.prefix}:presence:${id}`;
  }

  private statusOf(name: string): AgentStatus {
    let status: AgentStatus = this.local.connectedAgents()[name] ?? 'offline';
    if (status === 'online') return status;
    for (const remote of this.remotes.values()) {
      const s = remote.agents.get(name);
      if (s === 'online') return 'online';
      if (s === 'away') status = 'away';
    }
    return status;
  }

  private warn(what: string, err: unknown): void {
    // One line per 5 s at most while Redis is away.
    if (Date.now() - this.lastError < 5000) return;
    this.lastError = Date.now();
    this.options.logger.warn(`redis presence: ${what} failed; serving from local state`, { err });
  }

  private localAgentsChanged(): void {
    this.agentsDirty = true;
    this.schedule();
    this.seen = JSON.stringify(this.agents());
  }

  /** After a remote change: announces what it changed for this process's sockets. */
  private afterRemote(before: Set<string>): void {
    const now = JSON.stringify(this.agents());
    if (now !== this.seen) {
      this.seen = now;
      try {
        this.options.onAgentsChanged();
      } catch (err) {
        this.options.logger.error('presence broadcast failed', { err });
      }
    }
    const gone = [...before].filter((id) => !this.visitorOnline(id));
    if (gone.length > 0) {
      try {
        this.options.onVisitorsGone(gone);
      } catch (err) {
        this.options.logger.error('presence summary push failed', { err });
      }
    }
  }

  private remoteVisitors(): Set<string> {
    const all = new Set<string>();
    for (const remote of this.remotes.values()) for (const id of remote.visitors) all.add(id);
    return all;
  }

  private snapshot(): Snapshot {
    return { v: this.version, agents: this.local.connectedAgents(), visitors: this.local.connectedVisitors() };
  }

  private schedule(): void {
    if (this.closed || this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, 5);
  }

  private async flush(): Promise<void> {
    if (!this.agentsDirty && this.added.size === 0 && this.removed.size === 0 && !this.pendingStatus) return;
    const delta: Delta = { id: this.processId, v: ++this.version };
    if (this.agentsDirty) delta.agents = this.local.connectedAgents();
    if (this.added.size > 0) delta.added = [...this.added];
    if (this.removed.size > 0) delta.removed = [...this.removed];
    if (this.pendingStatus) delta.status = this.pendingStatus;
    this.agentsDirty = false;
    this.pendingStatus = undefined;
    this.added.clear();
    this.removed.clear();
    try {
      await this.options.pub.publish(this.channel, JSON.stringify(delta));
    } catch (err) {
      this.warn('publish', err);
    }
  }

  private async write(): Promise<void> {
    await this.flush();
    const now = Date.now();
    await this.options.pub
      .multi()
      .set(this.keyOf(this.processId), JSON.stringify(this.snapshot()), { PX: this.ttlMs })
      .zAdd(this.indexKey, { score: now, value: this.processId })
      // Ids not heard of for a minute: their keys expired long ago.
      .zRemRangeByScore(this.indexKey, '-inf', now - 60_000)
      // …and the index itself goes away a minute after the last process of this prefix.
      .pExpire(this.indexKey, 60_000)
      .exec();
  }

  private async read(): Promise<void> {
    const { pub } = this.options;
    const ids = (await pub.zRange(this.indexKey, 0, -1)).filter((id) => id !== this.processId);
    const values = ids.length > 0 ? await pub.mGet(ids.map((id) => this.keyOf(id))) : [];
    const before = this.remoteVisitors();
    const live = new Set<string>();
    ids.forEach((id, i) => {
      const raw = values[i];
      if (typeof raw !== 'string') return;
      live.add(id);
      let snap: Snapshot;
      try {
        snap = JSON.parse(raw) as Snapshot;
      } catch {
        return;
      }
      const known = this.remotes.get(id);
      if (known && known.v > snap.v) return;
      this.remotes.set(id, {
        v: snap.v,
        agents: new Map(Object.entries(snap.agents ?? {})),
        visitors: new Set(snap.visitors ?? []),
      });
    });
    if (Date.now() >= this.graceUntil) {
      for (const id of [...this.remotes.keys()]) if (!live.has(id)) this.remotes.delete(id);
    }
    this.afterRemote(before);
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.closed) return;
    this.ticking = true;
    try {
      await this.write();
      await this.read();
    } catch (err) {
      this.warn('heartbeat', err);
    } finally {
      this.ticking = false;
    }
  }

  // Back from an outage, Redis may have restarted and lost every key: write this process's at once, and give the
  // others time to reconnect (their next retry) and do the same before counting them as gone.
  private readonly onReconnected = () => {
    this.graceUntil = Date.now() + RECONNECT_MAX_MS + this.ttlMs;
    void this.tick();
  };

  private readonly onMessage = (raw: string) => {
    let delta: Delta;
    try {
      delta = JSON.parse(raw) as Delta;
    } catch {
      return;
    }
    if (this.closed || delta.id === this.processId || typeof delta.id !== 'string') return;
    const before = this.remoteVisitors();
    if (delta.gone) this.remotes.delete(delta.id);
    else this.apply(delta);
    this.afterRemote(before);
  };

  private apply(delta: Delta): void {
    let remote = this.remotes.get(delta.id);
    if (!remote) {
      remote = { v: 0, agents: new Map(), visitors: new Set() };
      this.remotes.set(delta.id, remote);
    }
    if (delta.v > remote.v) {
      remote.v = delta.v;
      if (delta.agents) remote.agents = new Map(Object.entries(delta.agents));
      for (const id of delta.added ?? []) remote.visitors.add(id);
      for (const id of delta.removed ?? []) remote.visitors.delete(id);
    }
    // Another process's console chose a status for this agent: it holds for this process's consoles too.
    if (delta.status && this.local.setAgentStatus(delta.status.name, delta.status.status)) {
      this.agentsDirty = true;
      this.schedule();
    }
  }
}
