import type { ConversationSummary } from '../../src/protocol.js';
import type { AgentLink } from './agent-link.js';
import { request } from './connection.js';
import {
  type ConsoleState,
  type Filter,
  mergeConversation,
  mergeConversations,
  visibleConversations,
} from './state.js';

/** Keeps the conversation list: the filtered `list`, and summaries of conversations it does not hold yet. */
export interface ListLoader {
  request(): void;
  setFilter(filter: Filter): void;
  /**
   * A message for a conversation the list does not hold (older than the listed ones): fetch its summary alone, with
   * no history (`afterSeq` at the message), so it joins the list.
   */
  fetchSummary(id: string, seq: number): void;
}

function requestList(link: AgentLink): void {
  const { filter, view, conversations: asked } = link.state.get();
  link.update((s) => ({ ...s, listLoading: true, listError: null }));
  void request(link.socket, 'list', { status: filter, view }).then((ack) => {
    if (link.isTornDown()) return;
    if (!ack.ok) {
      link.update((s) => ({ ...s, listLoading: false, listError: `${ack.code}: ${ack.message}` }));
      return;
    }
    link.update((s) => {
      // Another filter or view was chosen meanwhile: its own reply decides what it shows.
      const current = s.filter === filter && s.view === view;
      const kept = current ? withoutUnlisted(s, ack.conversations, asked) : s;
      return { ...mergeConversations(kept, ack.conversations), listLoading: false };
    });
  });
}

/**
 * Forgets the held summaries the view shows that the reply left out: a conversation reassigned or resolved while the
 * console was disconnected would otherwise stay listed with its old assignee or status. Kept: the open conversation
 * (its own catch-up refreshes it) and any summary a live event replaced after the request was sent (`asked` is the
 * map then), since the reply may predate that event.
 */
function withoutUnlisted(
  s: ConsoleState,
  listed: readonly ConversationSummary[],
  asked: ConsoleState['conversations'],
): ConsoleState {
  const ids = new Set(listed.map((c) => c.id));
  const stale = visibleConversations(s.conversations, s.filter, s.view, s.me).filter(
    (c) => !ids.has(c.id) && c.id !== s.selectedId && asked[c.id] === c,
  );
  if (stale.length === 0) return s;
  const conversations = { ...s.conversations };
  for (const c of stale) delete conversations[c.id];
  return { ...s, conversations };
}

export function createListLoader(link: AgentLink): ListLoader {
  const summaryWanted = new Set<string>();
  return {
    request: () => requestList(link),
    setFilter(filter) {
      if (link.state.get().filter === filter) return;
      link.update((s) => ({ ...s, filter }));
      if (link.socket.connected) requestList(link);
    },
    fetchSummary(id, seq) {
      if (summaryWanted.has(id)) return;
      summaryWanted.add(id);
      void request(link.socket, 'open', { conversationId: id, afterSeq: seq }).then((ack) => {
        summaryWanted.delete(id);
        if (ack.ok) link.update((s) => mergeConversation(s, ack.conversation));
      });
    },
  };
}
