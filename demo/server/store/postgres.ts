import { randomUUID } from 'node:crypto';
import type { PoolClient, QueryResultRow } from 'pg';
import pg from 'pg';
import { type Author, type ConversationStatus, LIMITS, type Message, type VerifiedUser } from '../../../src/protocol';
import { fitBytes, messagePage, PAGE_TEXT_BYTES } from './page';
import { migratePostgres, quoteIdent } from './postgres-migrations';
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

export interface PostgresStoreOptions {
  /** Connection string, e.g. `postgres://parley:secret@db.internal:5432/parley`. */
  url: string;
  /** Connections in this process's pool (default 10). Every gateway process has its own pool. */
  poolSize?: number;
  /**
   * Schema that holds Parley's tables, created when missing; the pool's connections use it as their search path.
   * Default: the connection's own search path (usually `public`). Lower-case letters, digits and `_` only.
   */
  schema?: string;
  /** How long to wait for a new connection to the server, or for a free one from the pool, before failing. */
  connectTimeoutMs?: number;
  /** Clock for message and conversation timestamps. */
  now?: () => number;
  /**
   * An idle pooled connection failed (server restart, network); the pool drops it and opens another when needed.
   * Default: ignored, because the next query either gets a working connection or fails with `StoreError` itself.
   */
  onError?: (err: Error) => void;
}

/** The PostgreSQL store, plus what it runs with (for tests and diagnostics). */
export interface PostgresStore extends Store {
  settings(): { poolSize: number; schema: string; schemaVersion: number };
}

const PREVIEW_LENGTH = 200;
const MAX_LIST = 500;
const DEFAULT_POOL_SIZE = 10;

/**
 * unique_violation, deadlock_detected, serialization_failure, and foreign_key_violation (a visitor found by one
 * transaction and swept by another before it was used): the transaction may succeed when run again.
 */
const RETRYABLE = new Set(['23505', '40P01', '40001', '23503']);
const SWEEP_BATCH = 1000;
/** Appends: a duplicate clientId committed while the append waited for the conversation's lock. */
const APPEND_RETRIES = 1;
/** Identity: two devices of one new user racing to create (or link) its visitor; also deadlocks between links. */
const IDENTITY_RETRIES = 3;

/** pg returns BIGINT (our millisecond timestamps) as strings, since they may exceed 2^53; ours never do. */
type Int8 = string | number;

interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number;
  author: Author;
  agent_name: string | null;
  client_id: string | null;
  text: string;
  created_at: Int8;
}

interface AppendRow extends MessageRow {
  duplicate: boolean;
  reopened: boolean;
}

interface SessionRow {
  token_hash: string;
  visitor_id: string;
  conversation_id: string;
  started: boolean;
  site: string;
  created_at: Int8;
  last_seen_at: Int8;
  user_id: string | null;
  name: string | null;
  email: string | null;
}

interface UserVisitorRow {
  visitor_id: string;
  conversation_id: string;
  started: boolean;
}

interface SummaryRow {
  id: string;
  site: string;
  status: ConversationStatus;
  last_seq: number;
  last_activity_at: Int8;
  visitor_id: string;
  page_url: string | null;
  page_title: string | null;
  locale: string | null;
  user_agent: string | null;
  name: string | null;
  email: string | null;
  verified: boolean;
  last_author: Author | null;
  last_text: string | null;
  unread: number;
}

// Ties on activity are broken by id in byte order, as SQLite does, whatever the database's collation.
const SUMMARY_SELECT = `
  SELECT c.id, c.site, c.status, c.last_seq, c.last_activity_at,
         v.id AS visitor_id, v.page_url, v.page_title, v.locale, v.user_agent, v.name, v.email, v.verified,
         m.author AS last_author, substr(m.text, 1, ${PREVIEW_LENGTH}) AS last_text,
         (SELECT count(*)::int FROM messages u
           WHERE u.conversation_id = c.id AND u.seq > c.agent_read_seq AND u.author = 'visitor') AS unread
    FROM conversations c
    JOIN visitors v ON v.id = c.visitor_id
    LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq`;
const SUMMARY_ORDER = 'ORDER BY c.last_activity_at DESC, c.id COLLATE "C"';

const MESSAGE_COLUMNS = 'id, conversation_id, seq, author, agent_name, client_id, text, created_at';

/** Whether the visitor `v`'s reserved conversation exists, i.e. it stored a message. */
const STARTED = 'EXISTS (SELECT 1 FROM conversations c WHERE c.id = v.conversation_id) AS started';

