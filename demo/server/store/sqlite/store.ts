import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  type Author,
  type ConversationStatus,
  LIMITS,
  type Note,
  type PageInfo,
  type VerifiedUser,
} from '../../../../src/protocol';
import { type AppendItem, createAppendBatcher, type Outcome } from '../batcher';
import { guard } from '../errors';
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
  createConversationSql,
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
import {
  attachmentStatements,
  attachmentsOf,
  claimAttachments,
  insertAttachment,
  servableAttachment,
  sweepAttachments,
} from './attachments';
import { type Checkpointer, startCheckpointer } from './checkpointer';
import { SqliteConsoleTools } from './console';
import { migrate } from './migrations';
import * as ownership from './ownership';
import { type SearchIndexer, startSearchIndexer } from './search-indexer';

/** How long a write waits for another connection's lock by default (`PARLEY_DB_BUSY_TIMEOUT_MS`). */
export const DEFAULT_BUSY_TIMEOUT_MS = 1000;

export interface SqliteStoreOptions {
  /** File path, or `:memory:`. The parent directory is created. */
  path: string;
  /**
   * `normal` (default): with WAL, a committed message survives a process crash or `kill -9`, but the last
   * transactions may be lost on power failure or OS crash. `full`: fsync on every commit, survives those too.
   */
  sync?: 'normal' | 'full';
  /** How long a write waits for another connection's lock before failing; default `DEFAULT_BUSY_TIMEOUT_MS`. */
  busyTimeoutMs?: number;
  /** Clock for message and conversation timestamps. */
  now?: () => number;
  /**
   * Who checkpoints the WAL: `worker` (default for a file), a worker thread of its own (checkpointer.ts), so the
   * event loop never waits on it; `auto`, SQLite's default: the connection whose commit fills the WAL.
   */
  checkpoints?: 'worker' | 'auto';
}

/** The SQLite store, plus what it runs with (for tests and diagnostics). */
export interface SqliteStore extends Store {
  settings(): {
    journalMode: string;
    synchronous: 'normal' | 'full' | 'other';
    busyTimeoutMs: number;
    /** Pages of WAL after which this connection checkpoints itself; 0 when the worker does. */
    walAutocheckpoint: number;
  };
}

/** SQLite's default `wal_autocheckpoint`, in pages. */
const AUTOCHECKPOINT_PAGES = 1000;

/** Opens (creating and migrating as needed) a SQLite store. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const db = openDatabase(options);
  const inWorker = options.path !== ':memory:' && (options.checkpoints ?? 'worker') === 'worker';
  if (!inWorker) return new SqliteDatabaseStore(db, options.now ?? Date.now);
  db.pragma('wal_autocheckpoint = 0');
  const checkpointer = startCheckpointer({
    path: options.path,
    busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    // Without its worker the connection checkpoints as SQLite does by default, so the WAL never grows unbounded.
    onLost: () => {
      if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    },
  });
  return new SqliteDatabaseStore(db, options.now ?? Date.now, checkpointer);
}

function openDatabase(options: SqliteStoreOptions): Database.Database {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS))}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** Statements on visitors and sessions. */
function sessionStatements(db: Database.Database) {
  return {
    insertVisitor: db.prepare(
      `INSERT INTO visitors (${VISITOR_COLUMNS})
       VALUES (@id, @site, @pageUrl, @pageTitle, @locale, @userAgent, @userId, @name, @email, @verified, @now,
               @conversationId)`,
    ),
    insertSession: db.prepare(
      'INSERT INTO sessions (token_hash, visitor_id, created_at, last_seen_at) VALUES (@tokenHash, @visitorId, @now, @now)',
    ),
    findSession: db.prepare<[string], SessionRow>(`${SESSION_SELECT} WHERE s.token_hash = ?`),
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
    dropIdleVisitor: db.prepare(`DELETE FROM visitors AS v WHERE v.id = ? AND ${VISITOR_IDLE}`),
    // The visitor a session left for its user's visitor: its conversation is one of that person's earlier ones.
    markMerged: db.prepare('UPDATE visitors SET merged_into = @into WHERE id = @id'),
    sweepSessions: db.prepare<{ idleBefore: number; emptyBefore: number; batch: number }, { visitor_id: string }>(
      sweepSessionsSql({ idleBefore: '@idleBefore', emptyBefore: '@emptyBefore', batch: '@batch' }),
    ),
    visitorByUser: db.prepare<[string, string], UserVisitorRow>(visitorByUserSql('?', '?')),
    linkVisitor: db.prepare(
      `UPDATE visitors SET user_id = @userId, verified = 1, name = @name, email = @email
        WHERE id = @id AND user_id IS NULL`,
    ),
    // Touches the row only when something changed, so `changes` says whether agents need a new summary.
    updateUser: db.prepare(
      `UPDATE visitors SET name = @name, email = @email, verified = 1
        WHERE id = @id AND user_id = @userId AND (name IS NOT @name OR email IS NOT @email OR verified = 0)`,
    ),
    setVisitorEmail: db.prepare(setVisitorEmailSql('@email', '@id', '@name', 'IS NOT')),
    updateVisitor: db.prepare(
      `UPDATE visitors SET
         page_url = coalesce(@pageUrl, page_url),
         page_title = coalesce(@pageTitle, page_title),
         locale = coalesce(@locale, locale),
         user_agent = coalesce(@userAgent, user_agent)
       WHERE id = @id`,
    ),
  };
}

