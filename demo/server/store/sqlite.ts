import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type Author, type ConversationStatus, LIMITS, type Message, type VerifiedUser } from '../../../src/protocol';
import { migrate } from './migrations';
import { fitBytes, messagePage, PAGE_TEXT_BYTES } from './page';
import {
  type AppendResult,
  type IdentifiedSession,
  type ListOptions,
  type MessagePage,
  type NewMessage,
  type NewSession,
  NotFoundError,
  type SessionRecord,
  type Store,
  type StoredSummary,
  StoreError,
  type SweepResult,
  type VisitorMeta,
  visitorLabel,
} from './types';

export interface SqliteStoreOptions {
  /** File path, or `:memory:`. The parent directory is created. */
  path: string;
  /**
   * `normal` (default): with WAL, a committed message survives a process crash or `kill -9`, but the last
   * transactions may be lost on power failure or OS crash. `full`: fsync on every commit, survives those too.
   */
  sync?: 'normal' | 'full';
  /** How long a write waits for another connection's lock before failing. */
  busyTimeoutMs?: number;
  /** Clock for message and conversation timestamps. */
  now?: () => number;
}

/** The SQLite store, plus what it runs with (for tests and diagnostics). */
export interface SqliteStore extends Store {
  settings(): { journalMode: string; synchronous: 'normal' | 'full' | 'other'; busyTimeoutMs: number };
}

const PREVIEW_LENGTH = 200;
const MAX_LIST = 500;

interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number;
  author: Author;
  agent_name: string | null;
  client_id: string | null;
  text: string;
  created_at: number;
}

interface SessionRow {
  token_hash: string;
  visitor_id: string;
  conversation_id: string;
  started: number;
  site: string;
  created_at: number;
  last_seen_at: number;
  user_id: string | null;
  name: string | null;
  email: string | null;
}

interface UserVisitorRow {
  visitor_id: string;
  conversation_id: string;
  started: number;
}

interface SummaryRow {
  id: string;
  site: string;
  status: ConversationStatus;
  last_seq: number;
  last_activity_at: number;
  visitor_id: string;
  page_url: string | null;
  page_title: string | null;
  locale: string | null;
  user_agent: string | null;
  name: string | null;
  email: string | null;
  verified: number;
  last_author: Author | null;
  last_text: string | null;
  unread: number;
}

const SUMMARY_SELECT = `
  SELECT c.id, c.site, c.status, c.last_seq, c.last_activity_at,
         v.id AS visitor_id, v.page_url, v.page_title, v.locale, v.user_agent, v.name, v.email, v.verified,
         m.author AS last_author, substr(m.text, 1, ${PREVIEW_LENGTH}) AS last_text,
         (SELECT count(*) FROM messages u
           WHERE u.conversation_id = c.id AND u.seq > c.agent_read_seq AND u.author = 'visitor') AS unread
    FROM conversations c
    JOIN visitors v ON v.id = c.visitor_id
    LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq`;

const MESSAGE_COLUMNS = 'id, conversation_id, seq, author, agent_name, client_id, text, created_at';

/** Whether the visitor `v`'s reserved conversation exists, i.e. it stored a message. */
const STARTED = 'EXISTS (SELECT 1 FROM conversations c WHERE c.id = v.conversation_id) AS started';
const SWEEP_BATCH = 1000;

