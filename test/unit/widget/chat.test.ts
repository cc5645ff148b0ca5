// @vitest-environment happy-dom
// The widget's delivery and catch-up against the real gateway (in-process), with faults injected on the test side
// (test/support/faults.ts): the gateway's own deduplication and history are what the widget relies on here.
import 'fake-indexeddb/auto';
import '../../support/node-websocket';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Chat, createChat, DELIVERY } from '../../../src/app/chat';
import { createOutbox, type Outbox } from '../../../src/app/outbox';
import { createTabs } from '../../../src/app/tabs';
import { faultSends, type SendFaults } from '../../support/faults';
import { call, type Fixture, startGateway } from '../../support/in-process-gateway';

let site = 0;
let chat: Chat | undefined;
let fx: Fixture;
let faults: SendFaults;
const saved = { ...DELIVERY };

/** A widget that keeps its session token across reconnections, as the page's localStorage does. */
function start(tabs = createTabs(`chat${site + 1}`), wrap = (outbox: Outbox) => outbox): Chat {
  const name = `chat${++site}`;
  let session: string | undefined;
  chat = createChat(fx.url, wrap(createOutbox(name)), tabs, {
    auth: () => ({ site: name, ...(session ? { session } : {}) }),
    onWelcome: (w) => {
      session = w.session ?? session;
    },
    onMessage: () => {},
    onStatus: () => {},
    onPending: () => {},
    notice: (kind) => kind,
  });
  return chat;
}

/** The texts the gateway stored in the conversation of `c`, in seq order. */
async function stored(c: Chat): Promise<string[]> {
  const conversationId = c.getState().messages[0]?.conversationId;
  if (!conversationId) return [];
  return (await fx.gateway.store.messagesAfter(conversationId, 0)).messages.map((m) => m.text);
}

const texts = (c: Chat) => c.getState().messages.map((m) => m.text);

beforeEach(async () => {
  globalThis.indexedDB = new IDBFactory();
  // Long enough that a loaded machine does not time out a real ack; short enough to retry dropped ones quickly.
  Object.assign(DELIVERY, { ackTimeoutMs: 1000, retryBaseMs: 10, retryMaxMs: 50 });
  fx = await startGateway();
  faults = faultSends(fx.gateway.io);
});
afterEach(async () => {
  chat?.destroy();
  chat = undefined;
  await fx.stop();
  Object.assign(DELIVERY, saved);
});

describe('delivery', () => {
  it('retries a send whose ack was lost, and the gateway stores it once', async () => {
    faults.dropAcks(2);
    const c = start();
    await c.send('hello');
    await expect.poll(() => texts(c), { timeout: 10_000 }).toEqual(['hello']);
    expect(faults.attempts).toHaveLength(3);
    expect(new Set(faults.attempts).size).toBe(1);
    expect(await stored(c)).toEqual(['hello']);
    expect(c.getState().pending).toEqual([]);
  });

  it('retries a send whose ack came after the timeout, and shows it once', async () => {
    faults.delayAcks(1, 1500);
    const c = start();
    await c.send('late');
    await expect.poll(() => texts(c), { timeout: 10_000 }).toEqual(['late']);
    expect(faults.attempts).toHaveLength(2);
    // The late ack of the first attempt arrives after the second one's: nothing more to show.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(texts(c)).toEqual(['late']);
    expect(await stored(c)).toEqual(['late']);
  });

  it('delivers concurrent sends exactly once and in call order, one in flight at a time', async () => {
    faults.dropAcks(1);
    const c = start();
    const sent = Array.from({ length: 12 }, (_, i) => `m${i}`);
    await Promise.all(sent.map((t) => c.send(t)));
    await expect.poll(() => c.getState().messages.length, { timeout: 10_000 }).toBe(12);
    expect(await stored(c)).toEqual(sent);
    expect(c.getState().messages.map((m) => m.seq)).toEqual(sent.map((_, i) => i + 1));
  });

  it('sends a message queued while the flush is finding the outbox empty, without waiting for another trigger', async () => {
    let c: Chat | undefined;
    let raced = false;
    let empty = 0;
    const c1 = start(undefined, (outbox) => ({
      ...outbox,
      async all() {
        const entries = await outbox.all();
        // After 'first' is acknowledged the outbox is read twice: for the pending list, then by the flush, which
        // finds it empty. 'second' arrives just then, before the flush decides it is done (its own flush request
        // comes while this one still runs).
        if (entries.length === 0 && c && texts(c).includes('first') && !raced && ++empty === 2) {
          raced = true;
          await c.send('second');
        }
        return entries;
      },
    }));
    c = c1;
    await c1.send('first');
    await expect.poll(() => raced, { timeout: 10_000 }).toBe(true);
    await expect.poll(() => texts(c1), { timeout: 5000 }).toEqual(['first', 'second']);
    expect(await stored(c1)).toEqual(['first', 'second']);
  });

  it('keeps retrying after a storage error, and marks a permanent refusal as not sent without blocking the rest', async () => {
    faults.refuse('storage_error', 'invalid_payload');
    const c = start();
    await c.send('first');
    await c.send('second');
    await expect.poll(() => texts(c), { timeout: 10_000 }).toEqual(['second']);
    expect(await stored(c)).toEqual(['second']);
    const [pending] = c.getState().pending;
    expect(pending?.text).toBe('first');
    expect(pending?.failed).toBe('invalid_payload');
    c.retry(pending!.clientId);
    await expect.poll(() => stored(c), { timeout: 10_000 }).toEqual(['second', 'first']);
  });

  it('queues while the gateway is unreachable and flushes when it comes back', async () => {
    const port = Number(new URL(fx.url).port);
    await fx.gateway.close();
    const c = start();
    await c.send('while down');
    expect(c.getState().pending.map((p) => p.text)).toEqual(['while down']);
    expect(c.getState().status).not.toBe('online');
    await fx.restart({}, port);
    await expect.poll(() => texts(c), { timeout: 15_000 }).toEqual(['while down']);
    expect(await stored(c)).toEqual(['while down']);
  });
});

