import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { CANNED, type CannedReply, type PageInfo, type PageView } from '../../../../src/protocol';
import {
  type CandidateRow,
  type CannedRow,
  type PageViewRow,
  shortcutTaken,
  toCandidate,
  toCanned,
  toPageView,
} from '../console-rows';
import {
  CANNED_COLUMNS,
  CANNED_LIST,
  earlierConversationsSql,
  pageViewsSql,
  recordPageViewSql,
  trimPageViewsSql,
  visitorCandidatesSql,
} from '../console-sql';
import { type SummaryRow, toSummary } from '../rows';
import { candidateConversations, candidateLimit, ftsQuery, rankHits, type SearchTerms } from '../search';
import { SUMMARY_SELECT } from '../sql';
import { ConflictError, NotFoundError, type StoredSearchHit, type StoredSummary } from '../types';

/** The SQLite store's console tools: search (FTS5), canned replies, visitor context. Callers wrap each in `guard`. */
export class SqliteConsoleTools {
  private readonly q;
  private readonly record;

  constructor(db: Database.Database) {
    this.q = statements(db);
    const q = this.q;
    this.record = db.transaction((params: { visitor: string; url: string; title: string; at: number }) => {
      if (q.recordPage.run(params).changes > 0) q.trimPages.run({ visitor: params.visitor });
    });
  }

  search(terms: SearchTerms, limit: number): StoredSearchHit[] {
    const rows = candidateLimit(limit);
    const candidates = [
      ...this.q.messageCandidates.all(ftsQuery(terms), rows).map(toCandidate('message')),
      ...this.q.noteCandidates.all(ftsQuery(terms), rows).map(toCandidate('note')),
      ...this.q.visitorCandidates.all({ needle: terms.needle, limit: rows }).map(toCandidate('visitor')),
    ];
    const ids = JSON.stringify(candidateConversations(candidates));
    const summaries = new Map(this.q.summaries.all(ids).map((row) => [row.id, toSummary(row)]));
    return rankHits(candidates, summaries, terms, limit);
  }

  cannedReplies(): CannedReply[] {
    return this.q.cannedList.all().map(toCanned);
  }

  saveCannedReply(input: { id?: string; shortcut: string; text: string; agentName: string; now: number }): CannedReply {
    const params = { ...input, id: input.id ?? randomUUID() };
    try {
      const row =
        input.id === undefined
          ? this.q.cannedInsert.get({ ...params, max: CANNED.maxReplies })
          : this.q.cannedUpdate.get(params);
      if (row) return toCanned(row);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw shortcutTaken(input.shortcut);
      throw err;
    }
    if (input.id !== undefined) throw new NotFoundError('no such canned reply');
    throw new ConflictError(`at most ${CANNED.maxReplies} canned replies`);
  }

  deleteCannedReply(id: string): boolean {
    return this.q.cannedDelete.run(id).changes > 0;
  }

  recordPageView(visitorId: string, page: PageInfo, now: number): void {
    this.record.immediate({ visitor: visitorId, url: page.url, title: page.title, at: now });
  }

  pageViews(conversationId: string): PageView[] {
    return this.q.pageViews.all(conversationId).map(toPageView);
  }

  earlierConversations(conversationId: string, limit: number): StoredSummary[] {
    return this.q.earlier.all({ id: conversationId, limit }).map(toSummary);
  }
}

function statements(db: Database.Database) {
  return {
    // Newest first: FTS5 walks its index backwards by rowid, so a common word does not make the query read every match.
    messageCandidates: db.prepare<[string, number], CandidateRow>(
      `SELECT m.conversation_id, m.seq, m.text, m.created_at AS at
         FROM messages_fts f JOIN messages m ON m.rowid = f.rowid
        WHERE messages_fts MATCH ? ORDER BY f.rowid DESC LIMIT ?`,
    ),
    // A note's hit opens the conversation at the message it follows.
    noteCandidates: db.prepare<[string, number], CandidateRow>(
      `SELECT n.conversation_id, n.after_seq AS seq, n.text, n.created_at AS at
         FROM notes_fts f JOIN notes n ON n.rowid = f.rowid
        WHERE notes_fts MATCH ? AND n.kind = 'note' ORDER BY f.rowid DESC LIMIT ?`,
    ),
    visitorCandidates: db.prepare<{ needle: string; limit: number }, CandidateRow>(
      visitorCandidatesSql({ needle: '@needle', limit: '@limit', position: 'instr' }),
    ),
    summaries: db.prepare<[string], SummaryRow>(`${SUMMARY_SELECT} WHERE c.id IN (SELECT value FROM json_each(?))`),
    cannedList: db.prepare<[], CannedRow>(CANNED_LIST),
    cannedInsert: db.prepare<Record<string, unknown>, CannedRow>(
      `INSERT INTO canned_replies (${CANNED_COLUMNS})
       SELECT @id, @shortcut, @text, @agentName, @now WHERE (SELECT count(*) FROM canned_replies) < @max
       RETURNING ${CANNED_COLUMNS}`,
    ),
    cannedUpdate: db.prepare<Record<string, unknown>, CannedRow>(
      `UPDATE canned_replies SET shortcut = @shortcut, text = @text, updated_by = @agentName, updated_at = @now
        WHERE id = @id RETURNING ${CANNED_COLUMNS}`,
    ),
    cannedDelete: db.prepare<[string]>('DELETE FROM canned_replies WHERE id = ?'),
    recordPage: db.prepare(recordPageViewSql({ visitor: '@visitor', url: '@url', title: '@title', at: '@at' })),
    trimPages: db.prepare<{ visitor: string }>(trimPageViewsSql('@visitor')),
    pageViews: db.prepare<[string], PageViewRow>(pageViewsSql('?')),
    earlier: db.prepare<{ id: string; limit: number }, SummaryRow>(
      earlierConversationsSql({ id: '@id', limit: '@limit' }),
    ),
  };
}
