import type { StoredAttachment } from './types';

// Attachments' rows and SQL, shared by both stores (issue 16). Placeholders are passed in, as in sql.ts.

/** Booleans are 0/1 from SQLite and true/false from PostgreSQL; BIGINT comes back from pg as a string. */
export interface AttachmentRow {
  id: string;
  conversation_id: string;
  owner: string;
  message_id: string | null;
  name: string;
  type: string;
  size: number | string;
  width: number | null;
  height: number | null;
  thumb: boolean | number;
  created_at: number | string;
}

export const ATTACHMENT_COLUMNS =
  'id, conversation_id, owner, message_id, name, type, size, width, height, thumb, created_at';

export function toAttachment(row: AttachmentRow): StoredAttachment {
  const stored: StoredAttachment = {
    id: row.id,
    conversationId: row.conversation_id,
    owner: row.owner,
    messageId: row.message_id,
    name: row.name,
    type: row.type,
    size: Number(row.size),
    thumb: Boolean(row.thumb),
    createdAt: Number(row.created_at),
  };
  if (row.width !== null && row.height !== null) {
    stored.width = row.width;
    stored.height = row.height;
  }
  return stored;
}

/**
 * Claims one pending attachment for a message: only the uploader's, of the message's conversation, uploaded since
 * `uploadedAfter`. The sweep deletes pending files only well before that cutoff (see `attachments/sweep.ts`), so a
 * file being swept can never be claimed.
 */
export function claimAttachmentSql(p: {
  id: string;
  messageId: string;
  owner: string;
  conversationId: string;
  uploadedAfter: string;
}) {
  return `UPDATE attachments SET message_id = ${p.messageId}
           WHERE id = ${p.id} AND owner = ${p.owner} AND conversation_id = ${p.conversationId}
             AND message_id IS NULL AND created_at >= ${p.uploadedAfter}`;
}

/**
 * A downloadable attachment: claimed, and its message still exists (a deleted message or conversation stops its files
 * at once, before the sweep removes the bytes).
 */
export function servableAttachmentSql(id: string) {
  return `SELECT ${ATTACHMENT_COLUMNS} FROM attachments a
           WHERE a.id = ${id} AND EXISTS (SELECT 1 FROM messages m WHERE m.id = a.message_id)`;
}

/**
 * Deletes (and returns) at most `batch` attachments that must go: pending ones uploaded before `pendingBefore`, and
 * claimed ones whose message is gone (its conversation deleted or expired). The rows go first, in one statement that
 * re-checks the condition, so a claim can never succeed on a file the sweep is about to delete; the caller then
 * deletes the bytes.
 */
export function sweepAttachmentsSql(p: { pendingBefore: string; batch: string }) {
  const doomed = (t: string) => `(${t}.message_id IS NULL AND ${t}.created_at < ${p.pendingBefore})
     OR (${t}.message_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = ${t}.message_id))`;
  // The condition again at the top: PostgreSQL re-checks it on a row another transaction changed meanwhile.
  return `DELETE FROM attachments AS d WHERE d.id IN (
            SELECT a.id FROM attachments a WHERE ${doomed('a')} LIMIT ${p.batch}) AND (${doomed('d')})
          RETURNING id, thumb`;
}
