import type Database from 'better-sqlite3';
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

/** SQLite's side of ownership and the agent-only timeline (see `Store` in types.ts). */
export function ownershipStatements(db: Database.Database) {
  const note = {
    id: '@id',
    conversationId: '@conversationId',
    kind: '@kind',
    agentName: '@agentName',
    text: '@text',
    clientId: '@clientId',
    now: '@now',
  };
  return {
    insertNote: db.prepare<Record<string, unknown>, NoteRow>(insertNoteSql(note)),
    noteByClientId: db.prepare<[string, string, string], NoteRow>(noteByClientIdSql('?', '?', '?')),
    notesBetween: db.prepare<[string, number, number, number], NoteRow>(
      notesBetweenSql({ conversationId: '?', from: '?', to: '?', limit: '?' }),
    ),
    assign: db.prepare(assignSql({ id: '@id', to: '@to', now: '@now' }, 'IS')),
    assignFrom: db.prepare(assignSql({ id: '@id', to: '@to', now: '@now', from: '@from' }, 'IS')),
    claim: db.prepare(claimSql({ id: '@id', agent: '@agent', capacity: '@capacity', now: '@now' })),
    load: db.prepare<[], LoadRow>(LOAD_SQL),
    waiting: db.prepare<[number], { id: string }>(waitingSql('?')),
    unanswered: db.prepare<[string, number], { id: string }>(unansweredSql('?', '?')),
  };
}

type OwnershipStatements = ReturnType<typeof ownershipStatements>;

/** Runs a conversation list with one prepared statement per combination of filters, prepared on first use. */
export function listStatements(db: Database.Database, order: string) {
  const cache = new Map<string, Database.Statement<unknown[], SummaryRow>>();
  return (status: ConversationStatus | 'all', assignee: string | null | undefined, limit: number): SummaryRow[] => {
    const owner: ListOwner = assignee === undefined ? 'any' : assignee === null ? 'none' : 'one';
    const key = `${status}:${owner}`.replace(/^(open|resolved)/, 'one');
    let statement = cache.get(key);
    if (!statement) {
      statement = db.prepare<unknown[], SummaryRow>(listSql(status !== 'all', owner, order, () => '?'));
      cache.set(key, statement);
    }
    const params: unknown[] = [];
    if (status !== 'all') params.push(status);
    if (owner === 'one') params.push(assignee);
    return statement.all(...params, limit);
  };
}

export function addNote(q: OwnershipStatements, input: NewNote): { note: Note; duplicate: boolean } {
  const params = {
    id: noteId(input.at),
    conversationId: input.conversationId,
    kind: input.kind,
    agentName: input.agentName ?? null,
    text: input.text,
    clientId: input.clientId ?? null,
    now: input.at,
  };
  const inserted = q.insertNote.get(params);
  if (inserted) return { note: toNote(inserted), duplicate: false };
  const existing =
    input.agentName !== undefined && input.clientId !== undefined
      ? q.noteByClientId.get(input.conversationId, input.agentName, input.clientId)
      : undefined;
  if (!existing) throw new NotFoundError('conversation not found');
  return { note: toNote(existing), duplicate: true };
}

export function notesBetween(
  q: OwnershipStatements,
  conversationId: string,
  range: { from: number; to?: number; limit?: number },
): Note[] {
  const rows = q.notesBetween.all(
    conversationId,
    range.from,
    range.to ?? Number.MAX_SAFE_INTEGER,
    range.limit ?? NOTES_PAGE,
  );
  return fitBytes(rows.map(toNote));
}

export function assign(
  q: OwnershipStatements,
  conversationId: string,
  change: { to: string | null; at: number; from?: string | null },
): boolean {
  const params = { id: conversationId, to: change.to, now: change.at };
  if (change.from === undefined) return q.assign.run(params).changes > 0;
  return q.assignFrom.run({ ...params, from: change.from }).changes > 0;
}

export function claim(q: OwnershipStatements, id: string, agent: string, capacity: number, at: number): boolean {
  return q.claim.run({ id, agent, capacity, now: at }).changes > 0;
}

export function assignmentLoad(q: OwnershipStatements): AssigneeLoad[] {
  return q.load.all().map(toLoad);
}