describe('catch-up', () => {
  it('fetches the messages the gateway says may not have reached it, and shows each once', async () => {
    const c = start();
    await c.send('hello');
    await expect.poll(() => texts(c), { timeout: 10_000 }).toEqual(['hello']);
    const conversationId = c.getState().messages[0]!.conversationId;
    // Stored without a broadcast, as when one between gateway processes was lost.
    for (const text of ['lost reply', 'another'])
      await fx.gateway.store.appendMessage(conversationId, { author: 'agent', agentName: 'Ana', text });
    fx.gateway.io.of('/visitor').emit('resync');
    await expect.poll(() => texts(c), { timeout: 10_000 }).toEqual(['hello', 'lost reply', 'another']);
    fx.gateway.io.of('/visitor').emit('resync');
    await c.send('after');
    await expect.poll(() => c.getState().messages.map((m) => m.seq), { timeout: 10_000 }).toEqual([1, 2, 3, 4]);
  });

  it('after a reconnect, pages through the replies stored while disconnected, in seq order and once each', async () => {
    const c = start();
    await c.send('hello');
    await expect.poll(() => texts(c), { timeout: 10_000 }).toEqual(['hello']);
    const conversationId = c.getState().messages[0]!.conversationId;

    // The gateway turns the widget away (a temporary refusal it retries) and cuts its connection.
    let down = true;
    fx.gateway.io
      .of('/visitor')
      .use((_socket, next) =>
        next(down ? Object.assign(new Error('busy'), { data: { code: 'storage_error' } }) : undefined),
      );
    for (const socket of fx.gateway.io.of('/visitor').sockets.values()) socket.conn.close();
    await expect.poll(() => c.getState().status, { timeout: 10_000 }).not.toBe('online');

    // More replies than the welcome's first page holds (LIMITS.pageBytes, 256 KiB): 25 of ~12 KB of UTF-8 each.
    const agent = await fx.agent();
    const replies = Array.from({ length: 25 }, (_, i) => `${i} ${'€'.repeat(3990)}`);
    for (const [i, text] of replies.entries()) {
      const ack = await call(agent.socket, 'send', { conversationId, clientId: `agent-reply-${i}`, text });
      expect(ack).toMatchObject({ ok: true });
    }
    expect((await fx.gateway.store.messagesAfter(conversationId, 1)).more).toBe(true);

    down = false;
    await expect.poll(() => c.getState().messages.length, { timeout: 15_000 }).toBe(26);
    expect(texts(c)).toEqual(['hello', ...replies]);
    expect(c.getState().messages.map((m) => m.seq)).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
  });
});

describe('destroy', () => {
  it('ends a flush that is waiting to retry, so the outbox lock is released', async () => {
    faults.dropAcks(1000);
    Object.assign(DELIVERY, { ackTimeoutMs: 50, retryBaseMs: 60_000, retryMaxMs: 60_000 });
    const order: string[] = [];
    const tabs = createTabs(`chat${site + 1}`);
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
    const c = start(tabs);
    await c.send('never acked');
    await expect.poll(() => faults.attempts.length, { timeout: 10_000 }).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(order).toEqual([]);
    c.destroy();
    await expect.poll(() => order).toEqual(['released outbox']);
  });
});
