import type {
  Author,
  ConversationStatus,
  ConversationSummary,
  Message,
  PageInfo,
  SendResult,
  VisitorInfo,
} from '../../../src/protocol';

/**
 * Persistence used by the gateway. Every method returns a Promise, even where the SQLite implementation is
 * synchronous, so a networked store (Postgres) can be added later without touching the handlers.
 * Implementations throw `StoreError` for any storage failure.
 */
export interface Store {
  /** Creates a visitor, their one conversation and a session for `tokenHash`, atomically. */
  createSession(input: NewSession): Promise<SessionRecord>;
  findSession(tokenHash: string): Promise<SessionRecord | undefined>;
  /** Records use of a session; expiry is measured from the last use. */
  touchSession(tokenHash: string, now: number): Promise<void>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Overwrites the given fields only; absent fields keep their value. */
  updateVisitorMeta(visitorId: string, meta: VisitorMeta): Promise<void>;
  /**
   * Stores a message with the next gap-free `seq`. Idempotent on (conversation, author, clientId): a repeat returns
   * the original message with `duplicate: true` and stores nothing. A visitor message reopens a resolved conversation.
   * Rejects with `StoreError` when the conversation does not exist.
   */
  appendMessage(conversationId: string, input: NewMessage): Promise<AppendResult>;
  /** Messages with `seq > afterSeq`, oldest first, at most `limit` (default `LIMITS.historyPage`). */
  messagesAfter(conversationId: string, afterSeq: number, limit?: number): Promise<MessagePage>;
  /** Most recently active first. */
  listConversations(options?: ListOptions): Promise<StoredSummary[]>;
  getConversation(conversationId: string): Promise<StoredSummary | undefined>;
  setStatus(conversationId: string, status: ConversationStatus): Promise<StoredSummary | undefined>;
  /** Agents have read up to `seq`; never moves backwards and never past the last message. */
  markAgentRead(conversationId: string, seq: number): Promise<boolean>;
  /** The visitor has read up to `seq`; never moves backwards and never past the last message. */
  markVisitorRead(conversationId: string, seq: number): Promise<boolean>;
  /** Idempotent. */
  close(): Promise<void>;
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
  conversationId: string;
  site: string;
  createdAt: number;
  lastSeenAt: number;
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
}

export interface MessagePage {
  messages: Message[];
  more: boolean;
}

export interface ListOptions {
  status?: ConversationStatus | 'all';
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
