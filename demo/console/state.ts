import { mergeBySeq } from '../../src/client/merge.js';
import type {
  AgentPresence,
  ConversationStatus,
  ConversationSummary,
  LastMessage,
  ListView,
  Message,
  Note,
  Rating,
  RatingAverage,
} from '../../src/protocol.js';
import type { QueuedReply } from './reply-store.js';

export type Filter = ConversationStatus | 'all';
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting';

/** The messages held for one conversation, sorted by `seq`, each `seq` once. */
export interface Thread {
  messages: Message[];
  /** Every message with `seq <= contiguous` is held: a catch-up asks for `afterSeq: contiguous`. */
  contiguous: number;
  /** History is being fetched. */
  loading: boolean;
  /** The last full fetch reached the end (`more: false`). */
  complete: boolean;
  error: string | null;
  /** The agent-only timeline (internal notes, system lines), in thread order, each id once. */
  notes: Note[];
}

export interface Typist {
  who: string;
  author: 'visitor' | 'agent';
}

export interface ConsoleState {
  connection: ConnectionStatus;
  /** Why the last connection attempt failed, shown next to the status. */
  connectionError: string | null;
  /** This agent's name, from `welcome`. */
  me: string | null;
  myStatus: 'online' | 'away';
  agents: AgentPresence[];
  conversations: Record<string, ConversationSummary>;
  filter: Filter;
  /** Whose conversations the list shows: mine, nobody's, or all. */
  view: ListView;
  listLoading: boolean;
  listError: string | null;
  selectedId: string | null;
  threads: Record<string, Thread>;
  /** Who is typing, per conversation. */
  typing: Record<string, Typist[]>;
  /** Visitors' ratings of resolved conversations, by conversation (satisfaction.ts). */
  ratings: Record<string, Rating>;
  /** Average rating per agent. */
  ratingAverages: RatingAverage[];
  /** Replies in the console's outbox (not acknowledged yet, or refused for good), per conversation, in send order. */
  queued: Record<string, QueuedReply[]>;
  /** The agent's drafts were read from storage: a composer that opened before may take its draft now. */
  draftsLoaded: boolean;
}

export function initialState(): ConsoleState {
  return {
    connection: 'connecting',
    connectionError: null,
    me: null,
    myStatus: 'online',
    agents: [],
    conversations: {},
    filter: 'open',
    view: 'all',
    listLoading: false,
    listError: null,
    selectedId: null,
    threads: {},
    typing: {},
    ratings: {},
    ratingAverages: [],
    queued: {},
    draftsLoaded: false,
  };
}

export function emptyThread(): Thread {
  return { messages: [], contiguous: 0, loading: false, complete: false, error: null, notes: [] };
}

/** Merges a summary from a live event or a `list`/`open` answer; an answer older than what is held (lower `lastSeq`) loses. */
export function mergeConversation(state: ConsoleState, c: ConversationSummary): ConsoleState {
  const held = state.conversations[c.id];
  if (held && c.lastSeq < held.lastSeq) return state;
  return { ...state, conversations: { ...state.conversations, [c.id]: c } };
}

export function mergeConversations(state: ConsoleState, list: ConversationSummary[]): ConsoleState {
  const conversations = { ...state.conversations };
  for (const c of list) {
    const held = conversations[c.id];
    if (!held || c.lastSeq >= held.lastSeq) conversations[c.id] = c;
  }
  return { ...state, conversations };
}

/** Adds messages to a thread: dedupes by `seq` (and `id`), keeps `seq` order, advances `contiguous` over any closed gap. */
export function addToThread(thread: Thread, incoming: readonly Message[]): Thread {
  if (incoming.length === 0) return thread;
  const ids = new Set(thread.messages.map((m) => m.id));
  const { merged: messages, fresh } = mergeBySeq(
    thread.messages,
    incoming.filter((m) => !ids.has(m.id) && ids.add(m.id)),
  );
  if (fresh.length === 0) return thread;
  const held = new Set(messages.map((m) => m.seq));
  let contiguous = thread.contiguous;
  while (held.has(contiguous + 1)) contiguous++;
  return { ...thread, messages, contiguous };
}

/** The `lastMessage` of a message as the gateway builds it for summaries: with its files, so files alone preview. */
function lastMessageOf(m: Message): LastMessage {
  const last: LastMessage = { author: m.author, text: m.text };
  const [first] = m.attachments ?? [];
  if (first) last.files = { count: m.attachments!.length, name: first.name };
  return last;
}

