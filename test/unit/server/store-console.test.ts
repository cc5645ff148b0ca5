// @vitest-environment node
// Store contract of the agent console's tools (search, canned replies, visitor context), on SQLite and, with
// PARLEY_TEST_DATABASE_URL, on PostgreSQL (a schema per test).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../../demo/server/store/postgres/store';
import { searchTerms } from '../../../demo/server/store/search';
import { MIGRATIONS } from '../../../demo/server/store/sqlite/migrations';
import { openSqliteStore } from '../../../demo/server/store/sqlite/store';
import { ConflictError, NotFoundError, type Store } from '../../../demo/server/store/types';
import { CANNED, PAGE_HISTORY } from '../../../src/protocol';
import { databaseUnavailable, DATABASE_URL as PG_URL } from '../../support/cluster';

interface Backend {
  name: string;
  unavailable?: string;
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

function sqlite(): Backend {
  let dir = '';
  return {
    name: 'sqlite',
    async open() {
      dir = await mkdtemp(join(tmpdir(), 'parley-console-'));
      return openSqliteStore({ path: join(dir, 'parley.db') });
    },
    async cleanup() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

function postgres(unavailable: string | undefined): Backend {
  const schemas: string[] = [];
  return {
    name: 'postgres',
    ...(unavailable !== undefined ? { unavailable } : {}),
    async open() {
      const schema = `parley_console_${randomBytes(5).toString('hex')}`;
      schemas.push(schema);
      return openPostgresStore({ url: PG_URL!, schema, poolSize: 3 });
    },
    async cleanup() {
      if (schemas.length === 0) return;
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

const pgUnavailable = await databaseUnavailable();

describe.each([sqlite(), postgres(pgUnavailable)])('$name console tools', (backend) => {
  describe.skipIf(backend.unavailable !== undefined)('store', () => {
    let store: Store;
    let clock = 1_000_000;
    beforeEach(async () => {
      store = await backend.open();
    });
    afterEach(async () => {
      await store.close();
    });
    afterAll(() => backend.cleanup());

    const conversation = async (
      input: { site?: string; user?: { id: string; name?: string; email?: string } } = {},
    ) => {
      const tokenHash = `t-${randomBytes(8).toString('hex')}`;
      const base = { tokenHash, site: input.site ?? 'acme', meta: {}, now: clock++ };
      const session = input.user
        ? (await store.createUserSession({ ...base, user: input.user })).session
        : await store.createSession(base);
      return session;
    };
    const say = async (conversationId: string, text: string) =>
      (await store.appendMessage(conversationId, { author: 'visitor', text })).message;
    const search = (query: string, limit = 20) => store.search(searchTerms(query)!, limit);

    it('finds messages by word prefix, whatever the case and accents, one hit per conversation, newest first', async () => {
      const a = await conversation();
      const b = await conversation();
      await say(a.conversationId, 'My parcel never arrived');
      const later = await say(a.conversationId, 'Any news about the PARCEL?');
      const inB = await say(b.conversationId, 'Le café est froid, parcels too');
      await say(b.conversationId, 'unrelated');

      const hits = await search('parc');
      expect(hits.map((h) => [h.conversation.id, h.seq])).toEqual([
        [b.conversationId, inB.seq],
        [a.conversationId, later.seq],
      ]);
      const [inBHit, inAHit] = hits;
      expect(inAHit).toMatchObject({ field: 'message', snippet: 'Any news about the PARCEL?' });
      expect(inAHit!.snippet.slice(...inAHit!.matches[0]!)).toBe('PARC');
      expect(inBHit!.conversation.lastMessage?.text).toBe('unrelated');
      // SQLite's tokenizer drops accents; PostgreSQL's 'simple' configuration does not (no unaccent: see README).
      expect((await search(backend.name === 'sqlite' ? 'cafe' : 'café')).map((h) => h.seq)).toEqual([inB.seq]);
      // Every word must match.
      expect((await search('parcel news')).map((h) => h.seq)).toEqual([later.seq]);
      expect(await search('nothing-like-this')).toEqual([]);
    });

    it('never lets full-text syntax through: quotes, operators and stars are plain words', async () => {
      const a = await conversation();
      await say(a.conversationId, 'NEAR the "door" AND OR NOT * ^ : ( ) {x} -y +z');
      for (const query of ['"door', 'door"*', 'NEAR(door', 'AND', ':*', 'x}', "o'brien", 'a & b | !c', 'door:*']) {
        const terms = searchTerms(query);
        if (terms) await expect(store.search(terms, 5)).resolves.toBeInstanceOf(Array);
      }
      expect((await search('"door"')).length).toBe(1);
      expect((await search('near(')).length).toBe(1);
    });

    it("finds agents' internal notes (not the system lines) and points at the message each follows", async () => {
      const a = await conversation();
      const first = await say(a.conversationId, 'hello');
      const note = { conversationId: a.conversationId, agentName: 'Ana', at: clock++ };
      await store.addNote({ ...note, kind: 'note', clientId: 'n-1', text: 'Refund approved by finance' });
      await store.addNote({ ...note, kind: 'event', text: 'Ana took this conversation (refund desk)' });
      const hits = await search('refund');
      expect(hits.map((h) => [h.conversation.id, h.field, h.seq, h.snippet])).toEqual([
        [a.conversationId, 'note', first.seq, 'Refund approved by finance'],
      ]);
    });

    it('finds a visitor by a part of their name or email', async () => {
      const known = await conversation({ user: { id: 'u1', name: 'Ana López', email: 'ana.lopez@example.com' } });
      await say(known.conversationId, 'hello');
      const hits = await search('lopez@exam');
      expect(hits).toHaveLength(1);
      expect(hits[0]).toMatchObject({ field: 'visitor', conversation: { id: known.conversationId } });
      expect(hits[0]!.seq).toBeUndefined();
      const marked = hits[0]!.matches.map(([from, to]) => hits[0]!.snippet.slice(from, to));
      expect(marked).toContain('lopez@exam');
      expect((await search('ANA'))[0]?.conversation.id).toBe(known.conversationId);
    });

    it('bounds the hits by the limit', async () => {
      for (let i = 0; i < 4; i++) {
        const c = await conversation();
        await say(c.conversationId, `refund number ${i}`);
      }
      expect(await search('refund', 3)).toHaveLength(3);
    });

    it('keeps shared canned replies: create, edit, refuse a taken shortcut, delete', async () => {
      const hello = await store.saveCannedReply({
        shortcut: 'hello',
        text: 'Hi {{visitor.name|there}}!',
        agentName: 'Ana',
        now: 5,
      });
      expect(hello).toMatchObject({ shortcut: 'hello', source: 'db', updatedBy: 'Ana', updatedAt: 5 });
      const bye = await store.saveCannedReply({ shortcut: 'bye', text: 'Bye', agentName: 'Ben', now: 6 });
      expect((await store.cannedReplies()).map((r) => r.shortcut)).toEqual(['bye', 'hello']);

      await expect(
        store.saveCannedReply({ shortcut: 'hello', text: 'x', agentName: 'Ben', now: 7 }),
      ).rejects.toBeInstanceOf(ConflictError);
      await expect(
        store.saveCannedReply({ id: bye.id, shortcut: 'hello', text: 'x', agentName: 'Ben', now: 7 }),
      ).rejects.toBeInstanceOf(ConflictError);
      await expect(
        store.saveCannedReply({ id: 'nope', shortcut: 'new', text: 'x', agentName: 'Ben', now: 7 }),
      ).rejects.toBeInstanceOf(NotFoundError);

      const edited = await store.saveCannedReply({
        id: bye.id,
        shortcut: 'later',
        text: 'See you',
        agentName: 'Ana',
        now: 8,
      });
      expect(edited).toEqual({
        id: bye.id,
        shortcut: 'later',
        text: 'See you',
        source: 'db',
        updatedBy: 'Ana',
        updatedAt: 8,
      });
      expect(await store.deleteCannedReply(hello.id)).toBe(true);
      expect(await store.deleteCannedReply(hello.id)).toBe(false);
      expect(await store.cannedReplies()).toEqual([edited]);
    });

    it(`stores at most ${CANNED.maxReplies} canned replies`, async () => {
      for (let i = 0; i < CANNED.maxReplies; i++) {
        await store.saveCannedReply({ shortcut: `r${i}`, text: 'x', agentName: 'Ana', now: i });
      }
      await expect(
        store.saveCannedReply({ shortcut: 'one-more', text: 'x', agentName: 'Ana', now: 1 }),
      ).rejects.toThrow(/at most/);
    });

    it(`keeps a visitor's newest ${PAGE_HISTORY} pages, newest first, without repeating the latest`, async () => {
      const s = await conversation();
      await say(s.conversationId, 'hi');
      const page = (n: number) => ({ url: `https://shop.example/p/${n}`, title: `Page ${n}` });
      await store.recordPageView(s.visitorId, page(0), 100);
      await store.recordPageView(s.visitorId, page(0), 101);
      expect(await store.pageViews(s.conversationId)).toEqual([{ ...page(0), at: 100 }]);
      for (let n = 1; n <= PAGE_HISTORY + 5; n++) await store.recordPageView(s.visitorId, page(n), 100 + n);
      const pages = await store.pageViews(s.conversationId);
      expect(pages).toHaveLength(PAGE_HISTORY);
      expect(pages[0]).toEqual({ ...page(PAGE_HISTORY + 5), at: 105 + PAGE_HISTORY });
      expect(pages.at(-1)?.url).toBe(page(6).url);
      // A visitor that is gone records nothing and fails nothing.
      await expect(store.recordPageView('no-such-visitor', page(1), 1)).resolves.toBeUndefined();
    });

    it("lists the same user's other conversations (any site) and the anonymous one a session left", async () => {
      const user = { id: 'u-42', name: 'Kim' };
      const onAcme = await conversation({ user });
      await say(onAcme.conversationId, 'first, on acme');
      const onShop = await conversation({ site: 'shop', user });
      await say(onShop.conversationId, 'then on shop');
      const stranger = await conversation({ user: { id: 'u-7' } });
      await say(stranger.conversationId, 'someone else');

      // An anonymous visitor on acme chats, then logs in as Kim: the session moves to Kim's acme visitor.
      const anonymous = await conversation();
      await say(anonymous.conversationId, 'before logging in');
      await store.identifySession(anonymous.tokenHash, user, `r-${randomBytes(4).toString('hex')}`, clock++);

      const earlier = await store.earlierConversations(onAcme.conversationId, 10);
      expect(earlier.map((c) => c.id).sort()).toEqual([onShop.conversationId, anonymous.conversationId].sort());
      expect(await store.earlierConversations(stranger.conversationId, 10)).toEqual([]);
      expect(await store.earlierConversations(onAcme.conversationId, 1)).toHaveLength(1);
    });
  });
});

describe('SQLite search index', () => {
  it('indexes the messages stored before the migration that added it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-fts-'));
    const path = join(dir, 'parley.db');
    try {
      const raw = new Database(path);
      const before = MIGRATIONS.findIndex((sql) => sql.includes('CREATE VIRTUAL TABLE messages_fts'));
      for (const sql of MIGRATIONS.slice(0, before)) raw.exec(sql);
      raw.pragma(`user_version = ${before}`);
      raw.exec(`INSERT INTO visitors (id, site, created_at, conversation_id) VALUES ('v1', 'acme', 1, 'c1');
                INSERT INTO conversations (id, visitor_id, site, last_seq, last_activity_at, created_at)
                  VALUES ('c1', 'v1', 'acme', 1, 1, 1);
                INSERT INTO messages (id, conversation_id, seq, author, text, created_at)
                  VALUES ('m1', 'c1', 1, 'visitor', 'an older invoice question', 1);`);
      raw.close();
      const store = openSqliteStore({ path });
      expect((await store.search(searchTerms('invoice')!, 5)).map((h) => [h.conversation.id, h.seq])).toEqual([
        ['c1', 1],
      ]);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite search queue (indexing off the append path)', () => {
  let dir = '';
  let path = '';
  let store: Store;
  let raw: Database.Database;
  const pending = () => raw.prepare('SELECT count(*) FROM messages_fts_pending').pluck().get();
  const integrity = () => raw.exec(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)`);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-fts-queue-'));
    path = join(dir, 'parley.db');
    store = openSqliteStore({ path });
    raw = new Database(path);
  });
  afterEach(async () => {
    raw.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function conversationWith(text: string) {
    const session = await store.createSession({
      tokenHash: randomBytes(8).toString('hex'),
      site: 'acme',
      meta: {},
      now: 1,
    });
    await store.appendMessage(session.conversationId, { author: 'visitor', clientId: 'c1', text });
    return session.conversationId;
  }

  it('queues a new message instead of indexing it, and a search indexes the queue first', async () => {
    const id = await conversationWith('where is my parcel');
    expect(pending()).toBe(1);
    expect((await store.search(searchTerms('parcel')!, 5)).map((h) => h.conversation.id)).toEqual([id]);
    expect(pending()).toBe(0);
    integrity();
  });

  it('indexes the queue on its own when nobody searches', async () => {
    await conversationWith('a question about invoices');
    await expect.poll(pending, { timeout: 5000, interval: 50 }).toBe(0);
    expect(raw.prepare(`SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'invoices'`).pluck().get()).toBe(1);
  });

  it('keeps the index intact when a message is deleted before or after it was indexed', async () => {
    const queued = await conversationWith('queued words');
    const indexed = await conversationWith('indexed words');
    raw.exec(`INSERT INTO messages_fts (rowid, text) SELECT m.rowid, m.text FROM messages m WHERE m.conversation_id = '${indexed}';
              DELETE FROM messages_fts_pending WHERE id IN (SELECT rowid FROM messages WHERE conversation_id = '${indexed}')`);
    raw.exec(`DELETE FROM conversations WHERE id IN ('${queued}', '${indexed}')`);
    expect(pending()).toBe(0);
    integrity();
    expect(await store.search(searchTerms('words')!, 5)).toEqual([]);
  });
});
