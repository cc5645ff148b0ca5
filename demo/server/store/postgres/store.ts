import { randomUUID } from 'node:crypto';
import type { PoolClient, QueryResultRow } from 'pg';
import pg from 'pg';
import { type ConversationStatus, LIMITS, type Note, type PageInfo, type VerifiedUser } from '../../../../src/protocol';
import { type AppendItem, createAppendBatcher, type Outcome } from '../batcher';
import { guard, toStoreError } from '../errors';
import {
  claimMailJobSql,
  finishMailJobSql,
  insertMailJobSql,
  insertReplyTokenSql,
  type MailContextRow,
  type MailJobRow,
  mailContextSql,
  replyTokenSql,
  transcriptCountsSql,
  transcriptFits,
} from '../mail-sql';
import { fitBytes, listQuery, messagePage, PAGE_TEXT_BYTES, SWEEP_BATCH, sweepInBatches } from '../page';
import { offerRatingSql, RATING_TOTALS_SQL, type RatingRow, rateSql, ratingSql } from '../rating-sql';
import {
  type MessageRow,
  mailOutcomeParams,
  type SessionRow,
  type SummaryRow,
  toMailContext,
  toMailJob,
  toMessage,
  toRating,
  toSession,
  toSummary,
  toUserVisitor,
  type UserVisitorRow,
} from '../rows';
import type { SearchTerms } from '../search';
import {
  MESSAGE_COLUMNS,
  messagesAfterSql,
  SESSION_SELECT,
  SUMMARY_SELECT,
  setVisitorEmailSql,
  sweepSessionsSql,
  VISITOR_COLUMNS,
  VISITOR_IDLE,
  visitorByUserSql,
} from '../sql';
import { timeOrderedId } from '../time-ordered-id';
import {
  type AppendResult,
  type AssigneeLoad,
  type IdentifiedSession,
  type ListOptions,
  type MailContext,
  type MailJob,
  type MailOutcome,
  type MessagePage,
  type NewAttachment,
  type NewMailJob,
  type NewMessage,
  type NewNote,
  type NewSession,
  type NewTranscriptJob,
  NotFoundError,
  type RatingRecord,
  type SessionRecord,
  type Store,
  type StoredAttachment,
  type StoredSummary,
  type SweepResult,
  type TranscriptCounts,
  type TranscriptReservation,
  type VisitorMeta,
} from '../types';
import { attachmentsOf, claimAttachments, insertAttachment, servableAttachment, sweepAttachments } from './attachments';
import { PostgresConsoleTools } from './console';
import { migratePostgres, quoteIdent } from './migrations';
import * as ownership from './ownership';

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

const DEFAULT_POOL_SIZE = 10;

/**
 * unique_violation, deadlock_detected, serialization_failure, and foreign_key_violation (a visitor found by one
 * transaction and swept by another before it was used): the transaction may succeed when run again.
 */
const RETRYABLE = new Set(['23505', '40P01', '40001', '23503']);
/** Appends: a duplicate clientId committed while the append waited for the conversation's lock. */
const APPEND_RETRIES = 1;
/**
 * Append batches written at once by one process: a batch gathers while others are in progress, and one that waited
 * `APPEND_MAX_WAIT_MS` starts beside them (a pool connection each).
 */
const APPEND_IN_FLIGHT = 2;
const APPEND_MAX_WAIT_MS = 5;
/** Identity: two devices of one new user racing to create (or link) its visitor; also deadlocks between links. */
const IDENTITY_RETRIES = 3;
/** First key of the advisory lock that serialises transcript reservations of one site ('PRLT'). */
const TRANSCRIPT_LOCK_KEY = 0x50524c54;

interface AppendRow extends MessageRow {
  /** The message's position in the batch, from 1 (BIGINT: a string). */
  ord: string;
  duplicate: boolean;
  reopened: boolean;
  created: boolean;
}

const SESSION_BY_TOKEN = `${SESSION_SELECT} WHERE s.token_hash = $1`;

const INSERT_VISITOR = `
  INSERT INTO visitors (${VISITOR_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`;

