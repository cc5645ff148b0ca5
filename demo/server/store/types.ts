import type {
  Author,
  ConversationStatus,
  ConversationSummary,
  Message,
  PageInfo,
  SendResult,
  VerifiedUser,
  VisitorInfo,
} from '../../../src/protocol';

/**
 * Persistence used by the gateway, implemented by `sqlite/store.ts` (one process, synchronous underneath) and
 * `postgres/store.ts` (any number of processes); `open.ts` picks one. Every method returns a Promise, so handlers
 * never know which. Implementations reject with `StoreError` for any storage failure.
 */
export interface Store {
  /**
   * Creates a visitor and a session for `tokenHash`, atomically. No conversation: the visitor's conversation id is
   * reserved (`SessionRecord.conversationId`, `started: false`) and the conversation is created by its first message
   * (`appendMessage`), so a handshake alone never shows up in an agent's list.
   */
  createSession(input: NewSession): Promise<SessionRecord>;
  /**
   * Creates a session for `tokenHash` that leads to the visitor linked to (`site`, `user.id`), atomically: that
   * visitor when there is one (its name and email updated from `user`, its page, locale and browser from `meta`),
   * otherwise a new visitor linked to the user (with no conversation yet). Two devices of a new user racing here end
   * up on one visitor: the schema has a unique index on (site, user_id); SQLite holds its write lock from lookup to
   * insert, and the PostgreSQL store, which has no such lock, catches the unique violation and retries the lookup. The
   * same holds for `identifySession`.
   */
  createUserSession(input: NewSession & { user: VerifiedUser }): Promise<IdentifiedSession>;
  /**
   * Makes the existing session `tokenHash` lead to `user`'s visitor of the session's site, atomically:
   * - the session already leads to the user's visitor: name and email are refreshed, nothing else changes;
   * - it is anonymous and a visitor is already linked to the user: the session is pointed at that visitor (the
   *   conversation follows the user across devices); the visitor it led to before keeps its conversation, untouched
   *   (or is deleted when it has none and no other session);
   * - it is anonymous and none is: the session's own visitor is linked to the user (its conversation kept).
   * In the last two cases the identity behind the token changed, so the session is re-keyed to `rotateTo` in the same
   * transaction: the old token stops working (`rotated: true`). Name and email are set from `user` (absent ones
   * cleared). A session of another user is never handed to `user` (the caller issues a new session instead).
   * Rejects with `NotFoundError` when there is no session `tokenHash`, or it belongs to another user.
   */
  identifySession(tokenHash: string, user: VerifiedUser, rotateTo: string, now: number): Promise<IdentifiedSession>;
  /** The visitor linked to (`site`, `userId`), if any. */
  findVisitorByUser(
    site: string,
    userId: string,
  ): Promise<{ visitorId: string; conversationId: string; started: boolean } | undefined>;
  findSession(tokenHash: string): Promise<SessionRecord | undefined>;
  /** Records use of a session; expiry is measured from the last use. */
  touchSession(tokenHash: string, now: number): Promise<void>;
  /** Revokes a session; its visitor goes too when it has no conversation and no other session. */
  deleteSession(tokenHash: string): Promise<void>;
  /**
   * Deletes, at most `batch` (default `SWEEP_BATCH` in page.ts, 1,000) at a time, the sessions unused since `idleBefore`, and those unused since
   * `emptyBefore` whose visitor never stored a message; then their visitors that have no conversation and no session
   * left. The storage a handshake creates is thereby bounded by the handshakes of one `emptyBefore` window.
   */
  sweepSessions(input: { idleBefore: number; emptyBefore: number; batch?: number }): Promise<SweepResult>;
  /**
   * Stores the address an anonymous visitor left for follow-ups. A verified visitor's address comes from its user
   * token only: nothing changes for one. Returns whether the row changed.
   */
  setVisitorEmail(visitorId: string, email: string): Promise<boolean>;
  /** Overwrites the given fields only; absent fields keep their value. */
  updateVisitorMeta(visitorId: string, meta: VisitorMeta): Promise<void>;
  /**
   * Stores a message with the next gap-free `seq`. Idempotent on (conversation, author, clientId): a repeat returns
   * the original message with `duplicate: true` and stores nothing. A visitor message reopens a resolved conversation.
   * A visitor message to the conversation a visitor reserved (`SessionRecord.conversationId`, `started: false`)
   * creates it, in the same transaction (`created: true`): no conversation ever exists without a message.
   * Rejects with `NotFoundError` when the conversation does not exist (and, for a visitor message, nobody reserved it,
   * e.g. its session was swept meanwhile).
   */
  appendMessage(conversationId: string, input: NewMessage): Promise<AppendResult>;
  /**
   * Messages with `seq > afterSeq`, oldest first, at most `limit` (default `LIMITS.historyPage`) and `LIMITS.pageBytes`
   * of JSON (at least one message), `more` when any were left out (see `messagePage` in page.ts).
   */
  messagesAfter(conversationId: string, afterSeq: number, limit?: number): Promise<MessagePage>;
  /**
   * Most recently active first; at most `limit` (see `ListOptions`) and `LIMITS.pageBytes` of JSON (see `fitBytes` in page.ts; the
   * gateway then adds `visitor.online`, 15 bytes each).
   */
  listConversations(options?: ListOptions): Promise<StoredSummary[]>;
  getConversation(conversationId: string): Promise<StoredSummary | undefined>;
  /** Whether the conversation exists; cheaper than `getConversation`. */
  hasConversation(conversationId: string): Promise<boolean>;
  setStatus(conversationId: string, status: ConversationStatus): Promise<StoredSummary | undefined>;
  /** Agents have read up to `seq`; never moves backwards and never past the last message. */
  markAgentRead(conversationId: string, seq: number): Promise<boolean>;
  /** The visitor has read up to `seq`; never moves backwards and never past the last message. */
  markVisitorRead(conversationId: string, seq: number): Promise<boolean>;
  /** Idempotent. */
  close(): Promise<void>;

