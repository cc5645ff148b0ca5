// @vitest-environment node
import Database from 'better-sqlite3';
import { io, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../demo/server/log';
import { hashToken } from '../../../demo/server/sessions';
import { LIMITS, type Message, type VisitorWelcome } from '../../../src/protocol';
import {
  AGENTS,
  call,
  collect,
  type Fixture,
  manualClock,
  nextEvent,
  settle,
  sleep,
  startGateway,
} from '../../support/in-process-gateway';

/**
 * The gateway's abuse limits and authorization rules, each proved over real sockets: rate limits per socket, per
 * session and per address; the cap on connections per address; the gateway-wide cap on handshakes per second; the
 * payload size limit; origins, agent tokens and their brute-force throttle; conversation ownership (no IDOR); and
 * reconnections that always go through the handshake checks.
 */

let fx: Fixture;
beforeEach(async () => {
  fx = await startGateway();
});
afterEach(async () => {
  await fx.stop();
});

/** Options of a client whose trusted proxy says it comes from `address`. */
const from = (address: string) => ({ extraHeaders: { 'x-forwarded-for': address } });

/** A polling handshake: opens a bare Engine.IO connection, as the first request of any client does. */
async function engineHandshake(origin?: string): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${fx.url}/socket.io/?EIO=4&transport=polling`, {
    headers: origin ? { origin } : {},
  });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - started };
}

describe('rate limits', () => {
  it('limits one visitor session across all its tabs, and no other session', async () => {
    const clock = manualClock();
    await fx.restart({ now: clock.now, limits: { socket: false, ip: false, session: { burst: 6, perSecond: 1 } } });
    const tab1 = await fx.visitor();
    const tab2 = await fx.visitor({ session: tab1.welcome.session! });
    const other = await fx.visitor();
    const acks = [];
    for (let i = 0; i < 4; i++) acks.push(await call(tab1.socket, 'typing', { typing: true }));
    for (let i = 0; i < 4; i++) acks.push(await call(tab2.socket, 'typing', { typing: false }));
    expect(acks.map((a) => a.ok)).toEqual([true, true, true, true, true, true, false, false]);
    expect(acks.at(-1)).toEqual({
      ok: false,
      code: 'rate_limited',
      message: 'too many events in this chat session; slow down and retry',
    });
    // A refused send stores nothing.
    expect(await call(tab1.socket, 'send', { clientId: 'refused-send-1', text: 'flood' })).toMatchObject({
      code: 'rate_limited',
    });
    // Another visitor's budget is untouched.
    expect(await call(other.socket, 'typing', { typing: true })).toEqual({ ok: true });
    // The bucket refills at 1 per second.
    clock.advance(1000);
    expect(await call(tab2.socket, 'history', { afterSeq: 0 })).toMatchObject({ ok: true, messages: [] });
  });

  it('limits events and handshakes per client address, across sessions and namespaces', async () => {
    // The limiter's clock stands still, so no token comes back however slowly this machine runs the test.
    await fx.restart({
      now: manualClock().now,
      trustProxy: 1,
      limits: { socket: false, session: false, ip: { burst: 8, perSecond: 0.5 } },
    });
    // Two handshakes spend 2 of the 8 tokens.
    const a = await fx.visitor({}, from('203.0.113.7'));
    const b = await fx.visitor({}, from('203.0.113.7'));
    const acks = [];
    for (let i = 0; i < 4; i++) acks.push(await call(a.socket, 'typing', { typing: true }));
    for (let i = 0; i < 4; i++) acks.push(await call(b.socket, 'typing', { typing: true }));
    expect(acks.filter((ack) => ack.ok)).toHaveLength(6);
    expect(acks.at(-1)).toEqual({
      ok: false,
      code: 'rate_limited',
      message: 'too many events from your network; retry later',
    });
    // A further handshake from there, on either namespace, is refused too, before any session or token work.
    const visitor = await fx.refused('/visitor', { auth: { v: 1, site: 'acme' }, ...from('203.0.113.7') });
    expect(visitor.data).toEqual({
      code: 'rate_limited',
      message: 'too many connection attempts from your network; retry later',
    });
    const agent = await fx.refused('/agent', { auth: { token: AGENTS[0]!.token }, ...from('203.0.113.7') });
    expect(agent.data?.code).toBe('rate_limited');
    // Another address is not affected.
    const c = await fx.visitor({}, from('198.51.100.20'));
    expect(await call(c.socket, 'typing', { typing: true })).toEqual({ ok: true });
  });

  it('counts X-Forwarded-For only behind a trusted proxy, and then the entry the proxy appended', async () => {
    // Untrusted (the default): two claimed addresses are one peer, 127.0.0.1.
    await fx.restart({
      now: manualClock().now,
      limits: { socket: false, session: false, ip: { burst: 3, perSecond: 0.1 } },
    });
    const a = await fx.visitor({}, from('10.0.0.1'));
    await fx.visitor({}, from('10.0.0.2'));
    expect(await call(a.socket, 'typing', { typing: true })).toEqual({ ok: true });
    expect(await call(a.socket, 'typing', { typing: true })).toMatchObject({ code: 'rate_limited' });

    // One trusted proxy: a client cannot pick its address by writing its own X-Forwarded-For entries first.
    await fx.restart({
      now: manualClock().now,
      trustProxy: 1,
      limits: { socket: false, session: false, ip: { burst: 2, perSecond: 0.1 } },
    });
    await fx.visitor({}, from('1.1.1.1, 192.0.2.9'));
    await fx.visitor({}, from('2.2.2.2, 192.0.2.9'));
    const third = await fx.refused('/visitor', { auth: { v: 1, site: 'acme' }, ...from('3.3.3.3, 192.0.2.9') });
    expect(third.data?.code).toBe('rate_limited');
    expect((await fx.visitor({}, from('192.0.2.10'))).welcome.session).toBeTruthy();
  });

  it('limits each agent socket', async () => {
    await fx.restart({ now: manualClock().now, limits: { socket: { burst: 3, perSecond: 0.5 } } });
    const agent = await fx.agent();
    const acks = [];
    for (let i = 0; i < 5; i++) acks.push(await call(agent.socket, 'list', {}));
    expect(acks.map((a) => a.ok)).toEqual([true, true, true, false, false]);
    expect(acks[4]).toEqual({
      ok: false,
      code: 'rate_limited',
      message: 'too many events from this connection; slow down and retry',
    });
    expect(await call(agent.socket, 'no-such-event', {})).toMatchObject({ code: 'rate_limited' });
  });

  it('slows a flood down without losing a message: the widget’s retry drains it exactly once and in order', async () => {
    await fx.restart({ limits: { socket: { burst: 10, perSecond: 40 }, session: { burst: 10, perSecond: 40 } } });
    const { socket, welcome } = await fx.visitor();
    const { DELIVERY } = await import('../../../src/app/chat');
    const texts = Array.from({ length: 50 }, (_, i) => `queued ${i}`);
    let refusals = 0;
    // The widget's drain loop (src/app/chat.ts): one message in flight, jittered backoff after a refusal.
    for (let i = 0, attempt = 0; i < texts.length; ) {
      const ack = await call(socket, 'send', { clientId: `outbox-${String(i).padStart(4, '0')}`, text: texts[i] });
      if (ack.ok) {
        i++;
        attempt = 0;
      } else {
        expect(ack.code).toBe('rate_limited');
        refusals++;
        await sleep(Math.random() * Math.min(DELIVERY.retryMaxMs, DELIVERY.retryBaseMs * 2 ** attempt++));
      }
    }
    expect(refusals).toBeGreaterThan(0);
    const back = await fx.visitor({ session: welcome.session! });
    expect(back.welcome.messages.map((m) => [m.seq, m.text])).toEqual(texts.map((t, i) => [i + 1, t]));
  });
});

describe('connections per address', () => {
  it('refuses the connection over the cap with too_many_connections, on both namespaces, and frees slots', async () => {
    await fx.restart({ trustProxy: 1, limits: { connectionsPerIp: 3 } });
    const open = [];
    for (let i = 0; i < 2; i++) open.push(await fx.visitor({}, from('203.0.113.50')));
    const agent = io(`${fx.url}/agent`, {
      auth: { token: AGENTS[0]!.token },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      ...from('203.0.113.50'),
    });
    await nextEvent(agent, 'welcome');

    const refusedVisitor = await fx.refused('/visitor', { auth: { v: 1, site: 'acme' }, ...from('203.0.113.50') });
    expect(refusedVisitor.data).toEqual({
      code: 'too_many_connections',
      message: 'too many open connections from your network (at most 3); close a tab or retry later',
    });
    const refusedAgent = await fx.refused('/agent', { auth: { token: AGENTS[1]!.token }, ...from('203.0.113.50') });
    expect(refusedAgent.data?.code).toBe('too_many_connections');
    // Other addresses are not affected.
    await fx.visitor({}, from('203.0.113.51'));

    // Closing a tab frees its slot.
    const closed = open[0]!.socket;
    closed.close();
    await expect.poll(() => fx.gateway.shield.stats().sockets).toBe(3);
    const again = await fx.visitor({}, from('203.0.113.50'));
    expect(again.welcome.session).toBeTruthy();
    agent.close();
  });

  it('never leaks a slot: refused handshakes and abandoned ones give theirs back', async () => {
    await fx.restart({ limits: { connectionsPerIp: 2 } });
    for (let i = 0; i < 3; i++) {
      expect((await fx.refused('/visitor', { auth: { v: 0 } })).data?.code).toBe('invalid_payload');
      expect((await fx.refused('/agent', { auth: { token: 'wrong' } })).data?.code).toBe('unauthorized');
    }
    // Clients that leave in the middle of their handshake.
    const leaving = Array.from({ length: 5 }, (_, i) => {
      const socket = io(`${fx.url}/visitor`, {
        auth: { v: 1, site: 'acme' },
        transports: ['websocket'],
        forceNew: true,
      });
      socket.on('connect', () => socket.close());
      setTimeout(() => socket.close(), i * 3);
      return new Promise((resolve) => socket.io.once('close', resolve));
    });
    await Promise.all(leaving);
    const settled = () => fx.gateway.shield.stats().sockets + fx.gateway.io.engine.clientsCount;
    await expect.poll(settled).toBe(0);
    await sleep(100);
    expect(settled()).toBe(0);
    const a = await fx.visitor();
    const b = await fx.visitor();
    expect(a.welcome.session).not.toBe(b.welcome.session);
    expect((await fx.refused('/visitor', { auth: { v: 1, site: 'acme' } })).data?.code).toBe('too_many_connections');
  });

  it('refuses raw Engine.IO connections beyond twice the cap before the handshake', async () => {
    await fx.restart({ limits: { connectionsPerIp: 2 } });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await engineHandshake());
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 403]);
    expect(JSON.parse(results[4]!.body)).toMatchObject({ message: 'too_many_connections' });
  });
});

describe('handshakes per second', () => {
  it('refuses the excess at once, before the upgrade, instead of queueing it', async () => {
    const lines: string[] = [];
    // The limiter's clock stands still until the test moves it, however slowly this machine answers.
    const clock = manualClock();
    await fx.restart({
      now: clock.now,
      limits: { handshakesPerSecond: 20, handshakesPerIp: false, connectionsPerIp: 0 },
      logger: createLogger('info', (line) => lines.push(line)),
    });
    const results = await Promise.all(Array.from({ length: 60 }, () => engineHandshake()));
    expect(results.filter((r) => r.status === 200)).toHaveLength(20);
    const refused = results.filter((r) => r.status === 403);
    expect(refused).toHaveLength(40);
    for (const r of refused) expect(JSON.parse(r.body)).toEqual({ code: 4, message: 'rate_limited' });
    // Refusals are answered straight away: the limiter's clock is frozen, so a limiter that waited for capacity
    // would never answer them. The bound only catches a wait on the real clock; it is loose because a loaded CI
    // machine takes over a second for 60 concurrent handshakes.
    expect(Math.max(...refused.map((r) => r.ms))).toBeLessThan(5000);
    expect((await engineHandshake()).status).toBe(403);
    // The budget refills: a second later a handshake gets through.
    clock.advance(1000);
    expect((await engineHandshake()).status).toBe(200);
    // Logged as one count per second, not a line per refusal.
    const logged = () => lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'connections refused');
    const counted = () => logged().reduce((sum, entry) => sum + entry.rate_limited, 0);
    await expect.poll(counted, { timeout: 3000 }).toBe(41);
    // One line, or two if this machine took over a second between the 40th and the 41st.
    expect(logged().length).toBeLessThanOrEqual(2);
    expect(logged()[0]).toMatchObject({ level: 'warn', windowMs: 1000 });
  });

  it('lets a reconnection storm in at the configured pace: refused clients back off and all get in', async () => {
    // The limiter's clock moves only when the test says, so each step lets in exactly one budget's worth.
    const clock = manualClock();
    await fx.restart({
      now: clock.now,
      limits: { handshakesPerSecond: 25, handshakesPerIp: false, connectionsPerIp: 0, ip: false },
    });
    const clients: Socket[] = [];
    const refused = new Set<Socket>();
    let refusedAttempts = 0;
    let welcomed = 0;
    const all = Array.from({ length: 60 }, () => {
      // The widget's reconnection settings (src/app/chat.ts), with shorter delays to keep the test short.
      const socket = io(`${fx.url}/visitor`, {
        auth: { v: 1, site: 'acme' },
        transports: ['websocket'],
        forceNew: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 1000,
        randomizationFactor: 0.5,
      });
      clients.push(socket);
      socket.on('connect_error', (err: Error & { data?: unknown }) => {
        // A transport-level refusal: Socket.IO itself retries after its jittered delay.
        expect(err.data).toBeUndefined();
        expect(socket.active).toBe(true);
        refused.add(socket);
        refusedAttempts++;
      });
      return new Promise<void>((resolve) =>
        socket.once('welcome', () => {
          welcomed++;
          resolve();
        }),
      );
    });
    // The burst gets in; everyone else is refused and keeps retrying.
    await expect.poll(() => [welcomed, refused.size], { timeout: 10_000 }).toEqual([25, 35]);
    // One second's worth of budget: 25 of the retrying clients get in, and no more.
    clock.advance(1000);
    await expect.poll(() => welcomed, { timeout: 10_000 }).toBe(50);
    await sleep(300);
    expect(welcomed).toBe(50);
    clock.advance(1000);
    await Promise.all(all);
    expect(refusedAttempts).toBeGreaterThan(35);
    expect(fx.gateway.io.of('/visitor').sockets.size).toBe(60);
    for (const socket of clients) socket.close();
  }, 40_000);
});

describe('payload size', () => {
  it('closes a connection that sends a frame over maxHttpBufferSize, stores nothing and keeps serving', async () => {
    const agent = await fx.agent();
    const received = collect<Message>(agent.socket, 'message');
    const { socket, welcome } = await fx.visitor();
    const gone = nextEvent<string>(socket, 'disconnect', () => true, 5000);
    socket.emit('send', { clientId: 'oversize-001', text: 'x'.repeat(LIMITS.maxPayloadBytes + 1) }, () => {});
    expect(await gone).toMatch(/transport (close|error)/);
    // Under the frame limit but over the message limit: a clear error and the connection stays.
    const back = await fx.visitor({ session: welcome.session! });
    const ack = await call(back.socket, 'send', { clientId: 'long-text-01', text: 'y'.repeat(60_000) });
    expect(ack).toEqual({ ok: false, code: 'message_too_long', message: 'text: at most 4000 characters' });
    expect(back.socket.connected).toBe(true);
    expect(back.welcome.messages).toEqual([]);
    await settle(agent.socket);
    expect(received).toEqual([]);
    const ok = await call(back.socket, 'send', { clientId: 'normal-text-1', text: 'still here' });
    expect(ok).toMatchObject({ ok: true, message: { seq: 1 } });
  });
});

describe('authorization', () => {
  it('refuses origins that only look like an allowed one', async () => {
    await fx.restart({ origins: ['https://shop.example'] });
    for (const origin of [
      'https://shop.example.evil.example',
      'https://evil.example/https://shop.example',
      'http://shop.example',
      'https://shop.example:8443',
      'null',
      'https://xn--shop-example',
    ]) {
      const err = await fx.refused('/visitor', { auth: { v: 1, site: 'acme' }, extraHeaders: { origin } });
      expect(err.data, origin).toEqual({
        code: 'origin_refused',
        message: 'this origin may not open a chat; see PARLEY_ORIGINS',
      });
    }
    expect((await fx.visitor({}, { extraHeaders: { origin: 'https://shop.example' } })).welcome.session).toBeTruthy();
  });

  it('throttles wrong agent tokens per address, and never the right one', async () => {
    await fx.restart({ trustProxy: 1, limits: { agentAuthFailures: { burst: 3, perSecond: 1 } } });
    for (let i = 0; i < 3; i++) {
      const err = await fx.refused('/agent', { auth: { token: `guess-${i}` }, ...from('198.51.100.66') });
      expect(err.data).toEqual({ code: 'unauthorized', message: 'invalid agent token' });
    }
    const throttled = await fx.refused('/agent', { auth: { token: 'guess-3' }, ...from('198.51.100.66') });
    expect(throttled.data).toEqual({
      code: 'rate_limited',
      message: 'too many failed sign-ins from your network; wait a minute and retry',
    });
    // The agent behind that address (a NAT shared with the guesser) signs in all the same.
    const agent = io(`${fx.url}/agent`, {
      auth: { token: AGENTS[0]!.token },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      ...from('198.51.100.66'),
    });
    expect(await nextEvent(agent, 'welcome')).toMatchObject({ name: 'Ana' });
    agent.close();
    // Still throttled for wrong tokens; visitors from the same address are not affected.
    expect((await fx.refused('/agent', { auth: { token: 'guess-4' }, ...from('198.51.100.66') })).data?.code).toBe(
      'rate_limited',
    );
    await fx.visitor({}, from('198.51.100.66'));
  });

  it('never lets a visitor read, write, type into or mark another visitor’s conversation, even knowing its id', async () => {
    const agent = await fx.agent();
    const atAgent = collect<Message>(agent.socket, 'message');
    const typingAtAgent = collect<{ conversationId: string }>(agent.socket, 'typing');
    const victim = await fx.visitor({ page: { url: 'https://shop.example/account', title: 'Account' } });
    const atVictim = collect<Message>(victim.socket, 'message');
    const first = await call(victim.socket, 'send', { clientId: 'victim-msg-1', text: 'my address is 1 Main St' });
    const victimId: string = first.message.conversationId;
    await call(agent.socket, 'send', { conversationId: victimId, clientId: 'agent-reply-1', text: 'thanks' });

    const mallory = await fx.visitor();
    const target = { conversationId: victimId, conversation: victimId, id: victimId, room: `conv:${victimId}` };

    // Read: history ignores the named id and answers from Mallory's own conversation.
    const own = JSON.parse(`{"afterSeq": 0, "__proto__": ${JSON.stringify(target)}, "constructor": {"prototype": {}}}`);
    for (const payload of [{ afterSeq: 0, ...target }, own]) {
      expect(await call(mallory.socket, 'history', payload)).toEqual({ ok: true, messages: [], more: false });
    }
    // Agent-only events do not exist in the visitor namespace.
    for (const event of ['open', 'list', 'setStatus', 'join', 'subscribe']) {
      expect(await call(mallory.socket, event, { ...target, status: 'resolved' })).toMatchObject({
        ok: false,
        code: 'unknown_event',
      });
    }
    // Write: the message lands in Mallory's conversation, never the victim's.
    const sent = await call(mallory.socket, 'send', { clientId: 'mallory-msg-1', text: 'hijack', ...target });
    const malloryId: string = sent.message.conversationId;
    expect(malloryId).not.toBe(victimId);
    // Type and mark read: only Mallory's conversation is touched.
    await call(mallory.socket, 'typing', { typing: true, ...target });
    await call(mallory.socket, 'read', { seq: 99, ...target });
    await call(mallory.socket, 'page', { url: 'https://evil.example/', title: 'Evil', ...target });

    // The victim's session token is not a conversation id, and a conversation id is not a session token.
    const withId = await fx.visitor({ session: victimId, lastSeq: 0 });
    expect(withId.welcome).toMatchObject({ renewed: 'session_unknown', messages: [] });
    expect(withId.welcome.conversationId).not.toBe(victimId);
    // Connecting to the agent namespace takes an agent token.
    expect((await fx.refused('/agent', { auth: { token: victimId } })).data?.code).toBe('unauthorized');

    await settle(agent.socket, victim.socket, mallory.socket);
    expect(atVictim.map((m) => m.text)).toEqual(['thanks']);
    expect(atAgent.map((m) => [m.conversationId, m.text])).toEqual([
      [victimId, 'my address is 1 Main St'],
      [malloryId, 'hijack'],
    ]);
    expect(typingAtAgent.map((t) => t.conversationId)).toEqual([malloryId]);
    const opened = await call(agent.socket, 'open', { conversationId: victimId });
    expect(opened.messages.map((m: Message) => m.text)).toEqual(['my address is 1 Main St', 'thanks']);
    expect(opened.conversation.visitor.page).toEqual({ url: 'https://shop.example/account', title: 'Account' });
    const db = new Database(fx.dbPath, { readonly: true });
    try {
      const row = db.prepare('SELECT visitor_read_seq FROM conversations WHERE id = ?').get(victimId) as {
        visitor_read_seq: number;
      };
      expect(row.visitor_read_seq).toBe(0);
    } finally {
      db.close();
    }
  });

  it('answers not_found to agents naming a conversation that does not exist, typing included', async () => {
    const agent = await fx.agent();
    const other = await fx.agent(AGENTS[1]!.token);
    const typing = collect(other.socket, 'typing');
    expect(await call(agent.socket, 'typing', { conversationId: 'guessed-id-123', typing: true })).toEqual({
      ok: false,
      code: 'not_found',
      message: 'no such conversation',
    });
    await settle(other.socket);
    expect(typing).toEqual([]);
  });

  it('runs every reconnection through the handshake checks: a revoked session is not resumed', async () => {
    const first = await fx.chatting();
    const socket = io(`${fx.url}/visitor`, {
      auth: { v: 1, site: 'acme', session: first.welcome.session! },
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 50,
      randomizationFactor: 0,
    });
    const welcomes = collect<VisitorWelcome>(socket, 'welcome');
    await expect.poll(() => welcomes.length).toBe(1);
    expect(welcomes[0]).toMatchObject({ session: null, conversationId: first.conversationId });

    await fx.gateway.store.deleteSession(hashToken(first.welcome.session!));
    // Drop the transport from the server side: the client reconnects by itself.
    for (const server of fx.gateway.io.of('/visitor').sockets.values()) server.conn.close();
    await expect.poll(() => welcomes.length).toBe(2);
    // Connection state recovery would have restored the old socket and its data without running the middleware.
    expect(fx.gateway.io.of('/visitor').sockets.get(socket.id!)?.recovered).toBe(false);
    expect(welcomes[1]).toMatchObject({ renewed: 'session_unknown', messages: [] });
    expect(welcomes[1]!.conversationId).toBeNull();
    socket.close();
  });
});

describe('validation', () => {
  it('names the field and the problem without echoing the input back', async () => {
    const agent = await fx.agent();
    const { socket } = await fx.visitor();
    expect(await call(agent.socket, 'list', { limit: 'x'.repeat(5000) })).toEqual({
      ok: false,
      code: 'invalid_payload',
      message: 'limit: Invalid type: Expected number',
    });
    expect(await call(socket, 'send', { text: 'hi' })).toEqual({
      ok: false,
      code: 'invalid_payload',
      message: 'clientId: is required',
    });
    expect(await call(socket, 'typing', { typing: 'yes'.repeat(3000) })).toEqual({
      ok: false,
      code: 'invalid_payload',
      message: 'typing: must be a boolean',
    });
    const unknown = await call(socket, `${'z'.repeat(10_000)}`, {});
    expect(unknown.code).toBe('unknown_event');
    expect(unknown.message.length).toBeLessThan(100);
  });

  it('refuses huge and non-integer numbers, and keeps the largest safe one harmless', async () => {
    const { socket } = await fx.visitor();
    for (const afterSeq of [1e308, 2 ** 53, -1, 0.5, Number.NaN, '1', null]) {
      expect(await call(socket, 'history', { afterSeq }), String(afterSeq)).toMatchObject({ code: 'invalid_payload' });
    }
    expect(await call(socket, 'history', { afterSeq: Number.MAX_SAFE_INTEGER })).toEqual({
      ok: true,
      messages: [],
      more: false,
    });
    expect(await call(socket, 'read', { seq: Number.MAX_SAFE_INTEGER })).toEqual({ ok: true });
  });

  it('stores text that cannot be encoded (lone surrogates) as the replacement character, the same everywhere', async () => {
    const agent = await fx.agent();
    const atAgent = nextEvent<Message>(agent.socket, 'message');
    const { socket, welcome } = await fx.visitor();
    const ack = await call(socket, 'send', { clientId: 'surrogates-1', text: '\uD800broken\uDC00 😀' });
    expect(ack.message.text).toBe('\uFFFDbroken\uFFFD 😀');
    expect((await atAgent).text).toBe(ack.message.text);
    const back = await fx.visitor({ session: welcome.session! });
    expect(back.welcome.messages[0]!.text).toBe(ack.message.text);
  });
});