const SQL = {
  /**
   * A visitor ($1…$10: id, site, page url, page title, locale, user agent, user id, name, email, verified; $11 now)
   * reserving conversation id $12.
   */
  insertVisitor: INSERT_VISITOR,
  /** Same as `insertVisitor`, plus a session for token hash $13: one statement, so atomic without a transaction. */
  createSession: `
    WITH v AS (${INSERT_VISITOR})
    INSERT INTO sessions (token_hash, visitor_id, created_at, last_seen_at) VALUES ($13, $1, $11, $11)`,
  insertSession: 'INSERT INTO sessions (token_hash, visitor_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)',
  findSession: SESSION_BY_TOKEN,
  // Held until the identity transaction ends: two identifications of one session, or of two sessions of one visitor,
  // run one after the other. NO KEY UPDATE, as the updates take: it does not block inserting a session for the visitor.
  lockSession: `${SESSION_BY_TOKEN} FOR NO KEY UPDATE OF s, v`,
  touchSession: 'UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $2::bigint) WHERE token_hash = $1',
  deleteSession: 'DELETE FROM sessions WHERE token_hash = $1 RETURNING visitor_id',
  // A rotation: the old token stops working in the same statement that makes the new one ($2) lead to visitor $3.
  rekeySession: `
    UPDATE sessions SET token_hash = $2, visitor_id = $3, created_at = $4, last_seen_at = $4
     WHERE token_hash = $1`,
  dropIdleVisitors: `DELETE FROM visitors v WHERE v.id = ANY($1::text[]) AND ${VISITOR_IDLE}`,
  // The visitor a session left for its user's visitor ($2): its conversation is one of that person's earlier ones.
  markMerged: 'UPDATE visitors SET merged_into = $2 WHERE id = $1',
  // $1 idle before, $2 empty before, $3 batch.
  sweepSessions: sweepSessionsSql({ idleBefore: '$1::bigint', emptyBefore: '$2::bigint', batch: '$3' }),
  visitorByUser: visitorByUserSql('$1', '$2'),
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
  setVisitorEmail: setVisitorEmailSql('$2', '$1', '$3::text', 'IS DISTINCT FROM'),
  /**
   * A batch of appends in one statement, so one round trip and no explicit transaction for any number of messages
   * (arrays, one element per message: $1 ids, $2 conversations, $3 authors, $4 agent names, $5 clientIds, $6 texts;
   * $7 now). No conversation appears twice with the same (author, clientId): the batcher answers such repeats.
   * - `locked` takes the row locks of the batch's conversations, in id order (two processes' batches cannot deadlock),
   *   and reads their status as of now; every append of a conversation queues on its lock.
   * - `dup`: repeats of a clientId committed before this statement began; they consume no seq. One committed while
   *   this statement waited for a lock fails the insert on the (conversation, author, client id) index, which rolls
   *   the whole statement back (counters too); the caller runs it again.
   * - `bumped` moves each existing conversation's counter by its number of new messages, from its latest value (READ
   *   COMMITTED re-reads a row updated meanwhile), so seqs are gap-free and ordered across any number of writers; the
   *   messages' time is the conversation's activity time after the bump, so times never decrease along seqs.
   * - `created`: a visitor's first message creates the conversation the visitor reserved, in this same statement
   *   (agents' messages never create one). Two writers creating it at once: the second does nothing and returns no row
   *   for those messages; the caller runs them again, and they are appended to the conversation the first created.
   * Messages that get no row: no such conversation (or the creation race above).
   */
  appendBatch: `
    WITH items AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
        WITH ORDINALITY AS t(id, conv, author, agent_name, client_id, text, ord)
    ), locked AS (
      SELECT c.id, c.status FROM conversations c
       WHERE c.id IN (SELECT conv FROM items) ORDER BY c.id FOR NO KEY UPDATE
    ), dup AS (
      SELECT i.ord, m.id, m.conversation_id, m.seq, m.author, m.agent_name, m.client_id, m.text, m.created_at
        FROM items i
        JOIN messages m ON m.conversation_id = i.conv AND m.author = i.author AND m.client_id = i.client_id
    ), fresh AS (
      SELECT i.*, row_number() OVER w AS rn, count(*) OVER w AS n,
             min(i.ord) FILTER (WHERE i.author = 'visitor') OVER w AS first_visitor
        FROM items i
       WHERE NOT EXISTS (SELECT 1 FROM dup d WHERE d.ord = i.ord)
         AND (i.author = 'visitor' OR i.conv IN (SELECT id FROM locked))
      WINDOW w AS (PARTITION BY i.conv ORDER BY i.ord ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    ), counts AS (
      SELECT conv, max(n) AS n, bool_or(author = 'visitor') AS visitor FROM fresh GROUP BY conv
    ), bumped AS (
      UPDATE conversations c SET
        last_seq = c.last_seq + k.n,
        last_activity_at = GREATEST(c.last_activity_at, $7::bigint),
        status = CASE WHEN k.visitor THEN 'open' ELSE c.status END
        FROM counts k JOIN locked l ON l.id = k.conv
       WHERE c.id = k.conv
      RETURNING c.id, c.last_seq - k.n AS base, c.last_activity_at AS at, l.status AS was
    ), created AS (
      INSERT INTO conversations (id, visitor_id, site, last_seq, last_activity_at, created_at)
      SELECT v.conversation_id, v.id, v.site, k.n, $7::bigint, $7::bigint
        FROM counts k JOIN visitors v ON v.conversation_id = k.conv
       WHERE NOT EXISTS (SELECT 1 FROM locked l WHERE l.id = k.conv)
      ON CONFLICT DO NOTHING
      RETURNING id, 0::bigint AS base, last_activity_at AS at, 'new'::text AS was
    ), heads AS (
      SELECT * FROM bumped UNION ALL SELECT * FROM created
    ), inserted AS (
      INSERT INTO messages (${MESSAGE_COLUMNS})
      SELECT f.id, f.conv, (h.base + f.rn)::int, f.author, f.agent_name, f.client_id, f.text, h.at
        FROM fresh f JOIN heads h ON h.id = f.conv
      RETURNING ${MESSAGE_COLUMNS}
    )
    SELECT f.ord, ins.*, false AS duplicate,
           coalesce(h.was = 'resolved' AND f.ord = f.first_visitor, false) AS reopened, (h.was = 'new' AND f.rn = 1) AS created
      FROM inserted ins JOIN fresh f ON f.id = ins.id JOIN heads h ON h.id = ins.conversation_id
    UNION ALL
    SELECT d.*, true, false, false FROM dup d`,
  messagesAfter: messagesAfterSql({ conversationId: '$1', afterSeq: '$2::bigint', limit: '$3', textBytes: '$4' }),
  summary: `${SUMMARY_SELECT} WHERE c.id = $1`,
  setStatus: 'UPDATE conversations SET status = $2 WHERE id = $1',
  // Seqs are safe integers (up to 2^53), wider than the INTEGER columns: compare as BIGINT, store at most last_seq.
  agentRead: `
    UPDATE conversations SET agent_read_seq = LEAST($2::bigint, last_seq)
     WHERE id = $1 AND agent_read_seq < LEAST($2::bigint, last_seq)`,
  visitorRead: `
    UPDATE conversations SET visitor_read_seq = LEAST($2::bigint, last_seq)
     WHERE id = $1 AND visitor_read_seq < LEAST($2::bigint, last_seq)`,
  insertMailJob: insertMailJobSql({
    id: '$1',
    kind: '$2',
    conversationId: '$3',
    recipient: '$4',
    dueAt: '$5::bigint',
    now: '$6::bigint',
  }),
  claimMailJob: claimMailJobSql({ now: '$1::bigint', until: '$2::bigint', claim: '$3' }, true),
  finishMailJob: finishMailJobSql({
    id: '$1',
    claim: '$2',
    state: '$3::text',
    dueAt: '$4::bigint',
    uptoSeq: '$5::integer',
    error: '$6::text',
    now: '$7::bigint',
  }),
  mailContext: mailContextSql('$1'),
  transcriptCounts: transcriptCountsSql({ conversationId: '$1', recipient: '$2', site: '$3', since: '$4::bigint' }),
  // Held until the reservation's transaction ends: under READ COMMITTED two requests of one site would otherwise both
  // count the same jobs and both pass a limit.
  transcriptLock: `SELECT pg_advisory_xact_lock(${TRANSCRIPT_LOCK_KEY}, hashtext($1))`,
  insertReplyToken: insertReplyTokenSql('$1', '$2'),
  replyToken: replyTokenSql('$1'),
  offerRating: offerRatingSql({ conversationId: '$1', agentName: '$2', now: '$3::bigint' }),
  rate: rateSql({
    conversationId: '$1',
    score: '$2::integer',
    comment: '$3::text',
    now: '$4::bigint',
    openSince: '$5::bigint',
  }),
  rating: ratingSql('$1'),
  ratingTotals: RATING_TOTALS_SQL,
} as const;

