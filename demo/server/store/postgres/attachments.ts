import type { PoolClient, QueryResultRow } from 'pg';
import {
  ATTACHMENT_COLUMNS,
  type AttachmentRow,
  claimAttachmentSql,
  servableAttachmentSql,
  sweepAttachmentsSql,
  toAttachment,
} from '../attachment-sql';
import { type AttachmentClaim, AttachmentClaimError, type NewAttachment, type StoredAttachment } from '../types';

/** The PostgreSQL store's attachment statements and operations (issue 16), kept out of store.ts. */
export const ATTACHMENT_SQL = {
  insertAttachment: `INSERT INTO attachments (${ATTACHMENT_COLUMNS})
                     VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10)`,
  claimAttachment: claimAttachmentSql({
    id: '$1',
    messageId: '$2',
    owner: '$3',
    conversationId: '$4',
    uploadedAfter: '$5::bigint',
  }),
  attachmentsOf: `SELECT ${ATTACHMENT_COLUMNS} FROM attachments
                   WHERE message_id = ANY($1::text[]) ORDER BY created_at, id`,
  servableAttachment: servableAttachmentSql('$1'),
  sweepAttachments: sweepAttachmentsSql({ pendingBefore: '$1::bigint', batch: '$2' }),
} as const;

type Query = <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<{ rows: R[] }>;

/** Runs inside the append's transaction: a failed claim throws, which rolls the message back too. */
export async function claimAttachments(
  client: PoolClient,
  conversationId: string,
  messageId: string,
  claim: AttachmentClaim,
): Promise<void> {
  for (const id of claim.ids) {
    const values = [id, messageId, claim.owner, conversationId, claim.uploadedAfter];
    const { rowCount } = await client.query(ATTACHMENT_SQL.claimAttachment, values);
    if (rowCount !== 1)
      throw new AttachmentClaimError(`attachment ${id.slice(0, 64)} is not a pending upload of yours`);
  }
}

export async function insertAttachment(query: Query, a: NewAttachment): Promise<void> {
  await query(ATTACHMENT_SQL.insertAttachment, [
    a.id,
    a.conversationId,
    a.owner,
    a.name,
    a.type,
    a.size,
    a.width ?? null,
    a.height ?? null,
    a.thumb,
    a.createdAt,
  ]);
}

export async function attachmentsOf(query: Query, messageIds: readonly string[]) {
  const byMessage = new Map<string, StoredAttachment[]>();
  if (messageIds.length === 0) return byMessage;
  const { rows } = await query<AttachmentRow>(ATTACHMENT_SQL.attachmentsOf, [messageIds]);
  for (const row of rows) {
    const list = byMessage.get(row.message_id!) ?? [];
    list.push(toAttachment(row));
    byMessage.set(row.message_id!, list);
  }
  return byMessage;
}

export async function servableAttachment(query: Query, id: string): Promise<StoredAttachment | undefined> {
  const row = (await query<AttachmentRow>(ATTACHMENT_SQL.servableAttachment, [id])).rows[0];
  return row && toAttachment(row);
}

export async function sweepAttachments(query: Query, input: { pendingBefore: number; batch: number }) {
  const { rows } = await query<{ id: string; thumb: boolean }>(ATTACHMENT_SQL.sweepAttachments, [
    input.pendingBefore,
    input.batch,
  ]);
  return rows.map((row) => ({ id: row.id, thumb: Boolean(row.thumb) }));
}
