// @vitest-environment node
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../../demo/server/config';
import { createLogger } from '../../../demo/server/log';
import {
  EMPTY_SESSION_TTL_MS,
  hashToken,
  newToken,
  resolveSession,
  SESSION_TTL_MS,
} from '../../../demo/server/sessions';
import { openStore } from '../../../demo/server/store/open';
import { MIGRATIONS } from '../../../demo/server/store/sqlite/migrations';
import { openSqliteStore, type SqliteStore } from '../../../demo/server/store/sqlite/store';
import { NotFoundError, type Store, StoreError } from '../../../demo/server/store/types';

let dir: string;
let dbPath: string;
let stores: Store[];
const open = (options: Partial<Parameters<typeof openSqliteStore>[0]> = {}) => {
  const store = openSqliteStore({ path: dbPath, ...options });
  stores.push(store);
  return store;
};
const conversation = async (store: Store, now = Date.now()) =>
  (await store.createSession({ tokenHash: hashToken(newToken()), site: 'acme', meta: {}, now })).conversationId;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-store-'));
  dbPath = join(dir, 'nested', 'dir', 'parley.db');
  stores = [];
});
afterEach(async () => {
  for (const store of stores) await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('sqlite store', () => {
  it('creates the directory, uses WAL with synchronous NORMAL by default and FULL on request', async () => {
    const store = openSqliteStore({ path: dbPath });
    expect(store.settings()).toEqual({
      journalMode: 'wal',
      synchronous: 'normal',
      busyTimeoutMs: 1000,
      walAutocheckpoint: 0,
    });
    await store.close();
    const full = openSqliteStore({ path: dbPath, sync: 'full', busyTimeoutMs: 100 });
    expect(full.settings()).toEqual({
      journalMode: 'wal',
      synchronous: 'full',
      busyTimeoutMs: 100,
      walAutocheckpoint: 0,
    });
    await full.close();
    const raw = new Database(dbPath, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    raw.close();
  });

  it('waits the documented 1,000 ms for a lock when no busy timeout is given, however it is opened', async () => {
    // README: PARLEY_DB_BUSY_TIMEOUT_MS defaults to 1000; the store itself used to default to 5,000.
    const busyTimeout = (store: Store) => (store as SqliteStore).settings().busyTimeoutMs;
    expect(busyTimeout(open())).toBe(1000);
    const opened = await openStore({ dbPath }, createLogger('error'));
    stores.push(opened);
    expect(busyTimeout(opened)).toBe(1000);
    expect(readConfig({}).dbBusyTimeoutMs).toBe(1000);
  });

  it('keeps seq gap-free under many concurrent appends from two connections', async () => {
    const a = open();
    const b = open();
    const id = await conversation(a);
    // The visitor's first message creates the conversation (seq 1) before the race.
    await a.appendMessage(id, { author: 'visitor', text: 'first' });
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        (i % 2 ? a : b).appendMessage(id, {
          author: i % 3 ? 'visitor' : 'agent',
          clientId: `client-${i % 250}`,
          text: `${i}`,
        }),
      ),
    );
    const stored = results.filter((r) => !r.duplicate).map((r) => r.message.seq);
    expect(stored.sort((x, y) => x - y)).toEqual(Array.from({ length: stored.length }, (_, i) => i + 2));
    const page = await a.messagesAfter(id, 0, 1000);
    expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: stored.length + 1 }, (_, i) => i + 1));
    expect((await b.getConversation(id))?.lastSeq).toBe(stored.length + 1);
  });

  it('returns the original message for a repeated (author, clientId) and keeps authors apart', async () => {
    const store = open();
    const id = await conversation(store);
    const first = await store.appendMessage(id, { author: 'visitor', clientId: 'same-client-id', text: 'original' });
    const again = await store.appendMessage(id, { author: 'visitor', clientId: 'same-client-id', text: 'changed' });
    expect(again).toEqual({ message: first.message, duplicate: true, reopened: false, created: false });
    const agent = await store.appendMessage(id, {
      author: 'agent',
      agentName: 'Ana',
      clientId: 'same-client-id',
      text: 'from an agent',
    });
    expect(agent.duplicate).toBe(false);
    expect(agent.message).toMatchObject({ seq: 2, agentName: 'Ana', clientId: 'same-client-id' });
    const other = await conversation(store);
    const elsewhere = await store.appendMessage(other, { author: 'visitor', clientId: 'same-client-id', text: 'x' });
    expect(elsewhere).toMatchObject({ duplicate: false, message: { seq: 1 } });
  });

  it('pages messages after a seq', async () => {
    const store = open();
    const id = await conversation(store);
    for (let i = 0; i < 7; i++) await store.appendMessage(id, { author: 'visitor', text: `m${i}` });
    expect(await store.messagesAfter(id, 2, 3)).toMatchObject({
      more: true,
      messages: [{ seq: 3 }, { seq: 4 }, { seq: 5 }],
    });
    expect(await store.messagesAfter(id, 5, 3)).toMatchObject({ more: false, messages: [{ seq: 6 }, { seq: 7 }] });
    expect(await store.messagesAfter(id, 7)).toEqual({ messages: [], more: false });
  });

  it('summarises with unread counts, previews and visitor details', async () => {
    const store = open();
    const session = await store.createSession({
      tokenHash: 'h1',
      site: 'acme',
      meta: { page: { url: 'https://a.example/', title: 'A' }, locale: 'fr', userAgent: 'UA/1' },
      now: 1000,
    });
    const id = session.conversationId;
    await store.appendMessage(id, { author: 'visitor', text: 'x'.repeat(500) });
    await store.appendMessage(id, { author: 'visitor', text: 'second' });
    await store.appendMessage(id, { author: 'agent', agentName: 'Ana', text: 'reply' });
    const summary = await store.getConversation(id);
    expect(summary).toMatchObject({
      id,
      site: 'acme',
      status: 'open',
      lastSeq: 3,
      unread: 2,
      lastMessage: { author: 'agent', text: 'reply' },
      visitor: {
        id: session.visitorId,
        page: { url: 'https://a.example/', title: 'A' },
        locale: 'fr',
        userAgent: 'UA/1',
      },
    });
    expect(await store.markAgentRead(id, 1)).toBe(true);
    expect(await store.markAgentRead(id, 1)).toBe(false);
    expect((await store.getConversation(id))?.unread).toBe(1);
    expect(await store.markAgentRead(id, 0)).toBe(false);
    await store.updateVisitorMeta(session.visitorId, { locale: 'de' });
    expect((await store.getConversation(id))?.visitor).toMatchObject({
      locale: 'de',
      page: { url: 'https://a.example/' },
    });
    expect(await store.getConversation('nope')).toBeUndefined();
    expect(await store.setStatus('nope', 'resolved')).toBeUndefined();
  });

  it('lists by last activity and status; a visitor message reopens a resolved conversation', async () => {
    let clock = 1_000;
    const store = open({ now: () => clock });
    const older = await conversation(store, clock);
    const newer = await conversation(store, clock);
    clock = 2_000;
    await store.appendMessage(older, { author: 'visitor', text: 'a' });
    clock = 3_000;
    await store.appendMessage(newer, { author: 'visitor', text: 'b' });
    expect((await store.listConversations()).map((c) => c.id)).toEqual([newer, older]);
    await store.setStatus(newer, 'resolved');
    expect((await store.listConversations({ status: 'resolved' })).map((c) => c.id)).toEqual([newer]);
    expect((await store.listConversations({ status: 'open', limit: 10 })).map((c) => c.id)).toEqual([older]);
    clock = 4_000;
    expect((await store.appendMessage(newer, { author: 'agent', text: 'still resolved' })).reopened).toBe(false);
    const back = await store.appendMessage(newer, { author: 'visitor', text: 'again' });
    expect(back.reopened).toBe(true);
    expect((await store.getConversation(newer))?.status).toBe('open');
  });

  it('rejects appends to unknown conversations with NotFoundError and anything after close with StoreError', async () => {
    const store = open();
    await expect(store.appendMessage('missing', { author: 'visitor', text: 'x' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await store.close();
    await expect(store.listConversations()).rejects.toBeInstanceOf(StoreError);
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('keeps everything across reopening the file and refuses a newer schema', async () => {
    const store = open();
    const id = await conversation(store);
    await store.appendMessage(id, { author: 'visitor', clientId: 'persist-1', text: 'kept' });
    await store.close();
    const again = open();
    expect((await again.messagesAfter(id, 0)).messages.map((m) => m.text)).toEqual(['kept']);
    await again.close();
    const raw = new Database(dbPath);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => open()).toThrow(/newer than this gateway/);
  });
});

describe('sessions', () => {
  it('stores only the SHA-256 of a 32-byte token', async () => {
    const store = open();
    const resolved = await resolveSession(store, { site: 'acme', meta: {}, now: 1 });
    const token = resolved.token!;
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(resolved.session.tokenHash).toBe(hashToken(token));
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    await store.close();
    const raw = new Database(dbPath, { readonly: true });
    const rows = raw.prepare('SELECT token_hash FROM sessions').all() as { token_hash: string }[];
    raw.close();
    expect(rows).toEqual([{ token_hash: hashToken(token) }]);
  });

  it('resumes within 180 days of last use and renews after, without reviving the old conversation', async () => {
    const store = open();
    const start = 1_000_000;
    const first = await resolveSession(store, { site: 'acme', meta: {}, now: start });
    await store.appendMessage(first.session.conversationId, { author: 'visitor', text: 'hello' });
    const token = first.token!;
    const day = 24 * 60 * 60 * 1000;
    const later = await resolveSession(store, { token, site: 'acme', meta: {}, now: start + 179 * day });
    expect(later).toMatchObject({ token: null, session: { conversationId: first.session.conversationId } });
    // Use moved the expiry: 179 + 179 days after the start is still fine.
    const again = await resolveSession(store, { token, site: 'acme', meta: {}, now: start + 358 * day });
    expect(again.token).toBeNull();
    const expired = await resolveSession(store, {
      token,
      site: 'acme',
      meta: {},
      now: start + 358 * day + SESSION_TTL_MS + 1,
    });
    expect(expired.renewed).toBe('session_expired');
    expect(expired.session.conversationId).not.toBe(first.session.conversationId);
    const oldTokenAgain = await resolveSession(store, { token, site: 'acme', meta: {}, now: start + 400 * day });
    expect(oldTokenAgain.renewed).toBe('session_unknown');
  });

  it('forgets a session that never stored a message after 24 hours unused, or the configured time', async () => {
    const store = open();
    const start = 1_000_000;
    const hour = 60 * 60 * 1000;
    const first = await resolveSession(store, { site: 'acme', meta: {}, now: start });
    const token = first.token!;
    expect(first.session.started).toBe(false);
    const later = await resolveSession(store, { token, site: 'acme', meta: {}, now: start + EMPTY_SESSION_TTL_MS });
    expect(later.token).toBeNull();
    const expired = await resolveSession(store, {
      token,
      site: 'acme',
      meta: {},
      now: start + 2 * EMPTY_SESSION_TTL_MS + 1,
    });
    expect(expired.renewed).toBe('session_expired');
    expect(expired.session.conversationId).not.toBe(first.session.conversationId);

    const short = { emptyTtlMs: hour };
    const brief = await resolveSession(store, { site: 'acme', meta: {}, now: start }, short);
    const gone = await resolveSession(
      store,
      { token: brief.token!, site: 'acme', meta: {}, now: start + hour + 1 },
      short,
    );
    expect(gone.renewed).toBe('session_expired');
  });
});