const STATEMENT_NAMES = new Map<string, string>([
  ...Object.entries(SQL).map(([key, text]): [string, string] => [text, `parley_${key}`]),
  ...Object.entries(ownership.OWNERSHIP_SQL).map(([key, text]): [string, string] => [text, `parley_own_${key}`]),
]);

/**
 * Opens a PostgreSQL store: a connection pool, with the schema created and migrated (under an advisory lock, so
 * several gateway processes may start together). Rejects with `StoreError` when the server cannot be reached or its
 * schema is newer than this code. Several processes may share the database: every guarantee of `Store` holds across
 * them, because it rests on row locks and unique indexes, never on this process's memory.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const now = options.now ?? Date.now;
  const poolSize = Math.max(1, Math.trunc(options.poolSize ?? DEFAULT_POOL_SIZE));
  const pool = new pg.Pool(poolConfig(options, poolSize));
  const onError = options.onError ?? (() => {});
  pool.on('error', (err) => onError(err));
  try {
    const client = await pool.connect();
    try {
      const schemaVersion = await migratePostgres(client, { schema: options.schema, now: now() });
      const { rows } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
      return new PostgresPoolStore(pool, now, { poolSize, schema: rows[0]?.schema ?? '', schemaVersion });
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw toStoreError(err);
  }
}

function poolConfig(options: PostgresStoreOptions, poolSize: number): pg.PoolConfig {
  const config: pg.PoolConfig = {
    connectionString: options.url,
    max: poolSize,
    connectionTimeoutMillis: Math.max(0, Math.trunc(options.connectTimeoutMs ?? 5000)),
    idleTimeoutMillis: 30_000,
    application_name: 'parley-gateway',
  };
  if (options.schema !== undefined) config.options = `-c search_path=${quoteIdent(options.schema)}`;
  return config;
}

/** Runs `fn` in a transaction on one pooled connection. */
async function inTransaction<T>(pool: pg.Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
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
}

