import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { QueryResultRow } from 'pg';
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
import { candidateConversations, candidateLimit, likePattern, rankHits, type SearchTerms, tsQuery } from '../search';
import { SUMMARY_SELECT } from '../sql';
import { ConflictError, NotFoundError, type StoredSearchHit, type StoredSummary } from '../types';

const MESSAGE_CANDIDATES = `
  SELECT conversation_id, seq, text, created_at AS at FROM messages
   WHERE text_tsv @@ to_tsquery('simple', $1)
   ORDER BY created_at DESC LIMIT $2`;

// Words, or the query as a substring anywhere (pg_trgm's index answers ILIKE for needles of 3 characters or more).
const MESSAGE_CANDIDATES_TRGM = `
  SELECT conversation_id, seq, text, created_at AS at FROM messages
   WHERE text_tsv @@ to_tsquery('simple', $1) OR text ILIKE $3
   ORDER BY created_at DESC LIMIT $2`;

export const CONSOLE_SQL = {
  messageCandidates: MESSAGE_CANDIDATES,
  messageCandidatesTrgm: MESSAGE_CANDIDATES_TRGM,
  // A note's hit opens the conversation at the message it follows.
  noteCandidates: `
    SELECT conversation_id, after_seq AS seq, text, created_at AS at FROM notes
     WHERE kind = 'note' AND text_tsv @@ to_tsquery('simple', $1)
     ORDER BY created_at DESC LIMIT $2`,
  visitorCandidates: visitorCandidatesSql({ needle: '$1', limit: '$2', position: 'strpos' }),
  summaries: `${SUMMARY_SELECT} WHERE c.id = ANY($1::text[])`,
  trigramReady: "SELECT to_regclass('messages_trgm') IS NOT NULL AS ready",
  cannedList: CANNED_LIST,
  cannedInsert: `
    INSERT INTO canned_replies (${CANNED_COLUMNS})
    SELECT $1, $2, $3, $4, $5 WHERE (SELECT count(*) FROM canned_replies) < $6
    RETURNING ${CANNED_COLUMNS}`,
  cannedUpdate: `
    UPDATE canned_replies SET shortcut = $2, text = $3, updated_by = $4, updated_at = $5
     WHERE id = $1 RETURNING ${CANNED_COLUMNS}`,
  cannedDelete: 'DELETE FROM canned_replies WHERE id = $1',
  // One statement: the insert and the trim see the same snapshot, so the trim counts the new row by a CTE instead.
  recordPage: `
    WITH added AS (${recordPageViewSql({ visitor: '$1', url: '$2', title: '$3', at: '$4::bigint' })} RETURNING id)
    SELECT count(*)::int AS added FROM added`,
  trimPages: trimPageViewsSql('$1'),
  pageViews: pageViewsSql('$1'),
  earlier: earlierConversationsSql({ id: '$1', limit: '$2' }),
} as const;

/**
 * Searches are planned for their own query every time: how many messages a word matches decides between walking the
 * newest messages and reading the word's index, and a generic plan (what a named statement falls back to) cannot know.
 */
const PLANNED_PER_QUERY = new Set<string>([CONSOLE_SQL.messageCandidates, CONSOLE_SQL.messageCandidatesTrgm]);

const STATEMENT_NAMES = new Map<string, string>(
  Object.entries(CONSOLE_SQL)
    .filter(([, text]) => !PLANNED_PER_QUERY.has(text))
    .map(([key, text]) => [text, `parley_console_${key}`]),
);

/** The PostgreSQL store's console tools: search (tsvector + pg_trgm), canned replies, visitor context. */
export class PostgresConsoleTools {
  private trigram: Promise<boolean> | undefined;

  constructor(private readonly pool: pg.Pool) {}

  // Named, like the store's statements, so each pooled connection plans a statement once.
  private query<R extends QueryResultRow>(text: string, values: unknown[] = []) {
    return this.pool.query<R>({ name: STATEMENT_NAMES.get(text), text, values });
  }

