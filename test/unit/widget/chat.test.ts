// @vitest-environment happy-dom
import 'fake-indexeddb/auto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IDBFactory } from 'fake-indexeddb';
import { Server } from 'socket.io';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Chat, createChat, DELIVERY } from '../../../src/app/chat';
import { createOutbox } from '../../../src/app/outbox';
import { createTabs } from '../../../src/app/tabs';
import type { HistoryPayload, Message, SendPayload, VisitorWelcome } from '../../../src/protocol';

/**
 * A fixture gateway speaking the visitor protocol with scenarios: it drops the first `dropAcks` sends on the floor
 * (never acks them) and stores by client id, as the real gateway does, so retries can be counted.
 */
async function fixture(options: { dropAcks?: number; errorAcks?: string[]; port?: number } = {}) {
  const http = createServer();
  const io = new Server(http);
  const stored: Message[] = [];
  const attempts: string[] = [];
  let dropped = 0;
  const errors = [...(options.errorAcks ?? [])];
  io.of('/visitor').on('connection', (socket) => {
    const welcome: VisitorWelcome = {
      session: 'token',
      conversationId: 'c1',
      status: 'open',
      presence: 'online',
      messages: stored,
      more: false,
    };
    socket.emit('welcome', welcome);
    socket.on('send', ({ clientId, text }: SendPayload, ack: (a: unknown) => void) => {
      attempts.push(clientId);
      if (dropped < (options.dropAcks ?? 0)) {
        dropped++;
        return;
      }
      const code = errors.shift();
      if (code) return ack({ ok: false, code, message: code });
      const existing = stored.find((m) => m.clientId === clientId);
      const message = existing ?? {
        id: `m${stored.length + 1}`,
        conversationId: 'c1',
        seq: stored.length + 1,
        author: 'visitor' as const,
        clientId,
        text,
        createdAt: Date.now(),
      };
      if (!existing) stored.push(message);
      ack({ ok: true, message, duplicate: !!existing });
    });
    socket.on('history', ({ afterSeq }: HistoryPayload, ack: (a: unknown) => void) =>
      ack({ ok: true, messages: stored.filter((m) => m.seq > afterSeq), more: false }),
    );
  });
  await new Promise<void>((resolve) => http.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  /** Stores an agent reply without sending it, as when a broadcast between gateway processes was lost. */
  const storeUnsent = (text: string) =>
    stored.push({
      id: `m${stored.length + 1}`,
      conversationId: 'c1',
      seq: stored.length + 1,
      author: 'agent',
      text,
      createdAt: Date.now(),
    });
  const resync = () => io.of('/visitor').emit('resync');
  return {
    url,
    stored,
    attempts,
    storeUnsent,
    resync,
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
}

let site = 0;
let chat: Chat | undefined;
let server: Awaited<ReturnType<typeof fixture>> | undefined;
const saved = { ...DELIVERY };

function start(url: string): Chat {
  const name = `chat${++site}`;
  chat = createChat(url, createOutbox(name), createTabs(name), {
    auth: () => ({ site: name }),
    onWelcome: () => {},
    onMessage: () => {},
    onStatus: () => {},
    onPending: () => {},
    notice: (kind) => kind,
  });
  return chat;
}

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
  Object.assign(DELIVERY, { ackTimeoutMs: 150, retryBaseMs: 10, retryMaxMs: 50 });
});
afterEach(async () => {
  chat?.destroy();
  await server?.close();
  Object.assign(DELIVERY, saved);
});

