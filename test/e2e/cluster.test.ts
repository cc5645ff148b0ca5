// Two (then three) gateway processes sharing Redis (Socket.IO's Redis adapter, presence) and PostgreSQL, behind a tiny
// TCP load balancer. Needs PARLEY_TEST_DATABASE_URL and PARLEY_TEST_REDIS_URL (.ci/run starts both); skipped otherwise.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import type { BrowserContext } from 'playwright';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentPresence } from '../../src/protocol';
import { clusterUnavailable, DATABASE_URL, REDIS_URL } from '../support/cluster';
import { AGENTS, connectAgent, type RunningGateway, startGateway } from '../support/gateway';
import { type Agent, openAgent, openVisitor, type Visitor } from '../support/pages';
import { e2e } from '../support/suite';

const reason = await clusterUnavailable();
if (reason) console.warn(`cluster e2e tests skipped: ${reason}`);

/** Forwards each TCP connection to the first target that accepts it; `down` refuses everything (an outage). */
interface Balancer {
  url: string;
  down: boolean;
  close(): Promise<void>;
}

async function startBalancer(targets: () => number[]): Promise<Balancer> {
  const open = new Set<net.Socket>();
  const balancer = { down: false } as Balancer;
  const server = net.createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => {});
    if (balancer.down) return client.destroy();
    const ports = targets();
    const attempt = (i: number) => {
      if (i >= ports.length || client.destroyed) return client.destroy();
      const upstream = net.connect(ports[i]!, '127.0.0.1');
      open.add(upstream);
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        client.pipe(upstream);
        upstream.pipe(client);
      });
      upstream.on('error', () => {
        if (!connected) attempt(i + 1);
      });
      upstream.on('close', () => {
        open.delete(upstream);
        if (connected) client.destroy();
      });
      client.on('close', () => upstream.destroy());
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  balancer.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  balancer.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of open) socket.destroy();
      server.close(() => resolve());
    });
  return balancer;
}

async function health(gateway: RunningGateway): Promise<{ visitors: number; agents: number }> {
  return (await fetch(`${gateway.url}/healthz`)).json() as Promise<{ visitors: number; agents: number }>;
}

