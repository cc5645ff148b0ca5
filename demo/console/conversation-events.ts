import type { Message } from '../../src/protocol.js';
import type { AgentLink } from './agent-link.js';
import type { ListLoader } from './conversation-list-loading.js';
import { mergeConversation, receiveMessage } from './state.js';
import type { Typists } from './typists.js';

interface ConversationParts {
  list: ListLoader;
  typists: Typists;
  markRead(): void;
  /** A live visitor message arrived (not history replayed by `open`). */
  onVisitorMessage?(m: Message): void;
}

/** Applies live `conversation` and `message` events to the list and the threads held. */
export function listenToConversations(link: AgentLink, parts: ConversationParts): void {
  link.listen('conversation', (c) => {
    link.update((s) => mergeConversation(s, c));
    if (c.id === link.state.get().selectedId) parts.markRead();
  });

  link.listen('message', (m) => {
    if (!link.state.get().conversations[m.conversationId]) parts.list.fetchSummary(m.conversationId, m.seq);
    parts.typists.stopTimerFor(m);
    link.update((s) => receiveMessage(s, m));
    if (m.conversationId === link.state.get().selectedId) parts.markRead();
    if (m.author === 'visitor') parts.onVisitorMessage?.(m);
  });
}