/** Runs `fn`, running it again (up to `retries` times) when it fails in a way a new attempt may not. */
async function withRetries<T>(retries: number, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt < retries && RETRYABLE.has(errorCode(err) ?? '')) continue;
      throw err;
    }
  }
}

class PostgresPoolStore implements PostgresStore {
  private closing: Promise<void> | undefined;
  private readonly appends = createAppendBatcher((items) => this.appendBatch(items), {
    maxInFlight: APPEND_IN_FLIGHT,
    maxWaitMs: APPEND_MAX_WAIT_MS,
  });
  private readonly tools: PostgresConsoleTools;

  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number,
    private readonly runsWith: ReturnType<PostgresStore['settings']>,
  ) {
    this.tools = new PostgresConsoleTools(pool);
  }

  settings(): ReturnType<PostgresStore['settings']> {
    return this.runsWith;
  }

  createSession(input: NewSession): Promise<SessionRecord> {
    return guard(async () => {
      const { tokenHash, site, now: at } = input;
      const visitorId = randomUUID();
      const conversationId = randomUUID();
      const visitor = visitorValues(visitorId, conversationId, site, input.meta, at, undefined);
      await this.query(SQL.createSession, [...visitor, tokenHash]);
      return { tokenHash, visitorId, conversationId, started: false, site, createdAt: at, lastSeenAt: at };
    });
  }

  // Two devices of a new user racing here: both find no visitor, both insert one, and the unique index on
  // (site, user_id) makes the second insert wait for the first transaction and then fail; the retry finds the
  // first one's visitor and joins it.
  createUserSession(input: NewSession & { user: VerifiedUser }): Promise<IdentifiedSession> {
    return guard(() => this.transaction(IDENTITY_RETRIES, (client) => createUserSession(client, input)));
  }

  // See `identifySession` below: the session's rows are locked first, and a race is retried.
  identifySession(tokenHash: string, user: VerifiedUser, rotateTo: string, at: number): Promise<IdentifiedSession> {
    return guard(() =>
      this.transaction(IDENTITY_RETRIES, (client) => identifySession(client, tokenHash, user, rotateTo, at)),
    );
  }

  findVisitorByUser(site: string, userId: string) {
    return guard(async () => {
      const row = (await this.query<UserVisitorRow>(SQL.visitorByUser, [site, userId])).rows[0];
      return row && toUserVisitor(row);
    });
  }

  findSession(tokenHash: string): Promise<SessionRecord | undefined> {
    return guard(async () => {
      const row = (await this.query<SessionRow>(SQL.findSession, [tokenHash])).rows[0];
      return row && toSession(row);
    });
  }

  touchSession(tokenHash: string, at: number): Promise<void> {
    return guard(async () => void (await this.query(SQL.touchSession, [tokenHash, at])));
  }

  deleteSession(tokenHash: string): Promise<void> {
    return guard(() =>
      this.transaction(0, async (client) => {
        const gone = (await client.query<{ visitor_id: string }>(SQL.deleteSession, [tokenHash])).rows[0];
        if (gone) await client.query(SQL.dropIdleVisitors, [[gone.visitor_id]]);
      }),
    );
  }

  sweepSessions(input: { idleBefore: number; emptyBefore: number; batch?: number }): Promise<SweepResult> {
    const { idleBefore, emptyBefore, batch = SWEEP_BATCH } = input;
    return guard(() =>
      sweepInBatches(batch, () => this.transaction(0, (client) => sweepBatch(client, idleBefore, emptyBefore, batch))),
    );
  }

  updateVisitorMeta(visitorId: string, meta: VisitorMeta): Promise<void> {
    return guard(async () => void (await this.query(SQL.updateVisitor, [visitorId, ...metaValues(meta)])));
  }

  appendMessage(conversationId: string, input: NewMessage): Promise<AppendResult> {
    // Claiming attachments needs the message and the claims in one transaction: such a message is written alone.
    if (input.attachments) return guard(() => this.appendWithAttachments(conversationId, input));
    return guard(() => this.appends.add({ conversationId, input }));
  }

  messagesAfter(conversationId: string, afterSeq: number, limit: number = LIMITS.historyPage): Promise<MessagePage> {
    return guard(async () => {
      const values = [conversationId, afterSeq, limit + 1, PAGE_TEXT_BYTES];
      const { rows } = await this.query<MessageRow>(SQL.messagesAfter, values);
      return messagePage(rows.map(toMessage), limit);
    });
  }

  listConversations(options: ListOptions = {}): Promise<StoredSummary[]> {
    return guard(async () => {
      const { status, limit } = listQuery(options);
      const rows = await ownership.listConversations(this.query, { status, assignee: options.assignee, limit });
      return fitBytes(rows.map(toSummary));
    });
  }

  getConversation(conversationId: string): Promise<StoredSummary | undefined> {
    return guard(() => this.summary(conversationId));
  }

  hasConversation(conversationId: string): Promise<boolean> {
    return guard(async () => ((await this.query(SQL.hasConversation, [conversationId])).rowCount ?? 0) > 0);
  }

  setStatus(conversationId: string, status: ConversationStatus): Promise<StoredSummary | undefined> {
    return guard(async () => {
      await this.query(SQL.setStatus, [conversationId, status]);
      return this.summary(conversationId);
    });
  }

  markAgentRead(conversationId: string, seq: number): Promise<boolean> {
    return guard(async () => ((await this.query(SQL.agentRead, [conversationId, seq])).rowCount ?? 0) > 0);
  }

  setVisitorEmail(visitorId: string, email: string, name?: string): Promise<boolean> {
    return guard(
      async () => ((await this.query(SQL.setVisitorEmail, [visitorId, email, name ?? null])).rowCount ?? 0) > 0,
    );
  }

  markVisitorRead(conversationId: string, seq: number): Promise<boolean> {
    return guard(async () => ((await this.query(SQL.visitorRead, [conversationId, seq])).rowCount ?? 0) > 0);
  }

  enqueueMail(job: NewMailJob): Promise<boolean> {
    return guard(async () => {
      const values = [job.id, job.kind, job.conversationId, job.recipient ?? null, job.dueAt, job.now];
      return ((await this.query(SQL.insertMailJob, values)).rowCount ?? 0) > 0;
    });
  }

  claimMail(at: number, leaseMs: number): Promise<MailJob | undefined> {
    return guard(async () => {
      const row = (await this.query<MailJobRow>(SQL.claimMailJob, [at, at + leaseMs, randomUUID()])).rows[0];
      return row && toMailJob(row);
    });
  }

  finishMail(job: Pick<MailJob, 'id' | 'claim'>, outcome: MailOutcome, at: number): Promise<boolean> {
    return guard(async () => {
      const { state, dueAt, uptoSeq, error } = mailOutcomeParams(outcome);
      const values = [job.id, job.claim, state, dueAt, uptoSeq, error, at];
      return ((await this.query(SQL.finishMailJob, values)).rowCount ?? 0) > 0;
    });
  }

  mailContext(conversationId: string): Promise<MailContext | undefined> {
    return guard(async () => {
      const row = (await this.query<MailContextRow>(SQL.mailContext, [conversationId])).rows[0];
      return row && toMailContext(row);
    });
  }

  reserveTranscript(job: NewTranscriptJob, limits: TranscriptCounts): Promise<TranscriptReservation> {
    return guard(() =>
      this.transaction(0, async (client) => {
        await client.query(SQL.transcriptLock, [job.site]);
        const values = [job.conversationId, job.recipient, job.site, job.since];
        const counts = (await client.query<TranscriptCounts>(SQL.transcriptCounts, values)).rows[0] ?? {
          conversation: 0,
          recipient: 0,
          site: 0,
        };
        const queued = transcriptFits(counts, limits);
        if (queued) {
          const insert = [job.id, 'transcript', job.conversationId, job.recipient, job.now, job.now];
          await client.query(SQL.insertMailJob, insert);
        }
        return { queued, counts };
      }),
    );
  }

  saveReplyToken(token: string, conversationId: string): Promise<void> {
    return guard(async () => void (await this.query(SQL.insertReplyToken, [token, conversationId])));
  }

  conversationOfReplyToken(token: string): Promise<string | undefined> {
    return guard(
      async () => (await this.query<{ conversation_id: string }>(SQL.replyToken, [token])).rows[0]?.conversation_id,
    );
  }

  offerRating(conversationId: string, agentName: string, at: number): Promise<RatingRecord | undefined> {
    return guard(async () => {
      const row = (await this.query<RatingRow>(SQL.offerRating, [conversationId, agentName, at])).rows[0];
      return row && toRating(row);
    });
  }

  rate(conversationId: string, input: { score: number; comment?: string }, at: number, changeMs: number) {
    return guard(async () => {
      const values = [conversationId, input.score, input.comment ?? null, at, at - changeMs];
      const row = (await this.query<RatingRow>(SQL.rate, values)).rows[0];
      return row && toRating(row);
    });
  }

  getRating(conversationId: string): Promise<RatingRecord | undefined> {
    return guard(async () => {
      const row = (await this.query<RatingRow>(SQL.rating, [conversationId])).rows[0];
      return row && toRating(row);
    });
  }

  ratingTotals() {
    return guard(async () =>
      (await this.query<{ agent_name: string; total: number; count: number }>(SQL.ratingTotals)).rows.map((r) => ({
        name: r.agent_name,
        total: r.total,
        count: r.count,
      })),
    );
  }

  assign(conversationId: string, change: { to: string | null; at: number; from?: string | null }): Promise<boolean> {
    return guard(() => ownership.assign(this.query, conversationId, change));
  }

  claim(conversationId: string, agent: string, capacity: number, at: number): Promise<boolean> {
    const transaction = <T>(fn: (client: PoolClient) => Promise<T>) => this.transaction(0, fn);
    return guard(() => ownership.claim(transaction, { id: conversationId, agent, capacity, at }));
  }

  assignmentLoad(): Promise<AssigneeLoad[]> {
    return guard(() => ownership.assignmentLoad(this.query));
  }

  waitingConversations(limit: number): Promise<string[]> {
    return guard(() => ownership.ids(this.query, ownership.OWNERSHIP_SQL.waiting, [limit]));
  }

  unansweredAssigned(agent: string, limit: number): Promise<string[]> {
    return guard(() => ownership.ids(this.query, ownership.OWNERSHIP_SQL.unanswered, [agent, limit]));
  }

  addNote(input: NewNote): Promise<{ note: Note; duplicate: boolean }> {
    return guard(() => ownership.addNote(this.query, input));
  }

  notesBetween(conversationId: string, range: { from: number; to?: number; limit?: number }): Promise<Note[]> {
    return guard(() => ownership.notesBetween(this.query, conversationId, range));
  }

  search(terms: SearchTerms, limit: number) {
    return guard(() => this.tools.search(terms, limit));
  }

  cannedReplies() {
    return guard(() => this.tools.cannedReplies());
  }

  saveCannedReply(input: Parameters<Store['saveCannedReply']>[0]) {
    return guard(() => this.tools.saveCannedReply(input));
  }

  deleteCannedReply(id: string) {
    return guard(() => this.tools.deleteCannedReply(id));
  }

  recordPageView(visitorId: string, page: PageInfo, at: number) {
    return guard(() => this.tools.recordPageView(visitorId, page, at));
  }

  pageViews(conversationId: string) {
    return guard(() => this.tools.pageViews(conversationId));
  }

  earlierConversations(conversationId: string, limit: number) {
    return guard(() => this.tools.earlierConversations(conversationId, limit));
  }

  createAttachment(attachment: NewAttachment): Promise<void> {
    return guard(() => insertAttachment((text, values) => this.query(text, values), attachment));
  }

  attachmentsOf(messageIds: readonly string[]): Promise<Map<string, StoredAttachment[]>> {
    return guard(() => attachmentsOf((text, values) => this.query(text, values), messageIds));
  }

  findServableAttachment(id: string): Promise<StoredAttachment | undefined> {
    return guard(() => servableAttachment((text, values) => this.query(text, values), id));
  }

  sweepAttachments(input: { pendingBefore: number; batch: number }) {
    return guard(() => sweepAttachments((text, values) => this.query(text, values), input));
  }

  close(): Promise<void> {
    this.closing ??= guard(() => this.pool.end());
    return this.closing;
  }

  /** Runs `fn` in a transaction on one pooled connection, running it again on a retryable failure. */
  private transaction<T>(retries: number, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return withRetries(retries, () => inTransaction(this.pool, fn));
  }

  // Named after their key in SQL, so each pooled connection parses and plans a statement once rather than on every
  // call: in the two-process benchmark this halved PostgreSQL's CPU per message.
  private readonly query = <R extends QueryResultRow>(text: string, values: unknown[] = []) =>
    this.pool.query<R>({ name: STATEMENT_NAMES.get(text), text, values });

  private async summary(conversationId: string): Promise<StoredSummary | undefined> {
    const row = (await this.query<SummaryRow>(SQL.summary, [conversationId])).rows[0];
    return row && toSummary(row);
  }

  // The batch statement for one message, and its attachments claimed in the same transaction. No row: no such
  // conversation, or another tab's first message created it at this instant (rare: the sender retries).
  private appendWithAttachments(conversationId: string, input: NewMessage): Promise<AppendResult> {
    return this.transaction(APPEND_RETRIES, async (client) => {
      const values = appendValues([{ conversationId, input }], this.now());
      const row = (await client.query<AppendRow>(SQL.appendBatch, values)).rows[0];
      if (!row) throw new NotFoundError('conversation not found');
      if (input.attachments && !row.duplicate)
        await claimAttachments(client, conversationId, row.id, input.attachments);
      const { duplicate, reopened, created } = row;
      return { message: toMessage(row), duplicate, reopened, created };
    });
  }

  // Messages that got no row are run once more: the conversation may have been created meanwhile by another writer
  // (see `SQL.appendBatch`); still none, there is no such conversation. A duplicate clientId committed while the
  // statement waited fails it as a whole: run again once.
  private async appendBatch(items: AppendItem[]): Promise<Outcome<AppendResult>[]> {
    const outcomes: (Outcome<AppendResult> | undefined)[] = items.map(() => undefined);
    let todo = items.map((_, i) => i);
    for (let attempt = 0; attempt < 2 && todo.length > 0; attempt++) {
      const batch = todo;
      const { rows } = await withRetries(APPEND_RETRIES, () =>
        this.query<AppendRow>(
          SQL.appendBatch,
          appendValues(
            batch.map((i) => items[i]!),
            this.now(),
          ),
        ),
      );
      for (const row of rows) {
        const { duplicate, reopened, created } = row;
        outcomes[batch[Number(row.ord) - 1]!] = {
          ok: true,
          value: { message: toMessage(row), duplicate, reopened, created },
        };
      }
      todo = batch.filter((i) => outcomes[i] === undefined);
    }
    return outcomes.map((outcome) => outcome ?? { ok: false, error: new NotFoundError('conversation not found') });
  }
}

