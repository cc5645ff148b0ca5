import type { Author } from '../../protocol';

/** A message further than this from the previous one by the same author starts a new group. */
export const GROUP_GAP_MS = 5 * 60_000;

export interface Groupable {
  author: Author;
  /** The author's display name: two agents are two authors. */
  name: string;
  createdAt: number;
}

/**
 * The rows with where each one opens and closes its group: consecutive messages by one author, each within
 * GROUP_GAP_MS of the previous, show the name once at the top and the time once at the bottom.
 */
export function groupEdges<T extends Groupable>(rows: T[]): (T & { first: boolean; last: boolean })[] {
  const joined = (a?: Groupable, b?: Groupable) =>
    !!a && !!b && a.author === b.author && a.name === b.name && b.createdAt - a.createdAt < GROUP_GAP_MS;
  return rows.map((r, i) => ({ ...r, first: !joined(rows[i - 1], r), last: !joined(r, rows[i + 1]) }));
}
