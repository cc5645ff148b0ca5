import type { ConversationStatus, ListView, Message } from '../../src/protocol.js';
import { createAgentLink } from './agent-link.js';
import { listenToConnection } from './connection-events.js';
import { type ConsoleTools, createConsoleTools } from './console-tools.js';
import { listenToConversations } from './conversation-events.js';
import { createListLoader } from './conversation-list-loading.js';
import { assignConversation, listenToNotes, sendNote, setView } from './ownership.js';
import { listenToPresence, type MyStatus, setPresence } from './presence.js';
import { createReadReceipts } from './read-receipts.js';
import { createReconnector } from './reconnect.js';
import { createReplyDelivery, type ReplyDelivery } from './reply-delivery.js';
import { createReplyStore } from './reply-store.js';
import { listenToRatings } from './satisfaction.js';
import { type ActionResult, sendTyping, setConversationStatus } from './sending.js';
import type { ConsoleState, Filter, StateHolder } from './state.js';
import { createThreadLoader } from './thread-loading.js';
import { createTypists } from './typists.js';

export type { ActionResult } from './sending.js';

export interface ControllerHooks {
  /** The gateway refused the token: show the sign-in form with this message. */
  onUnauthorized(message: string): void;
  /** A live visitor message arrived (not history replayed by `open`). */
  onVisitorMessage?(m: Message): void;
  /** The token was accepted before (kept from an earlier page load): a refusal means the gateway's agents changed. */
  tokenAccepted?: boolean;
}

/** The console's state and actions; replies (`send`, `discard`, drafts) are the reply delivery's own (reply-delivery.ts). */
export interface Controller extends ReplyDelivery {
  readonly state: StateHolder<ConsoleState>;
  /** Connects; listeners are in place before the first packet can arrive. */
  start(): void;
  select(id: string | null): void;
  setFilter(filter: Filter): void;
  /** Fetches what is missing of a conversation's history (again, after an error). */
  load(id: string): Promise<void>;
  typing(conversationId: string, typing: boolean): void;
  setConversationStatus(conversationId: string, status: ConversationStatus): Promise<ActionResult>;
  setPresence(status: MyStatus): void;
  /** Asks the visitor for an email address in the widget. */
  askEmail(conversationId: string): void;
  /** Shows mine, unassigned or all conversations. */
  setView(view: ListView): void;
  /** Gives the conversation to an agent, or to nobody (`null`). */
  assign(conversationId: string, agent: string | null): Promise<ActionResult>;
  /** Adds an internal note (agents only). */
  note(conversationId: string, text: string, clientId: string): Promise<ActionResult>;
  /** Search, canned replies and visitor context (console-tools.ts). */
  readonly tools: ConsoleTools;
  /** Closes the socket and removes every listener and timer. */
  destroy(): void;
}

/** Owns the agent socket and turns its events into console state, through one module per job. */
export function createController(token: string, hooks: ControllerHooks): Controller {
  const link = createAgentLink(token);
  const markRead = createReadReceipts(link);
  const threads = createThreadLoader(link, markRead);
  const list = createListLoader(link);
  const typists = createTypists(link);
  const catchUp = () => {
    list.request();
    const { selectedId } = link.state.get();
    if (selectedId) void threads.load(selectedId);
  };
  listenToConnection(link, {
    reconnector: createReconnector(link),
    typists,
    catchUp,
    tokenAccepted: hooks.tokenAccepted ?? false,
    onUnauthorized: (message) => hooks.onUnauthorized(message),
  });
  listenToPresence(link);
  listenToNotes(link);
  const replies = createReplyDelivery(link, createReplyStore(), markRead);
  const ratings = listenToRatings(link);
  listenToConversations(link, { list, typists, markRead, onVisitorMessage: (m) => hooks.onVisitorMessage?.(m) });

  return {
    ...replies,
    state: link.state,
    start() {
      if (!link.isTornDown()) link.socket.connect();
    },
    select: (id) => {
      threads.select(id);
      if (id) ratings.load(id);
    },
    setFilter: list.setFilter,
    load: threads.load,
    typing: (conversationId, typing) => sendTyping(link, conversationId, typing),
    setConversationStatus: (conversationId, status) => setConversationStatus(link, conversationId, status),
    setPresence: (status) => setPresence(link, status),
    askEmail: (conversationId) => void link.socket.emit('askEmail', { conversationId }),
    setView: (view) => setView(link, list, view),
    assign: (conversationId, agent) => assignConversation(link, conversationId, agent),
    note: (conversationId, text, clientId) => sendNote(link, { conversationId, text, clientId }),
    tools: createConsoleTools(link),
    destroy: link.tearDown,
  };
}
