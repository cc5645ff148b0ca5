import { SEARCH, type SearchField } from '../../../src/protocol';
import type { StoredSearchHit, StoredSummary } from './types';

// Search as both stores run it: the query is cut into plain words here, so what reaches SQLite's FTS5 `MATCH` or
// PostgreSQL's `to_tsquery` holds letters and digits only and can never be a syntax error; each store asks its
// sources (messages, visitors, later notes) for candidates, and `rankHits` turns them into one hit per conversation
// with a plain-text snippet and match offsets (the console highlights them with text nodes, never HTML).

/**
 * A parsed search: the words (lower case, each matched as a word prefix) and the whole query for substrings. Accents
 * are kept: SQLite's tokenizer drops them on both sides anyway, PostgreSQL's 'simple' configuration compares them.
 */
export interface SearchTerms {
  words: string[];
  /** The query, trimmed, in lower case, for substring matches (names, emails, trigrams). */
  needle: string;
}

/** The query's words, or `undefined` when it has none (only punctuation): the caller refuses it. */
export function searchTerms(query: string): SearchTerms | undefined {
  const needle = query.trim().toLowerCase();
  const words = [...new Set(needle.split(/[^\p{L}\p{N}]+/u).filter(Boolean))].slice(0, SEARCH.maxWords);
  return words.length > 0 ? { words, needle } : undefined;
}

/** An FTS5 query: every word as a quoted prefix (`"word"*`), all required. Words hold no quote, so none escapes. */
export function ftsQuery(terms: SearchTerms): string {
  return terms.words.map((word) => `"${word}"*`).join(' ');
}

/** A `to_tsquery('simple', …)` query: every word as a prefix, all required. Words are letters and digits only. */
export function tsQuery(terms: SearchTerms): string {
  return terms.words.map((word) => `${word}:*`).join(' & ');
}

/** An ILIKE pattern matching the needle anywhere, with `%`, `_` and `\` taken literally. */
export function likePattern(terms: SearchTerms): string {
  return `%${terms.needle.replace(/[\\%_]/g, '\\$&')}%`;
}

/** A candidate from one source, before ranking: a message (with its seq) or a conversation's visitor. */
export interface Candidate {
  conversationId: string;
  field: SearchField;
  seq?: number;
  text: string;
  at: number;
}

/** How many candidates a source may return for a search of `limit` hits: several may share a conversation. */
export function candidateLimit(limit: number): number {
  return limit * 5;
}

/**
 * One hit per conversation, the most recent candidate first, at most `limit`, each with its conversation's summary
 * (`summaries` by id; a conversation deleted meanwhile is left out).
 */
export function rankHits(
  candidates: readonly Candidate[],
  summaries: ReadonlyMap<string, StoredSummary>,
  terms: SearchTerms,
  limit: number,
): StoredSearchHit[] {
  const sorted = [...candidates].sort((a, b) => b.at - a.at);
  const hits: StoredSearchHit[] = [];
  const seen = new Set<string>();
  for (const candidate of sorted) {
    const conversation = summaries.get(candidate.conversationId);
    if (!conversation || seen.has(candidate.conversationId)) continue;
    seen.add(candidate.conversationId);
    const hit: StoredSearchHit = {
      conversation,
      field: candidate.field,
      at: candidate.at,
      ...snippet(candidate.text, terms),
    };
    if (candidate.seq !== undefined) hit.seq = candidate.seq;
    hits.push(hit);
    if (hits.length >= limit) break;
  }
  return hits;
}

/** The conversations `rankHits` needs summaries for, at most `limit` of them. */
export function candidateConversations(candidates: readonly Candidate[]): string[] {
  return [...new Set(candidates.map((c) => c.conversationId))];
}

/**
 * A window of `text` around its first match (at most `SEARCH.snippetLength` characters, `…` marking a cut), and the
 * [start, end) offsets of every match inside it: words starting with a query word, and the whole needle anywhere.
 */
export function snippet(text: string, terms: SearchTerms): { snippet: string; matches: [number, number][] } {
  const all = matchRanges(text, terms);
  const first = all[0]?.[0] ?? 0;
  let start = Math.max(0, first - Math.floor(SEARCH.snippetLength / 4));
  const end = Math.min(text.length, start + SEARCH.snippetLength);
  start = Math.max(0, Math.min(start, end - SEARCH.snippetLength));
  const prefix = start > 0 ? '…' : '';
  const body = text.slice(start, end);
  const matches = all
    .filter(([from, to]) => from >= start && to <= end)
    .map(([from, to]): [number, number] => [from - start + prefix.length, to - start + prefix.length]);
  return { snippet: `${prefix}${body}${end < text.length ? '…' : ''}`, matches };
}

/** Match ranges of `terms` in `text`, in order, merged where they overlap. */
export function matchRanges(text: string, terms: SearchTerms): [number, number][] {
  const { folded, index } = foldWithIndex(text);
  const words = terms.words.map(fold);
  const needle = fold(terms.needle);
  const ranges: [number, number][] = [];
  for (const word of folded.matchAll(/[\p{L}\p{N}]+/gu)) {
    const prefix = words.find((w) => word[0].startsWith(w));
    if (prefix) ranges.push([index[word.index]!, index[word.index + prefix.length]!]);
  }
  if (needle.length > 0) {
    for (let at = folded.indexOf(needle); at >= 0; at = folded.indexOf(needle, at + 1)) {
      ranges.push([index[at]!, index[at + needle.length]!]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}

/** Lower case without diacritics, as FTS5's `remove_diacritics` and our needles compare. */
export function fold(text: string): string {
  return foldWithIndex(text).folded;
}

const MARKS = /\p{M}/gu;

/**
 * `text` folded character by character, and for each position of the folded string the position in `text` it came
 * from (one more entry for the end), so offsets found in the folded text map back to the original.
 */
function foldWithIndex(text: string): { folded: string; index: number[] } {
  let folded = '';
  const index: number[] = [];
  for (let i = 0; i < text.length; ) {
    const code = text.codePointAt(i)!;
    const char = String.fromCodePoint(code);
    // ASCII, nearly every character of a support chat, needs no Unicode normalization.
    const out = code < 0x80 ? char.toLowerCase() : char.normalize('NFD').replace(MARKS, '').toLowerCase();
    for (let k = 0; k < out.length; k++) index.push(i);
    folded += out;
    i += char.length;
  }
  index.push(text.length);
  return { folded, index };
}