  async search(terms: SearchTerms, limit: number): Promise<StoredSearchHit[]> {
    const rows = candidateLimit(limit);
    // Substrings for one token (a code, part of an email or a word): several words are matched as words. Below 3
    // characters a trigram index cannot help: words only, rather than reading every message.
    const substring = !/\s/.test(terms.needle) && terms.needle.length >= 3 && (await this.trigramReady());
    const [messages, notes, visitors] = await Promise.all([
      substring
        ? this.query<CandidateRow>(CONSOLE_SQL.messageCandidatesTrgm, [tsQuery(terms), rows, likePattern(terms)])
        : this.query<CandidateRow>(CONSOLE_SQL.messageCandidates, [tsQuery(terms), rows]),
      this.query<CandidateRow>(CONSOLE_SQL.noteCandidates, [tsQuery(terms), rows]),
      this.query<CandidateRow>(CONSOLE_SQL.visitorCandidates, [terms.needle, rows]),
    ]);
    const candidates = [
      ...messages.rows.map(toCandidate('message')),
      ...notes.rows.map(toCandidate('note')),
      ...visitors.rows.map(toCandidate('visitor')),
    ];
    const ids = candidateConversations(candidates);
    const { rows: summaries } = await this.query<SummaryRow>(CONSOLE_SQL.summaries, [ids]);
    return rankHits(candidates, new Map(summaries.map((row) => [row.id, toSummary(row)])), terms, limit);
  }

  /** Whether the migration could create the trigram index (pg_trgm available); asked once. */
  trigramReady(): Promise<boolean> {
    this.trigram ??= this.query<{ ready: boolean }>(CONSOLE_SQL.trigramReady).then((r) => r.rows[0]?.ready === true);
    return this.trigram;
  }

  async cannedReplies(): Promise<CannedReply[]> {
    return (await this.query<CannedRow>(CONSOLE_SQL.cannedList)).rows.map(toCanned);
  }

  async saveCannedReply(input: {
    id?: string;
    shortcut: string;
    text: string;
    agentName: string;
    now: number;
  }): Promise<CannedReply> {
    const values = [input.id ?? randomUUID(), input.shortcut, input.text, input.agentName, input.now];
    let row: CannedRow | undefined;
    try {
      row =
        input.id === undefined
          ? (await this.query<CannedRow>(CONSOLE_SQL.cannedInsert, [...values, CANNED.maxReplies])).rows[0]
          : (await this.query<CannedRow>(CONSOLE_SQL.cannedUpdate, values)).rows[0];
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw shortcutTaken(input.shortcut);
      throw err;
    }
    if (row) return toCanned(row);
    if (input.id !== undefined) throw new NotFoundError('no such canned reply');
    throw new ConflictError(`at most ${CANNED.maxReplies} canned replies`);
  }

  async deleteCannedReply(id: string): Promise<boolean> {
    return ((await this.query(CONSOLE_SQL.cannedDelete, [id])).rowCount ?? 0) > 0;
  }

  async recordPageView(visitorId: string, page: PageInfo, now: number): Promise<void> {
    const { rows } = await this.query<{ added: number }>(CONSOLE_SQL.recordPage, [
      visitorId,
      page.url,
      page.title,
      now,
    ]);
    if ((rows[0]?.added ?? 0) > 0) await this.query(CONSOLE_SQL.trimPages, [visitorId]);
  }

  async pageViews(conversationId: string): Promise<PageView[]> {
    return (await this.query<PageViewRow>(CONSOLE_SQL.pageViews, [conversationId])).rows.map(toPageView);
  }

  async earlierConversations(conversationId: string, limit: number): Promise<StoredSummary[]> {
    return (await this.query<SummaryRow>(CONSOLE_SQL.earlier, [conversationId, limit])).rows.map(toSummary);
  }
}
