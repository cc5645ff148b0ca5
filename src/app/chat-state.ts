import type { Status } from '../loader/types';
import type { AgentStatus, Availability, ConversationStatus, ErrorCode, Message, RatingOffer } from '../protocol';
import type { OutboxEntry } from './outbox';

export interface PendingMessage extends OutboxEntry {
  failed?: ErrorCode;
}

export interface ChatState {
  status: Status;
  /** Shown briefly after the connection came back. */
  backOnline: boolean;
  /** Unknown (null) until the gateway says, and again while disconnected: a stale "Online" would contradict the bar. */
  presence: AgentStatus | null;
  /** An online agent to name in the header. */
  agent?: string | undefined;
  /** Avatar URLs of the agents that have one, by name. */
  avatars?: Record<string, string> | undefined;
  conversation: ConversationStatus;
  /** Stored messages, by sequence number. */
  messages: Message[];
  /** The visitor's messages not acknowledged yet, from every tab, in send order. */
  pending: PendingMessage[];
  /** Names of the agents who are typing, in the order they started. */
  typing: string[];
  /** Lasting information for the visitor (session renewed, gateway refused). */
  notice: string | null;
  /** The gateway refuses this page's origin: nothing can be sent from here, and nothing is retried. */
  refused: boolean;
  /** False once the outbox fell back to memory: unsent messages will not survive a reload. */
  durable: boolean;
  /** When to expect a reply (business hours and presence); absent from an older gateway. */
  availability?: Availability | undefined;
  /** The gateway has the visitor's address for follow-ups: never ask for it. */
  emailKnown?: boolean | undefined;
  /** The site's pre-chat form: its privacy policy URL, while the conversation has not started (`welcome.prechat`). */
  prechat?: string | undefined;
  /** An agent asked for the visitor's address. */
  emailAsked?: boolean | undefined;
  /** An agent resolved the conversation and the visitor may rate it. */
  rating?: RatingOffer | undefined;
  /** Read receipts: agents have read up to this seq ("Seen" under the visitor's last message up to it). */
  agentReadSeq: number;
  /** The files of the message being sent, uploading: its client id and the fraction done. */
  upload?: { id: string; done: number } | undefined;
}

/** The chat's state store: `set` merges a patch, reports a status change and tells every subscriber. */
export function createChatState(durable: () => boolean, onStatus: (s: Status) => void) {
  let state: ChatState = {
    status: 'connecting',
    backOnline: false,
    presence: null,
    conversation: 'open',
    messages: [],
    pending: [],
    typing: [],
    notice: null,
    refused: false,
    durable: durable(),
    agentReadSeq: 0,
  };
  const subscribers = new Set<() => void>();
  return {
    get: () => state,
    set(patch: Partial<ChatState>, quiet?: boolean): void {
      const prevStatus = state.status;
      state = { ...state, ...patch, durable: durable() };
      if (quiet) return;
      if (state.status !== prevStatus) onStatus(state.status);
      for (const fn of subscribers) fn();
    },
    subscribe(fn: () => void): () => void {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    clear: () => subscribers.clear(),
  };
}

export type ChatStore = ReturnType<typeof createChatState>;
export type GetState = ChatStore['get'];
export type SetState = ChatStore['set'];
