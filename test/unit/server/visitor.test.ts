// @vitest-environment node

import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LIMITS, type Message, PROTOCOL_VERSION, type SendResult } from '../../../src/protocol';
import { call, collect, type Fixture, settle, startGateway } from '../../support/in-process-gateway';

let fx: Fixture;
beforeEach(async () => {
  fx = await startGateway();
});
afterEach(async () => {
  await fx.stop();
});

async function send(socket: Socket, text: string, clientId: string) {
  const ack = await call<{ ok: true } & SendResult>(socket, 'send', { clientId, text });
  expect(ack.ok, JSON.stringify(ack)).toBe(true);
  return ack;
}

describe('visitor sessions', () => {
  it('gives a first visitor a new session, no conversation until the first message, and the agents presence', async () => {
    const { socket, welcome } = await fx.visitor();
    expect(welcome.session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(welcome.renewed).toBeUndefined();
    expect(welcome.conversationId).toBeNull();
    expect(welcome).toMatchObject({ status: 'open', presence: 'offline', messages: [], more: false });
    const { message } = await send(socket, 'first', 'client-first');
    expect(message).toMatchObject({ seq: 1, conversationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('resumes the same conversation with the token and sends only messages after lastSeq', async () => {
    const first = await fx.visitor();
    const sent = [];
    for (const n of [1, 2, 3]) sent.push(await send(first.socket, `m${n}`, `client-000${n}`));
    first.socket.close();

    const again = await fx.visitor({ session: first.welcome.session!, lastSeq: 1 });
    expect(again.welcome.session).toBeNull();
    expect(again.welcome.renewed).toBeUndefined();
    expect(again.welcome.conversationId).toBe(sent[0]!.message.conversationId);
    expect(again.welcome.messages.map((m) => [m.seq, m.text])).toEqual([
      [2, 'm2'],
      [3, 'm3'],
    ]);
  });

  it('renews an unknown token with a fresh conversation, never an existing one', async () => {
    const owner = await fx.visitor();
    await send(owner.socket, 'private', 'client-0001');
    const stranger = await fx.visitor({ session: 'forged-token-value', lastSeq: 0 });
    expect(stranger.welcome.renewed).toBe('session_unknown');
    expect(stranger.welcome.session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stranger.welcome.conversationId).toBeNull();
    expect(stranger.welcome.messages).toEqual([]);
  });

  it('treats a token of another site as unknown', async () => {
    const acme = await fx.visitor({ site: 'acme' });
    await send(acme.socket, 'mine', 'client-acme-1');
    const other = await fx.visitor({ site: 'globex', session: acme.welcome.session! });
    expect(other.welcome.renewed).toBe('session_unknown');
    expect(other.welcome).toMatchObject({ conversationId: null, messages: [] });
  });

  it('pages the catch-up at LIMITS.historyPage and serves the rest through history', async () => {
    await fx.restart({ rateLimit: false });
    const { socket, welcome } = await fx.visitor();
    const total = LIMITS.historyPage + 5;
    for (let i = 1; i <= total; i++) await send(socket, `n${i}`, `client-${String(i).padStart(4, '0')}`);
    const back = await fx.visitor({ session: welcome.session! });
    expect(back.welcome.messages).toHaveLength(LIMITS.historyPage);
    expect(back.welcome.more).toBe(true);
    const rest = await call(back.socket, 'history', { afterSeq: LIMITS.historyPage });
    expect(rest.ok).toBe(true);
    expect(rest.messages.map((m: Message) => m.seq)).toEqual([201, 202, 203, 204, 205]);
    expect(rest.more).toBe(false);
  });
});

describe('visitor send', () => {
  it('acks seq 1, 2, 3 in order, echoes to other tabs and delivers to agents', async () => {
    const agent = await fx.agent();
    const received = collect<Message>(agent.socket, 'message');
    const tab1 = await fx.visitor();
    const tab2 = await fx.visitor({ session: tab1.welcome.session! });
    const inOtherTab = collect<Message>(tab2.socket, 'message');
    const inSameTab = collect<Message>(tab1.socket, 'message');

    const acks = [];
    for (const text of ['one', 'two', 'three']) acks.push(await send(tab1.socket, text, `client-${text}-x`));
    expect(acks.map((a) => [a.ok, a.duplicate, a.message.seq, a.message.text, a.message.author])).toEqual([
      [true, false, 1, 'one', 'visitor'],
      [true, false, 2, 'two', 'visitor'],
      [true, false, 3, 'three', 'visitor'],
    ]);
    await settle(agent.socket, tab2.socket, tab1.socket);
    expect(received.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(received[0]).toEqual(acks[0]!.message);
    expect(inOtherTab.map((m) => m.text)).toEqual(['one', 'two', 'three']);
    // The sender learns its own message from the ack.
    expect(inSameTab).toEqual([]);
  });

  it('stores a message once when the same clientId is sent again, returning the original', async () => {
    const agent = await fx.agent();
    const received = collect<Message>(agent.socket, 'message');
    const { socket, welcome } = await fx.visitor();
    const first = await send(socket, 'hello', 'dup-client-1');
    const again = await send(socket, 'hello edited', 'dup-client-1');
    expect(again).toEqual({ ok: true, duplicate: true, message: first.message });
    expect(first.duplicate).toBe(false);

    // Even from another tab, after a reconnect.
    const tab = await fx.visitor({ session: welcome.session! });
    const third = await send(tab.socket, 'hello', 'dup-client-1');
    expect(third.message.id).toBe(first.message.id);
    expect(third.duplicate).toBe(true);

    await settle(agent.socket);
    expect(received).toHaveLength(1);
    const history = await call(socket, 'history', { afterSeq: 0 });
    expect(history.messages).toHaveLength(1);
  });

  it('assigns gap-free seqs to concurrent sends from several tabs', async () => {
    const tab1 = await fx.visitor();
    const tab2 = await fx.visitor({ session: tab1.welcome.session! });
    const acks = await Promise.all(
      Array.from({ length: 40 }, (_, i) => send(i % 2 ? tab1.socket : tab2.socket, `t${i}`, `concurrent-${i}`)),
    );
    expect(acks.map((a) => a.message.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('trims the text and refuses empty text, bad clientIds and wrong shapes with invalid_payload', async () => {
    const { socket } = await fx.visitor();
    const ok = await send(socket, '  padded \n', 'client-trim');
    expect(ok.message.text).toBe('padded');

    const bad: unknown[] = [
      { clientId: 'client-empty', text: '   ' },
      { clientId: 'short', text: 'hi' },
      { clientId: 'has space in it', text: 'hi' },
      { clientId: 'x'.repeat(65), text: 'hi' },
      { clientId: 'client-number', text: 42 },
      { text: 'no client id' },
      'just a string',
      null,
      [1, 2, 3],
      JSON.parse('{"__proto__": {"polluted": true}, "clientId": "client-proto", "text": {"toString": 1}}'),
    ];
    for (const payload of bad) {
      const ack = await call(socket, 'send', payload);
      expect(ack).toMatchObject({ ok: false, code: 'invalid_payload' });
      expect(typeof ack.message).toBe('string');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const history = await call(socket, 'history', { afterSeq: 0 });
    expect(history.messages.map((m: Message) => m.text)).toEqual(['padded']);
  });

  it('refuses text over LIMITS.messageLength with message_too_long and stores nothing', async () => {
    const { socket } = await fx.visitor();
    const tooLong = await call(socket, 'send', { clientId: 'client-long', text: 'a'.repeat(LIMITS.messageLength + 1) });
    expect(tooLong).toMatchObject({ ok: false, code: 'message_too_long' });
    const atLimit = await send(socket, 'b'.repeat(LIMITS.messageLength), 'client-limit');
    expect(atLimit.message.seq).toBe(1);
  });

  it('answers unknown events with unknown_event and other bad payloads with invalid_payload', async () => {
    const { socket } = await fx.visitor();
    expect(await call(socket, 'delete-everything', { all: true })).toMatchObject({ ok: false, code: 'unknown_event' });
    expect(await call(socket, 'open', { conversationId: 'x' })).toMatchObject({ ok: false, code: 'unknown_event' });
    expect(await call(socket, 'history', { afterSeq: -1 })).toMatchObject({ ok: false, code: 'invalid_payload' });
    expect(await call(socket, 'history', { afterSeq: 1.5 })).toMatchObject({ ok: false, code: 'invalid_payload' });
    expect(await call(socket, 'read', { seq: '3' })).toMatchObject({ ok: false, code: 'invalid_payload' });
    expect(await call(socket, 'typing', {})).toMatchObject({ ok: false, code: 'invalid_payload' });
    expect(await call(socket, 'page', { url: 'javascript:alert(1)', title: 'x' })).toMatchObject({
      ok: false,
      code: 'invalid_payload',
    });
  });

  it('survives events without an ack, with a non-function ack and named like reserved ones', async () => {
    const { socket } = await fx.visitor();
    socket.emit('send', { clientId: 'no-ack-1', text: 'fire and forget' });
    socket.emit('send', { clientId: 'bad-ack-1', text: 'not a function' }, 'ack?');
    socket.emit('typing');
    socket.emit('error', { boom: true });
    socket.emit('unknown-without-ack', 1);
    const history = await call(socket, 'history', { afterSeq: 0 });
    expect(history.messages.map((m: Message) => m.text).sort()).toEqual(['fire and forget', 'not a function']);
    expect(socket.connected).toBe(true);
  });

  it('refuses a flood with rate_limited', async () => {
    await fx.restart({ rateLimit: { burst: 5, perSecond: 1 } });
    const { socket } = await fx.visitor();
    const acks = await Promise.all(
      Array.from({ length: 8 }, (_, i) => call(socket, 'typing', { typing: i % 2 === 0 })),
    );
    expect(acks.filter((a) => a.ok)).toHaveLength(5);
    expect(acks.filter((a) => a.code === 'rate_limited')).toHaveLength(3);
  });
});

describe('visitor handshake', () => {
  it('refuses a disallowed Origin with origin_refused', async () => {
    const err = await fx.refused('/visitor', {
      auth: { v: 1, site: 'acme' },
      extraHeaders: { origin: 'https://evil.example' },
    });
    expect(err.data?.code).toBe('origin_refused');
  });

  it('accepts a same-origin page by default', async () => {
    const host = new URL(fx.url).host;
    const { welcome } = await fx.visitor({}, { extraHeaders: { origin: `http://${host}` } });
    expect(welcome.session).toBeTruthy();
  });

  it('accepts exactly the configured origins', async () => {
    await fx.restart({ origins: ['https://shop.example/'] });
    const { welcome } = await fx.visitor({}, { extraHeaders: { origin: 'https://shop.example' } });
    expect(welcome.session).toBeTruthy();
    // Long-polling needs CORS for that origin too.
    const polling = await fx.visitor({}, { transports: ['polling'], extraHeaders: { origin: 'https://shop.example' } });
    expect(polling.welcome.session).toBeTruthy();
    const cors = await fetch(`${fx.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: 'https://shop.example' },
    });
    expect(cors.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const host = new URL(fx.url).host;
    const err = await fx.refused('/visitor', {
      auth: { v: 1, site: 'acme' },
      extraHeaders: { origin: `http://${host}` },
    });
    expect(err.data?.code).toBe('origin_refused');
  });

  it('refuses a malformed auth payload with invalid_payload', async () => {
    const missing = await fx.refused('/visitor', { auth: { site: 'acme' } });
    expect(missing.data?.code).toBe('invalid_payload');
    const badSeq = await fx.refused('/visitor', { auth: { v: 1, site: 'acme', lastSeq: 'all' } });
    expect(badSeq.data?.code).toBe('invalid_payload');
  });

  it('refuses a widget that speaks another protocol version with version_unsupported, saying to reload', async () => {
    const err = await fx.refused('/visitor', { auth: { v: PROTOCOL_VERSION + 1, site: 'acme' } });
    expect(err.data).toMatchObject({ code: 'version_unsupported', message: expect.stringMatching(/reload/) });
  });

  it('drops a bad page in auth instead of refusing the visitor', async () => {
    const { welcome } = await fx.visitor({ page: { url: 'javascript:void 0', title: 'x' }, locale: '<script>' });
    expect(welcome.session).toBeTruthy();
  });

  it('answers a broken store with storage_error instead of crashing', async () => {
    const { socket } = await fx.visitor();
    await fx.gateway.store.close();
    const ack = await call(socket, 'send', { clientId: 'client-after-close', text: 'lost?' });
    expect(ack).toMatchObject({ ok: false, code: 'storage_error' });
    const err = await fx.refused('/visitor', { auth: { v: 1, site: 'acme' } });
    expect(err.data?.code).toBe('storage_error');
  });
});

describe('restarts', () => {
  it('keeps history and sessions across closing and reopening the gateway on the same db file', async () => {
    const before = await fx.visitor();
    const { message } = await send(before.socket, 'before restart', 'client-restart-1');
    await fx.restart();
    const after = await fx.visitor({ session: before.welcome.session!, lastSeq: 0 });
    expect(after.welcome.session).toBeNull();
    expect(after.welcome.conversationId).toBe(message.conversationId);
    expect(after.welcome.messages.map((m) => m.text)).toEqual(['before restart']);
    const next = await send(after.socket, 'after restart', 'client-restart-2');
    expect(next.message.seq).toBe(2);
    const dup = await send(after.socket, 'before restart', 'client-restart-1');
    expect(dup).toMatchObject({ duplicate: true, message: { seq: 1 } });
  });
});
