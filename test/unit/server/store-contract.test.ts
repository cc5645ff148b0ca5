// @vitest-environment node
// One suite, every store: what `Store` promises (types.ts) must hold for SQLite and PostgreSQL alike, including with
// several writers (store instances with their own connections, as several gateway processes have).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../../../demo/server/handler-context';
import { silentLogger } from '../../../demo/server/log';
import { startMailQueue } from '../../../demo/server/mail/queue';
import { requestTranscript } from '../../../demo/server/mail/transcripts';
import { resolveSession, SESSION_TTL_MS } from '../../../demo/server/sessions';
import { PG_MIGRATIONS } from '../../../demo/server/store/postgres/migrations';
import { openPostgresStore } from '../../../demo/server/store/postgres/store';
import { MIGRATIONS } from '../../../demo/server/store/sqlite/migrations';
import { openSqliteStore } from '../../../demo/server/store/sqlite/store';
import {
  AttachmentClaimError,
  NotFoundError,
  type Store,
  StoreError,
  visitorLabel,
} from '../../../demo/server/store/types';
import { LIMITS, type Message, type VerifiedUser } from '../../../src/protocol';
import { databaseUnavailable, DATABASE_URL as PG_URL } from '../../support/cluster';

interface Backend {
  /** Why this backend cannot run here; the suite is skipped with this reason. */
  unavailable?: string;
  /** Number of migrations the code knows. */
  migrations: number;
  /** A fresh, empty database for one test. */
  fresh(): Promise<void>;
  /** Opens one more store on the current database, with its own connection(s): another writer. */
  open(options?: { now?: () => number }): Promise<Store>;
  /** The schema version recorded in the current database. */
  schemaVersion(): Promise<number>;
  /** Makes the current database look migrated by a newer gateway. */
  bumpSchemaVersion(): Promise<void>;
  dispose(): Promise<void>;
  /**
   * Another writer's append of `clientId`, stored in a transaction this holds open until `commit()` (PostgreSQL only:
   * SQLite's writers in one thread cannot wait for each other).
   */
  appendHeldOpen?(conversationId: string, clientId: string): Promise<{ commit(): Promise<void> }>;
  /**
   * Holds back every insert into `mail_jobs` (another session's table lock; reads go on) until `release()`, so
   * concurrent writers all reach their insert before any commits (PostgreSQL only). `waiting()`: sessions stuck behind
   * the lock, directly or behind one that is.
   */
  mailInsertsHeld?(): Promise<{ waiting(): Promise<number>; release(): Promise<void> }>;
  /** Rows in one of the current database's tables. */
  rows(table: 'visitors' | 'sessions' | 'conversations'): Promise<number>;
}