async function insertVisitor(
  client: PoolClient,
  site: string,
  meta: VisitorMeta,
  at: number,
  user?: VerifiedUser,
): Promise<{ visitorId: string; conversationId: string }> {
  const visitorId = randomUUID();
  const conversationId = randomUUID();
  await client.query(SQL.insertVisitor, visitorValues(visitorId, conversationId, site, meta, at, user));
  return { visitorId, conversationId };
}

async function updateUser(client: PoolClient, visitorId: string, user: VerifiedUser): Promise<boolean> {
  const result = await client.query(SQL.updateUser, [visitorId, user.id, user.name ?? null, user.email ?? null]);
  return (result.rowCount ?? 0) > 0;
}

async function visitorByUser(client: PoolClient, site: string, userId: string) {
  return (await client.query<UserVisitorRow>(SQL.visitorByUser, [site, userId])).rows[0];
}

async function sessionOrThrow(client: PoolClient, tokenHash: string, lock = false): Promise<SessionRecord> {
  const { rows } = await client.query<SessionRow>(lock ? SQL.lockSession : SQL.findSession, [tokenHash]);
  const row = rows[0];
  if (!row) throw new NotFoundError('session not found');
  return toSession(row);
}

async function createUserSession(
  client: PoolClient,
  input: NewSession & { user: VerifiedUser },
): Promise<IdentifiedSession> {
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
}

