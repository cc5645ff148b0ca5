import type Database from 'better-sqlite3';
import {
  ATTACHMENT_COLUMNS,
  type AttachmentRow,
  claimAttachmentSql,
  servableAttachmentSql,
  sweepAttachmentsSql,
  toAttachment,
} from '../attachment-sql';
import { type AttachmentClaim, AttachmentClaimError, type NewAttachment, type StoredAttachment } from '../types';

/** The SQLite store's attachment statements and operations (issue 16), kept out of store.ts. */
export function attachmentStatements(db: Database.Database) {
  return {
    insertAttachment: db.prepare(
      `INSERT INTO attachments (${ATTACHMENT_COLUMNS})
       VALUES (@id, @conversationId, @owner, NULL, @name, @type, @size, @width, @height, @thumb, @createdAt)`,
    ),
    claimAttachment: db.prepare(
      claimAttachmentSql({
        id: '@id',
        messageId: '@messageId',
        owner: '@owner',
        conversationId: '@conversationId',
        uploadedAfter: '@uploadedAfter',
      }),
    ),
    // json_each keeps one prepared statement for any number of ids.
    attachmentsOf: db.prepare<[string], AttachmentRow>(
      `SELECT ${ATTACHMENT_COLUMNS} FROM attachments
        WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY created_at, id`,
    ),
    servableAttachment: db.prepare<[string], AttachmentRow>(servableAttachmentSql('?')),
    sweepAttachments: db.prepare<{ pendingBefore: number; batch: number }, { id: string; thumb: number }>(
      sweepAttachmentsSql({ pendingBefore: '@pendingBefore', batch: '@batch' }),
    ),
  };
}

type AttachmentStatements = ReturnType<typeof attachmentStatements>;

/** Runs inside the append's transaction: a failed claim throws, which rolls the message back too. */
export function claimAttachments(
  q: AttachmentStatements,
  conversationId: string,
  messageId: string,
  claim: AttachmentClaim,
): void {
  for (const id of claim.ids) {
    const params = { id, messageId, owner: claim.owner, conversationId, uploadedAfter: claim.uploadedAfter };
    if (q.claimAttachment.run(params).changes !== 1) {
      throw new AttachmentClaimError(`attachment ${id.slice(0, 64)} is not a pending upload of yours`);
    }
  }
}

export function insertAttachment(q: AttachmentStatements, a: NewAttachment): void {
  q.insertAttachment.run({ ...a, width: a.width ?? null, height: a.height ?? null, thumb: a.thumb ? 1 : 0 });
}

export function attachmentsOf(q: AttachmentStatements, messageIds: readonly string[]) {
  const byMessage = new Map<string, StoredAttachment[]>();
  if (messageIds.length === 0) return byMessage;
  for (const row of q.attachmentsOf.all(JSON.stringify(messageIds))) {
    const stored = toAttachment(row);
    const list = byMessage.get(row.message_id!) ?? [];
    list.push(stored);
    byMessage.set(row.message_id!, list);
  }
  return byMessage;
}

export function sweepAttachments(q: AttachmentStatements, input: { pendingBefore: number; batch: number }) {
  return q.sweepAttachments.all(input).map((row) => ({ id: row.id, thumb: Boolean(row.thumb) }));
}

export function servableAttachment(q: AttachmentStatements, id: string): StoredAttachment | undefined {
  const row = q.servableAttachment.get(id);
  return row && toAttachment(row);
}