/** Statements on conversations and messages. */
function conversationStatements(db: Database.Database) {
  const readUpTo = (column: string) =>
    db.prepare(
      `UPDATE conversations SET ${column} = min(@seq, last_seq) WHERE id = @id AND ${column} < min(@seq, last_seq)`,
    );
  return {
    createConversation: db.prepare(createConversationSql('@id', '@now')),
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
    messagesAfter: db.prepare<[string, number, number, number], MessageRow>(
      messagesAfterSql({ conversationId: '?', afterSeq: '?', limit: '?', textBytes: '?' }),
    ),
    summary: db.prepare<[string], SummaryRow>(`${SUMMARY_SELECT} WHERE c.id = ?`),
    list: ownership.listStatements(db, 'ORDER BY c.last_activity_at DESC, c.id'),
    setStatus: db.prepare('UPDATE conversations SET status = ? WHERE id = ?'),
    agentRead: readUpTo('agent_read_seq'),
    visitorRead: readUpTo('visitor_read_seq'),
  };
}

/** Statements of the email queue (mail-sql.ts). */
function mailStatements(db: Database.Database) {
  return {
    insertMailJob: db.prepare(
      insertMailJobSql({
        id: '@id',
        kind: '@kind',
        conversationId: '@conversationId',
        recipient: '@recipient',
        dueAt: '@dueAt',
        now: '@now',
      }),
    ),
    claimMailJob: db.prepare<{ now: number; until: number; claim: string }, MailJobRow>(
      claimMailJobSql({ now: '@now', until: '@until', claim: '@claim' }, false),
    ),
    finishMailJob: db.prepare(
      finishMailJobSql({
        id: '@id',
        claim: '@claim',
        state: '@state',
        dueAt: '@dueAt',
        uptoSeq: '@uptoSeq',
        error: '@error',
        now: '@now',
      }),
    ),
    mailContext: db.prepare<[string], MailContextRow>(mailContextSql('?')),
    transcriptCounts: db.prepare<
      { conversationId: string; recipient: string; site: string; since: number },
      { conversation: number; recipient: number; site: number }
    >(
      transcriptCountsSql({
        conversationId: '@conversationId',
        recipient: '@recipient',
        site: '@site',
        since: '@since',
      }),
    ),
    insertReplyToken: db.prepare(insertReplyTokenSql('?', '?')),
    replyToken: db.prepare<[string], { conversation_id: string }>(replyTokenSql('?')),
    offerRating: db.prepare<{ conversationId: string; agentName: string; now: number }, RatingRow>(
      offerRatingSql({ conversationId: '@conversationId', agentName: '@agentName', now: '@now' }),
    ),
    rate: db.prepare<
      { conversationId: string; score: number; comment: string | null; now: number; openSince: number },
      RatingRow
    >(
      rateSql({
        conversationId: '@conversationId',
        score: '@score',
        comment: '@comment',
        now: '@now',
        openSince: '@openSince',
      }),
    ),
    rating: db.prepare<[string], RatingRow>(ratingSql('?')),
    ratingTotals: db.prepare<[], { agent_name: string; total: number; count: number }>(RATING_TOTALS_SQL),
  };
}

