import { randomBytes } from 'node:crypto';
import type { Author, ConversationStatus, Message, Note, VerifiedUser } from '../../../src/protocol';
import type { MailContextRow, MailJobRow } from './mail-sql';
import type { RatingRow } from './rating-sql';
import {
  type AssigneeLoad,
  type MailContext,
  type MailJob,
  type MailOutcome,
  type RatingRecord,
  type SessionRecord,
  type StoredSummary,
  visitorLabel,
} from './types';

// The rows both stores read, and how they become the objects of `Store`. SQLite returns booleans as 0/1 and
// integers as numbers; pg returns booleans as booleans and BIGINT (our millisecond timestamps) as strings, since they
// may exceed 2^53 (ours never do).

/** A boolean column: `true`/`false` from PostgreSQL, 1/0 from SQLite. */
type Flag = boolean | number;
/** A millisecond timestamp: a number from SQLite, a string from PostgreSQL's BIGINT. */
type Int8 = string | number;

export interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number;
  author: Author;
  agent_name: string | null;
  client_id: string | null;
  text: string;
  created_at: Int8;
}

export interface SessionRow {
  token_hash: string;
  visitor_id: string;
  conversation_id: string;
  started: Flag;
  site: string;
  created_at: Int8;
  last_seen_at: Int8;
  user_id: string | null;
  name: string | null;
  email: string | null;
}

export interface UserVisitorRow {
  visitor_id: string;
  conversation_id: string;
  started: Flag;
}

export interface SummaryRow {
  id: string;
  site: string;
  status: ConversationStatus;
  last_seq: number;
  last_activity_at: Int8;
  agent_read_seq: number;
  visitor_read_seq: number;
  visitor_id: string;
  page_url: string | null;
  page_title: string | null;
  locale: string | null;
  user_agent: string | null;
  name: string | null;
  email: string | null;
  verified: Flag;
  last_author: Author | null;
  last_text: string | null;
  /** Files of the last message (0 when none) and the least of their names, so a files-only message has a preview. */
  last_files: number | null;
  last_file_name: string | null;
  unread: number;
  assignee: string | null;
}

export function toMailJob(row: MailJobRow): MailJob {
  const job: MailJob = {
    id: row.id,
    kind: row.kind,
    conversationId: row.conversation_id,
    attempts: row.attempts,
    createdAt: Number(row.created_at),
    claim: row.claim,
  };
  if (row.recipient !== null) job.recipient = row.recipient;
  return job;
}

export function toMailContext(row: MailContextRow): MailContext {
  const context: MailContext = {
    site: row.site,
    visitorReadSeq: row.visitor_read_seq,
    emailedSeq: Number(row.emailed_seq),
  };
  if (row.email !== null) context.email = row.email;
  if (row.name !== null) context.name = row.name;
  if (row.page_url !== null) context.pageUrl = row.page_url;
  return context;
}

/** The parameters of `finishMailJobSql` for an outcome (`dueAt` is kept as is unless retried). */
export function mailOutcomeParams(outcome: MailOutcome): {
  state: string;
  dueAt: number | null;
  uptoSeq: number | null;
  error: string | null;
} {
  return {
    state: outcome.state,
    dueAt: outcome.state === 'pending' ? outcome.dueAt : null,
    uptoSeq: outcome.state === 'sent' ? (outcome.uptoSeq ?? null) : null,
    error: 'error' in outcome ? outcome.error.slice(0, 500) : null,
  };
}

export function toRating(row: RatingRow): RatingRecord {
  const rating: RatingRecord = { agentName: row.agent_name, offeredAt: Number(row.offered_at) };
  if (row.score !== null) rating.score = row.score;
  if (row.comment !== null) rating.comment = row.comment;
  if (row.first_rated_at !== null) rating.firstRatedAt = Number(row.first_rated_at);
  if (row.rated_at !== null) rating.ratedAt = Number(row.rated_at);
  return rating;
}

export function toMessage(row: MessageRow): Message {
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

export function toSession(row: SessionRow): SessionRecord {
  const session: SessionRecord = {
    tokenHash: row.token_hash,
    visitorId: row.visitor_id,
    conversationId: row.conversation_id,
    started: Boolean(row.started),
    site: row.site,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
  };
  if (row.user_id !== null) {
    const user: VerifiedUser = { id: row.user_id };
    if (row.name !== null) user.name = row.name;
    if (row.email !== null) user.email = row.email;
    session.user = user;
  } else if (row.email !== null) {
    session.email = row.email;
  }
  return session;
}

export function toUserVisitor(row: UserVisitorRow): { visitorId: string; conversationId: string; started: boolean } {
  return { visitorId: row.visitor_id, conversationId: row.conversation_id, started: Boolean(row.started) };
}

export function toSummary(row: SummaryRow): StoredSummary {
  const summary: StoredSummary = {
    id: row.id,
    site: row.site,
    status: row.status,
    lastSeq: row.last_seq,
    lastActivityAt: Number(row.last_activity_at),
    unread: row.unread,
    agentReadSeq: Number(row.agent_read_seq),
    visitorReadSeq: Number(row.visitor_read_seq),
    visitor: { id: row.visitor_id, label: visitorLabel(row.visitor_id), verified: Boolean(row.verified) },
  };
  if (row.assignee !== null) summary.assignee = row.assignee;
  if (row.last_author !== null && row.last_text !== null) {
    summary.lastMessage = { author: row.last_author, text: row.last_text };
    if (row.last_files && row.last_file_name !== null) {
      summary.lastMessage.files = { count: Number(row.last_files), name: row.last_file_name };
    }
  }
  const { visitor } = summary;
  if (row.page_url !== null) visitor.page = { url: row.page_url, title: row.page_title ?? '' };
  if (row.locale !== null) visitor.locale = row.locale;
  if (row.user_agent !== null) visitor.userAgent = row.user_agent;
  if (row.name !== null) visitor.name = row.name;
  if (row.email !== null) visitor.email = row.email;
  return summary;
}

export interface NoteRow {
  id: string;
  conversation_id: string;
  kind: Note['kind'];
  agent_name: string | null;
  text: string;
  client_id: string | null;
  after_seq: number;
  created_at: Int8;
}

export function toNote(row: NoteRow): Note {
  const note: Note = {
    id: row.id,
    conversationId: row.conversation_id,
    kind: row.kind,
    text: row.text,
    afterSeq: row.after_seq,
    createdAt: Number(row.created_at),
  };
  if (row.agent_name !== null) note.agentName = row.agent_name;
  if (row.client_id !== null) note.clientId = row.client_id;
  return note;
}

export interface LoadRow {
  assignee: string;
  open: number;
  last_assigned_at: Int8 | null;
}

export function toLoad(row: LoadRow): AssigneeLoad {
  return { agent: row.assignee, open: Number(row.open), lastAssignedAt: Number(row.last_assigned_at ?? 0) };
}

let noteCounter = 0;

/**
 * A note id that sorts by creation time within a process (base-36 milliseconds, then a counter), so two entries of
 * the same millisecond (an unassignment and the assignment that follows it) keep their order; random bytes keep ids
 * of different processes apart.
 */
export function noteId(at: number): string {
  noteCounter = (noteCounter + 1) % 36 ** 4;
  return `${at.toString(36).padStart(9, '0')}${noteCounter.toString(36).padStart(4, '0')}${randomBytes(6).toString('hex')}`;
}
