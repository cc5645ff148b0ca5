import type { SocketReservedEvents } from 'socket.io-client';
import { type AgentServerEvents, type ConversationStatus, LIMITS, type Message } from '../../src/protocol.js';
import { type AgentSocket, createAgentSocket, isUnauthorized, type RequestError, request } from './connection.js';
import {
  addToThread,
  type ConsoleState,
  createStateHolder,
  emptyThread,
  type Filter,
  initialState,
  lastHeldSeq,
  markReadLocally,
  mergeConversation,
  mergeConversations,
  receiveMessage,
  type StateHolder,
  setTyping,
  updateThread,
} from './state.js';

export interface ControllerHooks {
  /** The gateway refused the token: show the sign-in form with this message. */
  onUnauthorized(message: string): void;
  /** A live visitor message arrived (not history replayed by `open`). */
  onVisitorMessage?(m: Message): void;
}

export type ActionResult = { ok: true } | RequestError;

export interface Controller {
  readonly state: StateHolder<ConsoleState>;
  /** Connects; listeners are in place before the first packet can arrive. */
  start(): void;
  select(id: string | null): void;
  setFilter(filter: Filter): void;
  /** Fetches what is missing of a conversation's history (again, after an error). */
  load(id: string): Promise<void>;
  send(conversationId: string, text: string, clientId: string): Promise<ActionResult>;
  typing(conversationId: string, typing: boolean): void;
  setConversationStatus(conversationId: string, status: ConversationStatus): Promise<ActionResult>;
  setPresence(status: 'online' | 'away'): void;
  /** Closes the socket and removes every listener and timer. */
  destroy(): void;
}

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

