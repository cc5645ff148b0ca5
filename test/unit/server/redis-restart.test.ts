// @vitest-environment node
// Two gateways on PostgreSQL and a Redis server of this test's own, which it stops for 3 s and starts again (empty: no
// persistence, as in CI) while visitors on one gateway and an agent on the other keep talking. Pub/sub drops what is
// published while a connection is down; the gateways must then tell their clients to catch up (`resync`), so every
// acknowledged message still reaches every live client. Skipped, with the reason printed, without PostgreSQL
// (PARLEY_TEST_DATABASE_URL) or a `redis-server` binary.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationSummary, Message } from '../../../src/protocol';
import {
  DATABASE_URL,
  databaseUnavailable,
  type PrivateRedis,
  privateRedisUnavailable,
  startPrivateRedis,
  startRedisProxy,
} from '../../support/cluster';
import { call, type Fixture, sleep, startGateway } from '../../support/in-process-gateway';

const reason = (await databaseUnavailable()) ?? privateRedisUnavailable();
if (reason) console.warn(`Redis restart test skipped: ${reason}`);

/** What a client holds of one conversation, merged by seq as the widget and the console do. */
class Held {
  readonly bySeq = new Map<number, Message>();
  /** The same message delivered live twice: a fan-out bug, whatever the client does with it. */
  liveRepeats = 0;
  private readonly live = new Set<string>();

  add(messages: readonly Message[], live = false): void {
    for (const m of messages) {
      if (live && this.live.has(m.id)) this.liveRepeats++;
      if (live) this.live.add(m.id);
      this.bySeq.set(m.seq, m);
    }
  }

  /** Every message up to this seq is held. */
  contiguous(): number {
    let seq = 0;
    while (this.bySeq.has(seq + 1)) seq++;
    return seq;
  }
}

interface VisitorClient {
  socket: Socket;
  conversationId: string;
  held: Held;
  presence: string[];
}

/** A visitor that answers `resync` as the widget does: `history` after the last seq it holds in a row. */
function trackVisitor(socket: Socket, conversationId: string): VisitorClient {
  const client = { socket, conversationId, held: new Held(), presence: [] as string[] };
  socket.on('message', (m: Message) => client.held.add([m], true));
  socket.on('presence', ({ agents }: { agents: string }) => client.presence.push(agents));
  socket.on('resync', async () => {
    for (;;) {
      const page = await call(socket, 'history', { afterSeq: client.held.contiguous() });
      if (!page.ok) return;
      client.held.add(page.messages);
      if (!page.more) return;
    }
  });
  return client;
}

/** An agent that answers `resync` as the console does: `list`, then `open` after what it holds of each conversation. */
function trackAgent(socket: Socket): Map<string, Held> {
  const held = new Map<string, Held>();
  const of = (id: string) => held.get(id) ?? held.set(id, new Held()).get(id)!;
  socket.on('message', (m: Message) => of(m.conversationId).add([m], true));
  socket.on('resync', async () => {
    const list = await call(socket, 'list', { status: 'all' });
    for (const c of list.conversations as ConversationSummary[]) {
      while (c.lastSeq > of(c.id).contiguous()) {
        const page = await call(socket, 'open', { conversationId: c.id, afterSeq: of(c.id).contiguous() });
        if (!page.ok || page.messages.length === 0) break;
        of(c.id).add(page.messages);
      }
    }
  });
  return held;
}