type Statements = ReturnType<typeof sessionStatements> &
  ReturnType<typeof conversationStatements> &
  ReturnType<typeof ownership.ownershipStatements> &
  ReturnType<typeof attachmentStatements> &
  ReturnType<typeof mailStatements>;

/**
 * The store's transactions, run IMMEDIATE by the store. The identity ones thereby hold the write lock from the lookup
 * of the user's visitor to the link, so two connections (or processes) identifying the same new user cannot both
 * create a visitor; the unique index on (site, user_id) would refuse the second one anyway.
 */
function transactions(db: Database.Database, q: Statements, now: () => number) {
  const appendOne = db.transaction((conversationId: string, input: NewMessage) =>
    append(q, now, conversationId, input),
  );
  return {
    createSession: db.transaction((input: NewSession) => createSession(q, input)),
    createUserSession: db.transaction((input: NewSession & { user: VerifiedUser }) => createUserSession(q, input)),
    identifySession: db.transaction((tokenHash: string, user: VerifiedUser, rotateTo: string, at: number) =>
      identifySession(q, tokenHash, user, rotateTo, at),
    ),
    deleteSession: db.transaction((tokenHash: string) => {
      const gone = q.deleteSession.get(tokenHash);
      if (gone) q.dropIdleVisitor.run(gone.visitor_id);
    }),
    sweepBatch: db.transaction((input: { idleBefore: number; emptyBefore: number; batch: number }) =>
      sweepBatch(q, input),
    ),
    // Immediate: the count and the insert hold the write lock together, so no other process counts in between.
    reserveTranscript: db.transaction((job: NewTranscriptJob, limits: TranscriptCounts): TranscriptReservation => {
      const counts = q.transcriptCounts.get(job) ?? { conversation: 0, recipient: 0, site: 0 };
      const queued = transcriptFits(counts, limits);
      if (queued) q.insertMailJob.run({ ...job, kind: 'transcript', dueAt: job.now });
      return { queued, counts };
    }),
    // One commit for a batch; each item in a savepoint of its own (a nested transaction), so a failed item rolls
    // back alone and the others are stored.
    appendBatch: db.transaction((items: AppendItem[]) =>
      items.map(({ conversationId, input }) => settle(() => appendOne(conversationId, input))),
    ),
    // A batch of one (most of them, below a few hundred messages a second) needs no savepoint: its own transaction
    // rolls back alone. Two statements fewer per message.
    appendOne,
  };
}

