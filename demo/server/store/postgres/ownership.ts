import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { ConversationStatus, Note } from '../../../../src/protocol';
import { fitBytes } from '../page';
import { type LoadRow, type NoteRow, noteId, type SummaryRow, toLoad, toNote } from '../rows';
import {
  assignSql,
  claimSql,
  insertNoteSql,
  type ListOwner,
  LOAD_SQL,
  listSql,
  noteByClientIdSql,
  notesBetweenSql,
  unansweredSql,
  waitingSql,
} from '../sql';
import { type AssigneeLoad, type NewNote, NOTES_PAGE, NotFoundError } from '../types';

/** PostgreSQL's side of ownership and the agent-only timeline (see `Store` in types.ts). */

/** First key of the advisory lock that serialises claims for one agent ('PRLA'); the second is a hash of the name. */
const CLAIM_LOCK_KEY = 0x50524c41;

const param = (i: number) => `$${i}`;
// Ties on activity are broken by id in byte order, as SQLite does, whatever the database's collation.
const ORDER = 'ORDER BY c.last_activity_at DESC, c.id COLLATE "C"';

export const OWNERSHIP_SQL = {
  // $1 id, $2 conversation, $3 kind, $4 agent, $5 text, $6 client id, $7 now.
  insertNote: insertNoteSql({
    id: '$1::text',
    conversationId: '$2::text',
    kind: '$3::text',
    agentName: '$4::text',
    text: '$5::text',
    clientId: '$6::text',
    now: '$7::bigint',
  }),
  noteByClientId: noteByClientIdSql('$1', '$2', '$3'),
  notesBetween: notesBetweenSql({ conversationId: '$1', from: '$2::bigint', to: '$3::bigint', limit: '$4' }),
  assign: assignSql({ id: '$1', to: '$2::text', now: '$3::bigint' }, 'IS NOT DISTINCT FROM'),
  assignFrom: assignSql({ id: '$1', to: '$2::text', now: '$3::bigint', from: '$4::text' }, 'IS NOT DISTINCT FROM'),
  claimLock: `SELECT pg_advisory_xact_lock(${CLAIM_LOCK_KEY}, hashtext($1))`,
  claim: claimSql({ id: '$1', agent: '$2::text', capacity: '$3::bigint', now: '$4::bigint' }),
  load: LOAD_SQL,
  waiting: waitingSql('$1'),
  unanswered: unansweredSql('$1', '$2'),
  listAny: listSql(false, 'any', ORDER, param),
  listNone: listSql(false, 'none', ORDER, param),
  listOne: listSql(false, 'one', ORDER, param),
  listStatusAny: listSql(true, 'any', ORDER, param),
  listStatusNone: listSql(true, 'none', ORDER, param),
  listStatusOne: listSql(true, 'one', ORDER, param),
} as const;

type Query = <R extends QueryResultRow>(text: string, values?: unknown[]) => Promise<QueryResult<R>>;
type Transaction = <T>(fn: (client: PoolClient) => Promise<T>) => Promise<T>;

export async function listConversations(
  query: Query,
  filter: { status: ConversationStatus | 'all'; assignee: string | null | undefined; limit: number },
): Promise<SummaryRow[]> {
  const owner: ListOwner = filter.assignee === undefined ? 'any' : filter.assignee === null ? 'none' : 'one';
  const key = `list${filter.status === 'all' ? '' : 'Status'}${owner[0]!.toUpperCase()}${owner.slice(1)}`;
  const values: unknown[] = [];
  if (filter.status !== 'all') values.push(filter.status);
  if (owner === 'one') values.push(filter.assignee);
  values.push(filter.limit);
  return (await query<SummaryRow>(OWNERSHIP_SQL[key as keyof typeof OWNERSHIP_SQL], values)).rows;
}

export async function addNote(query: Query, input: NewNote): Promise<{ note: Note; duplicate: boolean }> {
  const values = [
    noteId(input.at),
    input.conversationId,
    input.kind,
    input.agentName ?? null,
    input.text,
    input.clientId ?? null,
    input.at,
  ];
  const inserted = (await query<NoteRow>(OWNERSHIP_SQL.insertNote, values)).rows[0];
  if (inserted) return { note: toNote(inserted), duplicate: false };
  const existing =
    input.agentName !== undefined && input.clientId !== undefined
      ? (await query<NoteRow>(OWNERSHIP_SQL.noteByClientId, [input.conversationId, input.agentName, input.clientId]))
          .rows[0]
      : undefined;
  if (!existing) throw new NotFoundError('conversation not found');
  return { note: toNote(existing), duplicate: true };
}

export async function notesBetween(
  query: Query,
  conversationId: string,
  range: { from: number; to?: number; limit?: number },
): Promise<Note[]> {
  const values = [conversationId, range.from, range.to ?? Number.MAX_SAFE_INTEGER, range.limit ?? NOTES_PAGE];
  return fitBytes((await query<NoteRow>(OWNERSHIP_SQL.notesBetween, values)).rows.map(toNote));
}

export async function assign(
  query: Query,
  conversationId: string,
  change: { to: string | null; at: number; from?: string | null },
): Promise<boolean> {
  const result =
    change.from === undefined
      ? await query(OWNERSHIP_SQL.assign, [conversationId, change.to, change.at])
      : await query(OWNERSHIP_SQL.assignFrom, [conversationId, change.to, change.at, change.from]);
  return (result.rowCount ?? 0) > 0;
}

/**
 * Under READ COMMITTED two claims for one agent on different conversations would both count the same open ones and
 * both pass the capacity check; the advisory lock, held to the end of the transaction, makes the second count after
 * the first committed.
 */
export function claim(
  transaction: Transaction,
  claimed: { id: string; agent: string; capacity: number; at: number },
): Promise<boolean> {
  return transaction(async (client) => {
    await client.query(OWNERSHIP_SQL.claimLock, [claimed.agent]);
    const result = await client.query(OWNERSHIP_SQL.claim, [claimed.id, claimed.agent, claimed.capacity, claimed.at]);
    return (result.rowCount ?? 0) > 0;
  });
}

export async function assignmentLoad(query: Query): Promise<AssigneeLoad[]> {
  return (await query<LoadRow>(OWNERSHIP_SQL.load)).rows.map(toLoad);
}

export async function ids(query: Query, text: string, values: unknown[]): Promise<string[]> {
  return (await query<{ id: string }>(text, values)).rows.map((row) => row.id);
}
