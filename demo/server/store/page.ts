import { LIMITS, type Message } from '../../../src/protocol';
import type { MessagePage } from './types';

/**
 * The longest head of `items` whose JSON fits in `maxBytes` (as a client receives it: UTF-8, with a comma between
 * items), and never less than one item: a reply is bounded by bytes as well as by count, so a page of 4,000-character
 * messages costs the gateway's send buffer what a page of short ones does.
 */
export function fitBytes<T>(items: readonly T[], maxBytes: number = LIMITS.pageBytes): T[] {
  let bytes = 0;
  for (let i = 0; i < items.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(items[i])) + 1;
    if (bytes > maxBytes) return items.slice(0, Math.max(1, i));
  }
  return items.slice();
}

/**
 * A history page from up to `limit + 1` messages read in seq order: at most `limit` of them and `LIMITS.pageBytes`,
 * with `more` when anything was left out.
 */
export function messagePage(messages: readonly Message[], limit: number): MessagePage {
  const page = fitBytes(messages.slice(0, limit));
  return { messages: page, more: messages.length > page.length };
}