class SqliteDatabaseStore implements SqliteStore {
  private readonly q: Statements;
  private readonly tx: ReturnType<typeof transactions>;
  private readonly appends = createAppendBatcher(
    async (items) => {
      const gate = this.checkpointer?.gate();
      if (gate) await gate;
      const outcomes =
        items.length === 1
          ? [settle(() => this.tx.appendOne.immediate(items[0]!.conversationId, items[0]!.input))]
          : this.tx.appendBatch.immediate(items);
      this.checkpointer?.committed();
      return outcomes;
    },
    // Item failures are reported by their savepoints; a whole batch fails only on the lock or the disk.
    { retryOneByOne: false },
  );
  private readonly tools: SqliteConsoleTools;
  private readonly indexer: SearchIndexer;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    now: () => number,
    private readonly checkpointer?: Checkpointer,
  ) {
    this.q = {
      ...sessionStatements(db),
      ...conversationStatements(db),
      ...ownership.ownershipStatements(db),
      ...attachmentStatements(db),
      ...mailStatements(db),
    };
    this.tx = transactions(db, this.q, now);
    this.tools = new SqliteConsoleTools(db);
    this.indexer = startSearchIndexer(db, { checkpointer });
  }

  settings(): ReturnType<SqliteStore['settings']> {
    const synchronous = this.db.pragma('synchronous', { simple: true });
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      // SQLite reports synchronous as a number: 1 NORMAL, 2 FULL.
      synchronous: synchronous === 1 ? 'normal' : synchronous === 2 ? 'full' : 'other',
      busyTimeoutMs: Number(this.db.pragma('busy_timeout', { simple: true })),
      walAutocheckpoint: Number(this.db.pragma('wal_autocheckpoint', { simple: true })),
    };
  }

  createSession(input: NewSession): Promise<SessionRecord> {
    return guard(() => this.tx.createSession.immediate(input));
  }

  createUserSession(input: NewSession & { user: VerifiedUser }): Promise<IdentifiedSession> {
    return guard(() => this.tx.createUserSession.immediate(input));
  }

  identifySession(tokenHash: string, user: VerifiedUser, rotateTo: string, at: number): Promise<IdentifiedSession> {
    return guard(() => this.tx.identifySession.immediate(tokenHash, user, rotateTo, at));
  }

  findVisitorByUser(site: string, userId: string) {
    return guard(() => {
      const row = this.q.visitorByUser.get(site, userId);
      return row && toUserVisitor(row);
    });
  }

  findSession(tokenHash: string): Promise<SessionRecord | undefined> {
    return guard(() => {
      const row = this.q.findSession.get(tokenHash);
      return row && toSession(row);
    });
  }

  touchSession(tokenHash: string, at: number): Promise<void> {
    return guard(() => void this.q.touchSession.run({ tokenHash, now: at }));
  }

  deleteSession(tokenHash: string): Promise<void> {
    return guard(() => this.tx.deleteSession.immediate(tokenHash));
  }

  sweepSessions(input: { idleBefore: number; emptyBefore: number; batch?: number }): Promise<SweepResult> {
    const { idleBefore, emptyBefore, batch = SWEEP_BATCH } = input;
    return guard(() =>
      sweepInBatches(batch, async () => this.tx.sweepBatch.immediate({ idleBefore, emptyBefore, batch })),
    );
  }

  setVisitorEmail(visitorId: string, email: string, name?: string): Promise<boolean> {
    return guard(() => this.q.setVisitorEmail.run({ id: visitorId, email, name: name ?? null }).changes > 0);
  }

  updateVisitorMeta(visitorId: string, meta: VisitorMeta): Promise<void> {
    return guard(() => void this.q.updateVisitor.run({ id: visitorId, ...metaParams(meta) }));
  }

  appendMessage(conversationId: string, input: NewMessage): Promise<AppendResult> {
    return guard(() => this.appends.add({ conversationId, input }));
  }

  messagesAfter(conversationId: string, afterSeq: number, limit: number = LIMITS.historyPage): Promise<MessagePage> {
    return guard(() => {
      const rows = this.q.messagesAfter.all(conversationId, afterSeq, limit + 1, PAGE_TEXT_BYTES);
      return messagePage(rows.map(toMessage), limit);
    });
  }

  listConversations(options: ListOptions = {}): Promise<StoredSummary[]> {
    return guard(() => {
      const { status, limit } = listQuery(options);
      return fitBytes(this.q.list(status, options.assignee, limit).map(toSummary));
    });
  }

  getConversation(conversationId: string): Promise<StoredSummary | undefined> {
    return guard(() => this.summary(conversationId));
  }

  hasConversation(conversationId: string): Promise<boolean> {
    return guard(() => this.q.conversationHead.get(conversationId) !== undefined);
  }

  setStatus(conversationId: string, status: ConversationStatus): Promise<StoredSummary | undefined> {
    return guard(() => {
      this.q.setStatus.run(status, conversationId);
      return this.summary(conversationId);
    });
  }

  markAgentRead(conversationId: string, seq: number): Promise<boolean> {
    return guard(() => this.q.agentRead.run({ id: conversationId, seq }).changes > 0);
  }

  markVisitorRead(conversationId: string, seq: number): Promise<boolean> {
    return guard(() => this.q.visitorRead.run({ id: conversationId, seq }).changes > 0);
  }

  enqueueMail(job: NewMailJob): Promise<boolean> {
    return guard(() => this.q.insertMailJob.run({ recipient: null, ...job }).changes > 0);
  }

  claimMail(at: number, leaseMs: number): Promise<MailJob | undefined> {
    return guard(() => {
      const row = this.q.claimMailJob.get({ now: at, until: at + leaseMs, claim: randomUUID() });
      return row && toMailJob(row);
    });
  }

  finishMail(job: Pick<MailJob, 'id' | 'claim'>, outcome: MailOutcome, at: number): Promise<boolean> {
    return guard(
      () =>
        this.q.finishMailJob.run({ id: job.id, claim: job.claim, now: at, ...mailOutcomeParams(outcome) }).changes > 0,
    );
  }

  mailContext(conversationId: string): Promise<MailContext | undefined> {
    return guard(() => {
      const row = this.q.mailContext.get(conversationId);
      return row && toMailContext(row);
    });
  }

  reserveTranscript(job: NewTranscriptJob, limits: TranscriptCounts): Promise<TranscriptReservation> {
    return guard(() => this.tx.reserveTranscript.immediate(job, limits));
  }

  saveReplyToken(token: string, conversationId: string): Promise<void> {
    return guard(() => void this.q.insertReplyToken.run(token, conversationId));
  }

  conversationOfReplyToken(token: string): Promise<string | undefined> {
    return guard(() => this.q.replyToken.get(token)?.conversation_id);
  }

  offerRating(conversationId: string, agentName: string, at: number): Promise<RatingRecord | undefined> {
    return guard(() => {
      const row = this.q.offerRating.get({ conversationId, agentName, now: at });
      return row && toRating(row);
    });
  }

  rate(conversationId: string, input: { score: number; comment?: string }, at: number, changeMs: number) {
    return guard(() => {
      const params = {
        conversationId,
        score: input.score,
        comment: input.comment ?? null,
        now: at,
        openSince: at - changeMs,
      };
      const row = this.q.rate.get(params);
      return row && toRating(row);
    });
  }

  getRating(conversationId: string): Promise<RatingRecord | undefined> {
    return guard(() => {
      const row = this.q.rating.get(conversationId);
      return row && toRating(row);
    });
  }

  ratingTotals() {
    return guard(() => this.q.ratingTotals.all().map((r) => ({ name: r.agent_name, total: r.total, count: r.count })));
  }

  assign(conversationId: string, change: { to: string | null; at: number; from?: string | null }): Promise<boolean> {
    return guard(() => ownership.assign(this.q, conversationId, change));
  }

  claim(conversationId: string, agent: string, capacity: number, at: number): Promise<boolean> {
    return guard(() => ownership.claim(this.q, conversationId, agent, capacity, at));
  }

  assignmentLoad(): Promise<AssigneeLoad[]> {
    return guard(() => ownership.assignmentLoad(this.q));
  }

  waitingConversations(limit: number): Promise<string[]> {
    return guard(() => this.q.waiting.all(limit).map((row) => row.id));
  }

  unansweredAssigned(agent: string, limit: number): Promise<string[]> {
    return guard(() => this.q.unanswered.all(agent, limit).map((row) => row.id));
  }

  addNote(input: NewNote): Promise<{ note: Note; duplicate: boolean }> {
    return guard(() => ownership.addNote(this.q, input));
  }

  notesBetween(conversationId: string, range: { from: number; to?: number; limit?: number }): Promise<Note[]> {
    return guard(() => ownership.notesBetween(this.q, conversationId, range));
  }

  search(terms: SearchTerms, limit: number) {
    return guard(() => {
      this.indexer.catchUp();
      return this.tools.search(terms, limit);
    });
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
    return guard(() => insertAttachment(this.q, attachment));
  }

  attachmentsOf(messageIds: readonly string[]): Promise<Map<string, StoredAttachment[]>> {
    return guard(() => attachmentsOf(this.q, messageIds));
  }

  findServableAttachment(id: string): Promise<StoredAttachment | undefined> {
    return guard(() => servableAttachment(this.q, id));
  }

  sweepAttachments(input: { pendingBefore: number; batch: number }) {
    return guard(() => sweepAttachments(this.q, input));
  }

  close(): Promise<void> {
    return guard(async () => {
      if (this.closed) return;
      this.closed = true;
      this.indexer.stop();
      await this.checkpointer?.close();
      this.db.close();
    });
  }

  private summary(conversationId: string): StoredSummary | undefined {
    const row = this.q.summary.get(conversationId);
    return row && toSummary(row);
  }
}