/**
 * Applies a live `message` event: to the thread if one is held, and to the summary. The gateway sends no summary for
 * a new message, so its preview, activity time, `lastSeq` and unread count (visitor messages only) are derived here.
 */
export function receiveMessage(state: ConsoleState, m: Message): ConsoleState {
  let next = state;
  const thread = state.threads[m.conversationId];
  if (thread) {
    const updated = addToThread(thread, [m]);
    if (updated !== thread) next = { ...next, threads: { ...next.threads, [m.conversationId]: updated } };
  }
  const c = next.conversations[m.conversationId];
  if (c && m.seq > c.lastSeq) {
    const summary: ConversationSummary = {
      ...c,
      lastSeq: m.seq,
      lastActivityAt: Math.max(c.lastActivityAt, m.createdAt),
      lastMessage: lastMessageOf(m),
      unread: m.author === 'visitor' ? c.unread + 1 : c.unread,
    };
    next = { ...next, conversations: { ...next.conversations, [c.id]: summary } };
  }
  if (m.author === 'visitor') next = setTyping(next, m.conversationId, { who: '', author: 'visitor' }, false);
  if (m.author === 'agent' && m.agentName)
    next = setTyping(next, m.conversationId, { who: m.agentName, author: 'agent' }, false);
  return next;
}

export function updateThread(state: ConsoleState, id: string, update: (t: Thread) => Thread): ConsoleState {
  const before = state.threads[id] ?? emptyThread();
  const after = update(before);
  if (after === before && state.threads[id]) return state;
  return { ...state, threads: { ...state.threads, [id]: after } };
}

/** Starts or stops one typist; a visitor is keyed by author alone, since a conversation has one visitor. */
export function setTyping(state: ConsoleState, conversationId: string, who: Typist, typing: boolean): ConsoleState {
  const held = state.typing[conversationId] ?? [];
  const same = (t: Typist) => t.author === who.author && (who.author === 'visitor' || t.who === who.who);
  const present = held.some(same);
  if (present === typing) return state;
  const list = typing ? [...held, who] : held.filter((t) => !same(t));
  const typingMap = { ...state.typing };
  if (list.length) typingMap[conversationId] = list;
  else delete typingMap[conversationId];
  return { ...state, typing: typingMap };
}

/** Locally zeroes the unread count once a `read` was sent; the gateway's next `conversation` event confirms it. */
export function markReadLocally(state: ConsoleState, id: string): ConsoleState {
  const c = state.conversations[id];
  if (!c || c.unread === 0) return state;
  return { ...state, conversations: { ...state.conversations, [id]: { ...c, unread: 0 } } };
}

/**
 * Conversations passing the status filter and the view, most recent activity first. The gateway filters `list` the
 * same way (so a page holds only matching ones); live events bring others, which this hides.
 */
export function visibleConversations(
  conversations: Record<string, ConversationSummary>,
  filter: Filter,
  view: ListView = 'all',
  me: string | null = null,
) {
  const owned = (c: ConversationSummary) =>
    view === 'all' || (view === 'mine' ? c.assignee === me : c.assignee === undefined);
  return Object.values(conversations)
    .filter((c) => (filter === 'all' || c.status === filter) && owned(c))
    .sort((a, b) => b.lastActivityAt - a.lastActivityAt || a.id.localeCompare(b.id));
}

/** Unread visitor messages across every known conversation, for the tab title. */
export function totalUnread(conversations: Record<string, ConversationSummary>): number {
  let n = 0;
  for (const c of Object.values(conversations)) n += c.unread;
  return n;
}

/** Highest `seq` held for a thread. */
export function lastHeldSeq(thread: Thread | undefined): number {
  return thread?.messages.at(-1)?.seq ?? 0;
}

/** A minimal observable state holder (not the gateway's persistence Store): the controller writes, components subscribe. */
export interface StateHolder<S> {
  get(): S;
  update(fn: (s: S) => S): void;
  subscribe(fn: () => void): () => void;
}

export function createStateHolder<S>(initial: S): StateHolder<S> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    update(fn) {
      const next = fn(state);
      if (next === state) return;
      state = next;
      for (const l of listeners) l();
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