/** Opens (creating and migrating as needed) a SQLite store. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const now = options.now ?? Date.now;
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }

  const q = {
    insertVisitor: db.prepare(
      `INSERT INTO visitors (id, site, page_url, page_title, locale, user_agent, user_id, name, email, verified, created_at,
                             conversation_id)
       VALUES (@id, @site, @pageUrl, @pageTitle, @locale, @userAgent, @userId, @name, @email, @verified, @now,
               @conversationId)`,
    ),
    // Creates the conversation a visitor reserved; nothing when it exists or no visitor reserved that id.
    createConversation: db.prepare(
      `INSERT INTO conversations (id, visitor_id, site, last_activity_at, created_at)
       SELECT conversation_id, id, site, @now, @now FROM visitors WHERE conversation_id = @id
       ON CONFLICT DO NOTHING`,
    ),
    insertSession: db.prepare(
      'INSERT INTO sessions (token_hash, visitor_id, created_at, last_seen_at) VALUES (@tokenHash, @visitorId, @now, @now)',
    ),
    findSession: db.prepare<[string], SessionRow>(
      `SELECT s.token_hash, s.visitor_id, v.conversation_id, ${STARTED}, v.site, s.created_at, s.last_seen_at,
              v.user_id, v.name, v.email
         FROM sessions s
         JOIN visitors v ON v.id = s.visitor_id
        WHERE s.token_hash = ?`,
    ),
    touchSession: db.prepare(
      'UPDATE sessions SET last_seen_at = max(last_seen_at, @now) WHERE token_hash = @tokenHash',
    ),
    deleteSession: db.prepare<[string], { visitor_id: string }>(
      'DELETE FROM sessions WHERE token_hash = ? RETURNING visitor_id',
    ),
    // A rotation: the old token stops working in the same statement that makes the new one lead to `visitorId`.
    rekeySession: db.prepare(
      `UPDATE sessions SET token_hash = @rotateTo, visitor_id = @visitorId, created_at = @now, last_seen_at = @now
        WHERE token_hash = @tokenHash`,
    ),
    dropIdleVisitor: db.prepare(
      `DELETE FROM visitors WHERE id = ?
          AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.visitor_id = visitors.id)
          AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.visitor_id = visitors.id)`,
    ),
    sweepSessions: db.prepare<{ idleBefore: number; emptyBefore: number; batch: number }, { visitor_id: string }>(
      `DELETE FROM sessions WHERE token_hash IN (
         SELECT s.token_hash FROM sessions s
          WHERE s.last_seen_at < @emptyBefore
            AND (s.last_seen_at < @idleBefore
                 OR NOT EXISTS (SELECT 1 FROM conversations c WHERE c.visitor_id = s.visitor_id))
          LIMIT @batch)
       RETURNING visitor_id`,
    ),
    visitorByUser: db.prepare<[string, string], UserVisitorRow>(
      `SELECT v.id AS visitor_id, v.conversation_id, ${STARTED}
         FROM visitors v
        WHERE v.site = ? AND v.user_id = ?`,
    ),
    linkVisitor: db.prepare(
      `UPDATE visitors SET user_id = @userId, verified = 1, name = @name, email = @email
        WHERE id = @id AND user_id IS NULL`,
    ),
    // Touches the row only when something changed, so `changes` says whether agents need a new summary.
    updateUser: db.prepare(
      `UPDATE visitors SET name = @name, email = @email, verified = 1
        WHERE id = @id AND user_id = @userId AND (name IS NOT @name OR email IS NOT @email OR verified = 0)`,
    ),
    updateVisitor: db.prepare(
      `UPDATE visitors SET
         page_url = coalesce(@pageUrl, page_url),
         page_title = coalesce(@pageTitle, page_title),
         locale = coalesce(@locale, locale),
         user_agent = coalesce(@userAgent, user_agent)
       WHERE id = @id`,
    ),
    conversationHead: db.prepare<[string], { status: ConversationStatus; last_seq: number }>(
      'SELECT status, last_seq FROM conversations WHERE id = ?',
    ),
    messageByClientId: db.prepare<[string, Author, string], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND author = ? AND client_id = ?`,
    ),
    advance: db.prepare(
      `UPDATE conversations SET
         last_seq = last_seq + 1,
         last_activity_at = max(last_activity_at, @now),
         status = CASE WHEN @reopen THEN 'open' ELSE status END
       WHERE id = @id`,
    ),
    insertMessage: db.prepare(
      `INSERT INTO messages (${MESSAGE_COLUMNS})
       VALUES (@id, @conversationId, @seq, @author, @agentName, @clientId, @text, @createdAt)`,
    ),
    // See `PAGE_TEXT_BYTES` in page.ts: messages that start after a page's worth of text are not even read.
    messagesAfter: db.prepare<[string, number, number, number], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM (
         SELECT *, SUM(octet_length(text)) OVER (ORDER BY seq) - octet_length(text) AS text_before
           FROM (SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?)
       ) WHERE text_before <= ? ORDER BY seq`,
    ),
    summary: db.prepare<[string], SummaryRow>(`${SUMMARY_SELECT} WHERE c.id = ?`),
    listAll: db.prepare<[number], SummaryRow>(`${SUMMARY_SELECT} ORDER BY c.last_activity_at DESC, c.id LIMIT ?`),
    listByStatus: db.prepare<[ConversationStatus, number], SummaryRow>(
      `${SUMMARY_SELECT} WHERE c.status = ? ORDER BY c.last_activity_at DESC, c.id LIMIT ?`,
    ),
    setStatus: db.prepare('UPDATE conversations SET status = ? WHERE id = ?'),
    agentRead: db.prepare(
      `UPDATE conversations SET agent_read_seq = min(@seq, last_seq)
        WHERE id = @id AND agent_read_seq < min(@seq, last_seq)`,
    ),
    visitorRead: db.prepare(
      `UPDATE conversations SET visitor_read_seq = min(@seq, last_seq)
        WHERE id = @id AND visitor_read_seq < min(@seq, last_seq)`,
    ),
  };

  /** A visitor (anonymous, or linked to `user`) reserving a conversation id; `(site, user)` must not be linked yet. */
  const insertVisitor = (site: string, meta: VisitorMeta, at: number, user?: VerifiedUser) => {
    const visitorId = randomUUID();
    const conversationId = randomUUID();
    q.insertVisitor.run({ id: visitorId, site, now: at, conversationId, ...metaParams(meta), ...userParams(user) });
    return { visitorId, conversationId };
  };

  const createSession = db.transaction((input: NewSession): SessionRecord => {
    const { tokenHash, site, now: at } = input;
    const { visitorId, conversationId } = insertVisitor(site, input.meta, at);
    q.insertSession.run({ tokenHash, visitorId, now: at });
    return { tokenHash, visitorId, conversationId, started: false, site, createdAt: at, lastSeenAt: at };
  });

  // The identity transactions run IMMEDIATE: the write lock is held from the lookup of the user's visitor to the
  // link, so two connections (or processes) identifying the same new user cannot both create a visitor; the unique
  // index on (site, user_id) would refuse the second one anyway.
  const createUserSession = db.transaction((input: NewSession & { user: VerifiedUser }): IdentifiedSession => {
    const { tokenHash, site, user, now: at } = input;
    const owner = q.visitorByUser.get(site, user.id);
    let updated = true;
    if (owner) {
      updated = q.updateUser.run({ id: owner.visitor_id, ...userParams(user) }).changes > 0;
      q.updateVisitor.run({ id: owner.visitor_id, ...metaParams(input.meta) });
      q.insertSession.run({ tokenHash, visitorId: owner.visitor_id, now: at });
    } else {
      const { visitorId } = insertVisitor(site, input.meta, at, user);
      q.insertSession.run({ tokenHash, visitorId, now: at });
    }
    return { session: sessionOrThrow(tokenHash), updated, rotated: false };
  });

  const identifySession = db.transaction(
    (tokenHash: string, user: VerifiedUser, rotateTo: string, at: number): IdentifiedSession => {
      const current = sessionOrThrow(tokenHash);
      if (current.user !== undefined) {
        // A session of another user is never handed over; the caller issues a new one.
        if (current.user.id !== user.id) throw new NotFoundError('session belongs to another user');
        const updated = q.updateUser.run({ id: current.visitorId, ...userParams(user) }).changes > 0;
        return { session: current, updated, rotated: false };
      }
      const owner = q.visitorByUser.get(current.site, user.id);
      const visitorId = owner?.visitor_id ?? current.visitorId;
      if (owner) q.updateUser.run({ id: visitorId, ...userParams(user) });
      else q.linkVisitor.run({ id: visitorId, ...userParams(user) });
      q.rekeySession.run({ tokenHash, rotateTo, visitorId, now: at });
      if (owner) q.dropIdleVisitor.run(current.visitorId);
      return { session: sessionOrThrow(rotateTo), updated: true, rotated: true };
    },
  );

  const deleteSession = db.transaction((tokenHash: string) => {
    const gone = q.deleteSession.get(tokenHash);
    if (gone) q.dropIdleVisitor.run(gone.visitor_id);
  });

  const sweepBatch = db.transaction((input: { idleBefore: number; emptyBefore: number; batch: number }) => {
    const gone = q.sweepSessions.all(input);
    let visitors = 0;
    for (const visitorId of new Set(gone.map((row) => row.visitor_id))) {
      visitors += q.dropIdleVisitor.run(visitorId).changes;
    }
    return { sessions: gone.length, visitors };
  });

  const sessionOrThrow = (tokenHash: string): SessionRecord => {
    const row = q.findSession.get(tokenHash);
    if (!row) throw new NotFoundError('session not found');
    return toSession(row);
  };

  // Reading the head, bumping last_seq and inserting happen in one transaction: seq stays gap-free and a failed
  // insert rolls the counter back.
  const append = db.transaction((conversationId: string, input: NewMessage): AppendResult => {
    if (input.clientId !== undefined) {
      const existing = q.messageByClientId.get(conversationId, input.author, input.clientId);
      if (existing) return { message: toMessage(existing), duplicate: true, reopened: false, created: false };
    }
    let head = q.conversationHead.get(conversationId);
    // A visitor's first message creates the conversation the visitor reserved.
    const created =
      !head && input.author === 'visitor' && q.createConversation.run({ id: conversationId, now: now() }).changes > 0;
    if (created) head = q.conversationHead.get(conversationId);
    if (!head) throw new NotFoundError('conversation not found');
    const reopened = input.author === 'visitor' && head.status === 'resolved';
    const createdAt = now();
    q.advance.run({ id: conversationId, now: createdAt, reopen: reopened ? 1 : 0 });
    const row: MessageRow = {
      id: randomUUID(),
      conversation_id: conversationId,
      seq: head.last_seq + 1,
      author: input.author,
      agent_name: input.agentName ?? null,
      client_id: input.clientId ?? null,
      text: input.text,
      created_at: createdAt,
    };
    q.insertMessage.run({
      id: row.id,
      conversationId,
      seq: row.seq,
      author: row.author,
      agentName: row.agent_name,
      clientId: row.client_id,
      text: row.text,
      createdAt,
    });
    return { message: toMessage(row), duplicate: false, reopened, created };
  });

  let closed = false;
  return {
    settings: () => {
      const synchronous = db.pragma('synchronous', { simple: true });
      return {
        journalMode: String(db.pragma('journal_mode', { simple: true })),
        // SQLite reports synchronous as a number: 1 NORMAL, 2 FULL.
        synchronous: synchronous === 1 ? 'normal' : synchronous === 2 ? 'full' : 'other',
        busyTimeoutMs: Number(db.pragma('busy_timeout', { simple: true })),
      };
    },
    createSession: (input) => guard(() => createSession.immediate(input)),
    createUserSession: (input) => guard(() => createUserSession.immediate(input)),
    identifySession: (tokenHash, user, rotateTo, at) =>
      guard(() => identifySession.immediate(tokenHash, user, rotateTo, at)),
    findVisitorByUser: (site, userId) =>
      guard(() => {
        const row = q.visitorByUser.get(site, userId);
        return row && { visitorId: row.visitor_id, conversationId: row.conversation_id, started: row.started === 1 };
      }),
    findSession: (tokenHash) =>
      guard(() => {
        const row = q.findSession.get(tokenHash);
        return row && toSession(row);
      }),
    touchSession: (tokenHash, at) => guard(() => void q.touchSession.run({ tokenHash, now: at })),
    deleteSession: (tokenHash) => guard(() => deleteSession.immediate(tokenHash)),
    sweepSessions: async ({ idleBefore, emptyBefore, batch = SWEEP_BATCH }) => {
      const total: SweepResult = { sessions: 0, visitors: 0 };
      // Batches, each its own short transaction, so a large sweep never holds the write lock for long.
      for (;;) {
        const done = await guard(() => sweepBatch.immediate({ idleBefore, emptyBefore, batch }));
        total.sessions += done.sessions;
        total.visitors += done.visitors;
        if (done.sessions < batch) return total;
      }
    },
    updateVisitorMeta: (visitorId, meta) =>
      guard(() => void q.updateVisitor.run({ id: visitorId, ...metaParams(meta) })),
    appendMessage: (conversationId, input) => guard(() => append.immediate(conversationId, input)),
    messagesAfter: (conversationId, afterSeq, limit = LIMITS.historyPage) =>
      guard((): MessagePage => {
        const rows = q.messagesAfter.all(conversationId, afterSeq, limit + 1, PAGE_TEXT_BYTES);
        return messagePage(rows.map(toMessage), limit);
      }),
    listConversations: (options: ListOptions = {}) =>
      guard(() => {
        const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? 100)), MAX_LIST);
        const status = options.status ?? 'all';
        const rows = status === 'all' ? q.listAll.all(limit) : q.listByStatus.all(status, limit);
        return fitBytes(rows.map(toSummary));
      }),
    hasConversation: (conversationId) => guard(() => q.conversationHead.get(conversationId) !== undefined),
    getConversation: (conversationId) =>
      guard(() => {
        const row = q.summary.get(conversationId);
        return row && toSummary(row);
      }),
    setStatus: (conversationId, status) =>
      guard(() => {
        q.setStatus.run(status, conversationId);
        const row = q.summary.get(conversationId);
        return row && toSummary(row);
      }),
    markAgentRead: (conversationId, seq) => guard(() => q.agentRead.run({ id: conversationId, seq }).changes > 0),
    markVisitorRead: (conversationId, seq) => guard(() => q.visitorRead.run({ id: conversationId, seq }).changes > 0),
    close: () =>
      guard(() => {
        if (closed) return;
        closed = true;
        db.close();
      }),
  };
}

