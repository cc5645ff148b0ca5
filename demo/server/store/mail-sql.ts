// SQL of the email queue (issue 15) that both stores run, by placeholder, as in sql.ts. Kept apart from sql.ts so the
// queue can be read in one place.

import type { TranscriptCounts } from './types';

const JOB_COLUMNS = 'id, kind, conversation_id, recipient, attempts, created_at, claim';

/** A new job; a second pending follow-up of a conversation is refused by `mail_jobs_one_followup` and ignored. */
export function insertMailJobSql(p: {
  id: string;
  kind: string;
  conversationId: string;
  recipient: string;
  dueAt: string;
  now: string;
}): string {
  return `
    INSERT INTO mail_jobs (id, kind, conversation_id, recipient, due_at, created_at)
    VALUES (${p.id}, ${p.kind}, ${p.conversationId}, ${p.recipient}, ${p.dueAt}, ${p.now})
    ON CONFLICT DO NOTHING`;
}

/**
 * Leases the most overdue job whose lease (if any) has ended: one statement, so two processes never hold the same
 * job. `skipLocked` (PostgreSQL) lets concurrent claimers pass over a row another one is taking; SQLite has one
 * writer at a time and needs none.
 */
export function claimMailJobSql(p: { now: string; until: string; claim: string }, skipLocked: boolean): string {
  return `
    UPDATE mail_jobs SET lease_until = ${p.until}, claim = ${p.claim}, attempts = attempts + 1
     WHERE id = (SELECT id FROM mail_jobs
                  WHERE state = 'pending' AND due_at <= ${p.now} AND lease_until <= ${p.now}
                  ORDER BY due_at LIMIT 1${skipLocked ? ' FOR UPDATE SKIP LOCKED' : ''})
    RETURNING ${JOB_COLUMNS}`;
}

/**
 * Records what became of a claimed job, only while the claim is still this one's (a process whose lease ran out
 * must not overwrite the outcome of the one that took the job over). `pending` with a later `dueAt` is a retry.
 */
export function finishMailJobSql(p: {
  id: string;
  claim: string;
  state: string;
  dueAt: string;
  uptoSeq: string;
  error: string;
  now: string;
}): string {
  return `
    UPDATE mail_jobs SET state = ${p.state}, due_at = coalesce(${p.dueAt}, due_at), lease_until = 0,
           upto_seq = coalesce(${p.uptoSeq}, upto_seq),
           last_error = ${p.error}, done_at = CASE WHEN ${p.state} = 'pending' THEN NULL ELSE ${p.now} END
     WHERE id = ${p.id} AND claim = ${p.claim} AND state = 'pending'`;
}

/** What a follow-up needs of its conversation: where to send, what the visitor has seen and was already sent. */
export function mailContextSql(conversationId: string): string {
  return `
    SELECT c.site, c.visitor_read_seq, v.email, v.page_url, v.name,
           (SELECT coalesce(max(j.upto_seq), 0) FROM mail_jobs j
             WHERE j.conversation_id = c.id AND j.kind = 'followup' AND j.state = 'sent') AS emailed_seq
      FROM conversations c JOIN visitors v ON v.id = c.visitor_id
     WHERE c.id = ${conversationId}`;
}

export function insertReplyTokenSql(token: string, conversationId: string): string {
  return `INSERT INTO reply_tokens (token, conversation_id) VALUES (${token}, ${conversationId}) ON CONFLICT DO NOTHING`;
}

export function replyTokenSql(token: string): string {
  return `SELECT conversation_id FROM reply_tokens WHERE token = ${token}`;
}

/** Transcripts queued since `since` (rate limits): for one conversation, one address, one site. */
export function transcriptCountsSql(p: { conversationId: string; recipient: string; site: string; since: string }) {
  return `
    SELECT CAST(count(*) FILTER (WHERE j.conversation_id = ${p.conversationId}) AS INTEGER) AS conversation,
           CAST(count(*) FILTER (WHERE j.recipient = ${p.recipient}) AS INTEGER) AS recipient,
           CAST(count(*) AS INTEGER) AS site
      FROM mail_jobs j JOIN conversations c ON c.id = j.conversation_id
     WHERE j.kind = 'transcript' AND j.created_at >= ${p.since} AND c.site = ${p.site}`;
}

/** Whether one more transcript fits under every limit. */
export function transcriptFits(counts: TranscriptCounts, limits: TranscriptCounts): boolean {
  return counts.conversation < limits.conversation && counts.recipient < limits.recipient && counts.site < limits.site;
}

export interface MailJobRow {
  id: string;
  kind: 'followup' | 'transcript';
  conversation_id: string;
  recipient: string | null;
  attempts: number;
  created_at: string | number;
  claim: string;
}

export interface MailContextRow {
  site: string;
  visitor_read_seq: number;
  email: string | null;
  page_url: string | null;
  name: string | null;
  emailed_seq: number;
}
