import { PAGE_HISTORY } from '../../../src/protocol';
import { SUMMARY_SELECT } from './sql';

// SQL of the console tools (search, canned replies, visitor context) that both stores run, written once; as in
// sql.ts, a fragment is a function of its parameters' placeholders where the dialects differ only in how those are
// written. Full-text matching itself differs (FTS5 against tsvector) and stays in each store.

export const CANNED_COLUMNS = 'id, shortcut, text, updated_by, updated_at';

export const CANNED_LIST = `SELECT ${CANNED_COLUMNS} FROM canned_replies ORDER BY shortcut`;

/**
 * Visitors whose name or email contains the needle: a conversation's visitor as a search candidate. `position` is the
 * dialect's substring function with (haystack, needle) arguments: `instr` in SQLite, `strpos` in PostgreSQL.
 */
export function visitorCandidatesSql(p: { needle: string; limit: string; position: 'instr' | 'strpos' }): string {
  return `
    SELECT c.id AS conversation_id, trim(coalesce(v.name, '') || ' ' || coalesce(v.email, '')) AS text,
           c.last_activity_at AS at
      FROM conversations c JOIN visitors v ON v.id = c.visitor_id
     WHERE ${p.position}(lower(v.name), ${p.needle}) > 0 OR ${p.position}(lower(v.email), ${p.needle}) > 0
     ORDER BY c.last_activity_at DESC LIMIT ${p.limit}`;
}

/** Adds `page` for `visitor` unless it is already the visitor's latest page (a reconnect, another tab). */
export function recordPageViewSql(p: { visitor: string; url: string; title: string; at: string }): string {
  return `
    INSERT INTO page_views (visitor_id, url, title, at)
    SELECT v.id, ${p.url}, ${p.title}, ${p.at} FROM visitors v
     WHERE v.id = ${p.visitor} AND NOT EXISTS (
       SELECT 1 FROM (SELECT url, title FROM page_views WHERE visitor_id = ${p.visitor} ORDER BY id DESC LIMIT 1) AS last
        WHERE last.url = ${p.url} AND last.title = ${p.title})`;
}

/** Drops the visitor's pages beyond the newest `PAGE_HISTORY`. */
export function trimPageViewsSql(visitor: string): string {
  return `
    DELETE FROM page_views WHERE visitor_id = ${visitor} AND id <= (
      SELECT id FROM page_views WHERE visitor_id = ${visitor} ORDER BY id DESC LIMIT 1 OFFSET ${PAGE_HISTORY})`;
}

export function pageViewsSql(conversationId: string): string {
  return `
    SELECT p.url, p.title, p.at FROM page_views p JOIN conversations c ON c.visitor_id = p.visitor_id
     WHERE c.id = ${conversationId} ORDER BY p.id DESC LIMIT ${PAGE_HISTORY}`;
}

/**
 * Summaries of the other conversations of the same person: visitors linked to the conversation's verified user (any
 * site), and anonymous visitors whose session was moved to its visitor by an identification (`merged_into`).
 */
export function earlierConversationsSql(p: { id: string; limit: string }): string {
  return `
    ${SUMMARY_SELECT}
     WHERE c.id <> ${p.id} AND c.visitor_id IN (
       SELECT o.id FROM conversations me JOIN visitors mv ON mv.id = me.visitor_id
         JOIN visitors o ON o.user_id = mv.user_id OR o.merged_into = mv.id
        WHERE me.id = ${p.id})
     ORDER BY c.last_activity_at DESC LIMIT ${p.limit}`;
}