describe.skipIf(reason !== undefined)('a Redis restart under live traffic', () => {
  let redis: PrivateRedis | undefined;
  const gateways: Fixture[] = [];
  const closers: (() => Promise<void>)[] = [];
  const schema = `parley_unit_${randomBytes(4).toString('hex')}`;

  afterEach(async () => {
    for (const g of gateways.splice(0)) await g.stop();
    for (const close of closers.splice(0)) await close();
    await redis?.stop();
    const db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
  });

  /** A gateway on the test's PostgreSQL schema and Redis prefix, reaching Redis at `redisUrl`. */
  const prefix = `parley-unit-${randomBytes(4).toString('hex')}`;
  const gateway = async (redisUrl: string) => {
    const g = await startGateway({
      databaseUrl: DATABASE_URL!,
      dbSchema: schema,
      redisUrl,
      redisPrefix: prefix,
      // Keys live 3 s: a loaded machine's event loop lag must not expire them before the test restarts anything.
      presenceHeartbeatMs: 1000,
      // Every client of this test shares one address; the limits are not what is tested here.
      rateLimit: false,
      limits: { session: false, ip: false },
    });
    gateways.push(g);
    return g;
  };
  /** A Redis server of the test's own, and a proxy to it that can cut a gateway off alone. */
  const redisWithProxy = async () => {
    redis = await startPrivateRedis();
    const proxy = await startRedisProxy(redis.url);
    closers.push(proxy.close);
    return { redis, proxy };
  };

  it('every acknowledged message reaches every live client on the other gateway, once', async () => {
    // B reaches Redis through the proxy, which lets it back in later than A, as processes on their own retry schedules
    // do.
    const { redis, proxy } = await redisWithProxy();
    const a = await gateway(redis.url);
    const b = await gateway(proxy.url);

    const agentSocket = (await b.agent()).socket;
    const agentHeld = trackAgent(agentSocket);
    const offline: string[] = [];
    agentSocket.on('conversation', (c: ConversationSummary) => c.visitor.online || offline.push(c.id));
    const visitors: VisitorClient[] = [];
    for (let i = 0; i < 20; i++) {
      const { socket, conversationId } = await a.chatting();
      visitors.push(trackVisitor(socket, conversationId));
    }
    const disconnects: string[] = [];
    for (const s of [agentSocket, ...visitors.map((v) => v.socket)]) s.on('disconnect', (r) => disconnects.push(r));

    // Traffic for 8 s: each visitor sends every 200 ms (100 messages/s in all), the agent replies 10 times a second
    // round the conversations. Redis stops after 2 s and is back 3 s later; B gets in 1.5 s after that.
    const acked = { visitor: [] as Message[], agent: [] as Message[] };
    let running = true;
    const visitorLoop = async (v: VisitorClient, n: number) => {
      await sleep(n * 10);
      for (let i = 0; running; i++) {
        const ack = await call(v.socket, 'send', {
          clientId: `v${n}-${i}-${randomBytes(3).toString('hex')}`,
          text: `v${n} #${i}`,
        });
        if (ack.ok) {
          acked.visitor.push(ack.message);
          v.held.add([ack.message]);
        }
        await sleep(200);
      }
    };
    const agentLoop = async () => {
      for (let i = 0; running; i++) {
        const v = visitors[i % visitors.length]!;
        const ack = await call(agentSocket, 'send', {
          conversationId: v.conversationId,
          clientId: `agent-${i}-${randomBytes(3).toString('hex')}`,
          text: `reply #${i}`,
        });
        if (ack.ok) acked.agent.push(ack.message);
        await sleep(100);
      }
    };
    const traffic = Promise.all([...visitors.map(visitorLoop), agentLoop()]);
    await sleep(2000);
    proxy.refusing = true;
    await redis.stop();
    await sleep(3000);
    await redis.start();
    await sleep(1500);
    proxy.refusing = false;
    await sleep(1500);
    running = false;
    await traffic;

    const missing = () => ({
      byAgent: acked.visitor.filter((m) => agentHeld.get(m.conversationId)?.bySeq.get(m.seq)?.id !== m.id),
      byVisitors: acked.agent.filter(
        (m) => visitors.find((v) => v.conversationId === m.conversationId)!.held.bySeq.get(m.seq)?.id !== m.id,
      ),
    });
    for (let deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(100)) {
      const now = missing();
      if (now.byAgent.length === 0 && now.byVisitors.length === 0) break;
    }
    const left = missing();
    expect(acked.visitor.length).toBeGreaterThan(200);
    expect(acked.agent.length).toBeGreaterThan(20);
    expect({ byAgent: left.byAgent.length, byVisitors: left.byVisitors.length }).toEqual({ byAgent: 0, byVisitors: 0 });
    expect(disconnects).toEqual([]);
    const repeats = [...agentHeld.values(), ...visitors.map((v) => v.held)].reduce((n, h) => n + h.liveRepeats, 0);
    expect(repeats).toBe(0);

    // Presence is back too (Redis lost every key; each gateway wrote its own again), and never flapped meanwhile: the
    // agent on B never looked gone to the visitors on A, nor A's visitors to the agent.
    const list = await call(agentSocket, 'list', { status: 'all' });
    expect(list.conversations.filter((c: ConversationSummary) => !c.visitor.online)).toEqual([]);
    expect(visitors.flatMap((v) => v.presence)).toEqual([]);
    expect(offline).toEqual([]);
  }, 60_000);

  it("a gateway cut off alone: the other gateway's clients catch up when it is back", async () => {
    // A reaches Redis through the proxy; B's subscription never drops, so only A's word can tell B's clients that A's
    // broadcasts were lost meanwhile.
    const { redis, proxy } = await redisWithProxy();
    const a = await gateway(proxy.url);
    const b = await gateway(redis.url);
    const agentSocket = (await b.agent()).socket;
    const agentHeld = trackAgent(agentSocket);
    let resyncs = 0;
    agentSocket.on('resync', () => resyncs++);
    const { socket } = await a.visitor();
    const first = await call(socket, 'send', { clientId: 'client-0000', text: 'before' });
    const { conversationId } = first.message;
    await expect.poll(() => agentHeld.get(conversationId)?.bySeq.size).toBe(1);

    proxy.refusing = true;
    proxy.cut();
    const during: Message[] = [];
    for (let i = 1; i <= 5; i++)
      during.push((await call(socket, 'send', { clientId: `client-000${i}`, text: `${i}` })).message);
    await sleep(300);
    proxy.refusing = false;

    const held = () => [...(agentHeld.get(conversationId)?.bySeq.values() ?? [])].map((m) => m.id);
    await expect.poll(held, { timeout: 10_000 }).toEqual([first.message, ...during].map((m) => m.id));
    expect(resyncs).toBeGreaterThan(0);
    expect(agentHeld.get(conversationId)!.liveRepeats).toBe(0);
  });
});
