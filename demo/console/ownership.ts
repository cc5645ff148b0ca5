import type { ListView, Note } from '../../src/protocol.js';
import type { AgentLink } from './agent-link.js';
import { request } from './connection.js';
import type { ListLoader } from './conversation-list-loading.js';
import type { ActionResult } from './sending.js';
import { type ConsoleState, mergeConversation, type Thread, updateThread } from './state.js';

/** Ownership (assign, views) and the agent-only timeline (notes, system lines) in the console. */

/** Adds notes to a thread: each id once, in thread order (after their message, then by time). */
export function addNotes(thread: Thread, incoming: readonly Note[]): Thread {
  const held = new Set(thread.notes.map((n) => n.id));
  const fresh = incoming.filter((n) => !held.has(n.id));
  if (fresh.length === 0) return thread;
  const notes = [...thread.notes, ...fresh].sort(
    (a, b) => a.afterSeq - b.afterSeq || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return { ...thread, notes };
}

/** A live note joins its thread when the thread is held (otherwise `open` brings it). */
export function receiveNote(state: ConsoleState, note: Note): ConsoleState {
  if (!state.threads[note.conversationId]) return state;
  return updateThread(state, note.conversationId, (t) => addNotes(t, [note]));
}

export function listenToNotes(link: AgentLink): void {
  link.listen('note', (note) => link.update((s) => receiveNote(s, note)));
}

export async function assignConversation(
  link: AgentLink,
  conversationId: string,
  agent: string | null,
): Promise<ActionResult> {
  const ack = await request(link.socket, 'assign', { conversationId, agent });
  if (!ack.ok) return ack;
  link.update((s) => mergeConversation(s, ack.conversation));
  return { ok: true };
}

/** Stores an internal note; a retry with the same clientId stores it once. */
export async function sendNote(
  link: AgentLink,
  note: { conversationId: string; text: string; clientId: string },
): Promise<ActionResult> {
  const ack = await request(link.socket, 'note', note);
  if (!ack.ok) return ack;
  link.update((s) => receiveNote(s, ack.note));
  return { ok: true };
}

export function setView(link: AgentLink, list: ListLoader, view: ListView): void {
  if (link.state.get().view === view) return;
  link.update((s) => ({ ...s, view }));
  if (link.socket.connected) list.request();
}
