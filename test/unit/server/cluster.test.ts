// @vitest-environment node
// Several gateways sharing Redis (adapter + presence) and PostgreSQL, in one test process. The Redis-backed part needs
// PARLEY_TEST_DATABASE_URL and PARLEY_TEST_REDIS_URL (.ci/run starts both) and is skipped, with the reason printed,
// without them.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ClusterPresence, createClusterPresence } from '../../../demo/server/cluster-presence';
import { readConfig } from '../../../demo/server/config';
import { createGateway } from '../../../demo/server/gateway';
import { silentLogger } from '../../../demo/server/log';
import { connectRedis, type RedisClients } from '../../../demo/server/redis';
import type { AgentPresence, ConversationSummary } from '../../../src/protocol';
import { clusterUnavailable, DATABASE_URL, REDIS_URL, startRedisProxy } from '../../support/cluster';
import { AGENTS, call, type Fixture, nextEvent, settle, startGateway } from '../../support/in-process-gateway';

const reason = await clusterUnavailable();
if (reason) console.warn(`Redis-backed cluster tests skipped: ${reason}`);

describe('cluster configuration', () => {
  const base = { PARLEY_AGENTS: 'Ana:ana-token-0123456789-abcd' };

  it('stays on SQLite alone without DATABASE_URL and REDIS_URL', () => {
    const config = readConfig(base);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.dbPath).toBe('./data/parley.db');
  });

  it('reads DATABASE_URL, PARLEY_DB_SCHEMA, REDIS_URL and PARLEY_REDIS_PREFIX', () => {
    const config = readConfig({
      ...base,
      DATABASE_URL: 'postgres://u:p@db:5432/parley',
      PARLEY_DB_SCHEMA: 'chat',
      REDIS_URL: 'redis://cache:6379',
      PARLEY_REDIS_PREFIX: 'acme-chat',
    });
    expect(config).toMatchObject({
      databaseUrl: 'postgres://u:p@db:5432/parley',
      dbSchema: 'chat',
      redisUrl: 'redis://cache:6379',
      redisPrefix: 'acme-chat',
    });
    // Postgres alone is one process on PostgreSQL.
    expect(readConfig({ ...base, DATABASE_URL: 'postgresql://db/parley' }).redisUrl).toBeUndefined();
  });

  it('refuses REDIS_URL without DATABASE_URL: processes cannot share a SQLite file', () => {
    expect(() => readConfig({ ...base, REDIS_URL: 'redis://cache:6379' })).toThrow(/cannot share a SQLite file/);
  });

  it('refuses malformed values, naming the variable', () => {
    expect(() => readConfig({ ...base, DATABASE_URL: 'mysql://db/x' })).toThrow(/DATABASE_URL/);
    expect(() => readConfig({ ...base, DATABASE_URL: 'postgres://db/x', REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
    expect(() => readConfig({ ...base, DATABASE_URL: 'postgres://db/x', PARLEY_DB_SCHEMA: 'Bad-Name' })).toThrow(
      /PARLEY_DB_SCHEMA/,
    );
    expect(() => readConfig({ ...base, PARLEY_REDIS_PREFIX: 'has space' })).toThrow(/PARLEY_REDIS_PREFIX/);
  });

  it('createGateway refuses redisUrl without databaseUrl', async () => {
    await expect(
      createGateway({ dbPath: '/nonexistent/x.db', agents: AGENTS, distDir: '/nonexistent', redisUrl: 'redis://x' }),
    ).rejects.toThrow(/DATABASE_URL/);
  });
});

describe.skipIf(reason !== undefined)('gateways sharing Redis and PostgreSQL', () => {
  const HEARTBEAT = 100;
  let schema: string;
  let prefix: string;
  let g1: Fixture;
  let g2: Fixture;
  const extra: { presence?: ClusterPresence; redis?: RedisClients }[] = [];

  const gateway = () =>
    startGateway({
      databaseUrl: DATABASE_URL!,
      dbSchema: schema,
      redisUrl: REDIS_URL!,
      redisPrefix: prefix,
      presenceHeartbeatMs: HEARTBEAT,
    });

  beforeEach(async () => {
    schema = `parley_unit_${randomBytes(4).toString('hex')}`;
    prefix = `parley-unit-${randomBytes(4).toString('hex')}`;
    g1 = await gateway();
    g2 = await gateway();
    expect(g1.gateway.mode).toEqual({ storage: 'postgres', fanOut: 'redis' });
  });

  afterEach(async () => {
    for (const { presence, redis } of extra.splice(0)) {
      await presence?.close();
      await redis?.close();
    }
    await g1.stop();
    await g2.stop();
    const db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
  });

  it('messages, typing, presence and visitor online cross processes', async () => {
    const visitor = await g1.chatting();
    const { conversationId } = visitor;
    expect(visitor.welcome.presence).toBe('offline');

    const online = nextEvent<{ agents: string }>(visitor.socket, 'presence');
    const agent = await g2.agent();
    // The agent signed in on g2 is named to the visitor on g1.
    expect(await online).toEqual({ agents: 'online', agent: 'Ana' });

    const list = await call(agent.socket, 'list', {});
    expect(list.conversations.map((c: ConversationSummary) => [c.id, c.visitor.online])).toEqual([
      [conversationId, true],
    ]);

    const message = nextEvent<{ text: string }>(agent.socket, 'message');
    expect((await call(visitor.socket, 'send', { clientId: 'client-0001', text: 'from g1' })).ok).toBe(true);
    expect((await message).text).toBe('from g1');

    const typing = nextEvent<{ name: string; typing: boolean }>(visitor.socket, 'typing');
    await call(agent.socket, 'typing', { conversationId, typing: true });
    expect(await typing).toEqual({ name: 'Ana', typing: true });

    const reply = nextEvent<{ text: string }>(visitor.socket, 'message');
    await call(agent.socket, 'send', { conversationId, clientId: 'agent-0001', text: 'from g2' });
    expect((await reply).text).toBe('from g2');

    const away = nextEvent<{ agents: string }>(visitor.socket, 'presence');
    await call(agent.socket, 'presence', { status: 'away' });
    expect((await away).agents).toBe('away');

    // The visitor leaves g1: g1 pushes the summary to every agent, g2's included.
    const offline = nextEvent<ConversationSummary>(agent.socket, 'conversation', (c) => !c.visitor.online);
    visitor.socket.close();
    expect((await offline).id).toBe(conversationId);
  });

  it('each presence change reaches every socket once', async () => {
    const visitor = await g1.visitor();
    const seen: string[] = [];
    visitor.socket.on('presence', ({ agents }: { agents: string }) => seen.push(agents));
    const agent = await g2.agent();
    await nextEvent(visitor.socket, 'presence');
    await call(agent.socket, 'presence', { status: 'away' });
    await nextEvent(visitor.socket, 'presence');
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT * 4));
    await settle(visitor.socket);
    expect(seen).toEqual(['online', 'away']);
  });

  it('a process that stops beating (killed) is dropped: its agents go offline, its visitors too', async () => {
    const visitor = await g1.visitor();
    const gone = await g1.chatting();
    const { conversationId } = gone;
    gone.socket.close();
    const observer = await g1.agent(AGENTS[0]!.token);
    await call(observer.socket, 'presence', { status: 'away' });
    await nextEvent(visitor.socket, 'presence', (p: { agents: string }) => p.agents === 'away');

    // A third "process": its own Redis clients and presence, with Ben online and the second visitor connected.
    const redis = await connectRedis(REDIS_URL!, silentLogger);
    const presence = createClusterPresence({
      agentNames: AGENTS.map((a) => a.name),
      pub: redis.pub,
      sub: redis.sub,
      prefix,
      logger: silentLogger,
      heartbeatMs: HEARTBEAT,
      onAgentsChanged: () => {},
      onVisitorsGone: () => {},
    });
    extra.push({ presence, redis });
    await presence.start();
    const online = nextEvent<{ agents: string }>(visitor.socket, 'presence');
    const benOnline = nextEvent<{ agents: AgentPresence[] }>(observer.socket, 'agents', ({ agents }) =>
      agents.some((a) => a.name === 'Ben' && a.status === 'online'),
    );
    presence.agentConnected('Ben');
    presence.visitorConnected(conversationId);
    expect((await online).agents).toBe('online');
    await benOnline;
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT * 2));
    const listed = await call(observer.socket, 'list', {});
    expect(listed.conversations.find((c: ConversationSummary) => c.id === conversationId).visitor.online).toBe(true);

    // It dies without a word: no more heartbeats, its key expires after 3 beats.
    const diedAt = Date.now();
    redis.pub.destroy();
    redis.sub.destroy();
    const away = nextEvent<{ agents: string }>(visitor.socket, 'presence', () => true, 3000);
    const benOffline = nextEvent<{ agents: AgentPresence[] }>(
      observer.socket,
      'agents',
      ({ agents }) => agents.find((a) => a.name === 'Ben')?.status === 'offline',
      3000,
    );
    const summary = nextEvent<ConversationSummary>(
      observer.socket,
      'conversation',
      (c) => c.id === conversationId && !c.visitor.online,
      3000,
    );
    expect((await away).agents).toBe('away');
    await benOffline;
    await summary;
    expect(Date.now() - diedAt).toBeLessThan(HEARTBEAT * 3 + 1000);
  });

  it('a process that stops cleanly tells the others at once', async () => {
    const visitor = await g1.visitor();
    const agent = await g2.agent();
    await nextEvent(visitor.socket, 'presence', (p: { agents: string }) => p.agents === 'online');
    void agent;
    const offline = nextEvent<{ agents: string }>(visitor.socket, 'presence', () => true, HEARTBEAT * 2);
    await g2.gateway.close();
    expect((await offline).agents).toBe('offline');
  });

  it('Redis going away briefly: the gateway keeps serving its own sockets, then fans out again', async () => {
    const proxy = await startRedisProxy(REDIS_URL!);
    const g3 = await startGateway({
      databaseUrl: DATABASE_URL!,
      dbSchema: schema,
      redisUrl: proxy.url,
      redisPrefix: prefix,
      presenceHeartbeatMs: HEARTBEAT,
    });
    try {
      const visitor = await g3.visitor();
      const local = await g3.agent();
      const remote = await g1.agent(AGENTS[1]!.token);
      const first = nextEvent<{ text: string }>(remote.socket, 'message');
      await call(visitor.socket, 'send', { clientId: 'before-cut', text: 'before' });
      expect((await first).text).toBe('before');

      proxy.refusing = true;
      proxy.cut();
      const during = nextEvent<{ text: string }>(local.socket, 'message');
      const sent = await call(visitor.socket, 'send', { clientId: 'during-cut', text: 'during' });
      expect(sent.ok).toBe(true);
      expect((await during).text).toBe('during');
      expect((await call(local.socket, 'list', {})).conversations).toHaveLength(1);

      proxy.refusing = false;
      // Fan-out resumes once node-redis has reconnected.
      const after = nextEvent<{ text: string }>(remote.socket, 'message', (m) => m.text === 'after', 5000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await call(visitor.socket, 'send', { clientId: 'after-cut', text: 'after' });
      await after;
    } finally {
      await g3.stop();
      await proxy.close();
    }
  });
});
