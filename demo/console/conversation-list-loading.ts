import type { AgentLink } from './agent-link.js';
import { request } from './connection.js';
import { type Filter, mergeConversation, mergeConversations } from './state.js';

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
  const { filter, view } = link.state.get();
  link.update((s) => ({ ...s, listLoading: true, listError: null }));
  void request(link.socket, 'list', { status: filter, view }).then((ack) => {
    if (link.isTornDown()) return;
    if (!ack.ok) {
      link.update((s) => ({ ...s, listLoading: false, listError: `${ack.code}: ${ack.message}` }));
      return;
    }
    link.update((s) => ({ ...mergeConversations(s, ack.conversations), listLoading: false }));
  });
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
