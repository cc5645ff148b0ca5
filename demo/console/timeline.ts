import type { Message, Note } from '../../src/protocol.js';

/** One row of a conversation's thread as agents see it: a message, or an entry of the agent-only timeline. */
export type Entry = { kind: 'message'; message: Message } | { kind: 'note'; note: Note };

/**
 * Messages in seq order with notes placed after the message they followed (`afterSeq`); both inputs sorted. A note
 * whose message is not held yet (history still loading) comes before the first later message, never lost.
 */
export function interleave(messages: readonly Message[], notes: readonly Note[]): Entry[] {
  const entries: Entry[] = [];
  let next = 0;
  for (const message of messages) {
    while (next < notes.length && notes[next]!.afterSeq < message.seq)
      entries.push({ kind: 'note', note: notes[next++]! });
    entries.push({ kind: 'message', message });
  }
  while (next < notes.length) entries.push({ kind: 'note', note: notes[next++]! });
  return entries;
}
