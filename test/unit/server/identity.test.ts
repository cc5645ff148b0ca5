// @vitest-environment node
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SignJWT } from 'jose';
import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSiteSecrets, readConfig } from '../../../demo/server/config';
import { createGateway } from '../../../demo/server/gateway';
import { createIdentityVerifier } from '../../../demo/server/identity';
import { createLogger } from '../../../demo/server/log';
import { hashToken, resolveSession, SESSION_TTL_MS } from '../../../demo/server/sessions';
import { MIGRATIONS } from '../../../demo/server/store/sqlite/migrations';
import { openSqliteStore } from '../../../demo/server/store/sqlite/store';
import type { ConversationSummary, Message, SendResult, VisitorWelcome } from '../../../src/protocol';
import { type Agent, call, type Fixture, nextEvent, startGateway } from '../../support/in-process-gateway';
import { bundleGateway, runNode } from '../../support/processes.mjs';

const ACME_SECRET = 'acme-identity-secret-0123456789-abcdef';
const SHOP_SECRET = 'shop-identity-secret-0123456789-abcdef';
const encode = (secret: string) => new TextEncoder().encode(secret);

interface Claims {
  sub?: unknown;
  name?: unknown;
  email?: unknown;
  [claim: string]: unknown;
}

/** A user token as a site's backend signs it (the README's snippet), with overridable claims and lifetime. */
async function sign(
  claims: Claims,
  options: { secret?: string; alg?: string; expiresIn?: string | number; issuedAt?: number | false } = {},
): Promise<string> {
  const { sub, ...rest } = claims;
  const jwt = new SignJWT(typeof sub === 'string' ? rest : claims).setProtectedHeader({ alg: options.alg ?? 'HS256' });
  if (typeof sub === 'string') jwt.setSubject(sub);
  if (options.issuedAt !== false) jwt.setIssuedAt(options.issuedAt);
  if (options.expiresIn !== undefined || !('exp' in rest)) jwt.setExpirationTime(options.expiresIn ?? '10m');
  return jwt.sign(encode(options.secret ?? ACME_SECRET));
}