const SESSION_SELECT = `
  SELECT s.token_hash, s.visitor_id, v.conversation_id, ${STARTED}, v.site, s.created_at, s.last_seen_at,
         v.user_id, v.name, v.email
    FROM sessions s
    JOIN visitors v ON v.id = s.visitor_id
   WHERE s.token_hash = $1`;

const SQL = {
  /**
   * A visitor ($1…$10: id, site, page url, page title, locale, user agent, user id, name, email, verified; $11 now)
   * reserving conversation id $12.
   */
  insertVisitor: `
    INSERT INTO visitors (id, site, page_url, page_title, locale, user_agent, user_id, name, email, verified, created_at,
                          conversation_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
  /** Same as `insertVisitor`, plus a session for token hash $13: one statement, so atomic without a transaction. */
  createSession: `
    WITH v AS (
      INSERT INTO visitors (id, site, page_url, page_title, locale, user_agent, user_id, name, email, verified, created_at,
                            conversation_id)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
    )
    INSERT INTO sessions (token_hash, visitor_id, created_at, last_seen_at) VALUES ($13, $1, $11, $11)`,
  /** Creates the conversation $1 a visitor reserved ($2 now); nothing when it exists or no visitor reserved it. */
  createConversation: `
    INSERT INTO conversations (id, visitor_id, site, last_activity_at, created_at)
    SELECT conversation_id, id, site, $2, $2 FROM visitors WHERE conversation_id = $1
    ON CONFLICT DO NOTHING`,
  insertSession: 'INSERT INTO sessions (token_hash, visitor_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)',
  findSession: SESSION_SELECT,
  // Held until the identity transaction ends: two identifications of one session, or of two sessions of one visitor,
  // run one after the other. NO KEY UPDATE, as the updates take: it does not block inserting a session for the visitor.
  lockSession: `${SESSION_SELECT} FOR NO KEY UPDATE OF s, v`,
  touchSession: 'UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $2::bigint) WHERE token_hash = $1',
  deleteSession: 'DELETE FROM sessions WHERE token_hash = $1 RETURNING visitor_id',
  // A rotation: the old token stops working in the same statement that makes the new one ($2) lead to visitor $3.
  rekeySession: `
    UPDATE sessions SET token_hash = $2, visitor_id = $3, created_at = $4, last_seen_at = $4
     WHERE token_hash = $1`,
  dropIdleVisitors: `
    DELETE FROM visitors v WHERE v.id = ANY($1::text[])
       AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.visitor_id = v.id)
       AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.visitor_id = v.id)`,
  // $1 idle before, $2 empty before, $3 batch.
  sweepSessions: `
    DELETE FROM sessions WHERE token_hash IN (
      SELECT s.token_hash FROM sessions s
       WHERE s.last_seen_at < $2::bigint
         AND (s.last_seen_at < $1::bigint
              OR NOT EXISTS (SELECT 1 FROM conversations c WHERE c.visitor_id = s.visitor_id))
       LIMIT $3)
    RETURNING visitor_id`,
  visitorByUser: `
    SELECT v.id AS visitor_id, v.conversation_id, ${STARTED}
      FROM visitors v
     WHERE v.site = $1 AND v.user_id = $2`,
  linkVisitor: `
    UPDATE visitors SET user_id = $2, verified = true, name = $3, email = $4
     WHERE id = $1 AND user_id IS NULL`,
  // Touches the row only when something changed, so the row count says whether agents need a new summary.
  updateUser: `
    UPDATE visitors SET name = $3::text, email = $4::text, verified = true
     WHERE id = $1 AND user_id = $2
       AND (name IS DISTINCT FROM $3::text OR email IS DISTINCT FROM $4::text OR NOT verified)`,
  updateVisitor: `
    UPDATE visitors SET
      page_url = coalesce($2::text, page_url),
      page_title = coalesce($3::text, page_title),
      locale = coalesce($4::text, locale),
      user_agent = coalesce($5::text, user_agent)
    WHERE id = $1`,
  hasConversation: 'SELECT 1 FROM conversations WHERE id = $1',
  /**
   * One append in one statement, so one round trip and no explicit transaction ($1 id, $2 conversation, $3 now,
   * $4 author, $5 agent name, $6 clientId, $7 text). `head` takes the conversation's row lock, which every append of
   * the conversation queues on, and reads its status as of now; the counter is bumped from its latest value (READ
   * COMMITTED re-reads a row updated meanwhile) and the message inserted under that lock, so seqs are gap-free and
   * ordered across any number of writers; the message's time is the conversation's activity time after the bump, so
   * times never decrease along seqs, whichever process's clock stamped them. A repeat of a clientId committed before
   * this statement began is found by `dup` and consumes no seq; one committed while this statement waited for the
   * lock fails the insert on the (conversation, author, client id) index, which rolls the whole statement back (the
   * counter too) and is run again. No row: no such conversation.
   */
  append: `
    WITH head AS (
      SELECT status FROM conversations WHERE id = $2 FOR NO KEY UPDATE
    ), dup AS (
      SELECT ${MESSAGE_COLUMNS} FROM messages
       WHERE $6::text IS NOT NULL AND conversation_id = $2 AND author = $4 AND client_id = $6::text
    ), bumped AS (
      UPDATE conversations SET
        last_seq = last_seq + 1,
        last_activity_at = GREATEST(last_activity_at, $3::bigint),
        status = CASE WHEN $4 = 'visitor' THEN 'open' ELSE status END
      WHERE id = $2 AND EXISTS (SELECT 1 FROM head) AND NOT EXISTS (SELECT 1 FROM dup)
      RETURNING last_seq, last_activity_at
    ), inserted AS (
      INSERT INTO messages (${MESSAGE_COLUMNS})
      SELECT $1, $2, bumped.last_seq, $4, $5, $6::text, $7, bumped.last_activity_at FROM bumped
      RETURNING ${MESSAGE_COLUMNS}
    )
    SELECT inserted.*, false AS duplicate, ($4 = 'visitor' AND head.status = 'resolved') AS reopened
      FROM inserted, head
    UNION ALL
    SELECT dup.*, true, false FROM dup`,
  // See `PAGE_TEXT_BYTES` in page.ts: messages that start after a page's worth of text are not even read.
  messagesAfter: `
    SELECT ${MESSAGE_COLUMNS} FROM (
      SELECT *, SUM(octet_length(text)) OVER (ORDER BY seq) - octet_length(text) AS text_before
        FROM (SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq > $2::bigint ORDER BY seq LIMIT $3)
          AS head
    ) AS page WHERE text_before <= $4 ORDER BY seq`,
  summary: `${SUMMARY_SELECT} WHERE c.id = $1`,
  listAll: `${SUMMARY_SELECT} ${SUMMARY_ORDER} LIMIT $1`,
  listByStatus: `${SUMMARY_SELECT} WHERE c.status = $1 ${SUMMARY_ORDER} LIMIT $2`,
  setStatus: 'UPDATE conversations SET status = $2 WHERE id = $1',
  // Seqs are safe integers (up to 2^53), wider than the INTEGER columns: compare as BIGINT, store at most last_seq.
  agentRead: `
    UPDATE conversations SET agent_read_seq = LEAST($2::bigint, last_seq)
     WHERE id = $1 AND agent_read_seq < LEAST($2::bigint, last_seq)`,
  visitorRead: `
    UPDATE conversations SET visitor_read_seq = LEAST($2::bigint, last_seq)
     WHERE id = $1 AND visitor_read_seq < LEAST($2::bigint, last_seq)`,
} as const;

const STATEMENT_NAMES = new Map<string, string>(Object.entries(SQL).map(([key, text]) => [text, `parley_${key}`]));

/**
 * Opens a PostgreSQL store: a connection pool, with the schema created and migrated (under an advisory lock, so
 * several gateway processes may start together). Rejects with `StoreError` when the server cannot be reached or its
 * schema is newer than this code. Several processes may share the database: every guarantee of `Store` holds across
 * them, because it rests on row locks and unique indexes, never on this process's memory.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const now = options.now ?? Date.now;
  const poolSize = Math.max(1, Math.trunc(options.poolSize ?? DEFAULT_POOL_SIZE));
  const connectTimeoutMs = Math.max(0, Math.trunc(options.connectTimeoutMs ?? 5000));
  const config: pg.PoolConfig = {
    connectionString: options.url,
    max: poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: 'parley-gateway',
  };
  if (options.schema !== undefined) config.options = `-c search_path=${quoteIdent(options.schema)}`;
  const pool = new pg.Pool(config);
  const onError = options.onError ?? (() => {});
  pool.on('error', (err) => onError(err));

  let schema: string;
  let schemaVersion: number;
  try {
    const client = await pool.connect();
    try {
      schemaVersion = await migratePostgres(client, { schema: options.schema, now: now() });
      const { rows } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
      schema = rows[0]?.schema ?? '';
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw toStoreError(err);
  }

  /** Runs `fn` in a transaction on one pooled connection, running it again on a retryable failure. */
  const transaction = async <T>(retries: number, fn: (client: PoolClient) => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await once(fn);
      } catch (err) {
        if (attempt < retries && RETRYABLE.has(errorCode(err) ?? '')) continue;
        throw err;
      }
    }
  };

  const once = async <T>(fn: (client: PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    // A checked-out client has no error listener of the pool's; without one, a connection dropped between two
    // queries would crash the process. Its next query fails instead, and the client is destroyed on release.
    let broken: Error | undefined;
    const onClientError = (err: Error) => {
      broken = err;
    };
    client.on('error', onClientError);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => {
        broken = rollbackErr;
      });
      throw err;
    } finally {
      client.removeListener('error', onClientError);
      client.release(broken);
    }
  };

  // Named after their key in SQL, so each pooled connection parses and plans a statement once rather than on every
  // call: in the two-process benchmark this halved PostgreSQL's CPU per message.
  const query = async <R extends QueryResultRow>(text: string, values: unknown[] = []) =>
    pool.query<R>({ name: STATEMENT_NAMES.get(text), text, values });

  const insertVisitor = async (
    client: PoolClient,
    site: string,
    meta: VisitorMeta,
    at: number,
    user?: VerifiedUser,
  ): Promise<{ visitorId: string; conversationId: string }> => {
    const visitorId = randomUUID();
    const conversationId = randomUUID();
    await client.query(SQL.insertVisitor, visitorValues(visitorId, conversationId, site, meta, at, user));
    return { visitorId, conversationId };
  };

  const updateUser = async (client: PoolClient, visitorId: string, user: VerifiedUser): Promise<boolean> => {
    const result = await client.query(SQL.updateUser, [visitorId, user.id, user.name ?? null, user.email ?? null]);
    return (result.rowCount ?? 0) > 0;
  };

  const visitorByUser = async (client: PoolClient | pg.Pool, site: string, userId: string) =>
    (await client.query<UserVisitorRow>(SQL.visitorByUser, [site, userId])).rows[0];

  const sessionOrThrow = async (client: PoolClient, tokenHash: string, lock = false): Promise<SessionRecord> => {
    const { rows } = await client.query<SessionRow>(lock ? SQL.lockSession : SQL.findSession, [tokenHash]);
    const row = rows[0];
    if (!row) throw new NotFoundError('session not found');
    return toSession(row);
  };

  const summary = async (conversationId: string): Promise<StoredSummary | undefined> => {
    const row = (await query<SummaryRow>(SQL.summary, [conversationId])).rows[0];
    return row && toSummary(row);
  };

  // Retried once: a duplicate clientId committed while the statement waited (see `SQL.append`).
  const append = async (conversationId: string, input: NewMessage): Promise<AppendResult> => {
    const values = appendValues(conversationId, input, now());
    for (let attempt = 0; ; attempt++) {
      try {
        const row = (await query<AppendRow>(SQL.append, values)).rows[0];
        if (!row) throw new NotFoundError('conversation not found');
        return { message: toMessage(row), duplicate: row.duplicate, reopened: row.reopened, created: false };
      } catch (err) {
        if (attempt < APPEND_RETRIES && RETRYABLE.has(errorCode(err) ?? '')) continue;
        throw err;
      }
    }
  };

  // Two devices of a new user racing here: both find no visitor, both insert one, and the unique index on
  // (site, user_id) makes the second insert wait for the first transaction and then fail; the retry finds the
  // first one's visitor and joins it.
  const createUserSession = (input: NewSession & { user: VerifiedUser }): Promise<IdentifiedSession> =>
    transaction(IDENTITY_RETRIES, async (client) => {
      const { tokenHash, site, user, now: at } = input;
      const owner = await visitorByUser(client, site, user.id);
      let updated = true;
      if (owner) {
        updated = await updateUser(client, owner.visitor_id, user);
        await client.query(SQL.updateVisitor, [owner.visitor_id, ...metaValues(input.meta)]);
        await client.query(SQL.insertSession, [tokenHash, owner.visitor_id, at]);
      } else {
        const { visitorId } = await insertVisitor(client, site, input.meta, at, user);
        await client.query(SQL.insertSession, [tokenHash, visitorId, at]);
      }
      return { session: await sessionOrThrow(client, tokenHash), updated, rotated: false };
    });

  // The session's row and its visitor's are locked first, so what is read about them holds until the end; linking
  // the visitor for a user that another transaction is linking meanwhile fails on the unique index and is retried,
  // then finds that user's visitor. A second identification of the same token waits for the lock, then finds the
  // token re-keyed away: `NotFoundError`.
  const identifySession = (
    tokenHash: string,
    user: VerifiedUser,
    rotateTo: string,
    at: number,
  ): Promise<IdentifiedSession> =>
    transaction(IDENTITY_RETRIES, async (client) => {
      const current = await sessionOrThrow(client, tokenHash, true);
      if (current.user !== undefined) {
        // A session of another user is never handed over; the caller issues a new one.
        if (current.user.id !== user.id) throw new NotFoundError('session belongs to another user');
        return { session: current, updated: await updateUser(client, current.visitorId, user), rotated: false };
      }
      const owner = await visitorByUser(client, current.site, user.id);
      const visitorId = owner?.visitor_id ?? current.visitorId;
      if (owner) await updateUser(client, visitorId, user);
      else await client.query(SQL.linkVisitor, [visitorId, user.id, user.name ?? null, user.email ?? null]);
      await client.query(SQL.rekeySession, [tokenHash, rotateTo, visitorId, at]);
      if (owner) await client.query(SQL.dropIdleVisitors, [[current.visitorId]]);
      return { session: await sessionOrThrow(client, rotateTo), updated: true, rotated: true };
    });

  const deleteSession = (tokenHash: string): Promise<void> =>
    transaction(0, async (client) => {
      const gone = (await client.query<{ visitor_id: string }>(SQL.deleteSession, [tokenHash])).rows[0];
      if (gone) await client.query(SQL.dropIdleVisitors, [[gone.visitor_id]]);
    });

  const sweepBatch = (idleBefore: number, emptyBefore: number, batch: number): Promise<SweepResult> =>
    transaction(0, async (client) => {
      const gone = await client.query<{ visitor_id: string }>(SQL.sweepSessions, [idleBefore, emptyBefore, batch]);
      const ids = [...new Set(gone.rows.map((row) => row.visitor_id))];
      const dropped = ids.length > 0 ? await client.query(SQL.dropIdleVisitors, [ids]) : undefined;
      return { sessions: gone.rowCount ?? 0, visitors: dropped?.rowCount ?? 0 };
    });

  // The conversation is created and the message appended in one transaction: a failed append leaves no empty
  // conversation behind. Two tabs racing to send the first message: the second insert waits for the first
  // transaction's row, then does nothing, and its append queues on the conversation's lock as usual.
  const startConversation = (conversationId: string, input: NewMessage): Promise<AppendResult> =>
    transaction(APPEND_RETRIES, async (client) => {
      const at = now();
      const created = ((await client.query(SQL.createConversation, [conversationId, at])).rowCount ?? 0) > 0;
      const row = (await client.query<AppendRow>(SQL.append, appendValues(conversationId, input, at))).rows[0];
      if (!row) throw new NotFoundError('conversation not found');
      return { message: toMessage(row), duplicate: row.duplicate, reopened: row.reopened, created };
    });

  const appendOrStart = async (conversationId: string, input: NewMessage): Promise<AppendResult> => {
    try {
      return await append(conversationId, input);
    } catch (err) {
      // Only a visitor's first message takes the slower, transactional path; every later one is one statement.
      if (err instanceof NotFoundError && input.author === 'visitor') return startConversation(conversationId, input);
      throw err;
    }
  };

  let closing: Promise<void> | undefined;
  return {
    settings: () => ({ poolSize, schema, schemaVersion }),
    createSession: (input) =>
      guard(async () => {
        const { tokenHash, site, now: at } = input;
        const visitorId = randomUUID();
        const conversationId = randomUUID();
        await query(SQL.createSession, [
          ...visitorValues(visitorId, conversationId, site, input.meta, at, undefined),
          tokenHash,
        ]);
        return { tokenHash, visitorId, conversationId, started: false, site, createdAt: at, lastSeenAt: at };
      }),
    createUserSession: (input) => guard(() => createUserSession(input)),
    identifySession: (tokenHash, user, rotateTo, at) => guard(() => identifySession(tokenHash, user, rotateTo, at)),
    findVisitorByUser: (site, userId) =>
      guard(async () => {
        const row = await visitorByUser(pool, site, userId);
        return row && { visitorId: row.visitor_id, conversationId: row.conversation_id, started: row.started };
      }),
    findSession: (tokenHash) =>
      guard(async () => {
        const row = (await query<SessionRow>(SQL.findSession, [tokenHash])).rows[0];
        return row && toSession(row);
      }),
    touchSession: (tokenHash, at) => guard(async () => void (await query(SQL.touchSession, [tokenHash, at]))),
    deleteSession: (tokenHash) => guard(() => deleteSession(tokenHash)),
    sweepSessions: ({ idleBefore, emptyBefore, batch = SWEEP_BATCH }) =>
      guard(async () => {
        const total: SweepResult = { sessions: 0, visitors: 0 };
        // Batches, each its own short transaction, so a large sweep never holds many row locks for long.
        for (;;) {
          const done = await sweepBatch(idleBefore, emptyBefore, batch);
          total.sessions += done.sessions;
          total.visitors += done.visitors;
          if (done.sessions < batch) return total;
        }
      }),
    updateVisitorMeta: (visitorId, meta) =>
      guard(async () => void (await query(SQL.updateVisitor, [visitorId, ...metaValues(meta)]))),
    appendMessage: (conversationId, input) => guard(() => appendOrStart(conversationId, input)),
    messagesAfter: (conversationId, afterSeq, limit = LIMITS.historyPage) =>
      guard(async (): Promise<MessagePage> => {
        const { rows } = await query<MessageRow>(SQL.messagesAfter, [
          conversationId,
          afterSeq,
          limit + 1,
          PAGE_TEXT_BYTES,
        ]);
        return messagePage(rows.map(toMessage), limit);
      }),
    listConversations: (options: ListOptions = {}) =>
      guard(async () => {
        const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? 100)), MAX_LIST);
        const status = options.status ?? 'all';
        const { rows } =
          status === 'all'
            ? await query<SummaryRow>(SQL.listAll, [limit])
            : await query<SummaryRow>(SQL.listByStatus, [status, limit]);
        return fitBytes(rows.map(toSummary));
      }),
    hasConversation: (conversationId) =>
      guard(async () => ((await query(SQL.hasConversation, [conversationId])).rowCount ?? 0) > 0),
    getConversation: (conversationId) => guard(() => summary(conversationId)),
    setStatus: (conversationId, status) =>
      guard(async () => {
        await query(SQL.setStatus, [conversationId, status]);
        return summary(conversationId);
      }),
    markAgentRead: (conversationId, seq) =>
      guard(async () => ((await query(SQL.agentRead, [conversationId, seq])).rowCount ?? 0) > 0),
    markVisitorRead: (conversationId, seq) =>
      guard(async () => ((await query(SQL.visitorRead, [conversationId, seq])).rowCount ?? 0) > 0),
    close: () => {
      closing ??= guard(() => pool.end());
      return closing;
    },
  };
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStoreError(err);
  }
}

function toStoreError(err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  return new StoreError(err instanceof Error ? err.message : String(err), { cause: err });
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

/** The parameters of `SQL.append`. */
function appendValues(conversationId: string, input: NewMessage, at: number): unknown[] {
  return [randomUUID(), conversationId, at, input.author, input.agentName ?? null, input.clientId ?? null, input.text];
}

function metaValues(meta: VisitorMeta): (string | null)[] {
  return [meta.page?.url ?? null, meta.page?.title ?? null, meta.locale ?? null, meta.userAgent ?? null];
}

/** The parameters of `SQL.insertVisitor` ($1…$12); an anonymous visitor has no user columns. */
function visitorValues(
  visitorId: string,
  conversationId: string,
  site: string,
  meta: VisitorMeta,
  at: number,
  user: VerifiedUser | undefined,
): unknown[] {
  return [
    visitorId,
    site,
    ...metaValues(meta),
    user?.id ?? null,
    user?.name ?? null,
    user?.email ?? null,
    user !== undefined,
    at,
    conversationId,
  ];
}

function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    author: row.author,
    text: row.text,
    createdAt: Number(row.created_at),
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
    started: row.started,
    site: row.site,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
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
    lastActivityAt: Number(row.last_activity_at),
    unread: row.unread,
    visitor: { id: row.visitor_id, label: visitorLabel(row.visitor_id), verified: row.verified },
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