/** Owns the agent socket and turns its events into console state. */
export function createController(token: string, hooks: ControllerHooks): Controller {
  const state = createStateHolder(initialState());
  const socket: AgentSocket = createAgentSocket(token);
  const subs: (() => void)[] = [];
  const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Highest seq a `read` was sent for, per conversation. */
  const readSent = new Map<string, number>();
  const loading = new Map<string, Promise<void>>();
  const reloadWanted = new Set<string>();
  const summaryWanted = new Set<string>();
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryDelay = RETRY_MIN_MS;
  let everConnected = false;
  let destroyed = false;

  const update = (fn: (s: ConsoleState) => ConsoleState) => {
    if (!destroyed) state.update(fn);
  };

  type Listened = AgentServerEvents & SocketReservedEvents;
  function listen<E extends keyof Listened>(event: E, fn: Listened[E]): void {
    // Socket.IO's overloads cannot see that `fn` matches `event` inside a generic; each call site is checked.
    const on = socket.on as unknown as (e: string, f: unknown) => void;
    const off = socket.off as unknown as (e: string, f: unknown) => void;
    on.call(socket, event, fn);
    subs.push(() => off.call(socket, event, fn));
  }

  function scheduleReconnect(): void {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      if (!destroyed && !socket.connected && !socket.active) socket.connect();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
  }

  function isVisible(): boolean {
    return document.visibilityState === 'visible';
  }

  /** Tells the gateway the open conversation has been seen, up to the last message held. */
  function markRead(): void {
    const s = state.get();
    const id = s.selectedId;
    if (!id || !isVisible() || !socket.connected) return;
    const seq = lastHeldSeq(s.threads[id]);
    if (seq > (readSent.get(id) ?? 0)) {
      readSent.set(id, seq);
      socket.emit('read', { conversationId: id, seq });
    }
    // Unread counts only messages after the last read seq, so anything up to it is known to be read.
    const c = s.conversations[id];
    if (c && c.lastSeq <= (readSent.get(id) ?? 0)) update((st) => markReadLocally(st, id));
  }

  function clearTypingTimer(key: string): void {
    const t = typingTimers.get(key);
    if (t !== undefined) clearTimeout(t);
    typingTimers.delete(key);
  }

  function clearAllTyping(): void {
    for (const t of typingTimers.values()) clearTimeout(t);
    typingTimers.clear();
    update((s) => (Object.keys(s.typing).length ? { ...s, typing: {} } : s));
  }

  async function fetchHistory(id: string): Promise<void> {
    update((s) => updateThread(s, id, (t) => ({ ...t, loading: true, error: null })));
    // Not connected yet (or reconnecting): the `connect` handler loads the selected conversation.
    if (!socket.connected) return;
    let cursor = state.get().threads[id]?.contiguous ?? 0;
    let serverLastSeq = 0;
    for (;;) {
      const ack = await request(
        socket,
        'open',
        cursor > 0 ? { conversationId: id, afterSeq: cursor } : { conversationId: id },
      );
      if (destroyed) return;
      if (!ack.ok) {
        update((s) => updateThread(s, id, (t) => ({ ...t, loading: false, error: `${ack.code}: ${ack.message}` })));
        return;
      }
      serverLastSeq = ack.conversation.lastSeq;
      update((s) => updateThread(mergeConversation(s, ack.conversation), id, (t) => addToThread(t, ack.messages)));
      const reached = ack.messages.at(-1)?.seq ?? cursor;
      if (!ack.more || reached <= cursor) break;
      cursor = reached;
    }
    update((s) =>
      updateThread(s, id, (t) => ({
        ...t,
        loading: false,
        complete: true,
        // Everything the gateway had when it answered is now held, even across seqs it no longer stores.
        contiguous: Math.max(t.contiguous, Math.min(lastHeldSeq(t), serverLastSeq)),
      })),
    );
    markRead();
  }

  /**
   * A message for a conversation the list does not hold (older than the listed ones): fetch its summary alone, with
   * no history (`afterSeq` at the message), so it joins the list.
   */
  function fetchSummary(id: string, seq: number): void {
    if (summaryWanted.has(id)) return;
    summaryWanted.add(id);
    void request(socket, 'open', { conversationId: id, afterSeq: seq }).then((ack) => {
      summaryWanted.delete(id);
      if (ack.ok) update((s) => mergeConversation(s, ack.conversation));
    });
  }

  function load(id: string): Promise<void> {
    const running = loading.get(id);
    if (running) {
      // A reconnect while a fetch is in flight: run once more afterwards, from the new `contiguous`.
      reloadWanted.add(id);
      return running;
    }
    const run = (async () => {
      do {
        reloadWanted.delete(id);
        await fetchHistory(id);
      } while (reloadWanted.has(id) && !destroyed);
    })().finally(() => loading.delete(id));
    loading.set(id, run);
    return run;
  }

  function requestList(): void {
    const filter = state.get().filter;
    update((s) => ({ ...s, listLoading: true, listError: null }));
    void request(socket, 'list', { status: filter }).then((ack) => {
      if (destroyed) return;
      if (!ack.ok) {
        update((s) => ({ ...s, listLoading: false, listError: `${ack.code}: ${ack.message}` }));
        return;
      }
      update((s) => ({ ...mergeConversations(s, ack.conversations), listLoading: false }));
    });
  }

  /** The list again, and the open conversation by sequence number: everything after the last contiguous seq held. */
  function catchUp(): void {
    requestList();
    const { selectedId } = state.get();
    if (selectedId) void load(selectedId);
  }

  listen('connect', () => {
    clearTimeout(retryTimer);
    retryDelay = RETRY_MIN_MS;
    update((s) => ({ ...s, connection: 'connected', connectionError: null }));
    if (everConnected && state.get().myStatus === 'away') socket.emit('presence', { status: 'away' });
    everConnected = true;
    catchUp();
  });

  // Live events may have been lost between the gateway's processes (Redis restarted): the socket itself stayed up.
  listen('resync', catchUp);

  listen('disconnect', (reason) => {
    update((s) => ({ ...s, connection: 'reconnecting' }));
    clearAllTyping();
    // The server closed the socket on purpose; Socket.IO does not retry that by itself.
    if (reason === 'io server disconnect') scheduleReconnect();
  });

  listen('connect_error', (err) => {
    if (isUnauthorized(err)) {
      destroy();
      hooks.onUnauthorized('That agent token was not accepted. Check it and sign in again.');
      return;
    }
    update((s) => ({
      ...s,
      connection: everConnected ? 'reconnecting' : 'connecting',
      connectionError: err.message || 'Cannot reach the gateway.',
    }));
    // A refusal by server middleware leaves the socket inactive: retry it ourselves, with backoff.
    if (!socket.active) scheduleReconnect();
  });

  listen('welcome', (w) => {
    update((s) => ({ ...s, me: w.name, agents: w.agents }));
  });

  listen('agents', ({ agents }) => {
    update((s) => ({ ...s, agents }));
  });

  listen('conversation', (c) => {
    update((s) => mergeConversation(s, c));
    if (c.id === state.get().selectedId) markRead();
  });

  listen('message', (m) => {
    if (!state.get().conversations[m.conversationId]) fetchSummary(m.conversationId, m.seq);
    if (m.author === 'visitor') clearTypingTimer(`${m.conversationId}\n\nvisitor`);
    if (m.author === 'agent' && m.agentName) clearTypingTimer(`${m.conversationId}\n${m.agentName}\nagent`);
    update((s) => receiveMessage(s, m));
    if (m.conversationId === state.get().selectedId) markRead();
    if (m.author === 'visitor') hooks.onVisitorMessage?.(m);
  });

  listen('typing', (t) => {
    const s = state.get();
    if (t.author === 'agent' && t.who === s.me) return;
    const typist = { who: t.author === 'visitor' ? '' : t.who, author: t.author };
    const key = `${t.conversationId}\n${typist.who}\n${t.author}`;
    clearTypingTimer(key);
    update((st) => setTyping(st, t.conversationId, typist, t.typing));
    if (!t.typing) return;
    typingTimers.set(
      key,
      setTimeout(() => {
        typingTimers.delete(key);
        update((st) => setTyping(st, t.conversationId, typist, false));
      }, LIMITS.typingExpiryMs),
    );
  });

  const onVisibility = () => {
    if (isVisible()) markRead();
  };
  document.addEventListener('visibilitychange', onVisibility);
  subs.push(() => document.removeEventListener('visibilitychange', onVisibility));

  function destroy(): void {
    if (destroyed) return;
    destroyed = true;
    clearTimeout(retryTimer);
    for (const t of typingTimers.values()) clearTimeout(t);
    typingTimers.clear();
    for (const off of subs.splice(0)) off();
    socket.disconnect();
  }

  return {
    state,
    start() {
      if (!destroyed) socket.connect();
    },
    select(id) {
      update((s) => {
        const next = { ...s, selectedId: id };
        return id && !s.threads[id] ? { ...next, threads: { ...s.threads, [id]: emptyThread() } } : next;
      });
      if (id) void load(id);
    },
    setFilter(filter) {
      if (state.get().filter === filter) return;
      update((s) => ({ ...s, filter }));
      if (socket.connected) requestList();
    },
    load,
    async send(conversationId, text, clientId) {
      const ack = await request(socket, 'send', { conversationId, clientId, text });
      if (!ack.ok) return ack;
      update((s) => receiveMessage(s, ack.message));
      if (conversationId === state.get().selectedId) markRead();
      return { ok: true };
    },
    typing(conversationId, typing) {
      // Volatile: a typing signal is worthless by the time a reconnect would flush it.
      if (socket.connected) socket.volatile.emit('typing', { conversationId, typing });
    },
    async setConversationStatus(conversationId, status) {
      const ack = await request(socket, 'setStatus', { conversationId, status });
      if (!ack.ok) return ack;
      update((s) => mergeConversation(s, ack.conversation));
      return { ok: true };
    },
    setPresence(status) {
      update((s) => ({
        ...s,
        myStatus: status,
        agents: s.agents.map((a) => (a.name === s.me ? { ...a, status } : a)),
      }));
      if (socket.connected) socket.emit('presence', { status });
    },
    destroy,
  };
}