function guard<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(
      err instanceof StoreError
        ? err
        : new StoreError(err instanceof Error ? err.message : String(err), { cause: err }),
    );
  }
}

function metaParams(meta: VisitorMeta) {
  return {
    pageUrl: meta.page?.url ?? null,
    pageTitle: meta.page?.title ?? null,
    locale: meta.locale ?? null,
    userAgent: meta.userAgent ?? null,
  };
}

/** Columns of a visitor's link to a user; an anonymous visitor has none. */
function userParams(user: VerifiedUser | undefined) {
  return {
    userId: user?.id ?? null,
    name: user?.name ?? null,
    email: user?.email ?? null,
    verified: user ? 1 : 0,
  };
}

function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    author: row.author,
    text: row.text,
    createdAt: row.created_at,
  };
  if (row.agent_name !== null) message.agentName = row.agent_name;
  if (row.client_id !== null) message.clientId = row.client_id;
  return message;
}

function toSession(row: SessionRow): SessionRecord {
  const session: SessionRecord = {
    tokenHash: row.token_hash,
    visitorId: row.visitor_id,
    conversationId: row.conversation_id,
    started: row.started === 1,
    site: row.site,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
  };
  if (row.user_id !== null) {
    const user: VerifiedUser = { id: row.user_id };
    if (row.name !== null) user.name = row.name;
    if (row.email !== null) user.email = row.email;
    session.user = user;
  }
  return session;
}

function toSummary(row: SummaryRow): StoredSummary {
  const summary: StoredSummary = {
    id: row.id,
    site: row.site,
    status: row.status,
    lastSeq: row.last_seq,
    lastActivityAt: row.last_activity_at,
    unread: row.unread,
    visitor: { id: row.visitor_id, label: visitorLabel(row.visitor_id), verified: row.verified === 1 },
  };
  if (row.last_author !== null && row.last_text !== null) {
    summary.lastMessage = { author: row.last_author, text: row.last_text };
  }
  const { visitor } = summary;
  if (row.page_url !== null) visitor.page = { url: row.page_url, title: row.page_title ?? '' };
  if (row.locale !== null) visitor.locale = row.locale;
  if (row.user_agent !== null) visitor.userAgent = row.user_agent;
  if (row.name !== null) visitor.name = row.name;
  if (row.email !== null) visitor.email = row.email;
  return summary;
}
