// @vitest-environment node
// Sessions that cannot be fixed or replayed, and no conversation (nor lasting storage) without a message.
import Database from 'better-sqlite3';
import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationSummary, Message, SendResult, VisitorWelcome } from '../../../src/protocol';
import {
  call,
  collect,
  type Fixture,
  nextEvent,
  settle,
  signUserToken,
  startGateway,
} from '../../support/in-process-gateway';

const SECRET = 'acme-identity-secret-0123456789-abcdef';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const HOUR = 60 * 60 * 1000;

const sign = (sub: string) => signUserToken(SECRET, sub);

let fx: Fixture;
let clock = Date.now();
const start = (overrides: Parameters<typeof startGateway>[0] = {}) =>
  startGateway({ siteSecrets: { acme: SECRET }, sessionClock: () => clock, ...overrides });

afterEach(async () => {
  await fx.stop();
});

async function send(socket: Socket, text: string, clientId: string) {
  const ack = await call<{ ok: true } & SendResult>(socket, 'send', { clientId, text });
  expect(ack.ok, JSON.stringify(ack)).toBe(true);
  return ack.message;
}

function rows(table: 'visitors' | 'sessions' | 'conversations'): number {
  const db = new Database(fx.dbPath, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** `count` handshakes that never write, from one address, a few sockets at a time (under the per-address cap). */
async function emptyHandshakes(count: number): Promise<VisitorWelcome[]> {
  const welcomes: VisitorWelcome[] = [];
  for (let i = 0; i < count; i += 25) {
    const batch = await Promise.all(Array.from({ length: Math.min(25, count - i) }, () => fx.visitor()));
    for (const v of batch) {
      welcomes.push(v.welcome);
      v.socket.close();
    }
  }
  return welcomes;
}

describe('session fixation', () => {
  it('refuses the fixation flow at each step: a login rotates the token, and a rotated one needs the user', async () => {
    fx = await start();
    // Step 0: someone obtains an anonymous token T (a shared or kiosk browser, a planted localStorage) and keeps a
    // socket open with it.
    const planted = await fx.visitor();
    const t = planted.welcome.session!;
    const kicked = nextEvent<string>(planted.socket, 'disconnect');
    const spied = collect<Message>(planted.socket, 'message');

    // Step 1: the victim logs in on that browser. The conversation is kept, under a new token sent to it alone.
    const victim = await fx.visitor({ session: t, userToken: await sign('victim') });
    expect(victim.welcome.user).toEqual({ id: 'victim' });
    expect(victim.welcome.session).toMatch(TOKEN);
    expect(victim.welcome.session).not.toBe(t);
    expect(victim.welcome.renewed).toBeUndefined();
    // The socket still holding T is closed by the gateway, so it hears nothing of what follows.
    expect(await kicked).toBe('io server disconnect');
    const secret = await send(victim.socket, 'my card number is 4111…', 'victim-msg-1');
    await settle(victim.socket);
    expect(spied).toEqual([]);

    // Step 2: T no longer opens anything: a fresh, anonymous session, never the user's conversation.
    const replay = await fx.visitor({ session: t, lastSeq: 0 });
    expect(replay.welcome).toMatchObject({ renewed: 'session_unknown', conversationId: null, messages: [] });
    expect(replay.welcome.user).toBeUndefined();
    expect((await call(replay.socket, 'history', { afterSeq: 0 })).messages).toEqual([]);

    // Step 3: the rotated token without the victim's user token does not reach the conversation either.
    const rotated = victim.welcome.session!;
    const stolen = await fx.visitor({ session: rotated, lastSeq: 0 });
    expect(stolen.welcome).toMatchObject({ renewed: 'identity_required', conversationId: null, messages: [] });
    expect(stolen.welcome.user).toBeUndefined();
    const written = await send(stolen.socket, 'hijack', 'stolen-msg-1');
    expect(written.conversationId).not.toBe(secret.conversationId);
    // Nor with another user's token.
    const other = await fx.visitor({ session: rotated, lastSeq: 0, userToken: await sign('mallory') });
    expect(other.welcome).toMatchObject({ renewed: 'identity_required', user: { id: 'mallory' }, messages: [] });
    expect(other.welcome.conversationId).not.toBe(secret.conversationId);

    // With the victim's own token it is the victim's session, as before.
    const back = await fx.visitor({ session: rotated, lastSeq: 0, userToken: await sign('victim') });
    expect(back.welcome).toMatchObject({
      session: null,
      conversationId: secret.conversationId,
      user: { id: 'victim' },
    });
    expect(back.welcome.messages.map((m) => m.text)).toEqual(['my card number is 4111…']);
  });

  it('rotates the token when a login moves an anonymous session to the user’s existing conversation', async () => {
    fx = await start();
    const laptop = await fx.visitor({ userToken: await sign('ada') });
    const userConversation = (await send(laptop.socket, 'history', 'ada-msg-1')).conversationId;
    const planted = await fx.visitor();
    const t = planted.welcome.session!;
    const kicked = nextEvent<string>(planted.socket, 'disconnect');

    const login = await fx.visitor({ session: t, userToken: await sign('ada') });
    expect(login.welcome).toMatchObject({ session: TOKEN, conversationId: userConversation, user: { id: 'ada' } });
    expect(await kicked).toBe('io server disconnect');
    const replay = await fx.visitor({ session: t });
    expect(replay.welcome).toMatchObject({ renewed: 'session_unknown', conversationId: null, messages: [] });
    // The anonymous visitor that never wrote is gone with its token; only the user's is left.
    expect(rows('visitors')).toBe(2);
  });

  it('ends a session on the gateway: every tab is disconnected and the token no longer works from anywhere', async () => {
    fx = await start();
    const tab1 = await fx.visitor({ userToken: await sign('ada') });
    const conversationId = (await send(tab1.socket, 'before logout', 'ada-msg-1')).conversationId;
    const tab2 = await fx.visitor({ session: tab1.welcome.session!, userToken: await sign('ada') });
    const anonymous = await fx.chatting();
    const gone = [nextEvent<string>(tab1.socket, 'disconnect'), nextEvent<string>(tab2.socket, 'disconnect')];

    // Bad input is refused and changes nothing.
    expect(await call(tab1.socket, 'end', 'now')).toMatchObject({ ok: false, code: 'invalid_payload' });
    expect(tab1.socket.connected).toBe(true);
    expect(await call(tab1.socket, 'end', {})).toEqual({ ok: true });
    expect(await Promise.all(gone)).toEqual(['io server disconnect', 'io server disconnect']);

    // Another client presenting the token, even with the user's token, gets a new session.
    const replay = await fx.visitor({ session: tab1.welcome.session!, lastSeq: 0 });
    expect(replay.welcome).toMatchObject({ renewed: 'session_unknown', conversationId: null, messages: [] });
    const relogin = await fx.visitor({ session: tab1.welcome.session!, userToken: await sign('ada') });
    expect(relogin.welcome).toMatchObject({ renewed: 'session_unknown', session: TOKEN, conversationId });
    // Other sessions are untouched, and an anonymous one can end itself too.
    expect(anonymous.socket.connected).toBe(true);
    expect(await call(anonymous.socket, 'end')).toEqual({ ok: true });
    const anonReplay = await fx.visitor({ session: anonymous.welcome.session! });
    expect(anonReplay.welcome).toMatchObject({ renewed: 'session_unknown', conversationId: null });
  });
});

describe('no conversation without a message', () => {
  it('150 message-less handshakes add no conversation, and the real chat stays in the agent’s list', async () => {
    fx = await start();
    const customer = await fx.chatting({}, 'I cannot pay, please help');
    const welcomes = await emptyHandshakes(150);
    expect(welcomes.every((w) => w.conversationId === null && TOKEN.test(w.session ?? ''))).toBe(true);
    expect(rows('conversations')).toBe(1);
    const agent = await fx.agent();
    const open = await call(agent.socket, 'list', { status: 'open' });
    expect(open.conversations.map((c: ConversationSummary) => c.id)).toEqual([customer.conversationId]);
    expect(open.conversations[0].lastMessage).toEqual({ author: 'visitor', text: 'I cannot pay, please help' });
  });

  it('sweeps message-less sessions once expired: what handshakes alone store is bounded', async () => {
    clock = Date.now();
    fx = await start({ emptySessionTtlMs: HOUR });
    const customer = await fx.chatting();
    const welcomes = await emptyHandshakes(150);
    expect([rows('visitors'), rows('sessions')]).toEqual([151, 151]);

    clock += HOUR;
    expect(await fx.gateway.sweepSessions()).toEqual({ sessions: 0, visitors: 0 });
    clock += 1;
    expect(await fx.gateway.sweepSessions()).toEqual({ sessions: 150, visitors: 150 });
    expect([rows('visitors'), rows('sessions'), rows('conversations')]).toEqual([1, 1, 1]);
    const expired = await fx.visitor({ session: welcomes[0]!.session! });
    expect(expired.welcome.renewed).toBe('session_unknown');
    // The visitor who wrote keeps their session and conversation.
    const back = await fx.visitor({ session: customer.welcome.session! });
    expect(back.welcome).toMatchObject({ session: null, conversationId: customer.conversationId });
  });

  it('runs the sweep on its own every PARLEY_SESSION_SWEEP_MINUTES', async () => {
    clock = Date.now();
    fx = await start({ emptySessionTtlMs: HOUR, sessionSweepMs: 50 });
    await emptyHandshakes(10);
    expect(rows('sessions')).toBe(10);
    clock += 2 * HOUR;
    await expect.poll(() => rows('sessions'), { timeout: 10_000 }).toBe(0);
    expect(rows('visitors')).toBe(0);
  });

  it('lets a message-less session send later, and one swept meanwhile reconnect and resend', async () => {
    clock = Date.now();
    fx = await start({ emptySessionTtlMs: HOUR });
    const quiet = await fx.visitor();
    quiet.socket.close();
    clock += HOUR - 1;
    const later = await fx.visitor({ session: quiet.welcome.session! });
    expect(later.welcome).toMatchObject({ session: null, conversationId: null });
    const tab2 = await fx.visitor({ session: quiet.welcome.session! });
    const inTab2 = nextEvent<Message>(tab2.socket, 'message');
    const first = await send(later.socket, 'finally', 'late-msg-1');
    expect(first.seq).toBe(1);
    expect(await inTab2).toEqual(first);
    expect(await call(tab2.socket, 'send', { clientId: 'late-msg-1', text: 'finally' })).toMatchObject({
      ok: true,
      duplicate: true,
      message: { id: first.id },
    });

    // A tab left open, silent, past the expiry: its session is swept under it. Its send is refused and the gateway
    // closes the socket, so the widget reconnects into a new session and resends from its outbox.
    const idle = await fx.visitor();
    clock += 2 * HOUR;
    await fx.gateway.sweepSessions();
    const closed = nextEvent<string>(idle.socket, 'disconnect');
    expect(await call(idle.socket, 'send', { clientId: 'idle-msg-1', text: 'still there?' })).toMatchObject({
      ok: false,
      code: 'not_found',
    });
    expect(await closed).toBe('io server disconnect');
    const renewed = await fx.visitor({ session: idle.welcome.session! });
    expect(renewed.welcome.renewed).toBe('session_unknown');
    expect((await send(renewed.socket, 'still there?', 'idle-msg-1')).seq).toBe(1);
  });
});