/** An unsecured JWT (`alg: none`): header and payload, empty signature. */
function unsecured(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

const nowS = () => Math.floor(Date.now() / 1000);

let fx: Fixture;
let logLines: string[];
beforeEach(async () => {
  logLines = [];
  fx = await startGateway({
    siteSecrets: { acme: ACME_SECRET, shop: SHOP_SECRET },
    logger: createLogger('debug', (line) => logLines.push(line)),
  });
});
afterEach(async () => {
  await fx.stop();
});

async function send(socket: Socket, text: string, clientId: string) {
  const ack = await call<{ ok: true } & SendResult>(socket, 'send', { clientId, text });
  expect(ack.ok, JSON.stringify(ack)).toBe(true);
  return ack;
}

/** Resolves with the next summary of `conversationId` pushed to `agent` that satisfies `accept`. */
function summaryOf(agent: Agent, conversationId: string, accept: (c: ConversationSummary) => boolean = () => true) {
  return nextEvent<ConversationSummary>(agent.socket, 'conversation', (c) => c.id === conversationId && accept(c));
}

async function listed(agent: Agent): Promise<ConversationSummary[]> {
  const ack = await call(agent.socket, 'list', { status: 'all' });
  expect(ack.ok).toBe(true);
  return ack.conversations;
}

function expectAnonymous(welcome: VisitorWelcome) {
  expect(welcome.user).toBeUndefined();
  expect(welcome.userTokenRefused?.code).toBe('identity_invalid');
}

describe('verified users', () => {
  it('welcomes a valid token with the user and shows agents a verified visitor with name and email', async () => {
    const agent = await fx.agent();
    const token = await sign({ sub: 'user-42', name: 'Ada Lovelace', email: 'ada@example.com', role: 'admin' });
    const { socket, welcome } = await fx.visitor({ userToken: token });

    expect(welcome.user).toEqual({ id: 'user-42', name: 'Ada Lovelace', email: 'ada@example.com' });
    expect(welcome.userTokenRefused).toBeUndefined();
    expect(welcome.session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // A verified user with no message yet has no conversation, and agents see nothing.
    expect(welcome.conversationId).toBeNull();
    expect(await listed(agent)).toEqual([]);
    const { message } = await send(socket, 'hello', 'ada-msg-1');
    const [summary] = (await listed(agent)).filter((c) => c.id === message.conversationId);
    expect(summary?.visitor).toMatchObject({
      verified: true,
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      online: true,
    });
    // Claims other than sub, name and email are ignored.
    expect(JSON.stringify(summary)).not.toContain('admin');
  });

  it('follows the user to a second device: same conversation, earlier messages, live messages', async () => {
    const laptop = await fx.visitor({ userToken: await sign({ sub: 'user-42', name: 'Ada' }) });
    const { conversationId } = (await send(laptop.socket, 'sent from the laptop', 'laptop-msg-1')).message;

    const phone = await fx.visitor({ userToken: await sign({ sub: 'user-42', name: 'Ada' }) });
    expect(phone.welcome.conversationId).toBe(conversationId);
    expect(phone.welcome.session).not.toBe(laptop.welcome.session);
    expect(phone.welcome.user).toEqual({ id: 'user-42', name: 'Ada' });
    expect(phone.welcome.messages.map((m) => m.text)).toEqual(['sent from the laptop']);

    const atLaptop = nextEvent<Message>(laptop.socket, 'message');
    await send(phone.socket, 'sent from the phone', 'phone-msg-1');
    expect((await atLaptop).text).toBe('sent from the phone');
    expect(await fx.gateway.store.findVisitorByUser('acme', 'user-42')).toEqual({
      visitorId: expect.any(String),
      conversationId,
      started: true,
    });
  });

  it('links an anonymous session to a new user and keeps its conversation', async () => {
    const agent = await fx.agent();
    const anon = await fx.visitor();
    expect(anon.welcome.user).toBeUndefined();
    const { conversationId } = (await send(anon.socket, 'question before login', 'anon-msg-0001')).message;
    const verifiedPush = summaryOf(agent, conversationId, (c) => c.visitor.verified);

    const token = await sign({ sub: 'new-user', name: 'Grace', email: 'grace@example.com' });
    const linked = await fx.visitor({ session: anon.welcome.session!, lastSeq: 1, userToken: token });
    // The conversation is kept, under a new session token: the identity behind the token changed.
    expect(linked.welcome).toMatchObject({
      session: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      conversationId,
      user: { id: 'new-user', name: 'Grace', email: 'grace@example.com' },
      messages: [],
    });
    expect(linked.welcome.renewed).toBeUndefined();
    expect(linked.welcome.session).not.toBe(anon.welcome.session);
    expect((await verifiedPush).visitor).toMatchObject({ name: 'Grace', email: 'grace@example.com' });

    const otherDevice = await fx.visitor({ userToken: await sign({ sub: 'new-user' }) });
    expect(otherDevice.welcome.conversationId).toBe(conversationId);
    expect(otherDevice.welcome.messages.map((m) => m.text)).toEqual(['question before login']);
  });

  it('points an anonymous session at an existing user’s conversation and leaves the anonymous one alone', async () => {
    const agent = await fx.agent();
    const laptop = await fx.visitor({ userToken: await sign({ sub: 'user-7' }) });
    const userConvId = (await send(laptop.socket, 'user history', 'user-msg-0001')).message.conversationId;
    const anon = await fx.visitor();
    const anonConvId = (await send(anon.socket, 'anonymous secret', 'anon-msg-0001')).message.conversationId;
    await send(anon.socket, 'anonymous secret 2', 'anon-msg-0002');
    anon.socket.close();

    // lastSeq 2 counted in the anonymous conversation: the user's one is caught up from the start.
    const identified = await fx.visitor({
      session: anon.welcome.session!,
      lastSeq: 2,
      userToken: await sign({ sub: 'user-7' }),
    });
    expect(identified.welcome.session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(identified.welcome.conversationId).toBe(userConvId);
    expect(identified.welcome.user).toEqual({ id: 'user-7' });
    expect(identified.welcome.messages.map((m) => m.text)).toEqual(['user history']);
    const history = await call(identified.socket, 'history', { afterSeq: 0 });
    expect(history.messages.map((m: Message) => m.text)).toEqual(['user history']);
    await send(identified.socket, 'after login', 'user-msg-0002');

    // Not merged, not deleted: the anonymous conversation keeps its own messages and is still listed.
    const opened = await call(agent.socket, 'open', { conversationId: anonConvId });
    expect(opened.messages.map((m: Message) => m.text)).toEqual(['anonymous secret', 'anonymous secret 2']);
    expect(opened.conversation.visitor.verified).toBe(false);
    const userConv = await call(agent.socket, 'open', { conversationId: userConvId });
    expect(userConv.messages.map((m: Message) => m.text)).toEqual(['user history', 'after login']);

    // The rotated session leads to the user's conversation only with the user's token; without one it is a fresh,
    // anonymous session. The pre-login token leads nowhere.
    identified.socket.close();
    const withToken = await fx.visitor({
      session: identified.welcome.session!,
      userToken: await sign({ sub: 'user-7' }),
    });
    expect(withToken.welcome).toMatchObject({ session: null, conversationId: userConvId, user: { id: 'user-7' } });
    const again = await fx.visitor({ session: identified.welcome.session! });
    expect(again.welcome).toMatchObject({ renewed: 'identity_required', conversationId: null, messages: [] });
    expect(again.welcome.user).toBeUndefined();
    const old = await fx.visitor({ session: anon.welcome.session! });
    expect(old.welcome).toMatchObject({ renewed: 'session_unknown', conversationId: null, messages: [] });
  });

  it('moves a session holding user A to user B’s conversation when B’s token comes, never showing A’s', async () => {
    const alice = await fx.visitor({ userToken: await sign({ sub: 'alice', name: 'Alice' }) });
    const aliceConv = (await send(alice.socket, 'alice private', 'alice-msg-0001')).message.conversationId;
    const bob = await fx.visitor({ userToken: await sign({ sub: 'bob', name: 'Bob' }) });
    const bobConv = (await send(bob.socket, 'bob private', 'bob-msg-0001')).message.conversationId;
    const carol = await fx.visitor({ userToken: await sign({ sub: 'carol' }) });
    const carolConv = (await send(carol.socket, 'carol private', 'carol-msg-0001')).message.conversationId;

    // Bob logs in on Alice's browser: an existing user.
    const bobOnAlice = await fx.visitor({
      session: alice.welcome.session!,
      lastSeq: 1,
      userToken: await sign({ sub: 'bob', name: 'Bob' }),
    });
    expect(bobOnAlice.welcome.conversationId).toBe(bobConv);
    expect(bobOnAlice.welcome.user).toEqual({ id: 'bob', name: 'Bob' });
    // A session of its own: Alice's stays Alice's, and opens nothing without her token.
    expect(bobOnAlice.welcome).toMatchObject({
      renewed: 'identity_required',
      session: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(bobOnAlice.welcome.messages.map((m) => m.text)).toEqual(['bob private']);

    // Dave, a new user, logs in on Carol's browser: a conversation of his own, not Carol's.
    const daveOnCarol = await fx.visitor({ session: carol.welcome.session!, userToken: await sign({ sub: 'dave' }) });
    expect(daveOnCarol.welcome.user).toEqual({ id: 'dave' });
    expect(daveOnCarol.welcome.conversationId).toBeNull();
    expect(daveOnCarol.welcome.messages).toEqual([]);
    expect((await fx.gateway.store.findVisitorByUser('acme', 'carol'))?.conversationId).toBe(carolConv);

    // Alice, on another device, still has her own conversation.
    const aliceAgain = await fx.visitor({ userToken: await sign({ sub: 'alice', name: 'Alice' }) });
    expect(aliceAgain.welcome.conversationId).toBe(aliceConv);
    expect(aliceAgain.welcome.messages.map((m) => m.text)).toEqual(['alice private']);
  });

  it('puts concurrent first connections of a new user on one visitor and one conversation', async () => {
    const agent = await fx.agent();
    const tokens = await Promise.all(Array.from({ length: 6 }, () => sign({ sub: 'racer', name: 'Racer' })));
    const devices = await Promise.all(tokens.map((userToken) => fx.visitor({ userToken })));
    const sent = await Promise.all(devices.map((d, i) => send(d.socket, `from device ${i}`, `racer-msg-${i}`)));
    const conversations = new Set(sent.map((s) => s.message.conversationId));
    expect(conversations.size).toBe(1);
    expect(new Set(devices.map((d) => d.welcome.session)).size).toBe(devices.length);
    const verified = (await listed(agent)).filter((c) => c.visitor.verified);
    expect(verified).toHaveLength(1);
    expect(verified[0]).toMatchObject({ id: [...conversations][0], visitor: { name: 'Racer' } });

    // Anonymous sessions identifying as the same new user at once: one of them is linked, the others follow it.
    const anons = await Promise.all([fx.visitor(), fx.visitor(), fx.visitor()]);
    const linked = await Promise.all(
      anons.map(async (a) => fx.visitor({ session: a.welcome.session!, userToken: await sign({ sub: 'racer-2' }) })),
    );
    const owner = await fx.gateway.store.findVisitorByUser('acme', 'racer-2');
    const firsts = await Promise.all(linked.map((d, i) => send(d.socket, `linked ${i}`, `racer2-msg-${i}`)));
    expect(new Set(firsts.map((f) => f.message.conversationId))).toEqual(new Set([owner!.conversationId]));
  });

  it('updates the name and email on every verified connect and tells agents', async () => {
    const agent = await fx.agent();
    const first = await fx.visitor({ userToken: await sign({ sub: 'u1', name: 'Old', email: 'old@example.com' }) });
    const { conversationId } = (await send(first.socket, 'hello', 'u1-msg-1')).message;
    const renamed = summaryOf(agent, conversationId, (c) => c.visitor.name === 'New');
    // Second device while the first is online: not a first tab, so the push is due to the change.
    const second = await fx.visitor({ userToken: await sign({ sub: 'u1', name: 'New' }) });
    expect(second.welcome.user).toEqual({ id: 'u1', name: 'New' });
    const summary = await renamed;
    // The token is the source of truth: an email it no longer carries is cleared.
    expect(summary.visitor.email).toBeUndefined();
    expect(summary.visitor.verified).toBe(true);
  });
});

describe('refused user tokens', () => {
  async function refusedFresh(userToken: unknown, site = 'acme') {
    const { welcome } = await fx.visitor({ site, userToken: userToken as string });
    expectAnonymous(welcome);
    expect(welcome.session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(welcome.messages).toEqual([]);
    return welcome.userTokenRefused!.message;
  }

  it('refuses an expired token with a message about expiry; the visitor is anonymous, never the user', async () => {
    const agent = await fx.agent();
    const owner = await fx.visitor({ userToken: await sign({ sub: 'victim', name: 'Victim' }) });
    await send(owner.socket, 'victim private', 'victim-msg-1');
    const expired = await sign({ sub: 'victim' }, { issuedAt: nowS() - 600, expiresIn: nowS() - 120 });

    const { welcome } = await fx.visitor({ userToken: expired });
    expectAnonymous(welcome);
    expect(welcome.userTokenRefused!.message).toMatch(/expired/);
    expect(welcome.userTokenRefused!.message).not.toContain(expired);
    expect(welcome.conversationId).toBeNull();
    expect(welcome.messages).toEqual([]);
    const again = await fx.visitor({ session: welcome.session! });
    expect((await call(again.socket, 'history', { afterSeq: 0 })).messages).toEqual([]);
    const { message } = await send(again.socket, 'who am I?', 'expired-msg-1');
    const [summary] = (await listed(agent)).filter((c) => c.id === message.conversationId);
    expect(summary?.visitor.verified).toBe(false);
    expect(summary?.visitor.name).toBeUndefined();
  });

  it('refuses a token signed with another secret, or a secret of another site', async () => {
    expect(await refusedFresh(await sign({ sub: 'u' }, { secret: 'x'.repeat(40) }))).toMatch(/signature/);
    expect(await refusedFresh(await sign({ sub: 'u' }, { secret: SHOP_SECRET }))).toMatch(/signature/);
    expect(await refusedFresh(await sign({ sub: 'u' }), 'shop')).toMatch(/signature/);
  });

  it('refuses alg none and every algorithm but HS256', async () => {
    const claims = { sub: 'user-42', iat: nowS(), exp: nowS() + 600 };
    expect(await refusedFresh(unsecured(claims))).toMatch(/HS256/);
    expect(await refusedFresh(await sign({ sub: 'user-42' }, { alg: 'HS512' }))).toMatch(/HS256/);
    expect(await refusedFresh(await sign({ sub: 'user-42' }, { alg: 'HS384' }))).toMatch(/HS256/);
    expect(await fx.gateway.store.findVisitorByUser('acme', 'user-42')).toBeUndefined();
  });

  it('refuses a token for a site without a secret, naming the site', async () => {
    expect(await refusedFresh(await sign({ sub: 'u' }), 'globex')).toMatch(/no identity secret.*"globex"/);
  });

  it('refuses tokens living longer than 24 hours, measured from iat or from now', async () => {
    expect(await refusedFresh(await sign({ sub: 'u' }, { expiresIn: '25h' }))).toMatch(/24 hours/);
    expect(await refusedFresh(await sign({ sub: 'u' }, { expiresIn: '25h', issuedAt: false }))).toMatch(/24 hours/);
    // An iat in the past does not shorten a long life; an iat in the future is refused outright.
    expect(
      await refusedFresh(await sign({ sub: 'u' }, { issuedAt: nowS() - 3600, expiresIn: nowS() + 24 * 3600 })),
    ).toMatch(/24 hours/);
    expect(
      await refusedFresh(await sign({ sub: 'u' }, { issuedAt: nowS() + 3600 * 48, expiresIn: nowS() + 49 * 3600 })),
    ).toMatch(/future/);
    const { welcome } = await fx.visitor({ userToken: await sign({ sub: 'u' }, { expiresIn: '23h' }) });
    expect(welcome.user).toEqual({ id: 'u' });
  });

  it('refuses malformed tokens and claims without refusing the connection', async () => {
    expect(await refusedFresh('not-a-jwt')).toMatch(/malformed/);
    expect(await refusedFresh(42)).toMatch(/malformed/);
    expect(await refusedFresh(`${'a'.repeat(3000)}.${'b'.repeat(2000)}.c`)).toMatch(/malformed.*4096/);
    expect(await refusedFresh(await sign({ name: 'No Id' }))).toMatch(/"sub"/);
    expect(await refusedFresh(await sign({ sub: 'x'.repeat(257) }))).toMatch(/"sub"/);
    expect(await refusedFresh(await sign({ sub: 'u', name: 'n'.repeat(201) }))).toMatch(/"name"/);
    expect(await refusedFresh(await sign({ sub: 'u', email: ['a@b.c'] }))).toMatch(/"email"/);
    expect(await refusedFresh(await sign({ sub: 'u', exp: undefined }, { issuedAt: false }))).toMatch(/"exp"/);
    expect(await refusedFresh(await sign({ sub: 'u', nbf: nowS() + 3600 }))).toMatch(/not valid yet/);
  });

  it('keeps an anonymous session anonymous and a linked one on its user; never attaches anyone', async () => {
    const anon = await fx.visitor();
    const anonConv = (await send(anon.socket, 'anon', 'anon-msg-0001')).message.conversationId;
    const badForAnon = await fx.visitor({
      session: anon.welcome.session!,
      lastSeq: 1,
      userToken: await sign({ sub: 'mallory' }, { secret: 'y'.repeat(40) }),
    });
    expect(badForAnon.welcome).toMatchObject({ session: null, conversationId: anonConv });
    expectAnonymous(badForAnon.welcome);
    expect(await fx.gateway.store.findVisitorByUser('acme', 'mallory')).toBeUndefined();

    // A page left open past the token's expiry reconnects with it: a session bound to a user needs that user's valid
    // token, so it gets a fresh anonymous session and never the user's conversation.
    const linked = await fx.visitor({ userToken: await sign({ sub: 'user-9' }) });
    await send(linked.socket, 'user-9 private', 'user9-msg-1');
    const expired = await sign({ sub: 'user-9' }, { issuedAt: nowS() - 900, expiresIn: nowS() - 300 });
    const reconnect = await fx.visitor({ session: linked.welcome.session!, lastSeq: 0, userToken: expired });
    expect(reconnect.welcome).toMatchObject({ renewed: 'identity_required', conversationId: null, messages: [] });
    expect(reconnect.welcome.user).toBeUndefined();
    expect(reconnect.welcome.userTokenRefused?.message).toMatch(/expired/);
  });

  it('treats an empty or null token as no token', async () => {
    for (const userToken of ['', null]) {
      const { welcome } = await fx.visitor({ userToken: userToken as string });
      expect(welcome.user).toBeUndefined();
      expect(welcome.userTokenRefused).toBeUndefined();
    }
  });

  it('logs a refusal at info level with the reason, never the token or a secret', async () => {
    const bad = await sign({ sub: 'user-42' }, { secret: 'z'.repeat(40) });
    const good = await sign({ sub: 'user-43' });
    await fx.visitor({ userToken: bad });
    await fx.visitor({ userToken: good });
    const refusals = logLines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'user token refused');
    expect(refusals).toEqual([expect.objectContaining({ level: 'info', site: 'acme', reason: expect.any(String) })]);
    expect(refusals[0].reason).toMatch(/signature/);
    const all = logLines.join('\n');
    for (const secret of [bad, good, ACME_SECRET, SHOP_SECRET, 'z'.repeat(40)]) expect(all).not.toContain(secret);
  });
});

describe('identity verifier', () => {
  const verify = createIdentityVerifier(new Map([['acme', ACME_SECRET]]));

  it('returns the user from sub, name and email, trimmed, with null or blank ones dropped', async () => {
    expect(await verify('acme', await sign({ sub: 'u1', name: '  Ada  ', email: null }))).toEqual({
      ok: true,
      user: { id: 'u1', name: 'Ada' },
    });
    expect(await verify('acme', await sign({ sub: 'u1', name: ' ', email: 'a@example.com', extra: 1 }))).toEqual({
      ok: true,
      user: { id: 'u1', email: 'a@example.com' },
    });
  });

  it('accepts 30 seconds of clock skew and no more', async () => {
    const token = await sign({ sub: 'u1' }, { issuedAt: nowS() - 600, expiresIn: nowS() - 10 });
    expect((await verify('acme', token)).ok).toBe(true);
    expect(await verify('acme', token, Date.now() + 60_000)).toMatchObject({ ok: false, message: /expired/ });
  });

  it('refuses to be built with a secret shorter than 32 characters', () => {
    expect(() => createIdentityVerifier(new Map([['acme', 'short']]))).toThrow(/"acme".*32/);
  });
});

describe('PARLEY_SITE_SECRETS', () => {
  const secret = 's'.repeat(32);

  it('parses site:secret pairs, the secret being everything after the first colon', () => {
    expect(readConfig({}).siteSecrets).toEqual(new Map());
    expect(readConfig({ PARLEY_SITE_SECRETS: '  ' }).siteSecrets).toEqual(new Map());
    expect(parseSiteSecrets(` acme : ${secret} ,shop.example:${secret}:with:colons`)).toEqual(
      new Map([
        ['acme', secret],
        ['shop.example', `${secret}:with:colons`],
      ]),
    );
  });

  it('rejects malformed entries, short secrets and duplicates, naming the variable, never the secret', () => {
    const hidden = 'hunter2-hunter2-hunter2';
    for (const [value, message] of [
      ['acme', /entry 1 is malformed/],
      [`acme:${secret},`, /entry 2 is malformed/],
      [`:${secret}`, /entry 1 is malformed/],
      ['acme:', /entry 1 is malformed/],
      [`ac me:${secret}`, /entry 1 is malformed.*site/],
      [`acme:${hidden}`, /"acme" is too short.*32/],
      [`acme:${secret},acme:${secret}x`, /"acme" twice/],
    ] as const) {
      expect(() => readConfig({ PARLEY_SITE_SECRETS: value }), value).toThrow(message);
      try {
        parseSiteSecrets(value);
      } catch (err) {
        expect((err as Error).message).toMatch(/^PARLEY_SITE_SECRETS/);
        expect((err as Error).message).not.toContain(hidden);
        expect((err as Error).message).not.toContain(secret);
      }
    }
  });

  it('makes the gateway refuse a short secret before opening anything', async () => {
    const base = {
      dbPath: ':memory:',
      distDir: tmpdir(),
      agents: [{ name: 'Ana', token: 'ana-token-0123456789-abcd' }],
    };
    await expect(createGateway({ ...base, siteSecrets: { acme: 'too-short' } })).rejects.toThrow(/at least 32/);
  });

  it('stops main.ts with exit code 1 and a clear message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-main-id-'));
    try {
      const gateway = runNode({
        script: await bundleGateway(dir),
        cwd: dir,
        inheritEnv: false,
        env: {
          PATH: process.env.PATH ?? '',
          PORT: '0',
          PARLEY_DB: join(dir, 'data', 'p.db'),
          PARLEY_SITE_SECRETS: 'acme:hunter2',
        },
      });
      const { code } = await gateway.exited;
      expect(code).toBe(1);
      expect(gateway.output()).toMatch(/PARLEY_SITE_SECRETS: the secret of site "acme" is too short/);
      expect(gateway.output()).not.toContain('hunter2');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('identity storage', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-id-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('upgrades a database of the first release: existing sessions keep working and can be identified', async () => {
    const path = join(dir, 'old.db');
    const raw = new Database(path);
    raw.exec(MIGRATIONS[0]!);
    raw.pragma('user_version = 1');
    raw.prepare("INSERT INTO visitors (id, site, created_at) VALUES ('v-old', 'acme', 1)").run();
    raw
      .prepare(
        "INSERT INTO conversations (id, visitor_id, site, last_activity_at, created_at) VALUES ('c-old', 'v-old', 'acme', 1, 1)",
      )
      .run();
    raw
      .prepare(`INSERT INTO sessions (token_hash, visitor_id, created_at, last_seen_at) VALUES (?, 'v-old', 1, 1)`)
      .run(hashToken('old-token'));
    // A visitor of that release who wrote: its conversation is kept; the empty one above is deleted by the upgrade.
    raw.prepare("INSERT INTO visitors (id, site, created_at) VALUES ('v-wrote', 'acme', 1)").run();
    raw
      .prepare(
        "INSERT INTO conversations (id, visitor_id, site, last_seq, last_activity_at, created_at) VALUES ('c-wrote', 'v-wrote', 'acme', 1, 1, 1)",
      )
      .run();
    raw
      .prepare(
        "INSERT INTO messages (id, conversation_id, seq, author, text, created_at) VALUES ('m', 'c-wrote', 1, 'visitor', 'hi', 1)",
      )
      .run();
    raw.close();

    const store = openSqliteStore({ path });
    try {
      expect((await store.listConversations()).map((c) => c.id)).toEqual(['c-wrote']);
      const found = await store.findSession(hashToken('old-token'));
      expect(found).toMatchObject({ visitorId: 'v-old', conversationId: 'c-old', started: false });
      expect(found?.user).toBeUndefined();
      const { session, updated } = await store.identifySession(hashToken('old-token'), { id: 'u', name: 'U' }, 'r', 2);
      expect(updated).toBe(true);
      expect(session).toMatchObject({ visitorId: 'v-old', conversationId: 'c-old', user: { id: 'u', name: 'U' } });
      // Its first message recreates the conversation under the id it always had.
      expect(await store.appendMessage('c-old', { author: 'visitor', text: 'back' })).toMatchObject({ created: true });
    } finally {
      await store.close();
    }
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    check.close();
  });

  it('renews an expired or unknown session token into the user’s conversation, never another one', async () => {
    const store = openSqliteStore({ path: join(dir, 'r.db') });
    try {
      const day = 24 * 60 * 60 * 1000;
      const user = { id: 'u', name: 'U' };
      const owner = await resolveSession(store, { site: 'acme', meta: {}, now: 1, user });
      expect(owner).toMatchObject({ switched: true, identityChanged: true, session: { user } });
      const stale = await resolveSession(store, { site: 'acme', meta: {}, now: 1 });
      const renewed = await resolveSession(store, {
        token: stale.token!,
        site: 'acme',
        meta: {},
        now: 1 + SESSION_TTL_MS + day,
        user,
      });
      expect(renewed).toMatchObject({ renewed: 'session_expired', switched: true, identityChanged: false });
      expect(renewed.session.conversationId).toBe(owner.session.conversationId);
      const elsewhere = await resolveSession(store, { token: owner.token!, site: 'shop', meta: {}, now: 2, user });
      expect(elsewhere.renewed).toBe('session_unknown');
      expect(elsewhere.session.conversationId).not.toBe(owner.session.conversationId);
      // The same session again with the same user: nothing switched, nothing for agents.
      const same = await resolveSession(store, { token: owner.token!, site: 'acme', meta: {}, now: 3, user });
      expect(same).toMatchObject({ token: null, switched: false, identityChanged: false });
    } finally {
      await store.close();
    }
  });

  it('links a user to at most one visitor per site, allows any number of anonymous ones, and keeps sites apart', async () => {
    const store = openSqliteStore({ path: join(dir, 'p.db') });
    try {
      const meta = {};
      await store.createSession({ tokenHash: 'anon-1', site: 'acme', meta, now: 1 });
      await store.createSession({ tokenHash: 'anon-2', site: 'acme', meta, now: 1 });
      const a = await store.createUserSession({ tokenHash: 'a', site: 'acme', meta, now: 1, user: { id: 'u' } });
      const b = await store.createUserSession({ tokenHash: 'b', site: 'acme', meta, now: 2, user: { id: 'u' } });
      const shop = await store.createUserSession({ tokenHash: 's', site: 'shop', meta, now: 1, user: { id: 'u' } });
      expect(a.updated).toBe(true);
      expect(b).toEqual({
        session: { ...a.session, tokenHash: 'b', createdAt: 2, lastSeenAt: 2 },
        updated: false,
        rotated: false,
      });
      expect(shop.session.visitorId).not.toBe(a.session.visitorId);
      await expect(store.identifySession('missing', { id: 'u' }, 'r', 3)).rejects.toThrow(/session not found/);
    } finally {
      await store.close();
    }
    // The schema itself refuses a second visitor for one (site, user).
    const raw = new Database(join(dir, 'p.db'));
    expect(() =>
      raw.prepare("INSERT INTO visitors (id, site, user_id, created_at) VALUES ('dup', 'acme', 'u', 1)").run(),
    ).toThrow(/UNIQUE/);
    raw.close();
  });
});