  // Email queue (issue 15; mail/queue.ts). Several processes may share it: a job is leased by exactly one of them.

  /** Queues a job; returns false (and stores nothing) for a follow-up when one is already pending for the conversation. */
  enqueueMail(job: NewMailJob): Promise<boolean>;
  /** Leases the most overdue job for `leaseMs` (attempts + 1), or undefined when none is due. */
  claimMail(now: number, leaseMs: number): Promise<MailJob | undefined>;
  /** Records a claimed job's outcome; false when its lease was lost meanwhile (another process took it over). */
  finishMail(job: Pick<MailJob, 'id' | 'claim'>, outcome: MailOutcome, now: number): Promise<boolean>;
  /** Where and what a follow-up of the conversation may send; undefined when the conversation is gone. */
  mailContext(conversationId: string): Promise<MailContext | undefined>;
  /** Transcripts queued since `since`: of the conversation, to `recipient`, and of `site`. */
  transcriptCounts(input: { conversationId: string; recipient: string; site: string; since: number }): Promise<{
    conversation: number;
    recipient: number;
    site: number;
  }>;
  /** Remembers the Reply-To token of a conversation (idempotent). */
  saveReplyToken(token: string, conversationId: string): Promise<void>;
  /** The conversation a Reply-To token was issued for. */
  conversationOfReplyToken(token: string): Promise<string | undefined>;

  // Satisfaction ratings (issue 15).

  /**
   * Offers the visitor a rating of `agentName`, who resolved the conversation; a given rating is kept. Returns the
   * new offer, or undefined when a rating was already given (read it with `getRating`).
   */
  offerRating(conversationId: string, agentName: string, now: number): Promise<RatingRecord | undefined>;
  /**
   * Scores the offered rating; changeable until `changeMs` after the first score. Undefined when no rating was
   * offered or the time to change it has passed.
   */
  rate(
    conversationId: string,
    input: { score: number; comment?: string },
    now: number,
    changeMs: number,
  ): Promise<RatingRecord | undefined>;
  getRating(conversationId: string): Promise<RatingRecord | undefined>;
  /** Per agent with at least one score: how many, and their sum (averages are `total / count`). */
  ratingTotals(): Promise<{ name: string; total: number; count: number }[]>;
}

