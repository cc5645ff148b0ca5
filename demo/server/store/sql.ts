// SQL both stores run, written once. Where the two dialects differ only in how a parameter is written (`?`, `@name`
// or `$1::bigint`), a fragment is a function of its parameters' placeholders; what really differs (PostgreSQL's
// one-statement append, SQLite's `min`/`max` against PostgreSQL's `LEAST`/`GREATEST`) stays in each store.

/** Characters of the last message a conversation summary carries. */
export const PREVIEW_LENGTH = 200;

export const MESSAGE_COLUMNS = 'id, conversation_id, seq, author, agent_name, client_id, text, created_at';

export const VISITOR_COLUMNS =
  'id, site, page_url, page_title, locale, user_agent, user_id, name, email, verified, created_at, conversation_id';

/** Whether the visitor `v`'s reserved conversation exists, i.e. it stored a message. */
const STARTED = 'EXISTS (SELECT 1 FROM conversations c WHERE c.id = v.conversation_id) AS started';

/** A `SummaryRow` per conversation `c`; the caller adds WHERE, ORDER BY and LIMIT. */
export const SUMMARY_SELECT = `
  SELECT c.id, c.site, c.status, c.last_seq, c.last_activity_at, c.agent_read_seq, c.visitor_read_seq,
         v.id AS visitor_id, v.page_url, v.page_title, v.locale, v.user_agent, v.name, v.email, v.verified,
         m.author AS last_author, substr(m.text, 1, ${PREVIEW_LENGTH}) AS last_text,
         (SELECT CAST(count(*) AS INTEGER) FROM attachments f WHERE f.message_id = m.id) AS last_files,
         (SELECT min(f.name) FROM attachments f WHERE f.message_id = m.id) AS last_file_name,
         (SELECT CAST(count(*) AS INTEGER) FROM messages u
           WHERE u.conversation_id = c.id AND u.seq > c.agent_read_seq AND u.author = 'visitor') AS unread,
         c.assignee
    FROM conversations c
    JOIN visitors v ON v.id = c.visitor_id
    LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq`;

/** A `SessionRow` per session `s`; the caller adds WHERE. */
export const SESSION_SELECT = `
  SELECT s.token_hash, s.visitor_id, v.conversation_id, ${STARTED}, v.site, s.created_at, s.last_seen_at,
         v.user_id, v.name, v.email
    FROM sessions s
    JOIN visitors v ON v.id = s.visitor_id`;

/**
 * An anonymous visitor's address ($email, $id) and, from the pre-chat form, name ($name; null keeps the stored one);
 * `IS NOT` matches SQLite's null-safe comparison to PostgreSQL's.
 */
export function setVisitorEmailSql(
  email: string,
  id: string,
  name: string,
  differs: 'IS NOT' | 'IS DISTINCT FROM',
): string {
  return `UPDATE visitors SET email = ${email}, name = COALESCE(${name}, name)
   WHERE id = ${id} AND NOT verified AND (email ${differs} ${email} OR COALESCE(${name}, name) ${differs} name)`;
}

/** The `UserVisitorRow` of the visitor linked to (site, user id). */
export function visitorByUserSql(site: string, userId: string): string {
  return `
    SELECT v.id AS visitor_id, v.conversation_id, ${STARTED}
      FROM visitors v
     WHERE v.site = ${site} AND v.user_id = ${userId}`;
}

/** Creates the conversation `id` a visitor reserved; nothing when it exists or no visitor reserved that id. */
export function createConversationSql(id: string, now: string): string {
  return `
    INSERT INTO conversations (id, visitor_id, site, last_activity_at, created_at)
    SELECT conversation_id, id, site, ${now}, ${now} FROM visitors WHERE conversation_id = ${id}
    ON CONFLICT DO NOTHING`;
}

/** A visitor `v` that nothing needs any more: no session and no conversation. */
export const VISITOR_IDLE = `
  NOT EXISTS (SELECT 1 FROM sessions s WHERE s.visitor_id = v.id)
  AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.visitor_id = v.id)`;

/** Deletes up to `batch` sessions unused since `emptyBefore` whose visitor has no conversation, or unused since `idleBefore`. */
export function sweepSessionsSql(p: { idleBefore: string; emptyBefore: string; batch: string }): string {
  return `
    DELETE FROM sessions WHERE token_hash IN (
      SELECT s.token_hash FROM sessions s
       WHERE s.last_seen_at < ${p.emptyBefore}
         AND (s.last_seen_at < ${p.idleBefore}
              OR NOT EXISTS (SELECT 1 FROM conversations c WHERE c.visitor_id = s.visitor_id))
       LIMIT ${p.batch})
    RETURNING visitor_id`;
}

/**
 * Messages after `afterSeq` in seq order, at most `limit`, skipping those that start more than `textBytes` into the
 * page's texts: see `PAGE_TEXT_BYTES` in page.ts, messages that start after a page's worth of text are not even read.
 */