// The session's row and its visitor's are locked first, so what is read about them holds until the end; linking
// the visitor for a user that another transaction is linking meanwhile fails on the unique index and is retried,
// then finds that user's visitor. A second identification of the same token waits for the lock, then finds the
// token re-keyed away: `NotFoundError`.
async function identifySession(
  client: PoolClient,
  tokenHash: string,
  user: VerifiedUser,
  rotateTo: string,
  at: number,
): Promise<IdentifiedSession> {
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
  if (owner) {
    await client.query(SQL.markMerged, [current.visitorId, visitorId]);
    await client.query(SQL.dropIdleVisitors, [[current.visitorId]]);
  }
  return { session: await sessionOrThrow(client, rotateTo), updated: true, rotated: true };
}

async function sweepBatch(
  client: PoolClient,
  idleBefore: number,
  emptyBefore: number,
  batch: number,
): Promise<SweepResult> {
  const gone = await client.query<{ visitor_id: string }>(SQL.sweepSessions, [idleBefore, emptyBefore, batch]);
  const ids = [...new Set(gone.rows.map((row) => row.visitor_id))];
  const dropped = ids.length > 0 ? await client.query(SQL.dropIdleVisitors, [ids]) : undefined;
  return { sessions: gone.rowCount ?? 0, visitors: dropped?.rowCount ?? 0 };
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

/** The parameters of `SQL.appendBatch`: one array per column, then the time. */
function appendValues(items: AppendItem[], at: number): unknown[] {
  return [
    items.map(() => timeOrderedId(at)),
    items.map((item) => item.conversationId),
    items.map((item) => item.input.author),
    items.map((item) => item.input.agentName ?? null),
    items.map((item) => item.input.clientId ?? null),
    items.map((item) => item.input.text),
    at,
  ];
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