export interface RatingRecord {
  agentName: string;
  offeredAt: number;
  /** 1 to 5; absent until the visitor rated. */
  score?: number;
  comment?: string;
  firstRatedAt?: number;
  ratedAt?: number;
}

export interface NewMailJob {
  id: string;
  kind: 'followup' | 'transcript';
  conversationId: string;
  /** Transcripts: the address at the time of the request. Follow-ups read the visitor's when they are sent. */
  recipient?: string;
  dueAt: number;
  now: number;
}

export interface MailJob {
  id: string;
  kind: 'followup' | 'transcript';
  conversationId: string;
  recipient?: string;
  /** Including this one. */
  attempts: number;
  createdAt: number;
  /** This lease's id: only its holder may record the outcome. */
  claim: string;
}

export type MailOutcome =
  | { state: 'sent'; uptoSeq?: number }
  | { state: 'skipped' | 'failed'; error: string }
  | { state: 'pending'; dueAt: number; error: string };

export interface MailContext {
  site: string;
  email?: string;
  name?: string;
  pageUrl?: string;
  visitorReadSeq: number;
  /** The last seq a sent follow-up covered. */
  emailedSeq: number;
}

export interface VisitorMeta {
  page?: PageInfo;
  locale?: string;
  userAgent?: string;
}

export interface NewSession {
  tokenHash: string;
  site: string;
  meta: VisitorMeta;
  now: number;
}

export interface SessionRecord {
  tokenHash: string;
  visitorId: string;
  /** The visitor's conversation; reserved, not created, until its first message (`started`). */
  conversationId: string;
  /** The conversation exists: the visitor has stored at least one message. */
  started: boolean;
  site: string;
  createdAt: number;
  lastSeenAt: number;
  /** The site's user the session's visitor is linked to (identity verified); absent for an anonymous visitor. */
  user?: VerifiedUser;
  /** The address an anonymous visitor left for follow-ups (`setVisitorEmail`); a verified one's is `user.email`. */
  email?: string;
}

export interface IdentifiedSession {
  session: SessionRecord;
  /** The visitor became verified or its name or email changed: agents need a fresh summary. */
  updated: boolean;
  /** The session was re-keyed to the `rotateTo` hash (`session.tokenHash`); the old token no longer exists. */
  rotated: boolean;
}

export interface SweepResult {
  sessions: number;
  visitors: number;
}

export interface NewMessage {
  author: Author;
  agentName?: string;
  clientId?: string;
  text: string;
}

export interface AppendResult extends SendResult {
  /** The message moved a resolved conversation back to open. */
  reopened: boolean;
  /** The message created its conversation. */
  created: boolean;
}

export interface MessagePage {
  messages: Message[];
  more: boolean;
}

export interface ListOptions {
  /** Default `all`. */
  status?: ConversationStatus | 'all';
  /** Default 100; at most `MAX_LIST` (500, page.ts) whatever is asked. */
  limit?: number;
}

/** A conversation summary as stored; whether the visitor is online is known only to the running gateway. */
export type StoredSummary = Omit<ConversationSummary, 'visitor'> & { visitor: Omit<VisitorInfo, 'online'> };

/** Any failure of the storage layer, so handlers can answer `storage_error` instead of `internal`. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** The conversation or session does not exist; handlers answer `not_found`. */
export class NotFoundError extends StoreError {
  override name = 'NotFoundError';
}

/** Short human label for an anonymous visitor, e.g. "Visitor 3f2a". */
export function visitorLabel(visitorId: string): string {
  return `Visitor ${visitorId.slice(0, 4)}`;
}