/** A visitor (anonymous, or linked to `user`) reserving a conversation id; `(site, user)` must not be linked yet. */
function insertVisitor(q: Statements, site: string, meta: VisitorMeta, at: number, user?: VerifiedUser) {
  const visitorId = randomUUID();
  const conversationId = randomUUID();
  q.insertVisitor.run({ id: visitorId, site, now: at, conversationId, ...metaParams(meta), ...userParams(user) });
  return { visitorId, conversationId };
}

function sessionOrThrow(q: Statements, tokenHash: string): SessionRecord {
  const row = q.findSession.get(tokenHash);
  if (!row) throw new NotFoundError('session not found');
  return toSession(row);
}

function createSession(q: Statements, input: NewSession): SessionRecord {
  const { tokenHash, site, now: at } = input;
  const { visitorId, conversationId } = insertVisitor(q, site, input.meta, at);
  q.insertSession.run({ tokenHash, visitorId, now: at });
  return { tokenHash, visitorId, conversationId, started: false, site, createdAt: at, lastSeenAt: at };
}

function createUserSession(q: Statements, input: NewSession & { user: VerifiedUser }): IdentifiedSession {
  const { tokenHash, site, user, now: at } = input;
  const owner = q.visitorByUser.get(site, user.id);
  let updated = true;
  if (owner) {
    updated = q.updateUser.run({ id: owner.visitor_id, ...userParams(user) }).changes > 0;
    q.updateVisitor.run({ id: owner.visitor_id, ...metaParams(input.meta) });
    q.insertSession.run({ tokenHash, visitorId: owner.visitor_id, now: at });
  } else {
    const { visitorId } = insertVisitor(q, site, input.meta, at, user);
    q.insertSession.run({ tokenHash, visitorId, now: at });
  }
  return { session: sessionOrThrow(q, tokenHash), updated, rotated: false };
}