export function messagesAfterSql(p: { conversationId: string; afterSeq: string; limit: string; textBytes: string }) {
  return `
    SELECT ${MESSAGE_COLUMNS} FROM (
      SELECT *, SUM(octet_length(text)) OVER (ORDER BY seq) - octet_length(text) AS text_before
        FROM (SELECT ${MESSAGE_COLUMNS} FROM messages
               WHERE conversation_id = ${p.conversationId} AND seq > ${p.afterSeq} ORDER BY seq LIMIT ${p.limit}) AS head
    ) AS page WHERE text_before <= ${p.textBytes} ORDER BY seq`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Ownership and the agent-only timeline (issue 14)

/** Which conversations a list returns by owner: anyone's, nobody's, or one agent's (a parameter). */
export type ListOwner = 'any' | 'none' | 'one';

/**
 * A `SummaryRow` list, most recently active first. Parameters in order: the status when `byStatus`, the agent when
 * `owner` is `one`, then the limit; `param(i)` writes the i-th (1-based) placeholder.
 */
export function listSql(byStatus: boolean, owner: ListOwner, order: string, param: (i: number) => string): string {
  const where: string[] = [];
  let i = 0;
  if (byStatus) where.push(`c.status = ${param(++i)}`);
  if (owner === 'none') where.push('c.assignee IS NULL');
  if (owner === 'one') where.push(`c.assignee = ${param(++i)}`);
  return `${SUMMARY_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${order} LIMIT ${param(++i)}`;
}

export const NOTE_COLUMNS = 'id, conversation_id, kind, agent_name, text, client_id, after_seq, created_at';

/**
 * Stores a note after the conversation's current last message; no row when the conversation does not exist or the
 * (conversation, agent, client id) is already stored.
 */
export function insertNoteSql(p: {
  id: string;
  conversationId: string;
  kind: string;
  agentName: string;
  text: string;
  clientId: string;
  now: string;
}): string {
  return `
    INSERT INTO notes (${NOTE_COLUMNS})
    SELECT ${p.id}, c.id, ${p.kind}, ${p.agentName}, ${p.text}, ${p.clientId}, c.last_seq, ${p.now}
      FROM conversations c WHERE c.id = ${p.conversationId}
    ON CONFLICT DO NOTHING
    RETURNING ${NOTE_COLUMNS}`;
}

export function noteByClientIdSql(conversationId: string, agentName: string, clientId: string): string {
  return `SELECT ${NOTE_COLUMNS} FROM notes
           WHERE conversation_id = ${conversationId} AND agent_name = ${agentName} AND client_id = ${clientId}`;
}

/** Notes placed after seqs `from` to `to - 1`, in thread order, at most `limit`. */
export function notesBetweenSql(p: { conversationId: string; from: string; to: string; limit: string }): string {
  return `SELECT ${NOTE_COLUMNS} FROM notes
           WHERE conversation_id = ${p.conversationId} AND after_seq >= ${p.from} AND after_seq < ${p.to}
           ORDER BY after_seq, created_at, id LIMIT ${p.limit}`;
}

/**
 * Sets the assignee; with a `from` placeholder, only while the current assignee is that (NULL: nobody), which is how
 * two writers racing on one conversation cannot both win. `same` is the dialect's null-safe equality (SQLite `IS`,
 * PostgreSQL `IS NOT DISTINCT FROM`); without `from`, a row that already has that assignee is left alone.
 */
export function assignSql(p: { id: string; to: string; now: string; from?: string }, same: string): string {
  const when = p.from !== undefined ? `assignee ${same} ${p.from}` : `NOT (assignee ${same} ${p.to})`;
  return `UPDATE conversations SET assignee = ${p.to}, assigned_at = ${p.now} WHERE id = ${p.id} AND ${when}`;
}

/**
 * Auto-assignment's conditional write: the conversation goes to the agent only if it is open, nobody owns it, and
 * the agent owns fewer than `capacity` open conversations, checked in the same statement.
 */
export function claimSql(p: { id: string; agent: string; capacity: string; now: string }): string {
  return `
    UPDATE conversations SET assignee = ${p.agent}, assigned_at = ${p.now}
     WHERE id = ${p.id} AND assignee IS NULL AND status = 'open'
       AND (SELECT count(*) FROM conversations o WHERE o.assignee = ${p.agent} AND o.status = 'open') < ${p.capacity}`;
}

/** A `LoadRow` per agent who owns or owned a conversation. */
export const LOAD_SQL = `
  SELECT assignee, CAST(SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS INTEGER) AS open,
         MAX(assigned_at) AS last_assigned_at
    FROM conversations WHERE assignee IS NOT NULL GROUP BY assignee`;

/** Open conversations nobody owns, oldest first. */
export function waitingSql(limit: string): string {
  return `SELECT id FROM conversations WHERE status = 'open' AND assignee IS NULL ORDER BY created_at, id LIMIT ${limit}`;
}

/** Open conversations of an agent with no agent message since they were assigned, oldest first. */
export function unansweredSql(agent: string, limit: string): string {
  return `
    SELECT c.id FROM conversations c
     WHERE c.assignee = ${agent} AND c.status = 'open'
       AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.author = 'agent'
                        AND m.created_at >= c.assigned_at)
     ORDER BY c.created_at, c.id LIMIT ${limit}`;
}