describe('delivery', () => {
  it('retries a send the gateway never acknowledged, and the conversation holds it once', async () => {
    server = await fixture({ dropAcks: 2 });
    const c = start(server.url);
    await c.send('hello');
    await expect.poll(() => c.getState().messages.map((m) => m.text), { timeout: 5000 }).toEqual(['hello']);
    expect(server.attempts).toHaveLength(3);
    expect(new Set(server.attempts).size).toBe(1);
    expect(server.stored.map((m) => m.text)).toEqual(['hello']);
    expect(c.getState().pending).toEqual([]);
  });

  it('delivers concurrent sends exactly once and in call order, one in flight at a time', async () => {
    server = await fixture({ dropAcks: 1 });
    const c = start(server.url);
    const texts = Array.from({ length: 12 }, (_, i) => `m${i}`);
    await Promise.all(texts.map((t) => c.send(t)));
    await expect.poll(() => server!.stored.length, { timeout: 5000 }).toBe(12);
    expect(server.stored.map((m) => m.text)).toEqual(texts);
    expect(c.getState().messages.map((m) => m.seq)).toEqual(texts.map((_, i) => i + 1));
  });

  it('keeps retrying after a storage error, and marks a permanent refusal as not sent without blocking the rest', async () => {
    server = await fixture({ errorAcks: ['storage_error', 'invalid_payload'] });
    const c = start(server.url);
    await c.send('first');
    await c.send('second');
    await expect.poll(() => server!.stored.map((m) => m.text), { timeout: 5000 }).toEqual(['second']);
    const [pending] = c.getState().pending;
    expect(pending?.text).toBe('first');
    expect(pending?.failed).toBe('invalid_payload');
    c.retry(pending!.clientId);
    await expect.poll(() => server!.stored.map((m) => m.text), { timeout: 5000 }).toEqual(['second', 'first']);
  });

  it('queues while the gateway is unreachable and flushes when it comes back', async () => {
    server = await fixture();
    const { url } = server;
    await server.close();
    const c = start(url);
    await c.send('while down');
    expect(c.getState().pending.map((p) => p.text)).toEqual(['while down']);
    expect(c.getState().status).not.toBe('online');
    server = await fixture({ port: Number(new URL(url).port) });
    await expect.poll(() => server!.stored.map((m) => m.text), { timeout: 10_000 }).toEqual(['while down']);
  });
});

describe('resync', () => {
  it('fetches the messages the gateway says may not have reached it, and shows each once', async () => {
    server = await fixture();
    const c = start(server.url);
    await c.send('hello');
    await expect.poll(() => c.getState().messages.map((m) => m.text), { timeout: 5000 }).toEqual(['hello']);
    server.storeUnsent('lost reply');
    server.storeUnsent('another');
    server.resync();
    await expect
      .poll(() => c.getState().messages.map((m) => m.text), { timeout: 5000 })
      .toEqual(['hello', 'lost reply', 'another']);
    server.resync();
    await c.send('after');
    await expect.poll(() => c.getState().messages.map((m) => m.seq), { timeout: 5000 }).toEqual([1, 2, 3, 4]);
  });
});

describe('destroy', () => {
  it('ends a flush that is waiting to retry, so the outbox lock is released', async () => {
    server = await fixture({ dropAcks: 1000 });
    Object.assign(DELIVERY, { ackTimeoutMs: 50, retryBaseMs: 60_000, retryMaxMs: 60_000 });
    const name = `chat${++site}`;
    const order: string[] = [];
    const tabs = createTabs(name);
    // Records when the flush (which runs inside tabs.exclusive) ends.
    const exclusive = tabs.exclusive.bind(tabs);
    tabs.exclusive = (lock, fn) =>
      exclusive(lock, async () => {
        try {
          return await fn();
        } finally {
          order.push(`released ${lock}`);
        }
      });
    const c = createChat(server.url, createOutbox(name), tabs, {
      auth: () => ({ site: name }),
      onWelcome: () => {},
      onMessage: () => {},
      onStatus: () => {},
      onPending: () => {},
      notice: (kind) => kind,
    });
    await c.send('never acked');
    await expect.poll(() => server!.attempts.length, { timeout: 5000 }).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(order).toEqual([]);
    c.destroy();
    await expect.poll(() => order).toEqual(['released outbox']);
  });
});