function identifySession(
  q: Statements,
  tokenHash: string,
  user: VerifiedUser,
  rotateTo: string,
  at: number,
): IdentifiedSession {
  const current = sessionOrThrow(q, tokenHash);
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
  if (owner) {
    q.markMerged.run({ id: current.visitorId, into: visitorId });
    q.dropIdleVisitor.run(current.visitorId);
  }
  return { session: sessionOrThrow(q, rotateTo), updated: true, rotated: true };
}

function sweepBatch(q: Statements, input: { idleBefore: number; emptyBefore: number; batch: number }): SweepResult {
  const gone = q.sweepSessions.all(input);
  let visitors = 0;
  for (const visitorId of new Set(gone.map((row) => row.visitor_id))) {
    visitors += q.dropIdleVisitor.run(visitorId).changes;
  }
  return { sessions: gone.length, visitors };
}

// Reading the head, bumping last_seq and inserting happen in one transaction: seq stays gap-free and a failed
// insert rolls the counter back.
function append(q: Statements, now: () => number, conversationId: string, input: NewMessage): AppendResult {
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
    id: timeOrderedId(createdAt),
    conversation_id: conversationId,
    seq: head.last_seq + 1,
    author: input.author,
    agent_name: input.agentName ?? null,
    client_id: input.clientId ?? null,
    text: input.text,
    created_at: createdAt,
  };
  const { id, seq, author, agent_name: agentName, client_id: clientId, text } = row;
  q.insertMessage.run({ id, conversationId, seq, author, agentName, clientId, text, createdAt });
  if (input.attachments) claimAttachments(q, conversationId, id, input.attachments);
  return { message: toMessage(row), duplicate: false, reopened, created };
}

function settle<R>(fn: () => R): Outcome<R> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
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
