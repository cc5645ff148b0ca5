// @vitest-environment happy-dom
// The widget against the real gateway: a login in one tab rotates the session token that all tabs share, and
// shutdown() revokes the session on the gateway before forgetting it.
import 'fake-indexeddb/auto';
import '../../support/node-websocket';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../../demo/server/sessions';
import { type Chat, createChat, DELIVERY } from '../../../src/app/chat';
import { createOutbox } from '../../../src/app/outbox';
import { createTabs } from '../../../src/app/tabs';
import type { VisitorWelcome } from '../../../src/protocol';
import { type Fixture, signUserToken, startGateway } from '../../support/in-process-gateway';

const SECRET = 'acme-identity-secret-0123456789-abcdef';
const sign = (sub: string) => signUserToken(SECRET, sub);

let fx: Fixture;
const chats: Chat[] = [];
const saved = { ...DELIVERY };

/** What the tabs of one browser share: the session token in localStorage (see src/app/index.ts). */
interface Browser {
  session?: string;
}

/** One tab of `browser`: it presents the stored token (and its page's user token) and stores any new one. */
function tab(browser: Browser, userToken?: () => string | undefined) {
  const welcomes: VisitorWelcome[] = [];
  const chat = createChat(fx.url, createOutbox('acme'), createTabs('acme'), {
    auth: () => {
      const token = userToken?.();
      return {
        site: 'acme',
        ...(browser.session ? { session: browser.session } : {}),
        ...(token ? { userToken: token } : {}),
      };
    },
    onWelcome: (w) => {
      welcomes.push(w);
      if (w.session) browser.session = w.session;
    },
    onMessage: () => {},
    onStatus: () => {},
    onPending: () => {},
    notice: (kind) => kind,
  });
  chats.push(chat);
  return { chat, welcomes };
}

beforeEach(async () => {
  globalThis.indexedDB = new IDBFactory();
  Object.assign(DELIVERY, { ackTimeoutMs: 2000, retryBaseMs: 10, retryMaxMs: 50 });
  fx = await startGateway({ siteSecrets: { acme: SECRET } });
});
afterEach(async () => {
  for (const chat of chats.splice(0)) chat.destroy();
  Object.assign(DELIVERY, saved);
  await fx.stop();
});

describe('session rotation across tabs', () => {
  it('a login in one tab rotates the shared token; the other tab comes back with it, on the user’s conversation', async () => {
    const browser: Browser = {};
    let jwt: string | undefined;
    const a = tab(browser, () => jwt);
    await expect.poll(() => a.welcomes.length).toBe(1);
    const anonymous = browser.session!;
    expect(a.welcomes[0]!.conversationId).toBeNull();
    await a.chat.send('question before login');
    await expect.poll(() => a.chat.getState().messages.length).toBe(1);
    const conversationId = a.chat.getState().messages[0]!.conversationId;

    // A returning visitor's second tab, from a page that also carries the user token once they log in.
    const b = tab(browser, () => jwt);
    await expect.poll(() => b.chat.getState().status).toBe('online');
    expect(b.chat.getState().messages.map((m) => m.text)).toEqual(['question before login']);

    // The user logs in in tab A: its reconnection presents the token with the user token, and gets a new one.
    jwt = await sign('ada');
    a.chat.reconnect();
    await expect.poll(() => a.welcomes.length).toBe(2);
    expect(a.welcomes[1]).toMatchObject({ user: { id: 'ada' }, conversationId });
    expect(a.welcomes[1]!.renewed).toBeUndefined();
    expect(browser.session).not.toBe(anonymous);
    const rotated = browser.session;

    // Tab B's socket on the old token was closed by the gateway; it reconnects by itself with the rotated token:
    // same conversation, no renewal notice, and the rotated token is kept.
    await expect.poll(() => b.welcomes.length, { timeout: 10_000 }).toBe(2);
    expect(b.welcomes[1]).toMatchObject({ session: null, conversationId, user: { id: 'ada' } });
    expect(b.welcomes[1]!.renewed).toBeUndefined();
    expect(b.chat.getState()).toMatchObject({ status: 'online', notice: null });
    expect(b.chat.getState().messages.map((m) => m.text)).toEqual(['question before login']);
    expect(browser.session).toBe(rotated);
    // The pre-login token opens nothing any more.
    expect(await fx.gateway.store.findSession(hashToken(anonymous))).toBeUndefined();
  });
});

describe('shutdown', () => {
  it('revokes the session on the gateway before forgetting it', async () => {
    const browser: Browser = {};
    const a = tab(browser);
    await a.chat.send('private');
    await expect.poll(() => a.chat.getState().messages.length).toBe(1);
    const token = browser.session!;
    expect(await fx.gateway.store.findSession(hashToken(token))).toBeDefined();

    browser.session = undefined; // what Parley.shutdown() does to localStorage
    await a.chat.reset();
    expect(await fx.gateway.store.findSession(hashToken(token))).toBeUndefined();
    // The widget then starts afresh: a new anonymous session without the old conversation.
    await expect.poll(() => a.welcomes.length).toBe(2);
    expect(a.welcomes[1]).toMatchObject({ conversationId: null, messages: [] });
    expect(browser.session).not.toBe(token);
    expect(a.chat.getState().messages).toEqual([]);
  });

  it('offline, forgets the session locally without waiting for the gateway', async () => {
    const browser: Browser = {};
    const a = tab(browser);
    await a.chat.send('private');
    await expect.poll(() => a.chat.getState().messages.length).toBe(1);
    window.dispatchEvent(new Event('offline'));
    await expect.poll(() => a.chat.getState().status).toBe('offline');
    browser.session = undefined;
    await a.chat.reset();
    expect(a.chat.getState().messages).toEqual([]);
  });
});