describe.skipIf(reason !== undefined)('several gateway processes sharing Redis and PostgreSQL', () => {
  const t = e2e({ gatewayPerTest: false });
  const schema = `parley_cluster_${randomBytes(4).toString('hex')}`;
  const env = {
    DATABASE_URL: DATABASE_URL ?? '',
    PARLEY_DB_SCHEMA: schema,
    REDIS_URL: REDIS_URL ?? '',
    PARLEY_REDIS_PREFIX: `parley-test-${randomBytes(4).toString('hex')}`,
    PARLEY_LOG_LEVEL: 'warn',
  };
  const gateways: RunningGateway[] = [];
  const sockets: Socket[] = [];
  // The suite closes its contexts after every test; these live for the whole file.
  const contexts: BrowserContext[] = [];
  const context = async () => {
    const ctx = await t.browser.newContext();
    contexts.push(ctx);
    return ctx;
  };
  let a: RunningGateway;
  let b: RunningGateway;
  let lb: Balancer;
  let visitor: Visitor;
  let agent: Agent;

  beforeAll(async () => {
    a = await startGateway({ env });
    b = await startGateway({ env });
    gateways.push(a, b);
    // Prefer A while it accepts connections, then B.
    lb = await startBalancer(() => [a.port, b.port]);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all(contexts.map((ctx) => ctx.close()));
    await lb?.close();
    await Promise.all(gateways.map((gw) => gw.stop('SIGKILL')));
    const db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
  });

  it('both processes report PostgreSQL storage and Redis fan-out', () => {
    for (const gw of [a, b]) expect(gw.output()).toMatch(/Storage: PostgreSQL .*fan-out: Redis/);
  });

  it('visitor on A and agent on B: messages, typing and presence cross both ways', async () => {
    visitor = await openVisitor(await context(), lb.url);
    await expect.poll(() => health(a)).toMatchObject({ visitors: 1 });
    await expect.poll(() => health(b)).toMatchObject({ visitors: 0 });
    await visitor.panel.getByText("Away. Leave a message and we'll reply soon").waitFor();

    await visitor.send('Hello from A');
    await visitor.waitSent(1);

    agent = await openAgent(await context(), b.url, 'Ana');
    await expect.poll(() => health(b)).toMatchObject({ agents: 1 });
    // Presence: an agent signing in on B makes the visitor on A see them online, by name.
    await visitor.panel.getByText('Ana usually replies in a few minutes').waitFor();
    await agent.open('Hello from A');
    await expect.poll(() => agent.messages()).toEqual([expect.stringContaining('Hello from A')]);

    // Agent typing on B reaches the widget on A; the reply too.
    await agent.reply.pressSequentially('Let me');
    const agentTyping = visitor.panel.getByText('Ana is typing…');
    await agentTyping.first().waitFor();
    await agent.reply.fill('Reply from B');
    await agent.reply.press('Enter');
    await visitor.log.getByText('Reply from B').waitFor();
    await expect.poll(() => agentTyping.count()).toBe(0);

    // Visitor typing on A reaches the console on B, then the message.
    await visitor.composer.pressSequentially('Second from A');
    const visitorTyping = agent.page.getByText('Visitor is typing…');
    await visitorTyping.waitFor();
    await visitor.composer.press('Enter');
    await agent.log.getByText('Second from A').waitFor();
    await expect.poll(() => visitorTyping.count()).toBe(0);

    // The agent goes away on B (through a second connection of Ana's): the visitor on A sees it, and back.
    const observer = await connectAgent(b.url, AGENTS.Ana);
    sockets.push(observer);
    observer.emit('presence', { status: 'away' });
    await visitor.panel.getByText('Usually replies in a few minutes', { exact: true }).waitFor();
    observer.emit('presence', { status: 'online' });
    await visitor.panel.getByText('Ana usually replies in a few minutes').waitFor();
    observer.close();
    expect(await visitor.bubbles()).toEqual(['Hello from A', 'Reply from B', 'Second from A']);
  });

  it('kill -9 A: the visitor reconnects through the balancer to B and catches up, nothing lost or doubled', async () => {
    lb.down = true;
    await a.stop('SIGKILL');
    await visitor.panel
      .getByText(/Connecting…|You're offline/)
      .first()
      .waitFor({ timeout: 10_000 });

    // While the visitor is cut off: two agent replies, and two visitor messages queued in the outbox.
    await agent.send('Reply during outage 1');
    await agent.log.getByText('Reply during outage 1').waitFor();
    await agent.send('Reply during outage 2');
    await agent.log.getByText('Reply during outage 2').waitFor();
    await visitor.send('Queued 1');
    await visitor.send('Queued 2');
    await visitor.log.getByText('Queued 2').waitFor();
    // Still cut off: nothing went either way yet.
    expect(await visitor.log.locator('li.visitor.sent').count()).toBe(2);
    expect(await visitor.bubbles()).not.toContain('Reply during outage 1');

    lb.down = false;
    await visitor.waitSent(4);
    await agent.log.getByText('Queued 2').waitFor();
    await expect.poll(() => health(b)).toMatchObject({ visitors: 1 });

    const expected = [
      'Hello from A',
      'Reply from B',
      'Second from A',
      'Reply during outage 1',
      'Reply during outage 2',
      'Queued 1',
      'Queued 2',
    ];
    await expect.poll(() => visitor.bubbles()).toEqual(expected);
    // Exactly once and in order, as stored: read back through an agent socket on B.
    const check = await connectAgent(b.url, AGENTS.Ben);
    sockets.push(check);
    const listed = await check.emitWithAck('list', {});
    expect(listed.ok).toBe(true);
    expect(listed.conversations).toHaveLength(1);
    const opened = await check.emitWithAck('open', { conversationId: listed.conversations[0].id });
    expect(opened.messages.map((m: { text: string }) => m.text)).toEqual(expected);
    expect(opened.messages.map((m: { seq: number }) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(opened.conversation.visitor.online).toBe(true);
    check.close();
    // The console shows each message once, too.
    await expect.poll(async () => (await agent.messages()).length).toBe(expected.length);
  });

  it('a process that dies with an agent connected: the others drop that agent within seconds', async () => {
    // Ana (console on B) goes away; Ben signs in on a third process C, so visitors see him online.
    const ana = await connectAgent(b.url, AGENTS.Ana);
    sockets.push(ana);
    ana.emit('presence', { status: 'away' });
    await visitor.panel.getByText('Usually replies in a few minutes', { exact: true }).waitFor();

    const c = await startGateway({ env });
    gateways.push(c);
    const ben = await connectAgent(c.url, AGENTS.Ben);
    sockets.push(ben);
    await visitor.panel.getByText('Ben usually replies in a few minutes').waitFor();
    const seen: AgentPresence[][] = [];
    ana.on('agents', ({ agents }: { agents: AgentPresence[] }) => seen.push(agents));

    const killedAt = Date.now();
    await c.stop('SIGKILL');
    await visitor.panel.getByText('Usually replies in a few minutes', { exact: true }).waitFor({ timeout: 12_000 });
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    await expect
      .poll(() => seen.at(-1))
      .toEqual([
        { name: 'Ana', status: 'away' },
        { name: 'Ben', status: 'offline' },
      ]);
  });
});
