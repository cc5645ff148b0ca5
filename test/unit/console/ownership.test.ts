// @vitest-environment node
// The console's side of ownership and notes: notes in line with messages, each once, and the list's views.
import { describe, expect, it } from 'vitest';
import { addNotes, receiveNote } from '../../../demo/console/ownership';
import { emptyThread, initialState, visibleConversations } from '../../../demo/console/state';
import { interleave } from '../../../demo/console/timeline';
import type { ConversationSummary, Message, Note } from '../../../src/protocol';

const message = (seq: number): Message => ({
  id: `m${seq}`,
  conversationId: 'c1',
  seq,
  author: 'visitor',
  text: `message ${seq}`,
  createdAt: seq * 1000,
});
const note = (id: string, afterSeq: number, createdAt: number): Note => ({
  id,
  conversationId: 'c1',
  kind: 'note',
  agentName: 'Ana',
  text: id,
  afterSeq,
  createdAt,
});

describe('notes in the thread', () => {
  it('places each note after the message it followed, in time order, each id once', () => {
    const thread = addNotes(addNotes(emptyThread(), [note('b', 1, 20), note('a', 1, 10)]), [
      note('c', 3, 30),
      note('a', 1, 10),
    ]);
    expect(thread.notes.map((n) => n.id)).toEqual(['a', 'b', 'c']);
    const order = interleave([message(1), message(2), message(3)], thread.notes).map((e) =>
      e.kind === 'message' ? e.message.id : e.note.id,
    );
    expect(order).toEqual(['m1', 'a', 'b', 'm2', 'm3', 'c']);
  });

  it('keeps a note whose message is not held yet, before the next held one', () => {
    const order = interleave([message(5)], [note('early', 2, 1)]).map((e) =>
      e.kind === 'note' ? e.note.id : e.message.id,
    );
    expect(order).toEqual(['early', 'm5']);
    expect(interleave([], [note('alone', 0, 1)])).toHaveLength(1);
  });

  it('adds a live note to a held thread only (open brings the others)', () => {
    const state = initialState();
    expect(receiveNote(state, note('x', 1, 1))).toBe(state);
    const holding = { ...state, threads: { c1: emptyThread() } };
    expect(receiveNote(holding, note('x', 1, 1)).threads.c1!.notes.map((n) => n.id)).toEqual(['x']);
  });
});

describe('list views', () => {
  const summary = (id: string, assignee?: string): ConversationSummary => ({
    id,
    site: 'acme',
    status: 'open',
    lastSeq: 1,
    lastActivityAt: 1,
    unread: 0,
    visitor: { id: `v${id}`, label: `Visitor ${id}`, online: false, verified: false },
    ...(assignee ? { assignee } : {}),
  });
  const all = { a: summary('a', 'Ana'), b: summary('b', 'Ben'), c: summary('c') };
  const ids = (view: 'mine' | 'unassigned' | 'all') => visibleConversations(all, 'open', view, 'Ana').map((c) => c.id);

  it('shows mine, nobody’s, or all', () => {
    expect(ids('mine')).toEqual(['a']);
    expect(ids('unassigned')).toEqual(['c']);
    expect(ids('all')).toEqual(['a', 'b', 'c']);
  });
});