function sqliteBackend(): Backend {
  let dir = '';
  let path = '';
  return {
    migrations: MIGRATIONS.length,
    async fresh() {
      dir = await mkdtemp(join(tmpdir(), 'parley-contract-'));
      path = join(dir, 'parley.db');
    },
    async open(options = {}) {
      return openSqliteStore({ path, ...options });
    },
    async schemaVersion() {
      const raw = new Database(path, { readonly: true });
      try {
        return raw.pragma('user_version', { simple: true }) as number;
      } finally {
        raw.close();
      }
    },
    async bumpSchemaVersion() {
      const raw = new Database(path);
      raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
      raw.close();
    },
    async dispose() {
      await rm(dir, { recursive: true, force: true });
    },
    async rows(table) {
      const raw = new Database(path, { readonly: true });
      try {
        return (raw.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      } finally {
        raw.close();
      }
    },
  };
}

function postgresBackend(unavailable: string | undefined): Backend {
  // Every test gets its own schema, named after this run, so parallel runs and files never meet; all are dropped.
  const run = `parley_test_${randomBytes(4).toString('hex')}`;
  let counter = 0;
  let schema = '';
  let admin: pg.Client | undefined;
  const sql = async (text: string, values: unknown[] = []) => {
    if (!admin) {
      admin = new pg.Client({ connectionString: PG_URL });
      admin.on('error', () => {});
      await admin.connect();
    }
    return admin.query(text, values);
  };
  afterAll(async () => {
    if (!admin) return;
    const { rows } = await sql('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1', [`${run}\\_%`]);
    for (const { nspname } of rows) await sql(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
    await admin.end();
  });
  const backend: Backend = {
    migrations: PG_MIGRATIONS.length,
    async fresh() {
      schema = `${run}_${++counter}`;
    },
    async open(options = {}) {
      return openPostgresStore({ url: PG_URL!, schema, poolSize: 5, ...options });
    },
    async schemaVersion() {
      const { rows } = await sql(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
      const versions = rows.map((r: { version: number }) => r.version);
      // Every migration recorded exactly once, in order.
      expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
      return versions.length;
    },
    async bumpSchemaVersion() {
      await sql(`INSERT INTO "${schema}".schema_migrations (version, applied_at) VALUES ($1, $2)`, [
        PG_MIGRATIONS.length + 1,
        Date.now(),
      ]);
    },
    async dispose() {
      await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
    async rows(table) {
      return (await sql(`SELECT count(*)::int AS n FROM "${schema}".${table}`)).rows[0].n;
    },
    async appendHeldOpen(conversationId, clientId) {
      const other = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
      await other.connect();
      await other.query('BEGIN');
      const { rows } = await other.query(
        'UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq',
        [conversationId],
      );
      await other.query(
        `INSERT INTO messages (id, conversation_id, seq, author, client_id, text, created_at)
         VALUES (gen_random_uuid()::text, $1, $2, 'visitor', $3, 'from the other writer', 1)`,
        [conversationId, rows[0].last_seq, clientId],
      );
      return {
        async commit() {
          await other.query('COMMIT');
          await other.end();
        },
      };
    },
    async mailInsertsHeld() {
      const holder = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE mail_jobs IN EXCLUSIVE MODE');
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      return {
        async waiting() {
          const { rows } = await sql(
            `WITH direct AS (SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)))
             SELECT CAST(count(*) AS INTEGER) AS n FROM pg_stat_activity a
              WHERE a.pid IN (SELECT pid FROM direct)
                 OR EXISTS (SELECT 1 FROM direct d WHERE d.pid = ANY(pg_blocking_pids(a.pid)))`,
            [pid],
          );
          return rows[0].n as number;
        },
        async release() {
          await holder.query('COMMIT');
          await holder.end();
        },
      };
    },
  };
  if (unavailable !== undefined) backend.unavailable = unavailable;
  return backend;
}

const pgUnavailable = await databaseUnavailable();
if (pgUnavailable) console.warn(`PostgreSQL tests skipped: ${pgUnavailable}`);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe.each([
  ['sqlite', sqliteBackend()],
  ['postgres', postgresBackend(pgUnavailable)],
] as const)('%s store contract', (_name, backend) => {
  describe.skipIf(backend.unavailable !== undefined)('Store', () => {
    let opened: Store[] = [];
    const open = async (options: { now?: () => number } = {}) => {
      const store = await backend.open(options);
      opened.push(store);
      return store;
    };
    const conversation = async (store: Store, now = Date.now()) =>
      (await store.createSession({ tokenHash: `t-${randomBytes(8).toString('hex')}`, site: 'acme', meta: {}, now }))
        .conversationId;

    beforeEach(async () => {
      opened = [];
      await backend.fresh();
    });
    afterEach(async () => {
      for (const store of opened) await store.close().catch(() => {});
      await backend.dispose();
    });

    it('creates, finds, touches and deletes sessions; a session expires 180 days after its last use', async () => {
      const store = await open();
      const meta = { page: { url: 'https://a.example/p', title: 'P' }, locale: 'fr', userAgent: 'UA/1' };
      const session = await store.createSession({ tokenHash: 'h1', site: 'acme', meta, now: 1_000 });
      expect(session).toEqual({
        tokenHash: 'h1',
        visitorId: expect.stringMatching(UUID),
        conversationId: expect.stringMatching(UUID),
        started: false,
        site: 'acme',
        createdAt: 1_000,
        lastSeenAt: 1_000,
      });
      expect(await store.findSession('h1')).toEqual(session);
      expect(await store.findSession('nope')).toBeUndefined();
      expect(await store.hasConversation(session.conversationId)).toBe(false);

      await store.touchSession('h1', 5_000);
      expect(await store.findSession('h1')).toEqual({ ...session, lastSeenAt: 5_000 });
      await store.touchSession('h1', 2_000);
      expect((await store.findSession('h1'))?.lastSeenAt).toBe(5_000);
      await expect(store.touchSession('nope', 1)).resolves.toBeUndefined();

      await store.deleteSession('h1');
      expect(await store.findSession('h1')).toBeUndefined();
      await expect(store.deleteSession('h1')).resolves.toBeUndefined();

      const day = 24 * 60 * 60 * 1000;
      const first = await resolveSession(store, { site: 'acme', meta: {}, now: 1_000_000 });
      await store.appendMessage(first.session.conversationId, { author: 'visitor', text: 'hello' });
      const token = first.token!;
      const later = await resolveSession(store, { token, site: 'acme', meta: {}, now: 1_000_000 + 179 * day });
      expect(later).toMatchObject({ token: null, session: { conversationId: first.session.conversationId } });
      const expired = await resolveSession(store, {
        token,
        site: 'acme',
        meta: {},
        now: 1_000_000 + 179 * day + SESSION_TTL_MS + 1,
      });
      expect(expired.renewed).toBe('session_expired');
      expect(expired.session.conversationId).not.toBe(first.session.conversationId);
      expect(await store.findSession(first.session.tokenHash)).toBeUndefined();
    });

    // Attachments (issue 16): the claim is part of the append's transaction.
    it('claims pending attachments with their message, all or nothing, once, and sweeps what must go', async () => {
      const store = await open();
      const a = await store.createSession({ tokenHash: 'ha', site: 'acme', meta: {}, now: 1_000 });
      const owner = `visitor:${a.visitorId}`;
      const file = (id: string, createdAt = 5_000) => ({
        id,
        conversationId: a.conversationId,
        owner,
        name: `${id}.png`,
        type: 'image/png',
        size: 10,
        width: 4,
        height: 3,
        thumb: true,
        createdAt,
      });
      await store.createAttachment(file('f1'));
      await store.createAttachment(file('f2'));
      await store.createAttachment({ ...file('f3'), owner: 'visitor:someone-else' });
      const claim = (ids: string[]) => ({ ids, owner, uploadedAfter: 4_000 });
      // One file that is not the sender's: the whole send fails, not even the conversation is created.
      await expect(
        store.appendMessage(a.conversationId, {
          author: 'visitor',
          clientId: 'c1',
          text: '',
          attachments: claim(['f1', 'f3']),
        }),
      ).rejects.toBeInstanceOf(AttachmentClaimError);
      expect(await store.hasConversation(a.conversationId)).toBe(false);
      expect(await store.findServableAttachment('f1')).toBeUndefined();
      const sent = await store.appendMessage(a.conversationId, {
        author: 'visitor',
        clientId: 'c1',
        text: '',
        attachments: claim(['f1', 'f2']),
      });
      expect(sent.message.seq).toBe(1);
      const repeat = await store.appendMessage(a.conversationId, {
        author: 'visitor',
        clientId: 'c1',
        text: '',
        attachments: claim(['f1', 'f2']),
      });
      expect(repeat.duplicate).toBe(true);
      const byMessage = await store.attachmentsOf([sent.message.id, 'other']);
      expect(byMessage.get(sent.message.id)?.map((f) => f.id)).toEqual(['f1', 'f2']);
      expect(byMessage.get(sent.message.id)?.[0]).toMatchObject({ width: 4, height: 3, thumb: true, size: 10 });
      expect(await store.findServableAttachment('f1')).toMatchObject({ messageId: sent.message.id });
      // Too old to claim.
      await store.createAttachment(file('old', 3_000));
      await expect(
        store.appendMessage(a.conversationId, {
          author: 'visitor',
          clientId: 'c2',
          text: 'x',
          attachments: claim(['old']),
        }),
      ).rejects.toBeInstanceOf(AttachmentClaimError);
      expect((await store.messagesAfter(a.conversationId, 0)).messages).toHaveLength(1);
      const swept = await store.sweepAttachments({ pendingBefore: 3_500, batch: 10 });
      expect(swept).toEqual([{ id: 'old', thumb: true }]);
      expect(await store.sweepAttachments({ pendingBefore: 3_500, batch: 10 })).toEqual([]);
    });

    it('updates only the given visitor details', async () => {
      const store = await open();
      const session = await store.createSession({
        tokenHash: 'h1',
        site: 'acme',
        meta: { page: { url: 'https://a.example/', title: 'A' }, locale: 'fr', userAgent: 'UA/1' },
        now: 1_000,
      });
      await store.appendMessage(session.conversationId, { author: 'visitor', text: 'hello' });
      await store.updateVisitorMeta(session.visitorId, { locale: 'de' });
      expect((await store.getConversation(session.conversationId))?.visitor).toEqual({
        id: session.visitorId,
        label: visitorLabel(session.visitorId),
        verified: false,
        page: { url: 'https://a.example/', title: 'A' },
        locale: 'de',
        userAgent: 'UA/1',
      });
      await store.updateVisitorMeta(session.visitorId, { page: { url: 'https://a.example/b', title: '' } });
      expect((await store.getConversation(session.conversationId))?.visitor).toMatchObject({
        page: { url: 'https://a.example/b', title: '' },
        locale: 'de',
      });
      await expect(store.updateVisitorMeta('nope', { locale: 'it' })).resolves.toBeUndefined();
    });

    it('appends with gap-free seqs; a repeated (author, clientId) returns the original and consumes no seq', async () => {
      let clock = 10_000;
      const store = await open({ now: () => clock });
      const id = await conversation(store, 1_000);
      const first = await store.appendMessage(id, { author: 'visitor', clientId: 'c1', text: 'original' });
      expect(first).toEqual({
        message: {
          id: expect.stringMatching(UUID),
          conversationId: id,
          seq: 1,
          author: 'visitor',
          clientId: 'c1',
          text: 'original',
          createdAt: 10_000,
        },
        duplicate: false,
        reopened: false,
        created: true,
      });
      clock = 11_000;
      expect(await store.appendMessage(id, { author: 'visitor', clientId: 'c1', text: 'changed' })).toEqual({
        message: first.message,
        duplicate: true,
        reopened: false,
        created: false,
      });
      expect((await store.appendMessage(id, { author: 'visitor', clientId: 'c2', text: 'second' })).message.seq).toBe(
        2,
      );
      const agent = await store.appendMessage(id, { author: 'agent', agentName: 'Ana', clientId: 'c1', text: 'hi' });
      expect(agent).toMatchObject({ duplicate: false, message: { seq: 3, agentName: 'Ana', clientId: 'c1' } });
      const plain = [
        await store.appendMessage(id, { author: 'system', text: 'no client id' }),
        await store.appendMessage(id, { author: 'system', text: 'no client id' }),
      ];
      expect(plain.map((r) => [r.duplicate, r.message.seq, 'clientId' in r.message])).toEqual([
        [false, 4, false],
        [false, 5, false],
      ]);
      const other = await conversation(store);
      expect(await store.appendMessage(other, { author: 'visitor', clientId: 'c1', text: 'x' })).toMatchObject({
        duplicate: false,
        message: { seq: 1, conversationId: other },
      });

      const page = await store.messagesAfter(id, 0);
      expect(page).toEqual({
        messages: [first.message, expect.anything(), agent.message, plain[0]!.message, plain[1]!.message],
        more: false,
      });
      expect(await store.getConversation(id)).toMatchObject({ lastSeq: 5, lastActivityAt: 11_000 });

      const missing = store.appendMessage('missing', { author: 'visitor', clientId: 'c1', text: 'x' });
      await expect(missing).rejects.toBeInstanceOf(NotFoundError);
      await expect(missing).rejects.toBeInstanceOf(StoreError);
    });

    it('stores a burst of appends together: first messages create conversations, each result is its own', async () => {
      const store = await open();
      const fresh = [await conversation(store), await conversation(store)];
      const started = await conversation(store);
      await store.appendMessage(started, { author: 'visitor', clientId: 'old', text: 'before the burst' });
      await store.setStatus(started, 'resolved');
      // All issued in one tick, so they share a batch (one transaction / statement).
      const burst = await Promise.allSettled([
        store.appendMessage(fresh[0]!, { author: 'visitor', clientId: 'a1', text: 'first of a' }),
        store.appendMessage(started, { author: 'agent', agentName: 'Ana', clientId: 'r1', text: 'reply' }),
        store.appendMessage(fresh[1]!, { author: 'visitor', clientId: 'b1', text: 'first of b' }),
        store.appendMessage('missing', { author: 'visitor', clientId: 'x', text: 'nobody reserved this' }),
        store.appendMessage(fresh[0]!, { author: 'visitor', clientId: 'a2', text: 'second of a' }),
        store.appendMessage(fresh[0]!, { author: 'visitor', clientId: 'a1', text: 'repeat of a1' }),
        store.appendMessage(started, { author: 'visitor', clientId: 'old', text: 'repeat from before' }),
        store.appendMessage(started, { author: 'visitor', clientId: 'v2', text: 'reopens' }),
      ]);
      const value = (i: number) => {
        const result = burst[i]!;
        if (result.status !== 'fulfilled') throw new Error(`append ${i} failed: ${result.reason}`);
        return result.value;
      };
      expect(value(0)).toMatchObject({ created: true, duplicate: false, message: { seq: 1, text: 'first of a' } });
      expect(value(1)).toMatchObject({ created: false, reopened: false, message: { seq: 2, author: 'agent' } });
      expect(value(2)).toMatchObject({ created: true, message: { seq: 1, conversationId: fresh[1] } });
      expect(burst[3]).toMatchObject({ status: 'rejected', reason: expect.any(NotFoundError) });
      expect(value(4)).toMatchObject({ created: false, duplicate: false, message: { seq: 2, text: 'second of a' } });
      expect(value(5)).toEqual({ ...value(0), duplicate: true, created: false });
      expect(value(6)).toMatchObject({ duplicate: true, message: { seq: 1, text: 'before the burst' } });
      expect(value(7)).toMatchObject({ reopened: true, duplicate: false, message: { seq: 3, text: 'reopens' } });
      expect((await store.messagesAfter(fresh[0]!, 0)).messages.map((m) => m.text)).toEqual([
        'first of a',
        'second of a',
      ]);
      expect(await store.getConversation(fresh[0]!)).toMatchObject({ lastSeq: 2, status: 'open' });
      expect(await store.getConversation(started)).toMatchObject({ lastSeq: 3, status: 'open' });
      expect(await store.hasConversation('missing')).toBe(false);
    });

    it('keeps seqs gap-free and ordered under 200 concurrent appends from three store instances', async () => {
      const writers = [await open(), await open(), await open()];
      const ids = [await conversation(writers[0]!), await conversation(writers[1]!)];
      // Each conversation is created by its visitor's first message (seq 1) before the race.
      for (const id of ids) await writers[0]!.appendMessage(id, { author: 'visitor', text: 'first' });
      // Two conversations, 100 appends each, 75 distinct (author, clientId) per conversation: 25 repeats each.
      const inputs = Array.from({ length: 200 }, (_, i) => {
        const key = Math.floor(i / 2) % 75;
        return {
          conversationId: ids[i % 2]!,
          input: { author: key % 4 ? ('visitor' as const) : ('agent' as const), clientId: `c-${key}`, text: `m${i}` },
        };
      });
      const results = await Promise.all(
        inputs.map(({ conversationId, input }, i) => writers[i % 3]!.appendMessage(conversationId, input)),
      );

      for (const id of ids) {
        const mine = results.filter((r) => r.message.conversationId === id);
        const stored = mine.filter((r) => !r.duplicate).map((r) => r.message);
        expect(stored.map((m) => m.seq).sort((a, b) => a - b)).toEqual(range(75).map((n) => n + 1));
        // A repeat answers with the original message, whichever writer stored it.
        for (const repeat of mine.filter((r) => r.duplicate)) {
          expect(repeat.message).toEqual(
            stored.find((m) => m.clientId === repeat.message.clientId && m.author === repeat.message.author),
          );
        }
        const page = await writers[2]!.messagesAfter(id, 0, 1000);
        expect(page.more).toBe(false);
        expect(page.messages.map((m) => m.seq)).toEqual(range(76));
        expect(
          page.messages
            .slice(1)
            .map((m) => m.id)
            .sort(),
        ).toEqual(stored.map((m) => m.id).sort());
        // Timestamps are taken under the conversation's lock, so they follow seq.
        const times = page.messages.map((m) => m.createdAt);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        expect((await writers[1]!.getConversation(id))?.lastSeq).toBe(76);
      }
    });

    it('stores one clientId sent at the same moment by three writers exactly once, consuming one seq', async () => {
      const writers = [await open(), await open(), await open()];
      const id = await conversation(writers[0]!);
      // A visitor's resend reaching another process while the first attempt is still being stored.
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          writers[i % 3]!.appendMessage(id, { author: 'visitor', clientId: 'same', text: `attempt ${i}` }),
        ),
      );
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      const stored = results.find((r) => !r.duplicate)!.message;
      for (const r of results) expect(r.message).toEqual(stored);
      expect(stored.seq).toBe(1);
      const next = await writers[1]!.appendMessage(id, { author: 'visitor', clientId: 'next', text: 'next' });
      expect(next.message.seq).toBe(2);
      expect((await writers[2]!.messagesAfter(id, 0)).messages.map((m) => m.seq)).toEqual([1, 2]);
    });

    it.skipIf(!backend.appendHeldOpen)(
      'answers a repeat that another writer commits while the append waits with that writer’s message',
      async () => {
        const store = await open();
        const id = await conversation(store);
        await store.appendMessage(id, { author: 'visitor', clientId: 'opened', text: 'opens the conversation' });
        // The visitor's next message is being stored by another process when its resend arrives here.
        const first = await backend.appendHeldOpen!(id, 'resent');
        const resend = store.appendMessage(id, { author: 'visitor', clientId: 'resent', text: 'resend' });
        await new Promise((resolve) => setTimeout(resolve, 200));
        await first.commit();
        expect(await resend).toMatchObject({
          duplicate: true,
          message: { seq: 2, clientId: 'resent', text: 'from the other writer' },
        });
        const next = await store.appendMessage(id, { author: 'visitor', clientId: 'next', text: 'next' });
        expect(next.message.seq).toBe(3);
      },
    );

    it('reopens a resolved conversation on a visitor message only; lists by activity and status', async () => {
      let clock = 1_000;
      const store = await open({ now: () => clock });
      const older = await conversation(store, clock);
      const newer = await conversation(store, clock);
      clock = 2_000;
      await store.appendMessage(older, { author: 'visitor', text: 'a' });
      clock = 3_000;
      await store.appendMessage(newer, { author: 'visitor', text: 'b' });
      expect((await store.listConversations()).map((c) => c.id)).toEqual([newer, older]);
      expect((await store.listConversations({ limit: 1 })).map((c) => c.id)).toEqual([newer]);

      const resolved = await store.setStatus(newer, 'resolved');
      expect(resolved).toMatchObject({ id: newer, status: 'resolved', lastSeq: 1, lastActivityAt: 3_000 });
      expect((await store.listConversations({ status: 'resolved' })).map((c) => c.id)).toEqual([newer]);
      expect((await store.listConversations({ status: 'open', limit: 10 })).map((c) => c.id)).toEqual([older]);
      expect((await store.listConversations({ status: 'all' })).map((c) => c.id)).toEqual([newer, older]);

      clock = 4_000;
      expect((await store.appendMessage(newer, { author: 'agent', text: 'still resolved' })).reopened).toBe(false);
      expect((await store.appendMessage(newer, { author: 'system', text: 'still resolved' })).reopened).toBe(false);
      expect((await store.getConversation(newer))?.status).toBe('resolved');
      const back = await store.appendMessage(newer, { author: 'visitor', clientId: 'v1', text: 'again' });
      expect(back).toMatchObject({ reopened: true, duplicate: false, message: { seq: 4 } });
      expect((await store.getConversation(newer))?.status).toBe('open');
      // The repeat of the reopening message neither reopens nor counts again.
      await store.setStatus(newer, 'resolved');
      expect(await store.appendMessage(newer, { author: 'visitor', clientId: 'v1', text: 'again' })).toEqual({
        message: back.message,
        duplicate: true,
        reopened: false,
        created: false,
      });
      expect((await store.getConversation(newer))?.status).toBe('resolved');
      expect((await store.setStatus(newer, 'open'))?.status).toBe('open');

      expect(await store.hasConversation(newer)).toBe(true);
      expect(await store.hasConversation('nope')).toBe(false);
      expect(await store.getConversation('nope')).toBeUndefined();
      expect(await store.setStatus('nope', 'resolved')).toBeUndefined();
    });

    it('pages messages after a seq, by default LIMITS.historyPage at a time', async () => {
      const store = await open();
      const id = await conversation(store);
      const total = LIMITS.historyPage + 5;
      await Promise.all(
        Array.from({ length: total }, (_, i) => store.appendMessage(id, { author: 'visitor', text: `m${i}` })),
      );
      const first = await store.messagesAfter(id, 0);
      expect(first.more).toBe(true);
      expect(first.messages.map((m) => m.seq)).toEqual(range(LIMITS.historyPage));
      const rest = await store.messagesAfter(id, LIMITS.historyPage);
      expect(rest).toMatchObject({ more: false });
      expect(rest.messages.map((m) => m.seq)).toEqual(range(5).map((n) => n + LIMITS.historyPage));
      expect(await store.messagesAfter(id, 2, 3)).toMatchObject({
        more: true,
        messages: [{ seq: 3 }, { seq: 4 }, { seq: 5 }],
      });
      expect((await store.messagesAfter(id, total - 3, 3)).more).toBe(false);
      expect(await store.messagesAfter(id, total)).toEqual({ messages: [], more: false });
      expect(await store.messagesAfter(id, Number.MAX_SAFE_INTEGER)).toEqual({ messages: [], more: false });
      expect(await store.messagesAfter('nope', 0)).toEqual({ messages: [], more: false });
    });

    it('ends a page at LIMITS.pageBytes of JSON: long messages come fewer at a time, and `more` pages on', async () => {
      const store = await open();
      const id = await conversation(store);
      // 4,000 UTF-16 units: 8,000 bytes of UTF-8; and 4,000 control characters: 24,000 bytes of escaped JSON.
      const emoji = '🦜🎉🙂😀'.repeat(LIMITS.messageLength / 8);
      const escaped = '\u0001'.repeat(LIMITS.messageLength);
      const texts = [...Array.from({ length: 50 }, () => emoji), ...Array.from({ length: 30 }, () => escaped)];
      for (const text of texts) await store.appendMessage(id, { author: 'visitor', text });
      const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
      const pages: Message[][] = [];
      let after = 0;
      for (;;) {
        const page = await store.messagesAfter(id, after);
        pages.push(page.messages);
        expect(page.messages.length).toBeGreaterThan(0);
        expect(bytes(page.messages)).toBeLessThanOrEqual(LIMITS.pageBytes);
        if (!page.more) break;
        after = page.messages.at(-1)!.seq;
        expect(pages.length).toBeLessThan(20);
      }
      expect(pages.flat().map((m) => m.seq)).toEqual(range(texts.length));
      expect(pages.flat().map((m) => m.text)).toEqual(texts);
      // Every page but the last is as full as it can be: its next message would not have fitted.
      for (let i = 0; i + 1 < pages.length; i++) {
        expect(bytes([...pages[i]!, pages[i + 1]![0]])).toBeGreaterThan(LIMITS.pageBytes);
      }
      // 32 messages of ~8.1 KB; the 18 others and 4 of ~24 KB; then 10 of those a page.
      expect(pages.map((page) => page.length)).toEqual([32, 22, 10, 10, 6]);
      // The count limit still holds, and a one-message page is never refused for its size.
      expect((await store.messagesAfter(id, 0, 3)).messages).toHaveLength(3);
      expect(await store.messagesAfter(id, texts.length - 1)).toMatchObject({
        messages: [{ text: escaped }],
        more: false,
      });
    });

    it('lists at most LIMITS.pageBytes of conversations, the most recently active', async () => {
      let clock = 1_000;
      const store = await open({ now: () => clock });
      // The largest visitor details a handshake accepts: a summary of about 3 KB.
      const meta = {
        page: { url: `https://shop.example/${'p'.repeat(2000)}`, title: 'T'.repeat(300) },
        userAgent: 'U'.repeat(512),
      };
      const ids: string[] = [];
      for (let i = 0; i < 120; i++) {
        clock = 1_000 + i;
        const session = await store.createSession({ tokenHash: `t-${i}`, site: 'acme', meta, now: clock });
        // A conversation exists (and is listed) from its first message.
        await store.appendMessage(session.conversationId, { author: 'visitor', clientId: `first-${i}`, text: 'hi' });
        ids.unshift(session.conversationId);
      }
      const listed = await store.listConversations({ limit: 500 });
      expect(Buffer.byteLength(JSON.stringify(listed))).toBeLessThanOrEqual(LIMITS.pageBytes);
      expect(listed.length).toBeGreaterThan(60);
      expect(listed.length).toBeLessThan(120);
      expect(listed.map((c) => c.id)).toEqual(ids.slice(0, listed.length));
      expect(await store.listConversations({ limit: 10 })).toHaveLength(10);
    });

    it('summarises with unread counts, a 200-character preview and the visitor details', async () => {
      let clock = 5_000;
      const store = await open({ now: () => clock });
      const session = await store.createSession({
        tokenHash: 'h1',
        site: 'acme',
        meta: { page: { url: 'https://a.example/', title: 'A' }, locale: 'fr', userAgent: 'UA/1' },
        now: 1_000,
      });
      const id = session.conversationId;
      // No message, no conversation.
      expect(await store.getConversation(id)).toBeUndefined();
      expect(await store.listConversations()).toEqual([]);
      // Characters, not UTF-16 units: an emoji counts once.
      const long = 'é😀x'.repeat(100);
      await store.appendMessage(id, { author: 'visitor', text: long });
      clock = 6_000;
      await store.appendMessage(id, { author: 'visitor', text: long });
      const summary = await store.getConversation(id);
      expect(summary).toEqual({
        id,
        site: 'acme',
        status: 'open',
        lastSeq: 2,
        lastActivityAt: 6_000,
        unread: 2,
        agentReadSeq: 0,
        visitorReadSeq: 0,
        lastMessage: { author: 'visitor', text: Array.from(long).slice(0, 200).join('') },
        visitor: {
          id: session.visitorId,
          label: visitorLabel(session.visitorId),
          verified: false,
          page: { url: 'https://a.example/', title: 'A' },
          locale: 'fr',
          userAgent: 'UA/1',
        },
      });
      await store.appendMessage(id, { author: 'agent', agentName: 'Ana', text: 'reply' });
      expect(await store.getConversation(id)).toMatchObject({
        unread: 2,
        lastMessage: { author: 'agent', text: 'reply' },
      });
      expect(await store.listConversations()).toEqual([await store.getConversation(id)]);
    });

    it('moves read marks forward only, and never past the last message', async () => {
      const store = await open();
      const id = await conversation(store);
      expect(await store.markAgentRead(id, 1)).toBe(false);
      expect(await store.markVisitorRead(id, 1)).toBe(false);
      for (let i = 0; i < 3; i++) await store.appendMessage(id, { author: 'visitor', text: `${i}` });
      expect((await store.getConversation(id))?.unread).toBe(3);

      expect(await store.markAgentRead(id, 1)).toBe(true);
      expect((await store.getConversation(id))?.unread).toBe(2);
      expect(await store.markAgentRead(id, 1)).toBe(false);
      expect(await store.markAgentRead(id, 0)).toBe(false);
      expect(await store.markAgentRead(id, 99)).toBe(true);
      expect(await store.markAgentRead(id, 99)).toBe(false);
      expect((await store.getConversation(id))?.unread).toBe(0);
      // The mark stopped at 3: the next message is unread.
      await store.appendMessage(id, { author: 'visitor', text: 'new' });
      expect((await store.getConversation(id))?.unread).toBe(1);
      expect(await store.markAgentRead(id, 2)).toBe(false);
      expect(await store.markAgentRead(id, Number.MAX_SAFE_INTEGER)).toBe(true);
      expect((await store.getConversation(id))?.unread).toBe(0);

      expect(await store.markVisitorRead(id, 2)).toBe(true);
      expect(await store.markVisitorRead(id, 1)).toBe(false);
      expect(await store.markVisitorRead(id, 99)).toBe(true);
      expect(await store.markVisitorRead(id, 99)).toBe(false);
      await store.appendMessage(id, { author: 'agent', text: 'reply' });
      expect(await store.markVisitorRead(id, 5)).toBe(true);
      expect(await store.markVisitorRead(id, Number.MAX_SAFE_INTEGER)).toBe(false);
      // Summaries carry both marks: the visitor's receipts for agents, and the agents' for the widget.
      expect(await store.getConversation(id)).toMatchObject({ agentReadSeq: 4, visitorReadSeq: 5 });
      expect((await store.listConversations())[0]).toMatchObject({ agentReadSeq: 4, visitorReadSeq: 5 });

      expect(await store.markAgentRead('nope', 1)).toBe(false);
      expect(await store.markVisitorRead('nope', 1)).toBe(false);
    });

    // Ownership and the agent-only timeline (issue 14).
    it('assigns conditionally, lists by owner, and counts each agent’s open conversations', async () => {
      let clock = 1_000;
      const store = await open({ now: () => clock });
      const ids: string[] = [];
      for (const text of ['a', 'b', 'c']) {
        clock += 1_000;
        const id = await conversation(store, clock);
        await store.appendMessage(id, { author: 'visitor', text });
        ids.push(id);
      }
      const [a, b, c] = ids as [string, string, string];
      expect(await store.waitingConversations(10)).toEqual([a, b, c]);
      expect(await store.assign(a, { to: 'Ana', at: 5_000 })).toBe(true);
      // Unconditional to the same owner: nothing changes.
      expect(await store.assign(a, { to: 'Ana', at: 5_001 })).toBe(false);
      // Conditional on a stale owner: the writer that read "nobody" loses.
      expect(await store.assign(a, { to: 'Ben', from: null, at: 5_002 })).toBe(false);
      expect(await store.assign(a, { to: 'Ben', from: 'Ana', at: 5_003 })).toBe(true);
      expect(await store.assign(b, { to: 'Ben', from: null, at: 5_004 })).toBe(true);
      expect(await store.assign('nope', { to: 'Ben', at: 5_005 })).toBe(false);
      expect((await store.getConversation(a))?.assignee).toBe('Ben');
      expect((await store.getConversation(c))?.assignee).toBeUndefined();

      expect((await store.listConversations({ assignee: 'Ben' })).map((s) => s.id)).toEqual([b, a]);
      expect((await store.listConversations({ assignee: null })).map((s) => s.id)).toEqual([c]);
      expect((await store.listConversations({ assignee: 'Ana' })).map((s) => s.id)).toEqual([]);
      await store.setStatus(b, 'resolved');
      expect((await store.listConversations({ assignee: 'Ben', status: 'open' })).map((s) => s.id)).toEqual([a]);
      expect((await store.listConversations({ assignee: 'Ben', status: 'resolved' })).map((s) => s.id)).toEqual([b]);
      expect((await store.listConversations({ assignee: null, status: 'resolved' })).map((s) => s.id)).toEqual([]);
      expect(await store.assignmentLoad()).toEqual([{ agent: 'Ben', open: 1, lastAssignedAt: 5_004 }]);
      expect(await store.waitingConversations(10)).toEqual([c]);

      expect(await store.assign(a, { to: null, from: 'Ben', at: 6_000 })).toBe(true);
      expect((await store.getConversation(a))?.assignee).toBeUndefined();
      expect(await store.waitingConversations(10)).toEqual([a, c]);
    });

    it('claims only unowned open conversations, within capacity, once across three writers', async () => {
      const stores = [await open(), await open(), await open()];
      const first = stores[0]!;
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const id = await conversation(first);
        await first.appendMessage(id, { author: 'visitor', text: `m${i}` });
        ids.push(id);
      }
      // Every writer tries every conversation for Ana with capacity 4: each one goes once, and only four go.
      const results = await Promise.all(
        stores.flatMap((store) => ids.map((id) => store.claim(id, 'Ana', 4, Date.now()))),
      );
      expect(results.filter(Boolean)).toHaveLength(4);
      expect(await first.assignmentLoad()).toEqual([{ agent: 'Ana', open: 4, lastAssignedAt: expect.any(Number) }]);
      const waiting = await first.waitingConversations(10);
      expect(waiting).toHaveLength(2);
      expect(await first.claim(ids.find((id) => !waiting.includes(id))!, 'Ben', 4, Date.now())).toBe(false);
      // A resolved conversation is never claimed, and frees a place.
      await first.setStatus(waiting[0]!, 'resolved');
      expect(await first.claim(waiting[0]!, 'Ben', 4, Date.now())).toBe(false);
      const owned = ids.filter((id) => !waiting.includes(id));
      await first.setStatus(owned[0]!, 'resolved');
      expect(await first.claim(waiting[1]!, 'Ana', 4, Date.now())).toBe(true);
    });

    it('finds the unanswered conversations of an agent: no agent message since assigned', async () => {
      let clock = 1_000;
      const store = await open({ now: () => clock });
      const answered = await conversation(store);
      const silent = await conversation(store);
      for (const id of [answered, silent]) await store.appendMessage(id, { author: 'visitor', text: 'hi' });
      await store.assign(answered, { to: 'Ana', at: 2_000 });
      await store.assign(silent, { to: 'Ana', at: 2_000 });
      clock = 2_500;
      await store.appendMessage(answered, { author: 'agent', agentName: 'Ana', text: 'hello' });
      expect(await store.unansweredAssigned('Ana', 10)).toEqual([silent]);
      // Reassigned after that answer: unanswered again for the new owner.
      await store.assign(answered, { to: 'Ben', at: 3_000 });
      expect(await store.unansweredAssigned('Ben', 10)).toEqual([answered]);
    });

    it('stores notes and system lines apart from messages: no seq, no unread, no preview, idempotent', async () => {
      const store = await open();
      const id = await conversation(store);
      await store.appendMessage(id, { author: 'visitor', text: 'visible' });
      const note = await store.addNote({
        conversationId: id,
        kind: 'note',
        agentName: 'Ana',
        clientId: 'note-0001',
        text: 'VIP customer',
        at: 10,
      });
      expect(note).toEqual({
        duplicate: false,
        note: {
          id: expect.any(String),
          conversationId: id,
          kind: 'note',
          agentName: 'Ana',
          clientId: 'note-0001',
          text: 'VIP customer',
          afterSeq: 1,
          createdAt: 10,
        },
      });
      const again = await store.addNote({
        conversationId: id,
        kind: 'note',
        agentName: 'Ana',
        clientId: 'note-0001',
        text: 'VIP customer',
        at: 11,
      });
      expect(again).toEqual({ duplicate: true, note: note.note });
      await store.appendMessage(id, { author: 'visitor', text: 'second' });
      const line = await store.addNote({
        conversationId: id,
        kind: 'event',
        text: 'Assigned to Ana automatically',
        at: 12,
      });
      expect(line.note).toMatchObject({ kind: 'event', afterSeq: 2 });
      expect(line.note).not.toHaveProperty('agentName');
      await expect(
        store.addNote({ conversationId: 'nope', kind: 'note', agentName: 'Ana', text: 'x', at: 1 }),
      ).rejects.toThrow(NotFoundError);

      const summary = await store.getConversation(id);
      expect(summary).toMatchObject({ lastSeq: 2, unread: 2, lastMessage: { author: 'visitor', text: 'second' } });
      expect((await store.messagesAfter(id, 0)).messages.map((m) => m.text)).toEqual(['visible', 'second']);
      expect((await store.notesBetween(id, { from: 0 })).map((n) => n.text)).toEqual([
        'VIP customer',
        'Assigned to Ana automatically',
      ]);
      expect((await store.notesBetween(id, { from: 0, to: 2 })).map((n) => n.id)).toEqual([note.note.id]);
      expect((await store.notesBetween(id, { from: 2 })).map((n) => n.id)).toEqual([line.note.id]);
      expect(await store.notesBetween(id, { from: 0, limit: 1 })).toHaveLength(1);
    });

    it("links a verified user's sessions to one visitor per site, updating name, email and details", async () => {
      const store = await open();
      const ada: VerifiedUser = { id: 'u1', name: 'Ada', email: 'ada@example.com' };
      const first = await store.createUserSession({
        tokenHash: 'd1',
        site: 'acme',
        meta: { locale: 'en' },
        now: 1_000,
        user: ada,
      });
      expect(first).toEqual({
        updated: true,
        rotated: false,
        session: {
          tokenHash: 'd1',
          visitorId: expect.stringMatching(UUID),
          conversationId: expect.stringMatching(UUID),
          started: false,
          site: 'acme',
          createdAt: 1_000,
          lastSeenAt: 1_000,
          user: ada,
        },
      });
      const { visitorId, conversationId } = first.session;
      expect(await store.findVisitorByUser('acme', 'u1')).toEqual({ visitorId, conversationId, started: false });
      expect(await store.findVisitorByUser('acme', 'u2')).toBeUndefined();
      expect(await store.findVisitorByUser('shop', 'u1')).toBeUndefined();
      expect(await store.findSession('d1')).toEqual(first.session);
      // A verified user with no message yet has no conversation either; the first message creates it.
      expect(await store.hasConversation(conversationId)).toBe(false);
      expect((await store.appendMessage(conversationId, { author: 'visitor', text: 'hi' })).created).toBe(true);

      const second = await store.createUserSession({
        tokenHash: 'd2',
        site: 'acme',
        meta: { locale: 'fr', userAgent: 'Phone/1' },
        now: 2_000,
        user: ada,
      });
      expect(second).toEqual({
        updated: false,
        rotated: false,
        session: { ...first.session, started: true, tokenHash: 'd2', createdAt: 2_000, lastSeenAt: 2_000 },
      });
      expect((await store.getConversation(conversationId))?.visitor).toEqual({
        id: visitorId,
        label: visitorLabel(visitorId),
        verified: true,
        name: 'Ada',
        email: 'ada@example.com',
        locale: 'fr',
        userAgent: 'Phone/1',
      });

      const renamed = await store.createUserSession({
        tokenHash: 'd3',
        site: 'acme',
        meta: {},
        now: 3_000,
        user: { id: 'u1', name: 'Ada L.' },
      });
      expect(renamed.updated).toBe(true);
      expect(renamed.session).toMatchObject({ visitorId, user: { id: 'u1', name: 'Ada L.' } });
      expect(renamed.session.user).not.toHaveProperty('email');
      expect((await store.findSession('d1'))?.user).toEqual({ id: 'u1', name: 'Ada L.' });

      const elsewhere = await store.createUserSession({
        tokenHash: 'd4',
        site: 'shop',
        meta: {},
        now: 4_000,
        user: ada,
      });
      expect(elsewhere.session.visitorId).not.toBe(visitorId);
      expect(await store.findVisitorByUser('shop', 'u1')).toEqual({
        visitorId: elsewhere.session.visitorId,
        conversationId: elsewhere.session.conversationId,
        started: false,
      });
    });

    it("identifies sessions under a new token: links or re-points an anonymous one, never hands over a user's", async () => {
      const store = await open();
      const anon = await store.createSession({ tokenHash: 't1', site: 'acme', meta: {}, now: 1_000 });
      await store.appendMessage(anon.conversationId, { author: 'visitor', text: 'before login' });

      const linked = await store.identifySession('t1', { id: 'u2', name: 'Bo' }, 'r1', 5_000);
      expect(linked).toEqual({
        updated: true,
        rotated: true,
        session: {
          ...anon,
          started: true,
          tokenHash: 'r1',
          createdAt: 5_000,
          lastSeenAt: 5_000,
          user: { id: 'u2', name: 'Bo' },
        },
      });
      // The old token no longer exists: whoever held it before the login holds nothing.
      expect(await store.findSession('t1')).toBeUndefined();
      expect(await store.findVisitorByUser('acme', 'u2')).toEqual({
        visitorId: anon.visitorId,
        conversationId: anon.conversationId,
        started: true,
      });
      expect((await store.getConversation(anon.conversationId))?.visitor).toMatchObject({ verified: true, name: 'Bo' });
      // The same user again: the identity did not change, nothing is rotated.
      expect(await store.identifySession('r1', { id: 'u2', name: 'Bo' }, 'unused', 6_000)).toMatchObject({
        updated: false,
        rotated: false,
        session: { tokenHash: 'r1' },
      });
      expect(await store.findSession('unused')).toBeUndefined();

      // Another device of the same user follows it to its conversation, under a new token; its own visitor, which
      // never wrote and has no other session, is deleted.
      const visitorsBefore = await backend.rows('visitors');
      const phone = await store.createSession({ tokenHash: 't2', site: 'acme', meta: {}, now: 2_000 });
      const followed = await store.identifySession(
        't2',
        { id: 'u2', name: 'Bo', email: 'bo@example.com' },
        'r2',
        7_000,
      );
      expect(followed).toEqual({
        updated: true,
        rotated: true,
        session: {
          tokenHash: 'r2',
          visitorId: anon.visitorId,
          conversationId: anon.conversationId,
          started: true,
          site: 'acme',
          createdAt: 7_000,
          lastSeenAt: 7_000,
          user: { id: 'u2', name: 'Bo', email: 'bo@example.com' },
        },
      });
      expect(await store.findSession('t2')).toBeUndefined();
      expect(phone.visitorId).not.toBe(anon.visitorId);
      expect(await backend.rows('visitors')).toBe(visitorsBefore);
      // A device that wrote before logging in keeps its (anonymous) conversation.
      const tablet = await store.createSession({ tokenHash: 't3', site: 'acme', meta: {}, now: 2_000 });
      await store.appendMessage(tablet.conversationId, { author: 'visitor', text: 'from the tablet' });
      await store.identifySession('t3', { id: 'u2', name: 'Bo' }, 'r3', 8_000);
      expect(await store.getConversation(tablet.conversationId)).toMatchObject({ visitor: { verified: false } });

      // A session of u2 is never handed to u3, and stays u2's.
      await expect(store.identifySession('r1', { id: 'u3' }, 'r4', 9_000)).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.findSession('r1')).toMatchObject({ user: { id: 'u2' } });
      expect(await store.findSession('r4')).toBeUndefined();
      expect((await store.messagesAfter(anon.conversationId, 0)).messages.map((m) => m.text)).toEqual(['before login']);

      await expect(store.identifySession('missing', { id: 'u2' }, 'r5', 9_000)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('ends concurrent first connections and identifications of one new user, from three writers, on one visitor', async () => {
      const writers = [await open(), await open(), await open()];
      const user = { id: 'u-race', name: 'Race' };
      const created = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          writers[i % 3]!.createUserSession({ tokenHash: `dev-${i}`, site: 'acme', meta: {}, now: 1_000 + i, user }),
        ),
      );
      const owner = await writers[0]!.findVisitorByUser('acme', 'u-race');
      expect(owner).toBeDefined();
      expect(new Set(created.map((c) => c.session.visitorId))).toEqual(new Set([owner!.visitorId]));
      expect(new Set(created.map((c) => c.session.conversationId))).toEqual(new Set([owner!.conversationId]));
      expect(created.filter((c) => c.updated)).toHaveLength(1);

      const anonymous = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          writers[i % 3]!.createSession({ tokenHash: `anon-${i}`, site: 'acme', meta: {}, now: 1_000 }),
        ),
      );
      // Each device wrote first, so each keeps its own conversation.
      for (const s of anonymous) await writers[0]!.appendMessage(s.conversationId, { author: 'visitor', text: 'hi' });
      const identified = await Promise.all(
        anonymous.map((s, i) =>
          writers[(i + 1) % 3]!.identifySession(s.tokenHash, { id: 'u-link' }, `linked-${i}`, 2_000),
        ),
      );
      const linked = await writers[1]!.findVisitorByUser('acme', 'u-link');
      expect(anonymous.map((s) => s.visitorId)).toContain(linked!.visitorId);
      expect(new Set(identified.map((r) => r.session.visitorId))).toEqual(new Set([linked!.visitorId]));
      expect(identified.every((r) => r.rotated)).toBe(true);
      for (const [i, s] of anonymous.entries()) {
        expect(await writers[2]!.findSession(s.tokenHash)).toBeUndefined();
        expect(await writers[2]!.findSession(`linked-${i}`)).toMatchObject({
          conversationId: linked!.conversationId,
          user: { id: 'u-link' },
        });
        expect(await writers[2]!.hasConversation(s.conversationId)).toBe(true);
      }

      // One session identified as two users at once: the first rotates it away, so the second finds no session (the
      // gateway then issues that user a session of their own); nobody gets another user's visitor.
      const contested = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          writers[i % 3]!.createSession({ tokenHash: `both-${i}`, site: 'acme', meta: {}, now: 1_000 }),
        ),
      );
      const answers = await Promise.allSettled(
        contested.flatMap((s, i) => [
          writers[i % 3]!.identifySession(s.tokenHash, { id: `x-${i}` }, `x-token-${i}`, 2_000),
          writers[(i + 1) % 3]!.identifySession(s.tokenHash, { id: `y-${i}` }, `y-token-${i}`, 2_000),
        ]),
      );
      for (const [i, s] of contested.entries()) {
        const pair = [answers[2 * i]!, answers[2 * i + 1]!];
        const won = pair.filter((a) => a.status === 'fulfilled');
        expect(won).toHaveLength(1);
        expect(pair.find((a) => a.status === 'rejected')?.reason).toBeInstanceOf(NotFoundError);
        const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<Store['identifySession']>>>).value.session;
        expect(winner.visitorId).toBe(s.visitorId);
        expect(await writers[0]!.findVisitorByUser('acme', winner.user!.id)).toMatchObject({ visitorId: s.visitorId });
      }
    });

    it('creates no conversation without a message: the first visitor message creates it, once, atomically', async () => {
      const writers = [await open(), await open(), await open()];
      const sessions = await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          writers[i % 3]!.createSession({ tokenHash: `h-${i}`, site: 'acme', meta: {}, now: 1_000 }),
        ),
      );
      expect(await backend.rows('conversations')).toBe(0);
      expect(await writers[0]!.listConversations({ limit: 500 })).toEqual([]);
      const id = sessions[0]!.conversationId;
      // Agents cannot create a conversation, even knowing a reserved id.
      await expect(writers[0]!.appendMessage(id, { author: 'agent', text: 'x' })).rejects.toBeInstanceOf(NotFoundError);
      await expect(writers[0]!.appendMessage('nope', { author: 'visitor', text: 'x' })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      expect(await backend.rows('conversations')).toBe(0);

      // Three tabs send their first messages at once: one conversation, gap-free seqs, created exactly once, and a
      // repeated clientId stored once.
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          writers[i % 3]!.appendMessage(id, { author: 'visitor', clientId: `first-${i % 6}`, text: `m${i % 6}` }),
        ),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(results.filter((r) => !r.duplicate)).toHaveLength(6);
      expect((await writers[1]!.messagesAfter(id, 0)).messages.map((m) => m.seq)).toEqual(range(6));
      expect(await backend.rows('conversations')).toBe(1);
      expect(await writers[2]!.findSession('h-0')).toMatchObject({ started: true, conversationId: id });
      expect((await writers[0]!.listConversations()).map((c) => c.id)).toEqual([id]);
    });

    it('sweeps message-less sessions after the short TTL, idle ones after the long one, and the visitors they kept', async () => {
      const store = await open();
      for (let i = 0; i < 150; i++)
        await store.createSession({ tokenHash: `e-${i}`, site: 'acme', meta: {}, now: 1_000 });
      const wrote = await store.createSession({ tokenHash: 'w', site: 'acme', meta: {}, now: 1_000 });
      await store.appendMessage(wrote.conversationId, { author: 'visitor', text: 'hello' });
      const user = await store.createUserSession({
        tokenHash: 'u',
        site: 'acme',
        meta: {},
        now: 3_000,
        user: { id: 'u1' },
      });
      expect(await backend.rows('visitors')).toBe(152);

      expect(await store.sweepSessions({ idleBefore: 0, emptyBefore: 1_000, batch: 40 })).toEqual({
        sessions: 0,
        visitors: 0,
      });
      // In batches of 40: the 150 message-less sessions unused since 1,000 and their visitors go; the one that wrote
      // stays (its TTL is the long one), and so does the user's, used at 3,000.
      expect(await store.sweepSessions({ idleBefore: 0, emptyBefore: 2_000, batch: 40 })).toEqual({
        sessions: 150,
        visitors: 150,
      });
      expect(await backend.rows('sessions')).toBe(2);
      expect(await backend.rows('visitors')).toBe(2);
      expect(await store.findSession('w')).toMatchObject({ started: true });
      expect(await store.findSession('u')).toMatchObject({ user: { id: 'u1' } });

      // Past the long TTL the session goes; the visitor and its conversation stay, for the agents.
      expect(await store.sweepSessions({ idleBefore: 2_000, emptyBefore: 4_000 })).toEqual({
        sessions: 2,
        visitors: 1,
      });
      expect(await store.findSession('w')).toBeUndefined();
      expect(await store.findVisitorByUser('acme', 'u1')).toBeUndefined();
      expect(user.session.started).toBe(false);
      expect(await store.getConversation(wrote.conversationId)).toMatchObject({ lastSeq: 1 });
      expect(await backend.rows('visitors')).toBe(1);

      // Revoking a message-less session deletes its visitor at once.
      await store.createSession({ tokenHash: 'gone', site: 'acme', meta: {}, now: 5_000 });
      await store.deleteSession('gone');
      expect(await backend.rows('visitors')).toBe(1);
    });

    it('stores an anonymous visitor address, never over a verified one', async () => {
      const store = await open();
      const session = await store.createSession({ tokenHash: 'h1', site: 'acme', meta: {}, now: 1_000 });
      expect(await store.setVisitorEmail(session.visitorId, 'a@example.com')).toBe(true);
      expect(await store.setVisitorEmail(session.visitorId, 'a@example.com')).toBe(false);
      expect((await store.findSession('h1'))?.email).toBe('a@example.com');
      const user = await store.createUserSession({
        tokenHash: 'h2',
        site: 'acme',
        meta: {},
        now: 1_000,
        user: { id: 'u1', email: 'u@example.com' },
      });
      expect(await store.setVisitorEmail(user.session.visitorId, 'other@example.com')).toBe(false);
      expect((await store.findSession('h2'))?.user?.email).toBe('u@example.com');
    });

    it('stores the pre-chat form name with the address; a later address alone keeps it', async () => {
      const store = await open();
      const session = await store.createSession({ tokenHash: 'h1', site: 'acme', meta: {}, now: 1_000 });
      expect(await store.setVisitorEmail(session.visitorId, 'a@example.com', 'Grace')).toBe(true);
      expect(await store.setVisitorEmail(session.visitorId, 'a@example.com', 'Grace')).toBe(false);
      expect(await store.setVisitorEmail(session.visitorId, 'a@example.com', 'Grace H')).toBe(true);
      expect(await store.setVisitorEmail(session.visitorId, 'b@example.com')).toBe(true);
      await store.appendMessage(session.conversationId, { author: 'visitor', text: 'hi' });
      expect((await store.getConversation(session.conversationId))?.visitor).toMatchObject({
        name: 'Grace H',
        email: 'b@example.com',
      });
    });

    it('queues mail: one pending follow-up per conversation, leased by one claimer at a time, retried, finished once', async () => {
      const [a, b] = [await open(), await open()];
      const id = await conversation(a);
      await a.appendMessage(id, { author: 'visitor', text: 'hello' });
      const job = { kind: 'followup' as const, conversationId: id, dueAt: 2_000, now: 1_000 };
      expect(await a.enqueueMail({ ...job, id: 'j1' })).toBe(true);
      expect(await b.enqueueMail({ ...job, id: 'j2' })).toBe(false);
      expect(await a.claimMail(1_999, 10_000)).toBeUndefined();
      // Two processes claiming at once: exactly one gets the job.
      const claims = await Promise.all([a.claimMail(2_000, 10_000), b.claimMail(2_000, 10_000)]);
      const held = claims.filter((c) => c !== undefined);
      expect(held).toHaveLength(1);
      expect(held[0]).toMatchObject({ id: 'j1', kind: 'followup', conversationId: id, attempts: 1, createdAt: 1_000 });
      // Leased: nobody else gets it until the lease ends; then the next claimer takes it over.
      expect(await b.claimMail(5_000, 10_000)).toBeUndefined();
      const takeover = await b.claimMail(12_000, 10_000);
      expect(takeover).toMatchObject({ id: 'j1', attempts: 2 });
      // The first holder lost its lease: its outcome is not recorded.
      expect(await a.finishMail(held[0]!, { state: 'sent', uptoSeq: 1 }, 12_001)).toBe(false);
      expect(await b.finishMail(takeover!, { state: 'pending', dueAt: 20_000, error: 'smtp down' }, 12_002)).toBe(true);
      expect(await a.claimMail(19_999, 10_000)).toBeUndefined();
      const retry = await a.claimMail(20_000, 10_000);
      expect(retry).toMatchObject({ id: 'j1', attempts: 3 });
      expect((await a.mailContext(id))?.emailedSeq).toBe(0);
      expect(await a.finishMail(retry!, { state: 'sent', uptoSeq: 1 }, 20_001)).toBe(true);
      expect(await a.finishMail(retry!, { state: 'failed', error: 'late' }, 20_002)).toBe(false);
      expect(await b.claimMail(100_000, 10_000)).toBeUndefined();
      expect(await a.mailContext(id)).toEqual({ site: 'acme', visitorReadSeq: 0, emailedSeq: 1 });
      // Once sent, a new follow-up may be queued.
      expect(await a.enqueueMail({ ...job, id: 'j3' })).toBe(true);
      expect(await a.mailContext('nope')).toBeUndefined();
    });

    it('counts and reserves transcripts per conversation, address and site, and maps reply tokens to conversations', async () => {
      const store = await open();
      const [c1, c2] = [await conversation(store), await conversation(store)];
      for (const c of [c1, c2]) await store.appendMessage(c, { author: 'visitor', text: 'hello' });
      const transcript = { kind: 'transcript' as const, dueAt: 0, now: 5_000 };
      await store.enqueueMail({ ...transcript, id: 't1', conversationId: c1, recipient: 'x@example.com' });
      await store.enqueueMail({ ...transcript, id: 't2', conversationId: c1, recipient: 'x@example.com' });
      await store.enqueueMail({ ...transcript, id: 't3', conversationId: c2, recipient: 'y@example.com' });
      await store.enqueueMail({ ...transcript, id: 't4', conversationId: c2, recipient: 'x@example.com', now: 1_000 });
      const request = { conversationId: c1, recipient: 'x@example.com', site: 'acme', since: 2_000, now: 6_000 };
      const roomy = { conversation: 9, recipient: 9, site: 9 };
      expect(await store.reserveTranscript({ ...request, id: 't5' }, roomy)).toEqual({
        queued: true,
        counts: { conversation: 2, recipient: 2, site: 3 },
      });
      // Each limit alone refuses, and a refused request stores nothing.
      for (const limits of [
        { ...roomy, conversation: 3 },
        { ...roomy, recipient: 3 },
        { ...roomy, site: 4 },
      ]) {
        expect(await store.reserveTranscript({ ...request, id: 't6' }, limits)).toEqual({
          queued: false,
          counts: { conversation: 3, recipient: 3, site: 4 },
        });
      }
      expect(await store.reserveTranscript({ ...request, id: 't7', site: 'other' }, roomy)).toMatchObject({
        counts: { conversation: 0, recipient: 0, site: 0 },
      });
      await store.saveReplyToken('tok1', c1);
      await store.saveReplyToken('tok1', c1);
      expect(await store.conversationOfReplyToken('tok1')).toBe(c1);
      expect(await store.conversationOfReplyToken('forged')).toBeUndefined();
    });

    it('never lets concurrent transcript requests of one site exceed its limit, from one or two writers', async () => {
      const [a, b] = [await open(), await open()];
      const queue = (store: Store) =>
        startMailQueue({
          store,
          mailer: { send: async () => {}, close() {} },
          logger: silentLogger,
          delayMs: 0,
          secret: 's',
          pollMs: 3_600_000,
        });
      const contexts = [a, b].map(
        (store) => ({ store, logger: silentLogger, mail: queue(store) }) as unknown as GatewayContext,
      );
      const conversations: string[] = [];
      for (let i = 0; i < 6; i++) {
        const session = await a.createSession({ tokenHash: `tr-${i}`, site: 'acme', meta: {}, now: Date.now() });
        await a.appendMessage(session.conversationId, { author: 'visitor', text: 'hello' });
        await a.setVisitorEmail(session.visitorId, `v${i}@example.com`);
        conversations.push(session.conversationId);
      }
      const limits = { perVisitor: 5, perAddress: 5, perSite: 2 };
      const outcomes = await Promise.allSettled(
        conversations.map((id, i) => requestTranscript(contexts[i % 2]!, id, limits, Date.now())),
      );
      for (const c of contexts) await c.mail?.stop();
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
      for (const o of outcomes.filter((o) => o.status === 'rejected'))
        expect(o.reason).toMatchObject({ code: 'rate_limited' });
    });

    it.skipIf(!backend.mailInsertsHeld)(
      'counts each transcript reservation after the one before it committed, even when all reach their insert together',
      async () => {
        const [a, b] = [await open(), await open()];
        const ids: string[] = [];
        for (let i = 0; i < 4; i++) ids.push(await conversation(a));
        for (const id of ids) await a.appendMessage(id, { author: 'visitor', text: 'hello' });
        const held = await backend.mailInsertsHeld!();
        const limits = { conversation: 9, recipient: 9, site: 2 };
        const reservations = ids.map((conversationId, i) =>
          [a, b][i % 2]!.reserveTranscript(
            { id: `r${i}`, conversationId, recipient: `v${i}@example.com`, site: 'acme', since: 0, now: 5_000 },
            limits,
          ),
        );
        // Every reservation is stuck behind the held lock (or behind one that is) before any may insert.
        await expect.poll(() => held.waiting(), { timeout: 10_000 }).toBe(ids.length);
        await held.release();
        const queued = (await Promise.all(reservations)).filter((r) => r.queued);
        expect(queued).toHaveLength(2);
      },
    );

    it('offers one rating per conversation, scored and changeable for a window, averaged per agent', async () => {
      const store = await open();
      const [c1, c2] = [await conversation(store), await conversation(store)];
      for (const c of [c1, c2]) await store.appendMessage(c, { author: 'visitor', text: 'hello' });
      const hour = 3_600_000;
      expect(await store.rate(c1, { score: 5 }, 1_000, hour)).toBeUndefined(); // not offered
      expect(await store.offerRating(c1, 'Ana', 1_000)).toEqual({ agentName: 'Ana', offeredAt: 1_000 });
      expect(await store.getRating(c1)).toEqual({ agentName: 'Ana', offeredAt: 1_000 });
      expect(await store.rate(c1, { score: 2, comment: 'slow' }, 2_000, hour)).toEqual({
        agentName: 'Ana',
        offeredAt: 1_000,
        score: 2,
        comment: 'slow',
        firstRatedAt: 2_000,
        ratedAt: 2_000,
      });
      // A later resolve by someone else keeps the given rating and its agent.
      expect(await store.offerRating(c1, 'Ben', 3_000)).toBeUndefined();
      expect(await store.rate(c1, { score: 4 }, 2_000 + hour - 1, hour)).toMatchObject({
        agentName: 'Ana',
        score: 4,
        firstRatedAt: 2_000,
      });
      expect((await store.getRating(c1))?.comment).toBeUndefined();
      expect(await store.rate(c1, { score: 1 }, 2_000 + hour, hour)).toBeUndefined(); // the window has passed
      await store.offerRating(c2, 'Ana', 1_000);
      await store.rate(c2, { score: 5 }, 1_500, hour);
      expect(await store.ratingTotals()).toEqual([{ name: 'Ana', total: 9, count: 2 }]);
    });

    it('migrates once: concurrent first opens agree, reopening keeps everything, a newer schema is refused', async () => {
      expect(backend.migrations).toBe(MIGRATIONS.length);
      const [a, b, c] = await Promise.all([open(), open(), open()]);
      expect(await backend.schemaVersion()).toBe(backend.migrations);
      const id = await conversation(a!);
      await b!.appendMessage(id, { author: 'visitor', clientId: 'persist-1', text: 'kept' });
      expect((await c!.messagesAfter(id, 0)).messages.map((m) => m.text)).toEqual(['kept']);
      for (const store of [a, b, c]) await store!.close();

      const again = await open();
      expect(await backend.schemaVersion()).toBe(backend.migrations);
      expect((await again.messagesAfter(id, 0)).messages.map((m) => m.text)).toEqual(['kept']);
      expect(await again.appendMessage(id, { author: 'visitor', clientId: 'persist-1', text: 'x' })).toMatchObject({
        duplicate: true,
      });
      await again.close();

      await backend.bumpSchemaVersion();
      await expect(open()).rejects.toThrow(/newer than this gateway/);
    });

    it('closes idempotently; anything after close rejects with StoreError', async () => {
      const store = await open();
      const id = await conversation(store);
      await store.close();
      await expect(store.close()).resolves.toBeUndefined();
      await expect(store.listConversations()).rejects.toBeInstanceOf(StoreError);
      await expect(store.appendMessage(id, { author: 'visitor', text: 'x' })).rejects.toBeInstanceOf(StoreError);
    });
  });
});
