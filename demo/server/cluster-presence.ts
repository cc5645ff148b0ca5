import { randomBytes } from 'node:crypto';
import type { AgentPresence, AgentStatus } from '../../src/protocol';
import type { Logger } from './log';
import { aggregateChanges, type Presence, visitorPresence } from './presence';
import type { RedisClient } from './redis';
import { RECONNECT_MAX_MS } from './redis-reconnect';

/**
 * Presence shared by several gateway processes through Redis, behind the same synchronous `Presence` interface: each
 * process answers from its own sockets plus a cached copy of every other live process's state.
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
  const { pub, sub, prefix, logger, agentNames } = options;
  const heartbeatMs = options.heartbeatMs ?? 2000;
  const ttlMs = options.ttlMs ?? heartbeatMs * 3;
  const processId = randomBytes(8).toString('hex');
  const indexKey = `${prefix}:presence`;
  const keyOf = (id: string) => `${prefix}:presence:${id}`;
  const channel = `${prefix}:presence:events`;

  const agents = new Map<string, { sockets: number; status: 'online' | 'away' }>();
  const visitors = new Map<string, number>();
  const typing = new Set<string>();
  const remotes = new Map<string, Remote>();
  let version = 0;
  let agentsDirty = false;
  let pendingStatus: Delta['status'];
  const added = new Set<string>();
  const removed = new Set<string>();
  let flushTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let ticking = false;
  let closed = false;
  /** Until then a process whose key is missing is kept: Redis may have restarted, empty, and it has not written yet. */
  let graceUntil = 0;
  let lastError = 0;

  const warn = (what: string, err: unknown) => {
    // One line per 5 s at most while Redis is away.
    if (Date.now() - lastError < 5000) return;
    lastError = Date.now();
    logger.warn(`redis presence: ${what} failed; serving from local state`, { err });
  };

  const statusOf = (name: string): AgentStatus => {
    let status: AgentStatus = agents.get(name)?.status ?? 'offline';
    if (status === 'online') return status;
    for (const remote of remotes.values()) {
      const s = remote.agents.get(name);
      if (s === 'online') return 'online';
      if (s === 'away') status = 'away';
    }
    return status;
  };
  const mergedAgents = (): AgentPresence[] => agentNames.map((name) => ({ name, status: statusOf(name) }));
  const aggregate = () => visitorPresence(mergedAgents());
  const visitorOnline = (conversationId: string): boolean => {
    if (visitors.has(conversationId)) return true;
    for (const remote of remotes.values()) if (remote.visitors.has(conversationId)) return true;
    return false;
  };

  /** The merged agents view as last seen, so remote changes are announced only when they change something. */
  let seen = JSON.stringify(mergedAgents());
  const noteLocal = () => {
    seen = JSON.stringify(mergedAgents());
  };
  const afterRemote = (before: Set<string>) => {
    const now = JSON.stringify(mergedAgents());
    if (now !== seen) {
      seen = now;
      try {
        options.onAgentsChanged();
      } catch (err) {
        logger.error('presence broadcast failed', { err });
      }
    }
    const gone = [...before].filter((id) => !visitorOnline(id));
    if (gone.length > 0) {
      try {
        options.onVisitorsGone(gone);
      } catch (err) {
        logger.error('presence summary push failed', { err });
      }
    }
  };
  const remoteVisitors = (): Set<string> => {
    const all = new Set<string>();
    for (const remote of remotes.values()) for (const id of remote.visitors) all.add(id);
    return all;
  };

  const localAgents = (): Record<string, 'online' | 'away'> =>
    Object.fromEntries([...agents].map(([name, entry]) => [name, entry.status]));
  const snapshot = (): Snapshot => ({ v: version, agents: localAgents(), visitors: [...visitors.keys()] });

  const schedule = () => {
    if (closed || flushTimer) return;
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      void flush();
    }, 5);
  };

  const flush = async () => {
    if (!agentsDirty && added.size === 0 && removed.size === 0 && !pendingStatus) return;
    const delta: Delta = { id: processId, v: ++version };
    if (agentsDirty) delta.agents = localAgents();
    if (added.size > 0) delta.added = [...added];
    if (removed.size > 0) delta.removed = [...removed];
    if (pendingStatus) delta.status = pendingStatus;
    agentsDirty = false;
    pendingStatus = undefined;
    added.clear();
    removed.clear();
    try {
      await pub.publish(channel, JSON.stringify(delta));
    } catch (err) {
      warn('publish', err);
    }
  };

  const write = async () => {
    await flush();
    const now = Date.now();
    await pub
      .multi()
      .set(keyOf(processId), JSON.stringify(snapshot()), { PX: ttlMs })
      .zAdd(indexKey, { score: now, value: processId })
      // Ids not heard of for a minute: their keys expired long ago.
      .zRemRangeByScore(indexKey, '-inf', now - 60_000)
      // …and the index itself goes away a minute after the last process of this prefix.
      .pExpire(indexKey, 60_000)
      .exec();
  };

  const read = async () => {
    const ids = (await pub.zRange(indexKey, 0, -1)).filter((id) => id !== processId);
    const values = ids.length > 0 ? await pub.mGet(ids.map(keyOf)) : [];
    const before = remoteVisitors();
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
      const known = remotes.get(id);
      if (known && known.v > snap.v) return;
      remotes.set(id, {
        v: snap.v,
        agents: new Map(Object.entries(snap.agents ?? {})),
        visitors: new Set(snap.visitors ?? []),
      });
    });
    if (Date.now() >= graceUntil) for (const id of [...remotes.keys()]) if (!live.has(id)) remotes.delete(id);
    afterRemote(before);
  };

  const tick = async () => {
    if (ticking || closed) return;
    ticking = true;
    try {
      await write();
      await read();
    } catch (err) {
      warn('heartbeat', err);
    } finally {
      ticking = false;
    }
  };

  // Back from an outage, Redis may have restarted and lost every key: write this process's at once, and give the
  // others time to reconnect (their next retry) and do the same before counting them as gone.
  const onReconnected = () => {
    graceUntil = Date.now() + RECONNECT_MAX_MS + ttlMs;
    void tick();
  };

  const onMessage = (raw: string) => {
    let delta: Delta;
    try {
      delta = JSON.parse(raw) as Delta;
    } catch {
      return;
    }
    if (closed || delta.id === processId || typeof delta.id !== 'string') return;
    const before = remoteVisitors();
    if (delta.gone) {
      remotes.delete(delta.id);
    } else {
      let remote = remotes.get(delta.id);
      if (!remote) {
        remote = { v: 0, agents: new Map(), visitors: new Set() };
        remotes.set(delta.id, remote);
      }
      if (delta.v > remote.v) {
        remote.v = delta.v;
        if (delta.agents) remote.agents = new Map(Object.entries(delta.agents));
        for (const id of delta.added ?? []) remote.visitors.add(id);
        for (const id of delta.removed ?? []) remote.visitors.delete(id);
      }
      // Another process's console chose a status for this agent: it holds for this process's consoles too.
      const status = delta.status;
      const entry = status && agents.get(status.name);
      if (status && entry && entry.status !== status.status) {
        entry.status = status.status;
        agentsDirty = true;
        schedule();
      }
    }
    afterRemote(before);
  };

  const presence: ClusterPresence = {
    processId,
    agents: mergedAgents,
    aggregate,
    takeAggregateChange: aggregateChanges(aggregate),
    agentConnected: (name) => {
      const entry = agents.get(name);
      if (entry) {
        entry.sockets++;
        return false;
      }
      // Signed in elsewhere already: keep the status the agent chose there.
      const elsewhere = statusOf(name);
      agents.set(name, { sockets: 1, status: elsewhere === 'away' ? 'away' : 'online' });
      agentsDirty = true;
      schedule();
      noteLocal();
      return true;
    },
    agentDisconnected: (name) => {
      const entry = agents.get(name);
      if (!entry) return false;
      if (--entry.sockets > 0) return false;
      agents.delete(name);
      agentsDirty = true;
      schedule();
      noteLocal();
      return true;
    },
    setAgentStatus: (name, status) => {
      const entry = agents.get(name);
      if (!entry || entry.status === status) return false;
      entry.status = status;
      agentsDirty = true;
      pendingStatus = { name, status };
      schedule();
      noteLocal();
      return true;
    },
    visitorConnected: (conversationId) => {
      const count = visitors.get(conversationId) ?? 0;
      visitors.set(conversationId, count + 1);
      if (count === 0) {
        if (!removed.delete(conversationId)) added.add(conversationId);
        schedule();
      }
      return count === 0;
    },
    visitorDisconnected: (conversationId) => {
      const count = (visitors.get(conversationId) ?? 1) - 1;
      if (count > 0) {
        visitors.set(conversationId, count);
        return false;
      }
      visitors.delete(conversationId);
      if (!added.delete(conversationId)) removed.add(conversationId);
      schedule();
      return true;
    },
    visitorOnline,
    // Typing is per process: the process holding the visitor's sockets clears it when the last one goes; receivers
    // expire a typing indicator by themselves after `LIMITS.typingExpiryMs`, so a process that dies leaves none behind.
    setVisitorTyping: (conversationId, value) => {
      if (typing.has(conversationId) === value) return false;
      if (value) typing.add(conversationId);
      else typing.delete(conversationId);
      return true;
    },
    start: async () => {
      await sub.subscribe(channel, onMessage);
      pub.on('ready', onReconnected);
      await tick();
      heartbeat = setInterval(() => void tick(), heartbeatMs);
      heartbeat.unref();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      pub.off('ready', onReconnected);
      clearInterval(heartbeat);
      clearTimeout(flushTimer);
      const goodbye = async () => {
        await pub.multi().del(keyOf(processId)).zRem(indexKey, processId).exec();
        await pub.publish(channel, JSON.stringify({ id: processId, v: ++version, gone: true } satisfies Delta));
        await sub.unsubscribe(channel, onMessage);
      };
      // Redis away: commands would wait for a reconnection; let the key expire instead of holding the shutdown.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          logger.warn('redis presence: could not say goodbye in time; this process expires from the others', {});
          resolve();
        }, 1000);
      });
      const done = goodbye().catch((err: unknown) => warn('close', err));
      await Promise.race([done, timeout]);
      clearTimeout(timer);
    },
  };
  return presence;
}
