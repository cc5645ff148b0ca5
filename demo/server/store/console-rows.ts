import type { CannedReply, PageView, SearchField } from '../../../src/protocol';
import type { Candidate } from './search';
import { ConflictError } from './types';

// Rows of the console tools' tables as both stores read them (see rows.ts for the Int8 convention).

type Int8 = string | number;

export interface CannedRow {
  id: string;
  shortcut: string;
  text: string;
  updated_by: string;
  updated_at: Int8;
}

export interface PageViewRow {
  url: string;
  title: string;
  at: Int8;
}

export interface CandidateRow {
  conversation_id: string;
  seq?: number | null;
  text: string;
  at: Int8;
}

export function toCanned(row: CannedRow): CannedReply {
  return {
    id: row.id,
    shortcut: row.shortcut,
    text: row.text,
    source: 'db',
    updatedBy: row.updated_by,
    updatedAt: Number(row.updated_at),
  };
}

export function toPageView(row: PageViewRow): PageView {
  return { url: row.url, title: row.title, at: Number(row.at) };
}

export function toCandidate(field: SearchField): (row: CandidateRow) => Candidate {
  return (row) => {
    const candidate: Candidate = { conversationId: row.conversation_id, field, text: row.text, at: Number(row.at) };
    if (row.seq !== undefined && row.seq !== null) candidate.seq = row.seq;
    return candidate;
  };
}

export function shortcutTaken(shortcut: string): ConflictError {
  return new ConflictError(`the shortcut /${shortcut} is already used`);
}
