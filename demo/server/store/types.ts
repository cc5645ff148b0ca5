import type {
  Author,
  CannedReply,
  ConversationStatus,
  ConversationSummary,
  Message,
  Note,
  PageInfo,
  PageView,
  SearchHit,
  SendResult,
  VerifiedUser,
  VisitorInfo,
} from '../../../src/protocol';
import type { SearchTerms } from './search';

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
   * token only: nothing changes for one. `name` (the pre-chat form's) replaces the visitor's name when given. Returns
   * whether the row changed.
   */
  setVisitorEmail(visitorId: string, email: string, name?: string): Promise<boolean>;
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

  // Ownership and the agent-only timeline (issue 14).
  /**
   * Sets the assignee (`to`, null: nobody) at `at`. With `from` (null: nobody), only while the current assignee is
   * `from`: of two writers racing from the same state, one wins. Returns whether the row changed (false as well when
   * the conversation does not exist, or already has that assignee).
   */
  assign(conversationId: string, change: { to: string | null; at: number; from?: string | null }): Promise<boolean>;
  /**
   * Auto-assignment: gives an open conversation nobody owns to `agent`, only while the agent owns fewer than
   * `capacity` open ones, in one conditional write (PostgreSQL also serialises claims for one agent with an advisory
   * lock, so two processes cannot both take the last free place). Returns whether it did.
   */
  claim(conversationId: string, agent: string, capacity: number, at: number): Promise<boolean>;
  /** Per agent that owns or owned a conversation: open conversations owned, and when one was last assigned. */
  assignmentLoad(): Promise<AssigneeLoad[]>;
  /** Ids of open conversations nobody owns, oldest first, at most `limit`. */
  waitingConversations(limit: number): Promise<string[]>;
  /** Ids of `agent`'s open conversations with no agent message since they were assigned, oldest first. */
  unansweredAssigned(agent: string, limit: number): Promise<string[]>;
  /**
   * Stores a note or system line after the conversation's current last message. Idempotent on (conversation, agent,
   * clientId): a repeat returns the original with `duplicate: true`. Rejects with `NotFoundError` when the conversation
   * does not exist.
   */
  addNote(input: NewNote): Promise<{ note: Note; duplicate: boolean }>;
  /**
   * Notes placed after seqs `from` up to `to - 1` (default: all after `from`), in thread order, at most `limit`
   * (default `NOTES_PAGE`) and `LIMITS.pageBytes` of JSON.
   */
  notesBetween(conversationId: string, range: { from: number; to?: number; limit?: number }): Promise<Note[]>;

  // Attachments (issue 16); see attachments/ for the files themselves.
  /** Records an uploaded file, pending until a message claims it (`NewMessage.attachments`). */
  createAttachment(attachment: NewAttachment): Promise<void>;
  /** The claimed attachments of these messages, by message id, in upload order. */
  attachmentsOf(messageIds: readonly string[]): Promise<Map<string, StoredAttachment[]>>;
  /** A claimed attachment whose message still exists; undefined otherwise (pending, unknown, or deleted). */
  findServableAttachment(id: string): Promise<StoredAttachment | undefined>;
  /**
   * Deletes at most `batch` attachment rows that must go (pending since before `pendingBefore`, or whose message is
   * gone) and returns them, so the caller deletes their bytes.
   */
  sweepAttachments(input: { pendingBefore: number; batch: number }): Promise<{ id: string; thumb: boolean }[]>;
  /** Idempotent. */
  close(): Promise<void>;

  // Agent console tools (search.ts, console-tools/): search, canned replies, visitor context.
  /**
   * Conversations matching `terms` (see `searchTerms`): message texts by word prefix, the visitor's name or email by
   * substring; one hit per conversation, newest match first, at most `limit`.
   */
  search(terms: SearchTerms, limit: number): Promise<StoredSearchHit[]>;
  /** The database's canned replies, by shortcut. */
  cannedReplies(): Promise<CannedReply[]>;
  /**
   * Creates (no `id`) or overwrites a database reply. Rejects with `ConflictError` when another reply has the
   * shortcut or `CANNED.maxReplies` are stored, `NotFoundError` when `id` does not exist.
   */
  saveCannedReply(input: {
    id?: string;
    shortcut: string;
    text: string;
    agentName: string;
    now: number;
  }): Promise<CannedReply>;
  /** Whether a reply was deleted. */
  deleteCannedReply(id: string): Promise<boolean>;
  /** Records that the visitor is on `page`, unless it is already the latest; keeps the newest `PAGE_HISTORY`. */
  recordPageView(visitorId: string, page: PageInfo, now: number): Promise<void>;
  /** The pages of a conversation's visitor, newest first. */
  pageViews(conversationId: string): Promise<PageView[]>;
  /**
   * The conversation's visitor's other conversations, most recently active first, at most `limit`: those of visitors
   * linked to the same verified user (any site), and those of anonymous visitors its sessions were moved from.
   */
  earlierConversations(conversationId: string, limit: number): Promise<StoredSummary[]>;

  // Email queue (issue 15; mail/queue.ts). Several processes may share it: a job is leased by exactly one of them.

  /** Queues a job; returns false (and stores nothing) for a follow-up when one is already pending for the conversation. */
  enqueueMail(job: NewMailJob): Promise<boolean>;
  /** Leases the most overdue job for `leaseMs` (attempts + 1), or undefined when none is due. */
  claimMail(now: number, leaseMs: number): Promise<MailJob | undefined>;
  /** Records a claimed job's outcome; false when its lease was lost meanwhile (another process took it over). */
  finishMail(job: Pick<MailJob, 'id' | 'claim'>, outcome: MailOutcome, now: number): Promise<boolean>;
  /** Where and what a follow-up of the conversation may send; undefined when the conversation is gone. */
  mailContext(conversationId: string): Promise<MailContext | undefined>;
  /**
   * Queues a transcript job unless a limit is reached by those queued since `job.since` (of the conversation, to the
   * recipient, of the site). Counting and queueing are one transaction that others of the same site wait for (SQLite:
   * its write lock; PostgreSQL: an advisory lock per site), so requests arriving together cannot exceed a limit.
   * Returns the counts before this request, and whether it was queued.
   */
  reserveTranscript(job: NewTranscriptJob, limits: TranscriptCounts): Promise<TranscriptReservation>;
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

/** A search hit as stored (see `StoredSummary`). */
export type StoredSearchHit = Omit<SearchHit, 'conversation'> & { conversation: StoredSummary };
export interface NewAttachment {
  id: string;
  /** The uploader's conversation (a visitor's may be only reserved yet). */
  conversationId: string;
  /** `visitor:<visitorId>` or `agent:<name>`: only this sender's message may claim it. */
  owner: string;
  name: string;
  type: string;
  size: number;
  width?: number;
  height?: number;
  /** A thumbnail was stored beside the file. */
  thumb: boolean;
  createdAt: number;
}

export interface StoredAttachment extends Omit<NewAttachment, 'thumb'> {
  thumb: boolean;
  messageId: string | null;
}

/** Pending attachments a message claims, in the same transaction as the message. */
export interface AttachmentClaim {
  ids: readonly string[];
  owner: string;
  /** Only attachments uploaded since then may be claimed (older ones are expiring). */
  uploadedAfter: number;
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

export interface NewTranscriptJob {
  id: string;
  conversationId: string;
  recipient: string;
  site: string;
  /** Start of the window the limits count in. */
  since: number;
  now: number;
}

/** Transcripts queued in a window: of one conversation, to one address, of one site (or the limits of each). */
export interface TranscriptCounts {
  conversation: number;
  recipient: number;
  site: number;
}

export interface TranscriptReservation {
  queued: boolean;
  counts: TranscriptCounts;
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
  /** Claimed with the message; a duplicate send claims nothing again. */
  attachments?: AttachmentClaim;
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
  /** Only the conversations of this agent; `null`: only those nobody owns; absent: any. */
  assignee?: string | null;
  /** Default 100; at most `MAX_LIST` (500, page.ts) whatever is asked. */
  limit?: number;
}

export interface NewNote {
  conversationId: string;
  kind: Note['kind'];
  agentName?: string;
  text: string;
  clientId?: string;
  /** Server clock, milliseconds. */
  at: number;
}

export interface AssigneeLoad {
  agent: string;
  /** Open conversations the agent owns. */
  open: number;
  /** When a conversation was last assigned to the agent (0: never). */
  lastAssignedAt: number;
}

/** Notes one `open` page carries at most (and `LIMITS.pageBytes` of them). */
export const NOTES_PAGE = 500;

/** A conversation summary as stored; whether the visitor is online is known only to the running gateway. */
export type StoredSummary = Omit<ConversationSummary, 'visitor'> & { visitor: Omit<VisitorInfo, 'online'> };

/** Any failure of the storage layer, so handlers can answer `storage_error` instead of `internal`. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** A write refused by a uniqueness rule or a count limit (e.g. a canned reply's shortcut); handlers answer `invalid_payload`. */
export class ConflictError extends StoreError {
  override name = 'ConflictError';
}

/** One of the claimed attachments is not a pending upload of this sender and conversation: nothing was stored. */
export class AttachmentClaimError extends StoreError {
  override name = 'AttachmentClaimError';
}

/** The conversation or session does not exist; handlers answer `not_found`. */
export class NotFoundError extends StoreError {
  override name = 'NotFoundError';
}

/** Short human label for an anonymous visitor, e.g. "Visitor 3f2a". */
export function visitorLabel(visitorId: string): string {
  return `Visitor ${visitorId.slice(0, 4)}`;
}
