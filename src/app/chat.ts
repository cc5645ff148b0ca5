import { Manager, type Socket } from 'socket.io-client';
import type { Status } from '../loader/types';
import {
  type AgentStatus,
  type ConversationStatus,
  type ErrorCode,
  LIMITS,
  type Message,
  NAMESPACE,
  type PageInfo,
  PROTOCOL_VERSION,
  type SendResult,
  type VisitorAuth,
  type VisitorClientEvents,
  type VisitorServerEvents,
  type VisitorWelcome,
} from '../protocol';
import type { Outbox, OutboxEntry } from './outbox';
import type { Tabs } from './tabs';

/**
 * Delivery options. A message is written to the outbox before the first attempt and removed only on the gateway's
 * ack, and every attempt carries the same client id, which the gateway deduplicates: delivery is at-least-once on
 * the wire and exactly-once in the conversation. One message is in flight at a time, from one tab at a time, so
 * order is kept.
 */
export const DELIVERY = {
  /** An attempt with no ack after this long is retried. */
  ackTimeoutMs: 10_000,
  /** Retry delays grow from `retryBaseMs` to `retryMaxMs`, with full jitter so many clients do not retry in step. */
  retryBaseMs: 500,
  retryMaxMs: 15_000,
};

/** Handshake refusals that go away by themselves. */
const TEMPORARY: ErrorCode[] = ['rate_limited', 'too_many_connections', 'storage_error', 'internal'];

/** Errors that a later attempt cannot fix; the message stays visible as not sent, with a retry button. */
const PERMANENT: ErrorCode[] = ['invalid_payload', 'message_too_long', 'unknown_event'];

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
}

export interface ChatHooks {
  auth(): Omit<VisitorAuth, 'v' | 'lastSeq'>;
  onWelcome(welcome: VisitorWelcome): void;
  onMessage(m: Message, live: boolean): void;
  onStatus(s: Status): void;
  onPending(count: number): void;
  notice(kind: 'renewed' | 'refused' | 'identity'): string;
}

type VisitorSocket = Socket<VisitorServerEvents, VisitorClientEvents>;
type SendAck = ({ ok: true } & SendResult) | { ok: false; code: ErrorCode; message: string };

export function createChat(gateway: string, outbox: Outbox, tabs: Tabs, hooks: ChatHooks) {
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
    durable: outbox.durable,
  };
  const subscribers = new Set<() => void>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const failed = new Map<string, ErrorCode>();
  // `null` until the session's first message: a welcome without a conversation.
  let conversationId: string | null | undefined;
  let welcomed = false;
  let welcomedBefore = false;
  let refusals = 0;
  let flushing = false;
  let destroyed = false;
  // Agents typing, each with the timer that hides them when their typing events stop.
  const typers = new Map<string, ReturnType<typeof setTimeout>>();
  let sentTyping = false;
  let lastTypingEmit = 0;

  const set = (patch: Partial<ChatState>) => {
    const prevStatus = state.status;
    state = { ...state, ...patch, durable: outbox.durable };
    if (state.status !== prevStatus) hooks.onStatus(state.status);
    for (const fn of subscribers) fn();
  };

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  };

  const lastSeq = () => state.messages.at(-1)?.seq ?? 0;

  // A Manager of our own rather than io(): one connection per widget, no global cache shared with the host page.
  const manager = new Manager(gateway, {
    // WebSocket only: no long-polling round trips and no sticky sessions needed behind a load balancer.
    transports: ['websocket'],
    upgrade: false,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    randomizationFactor: 0.5,
  });
  const socket: VisitorSocket = manager.socket(NAMESPACE.visitor, {
    // Re-evaluated on every attempt, so a reconnect presents the newest session and sequence number.
    auth: (cb) => cb({ ...hooks.auth(), v: PROTOCOL_VERSION, lastSeq: lastSeq() } satisfies VisitorAuth),
  });

  const offlineStatus = (): Status => (navigator.onLine === false ? 'offline' : 'connecting');

  function merge(incoming: Message[], live: boolean): void {
    const bySeq = new Map(state.messages.map((m) => [m.seq, m]));
    // This socket's first message (its own or another tab's) tells the id of the conversation it created.
    conversationId ??= incoming[0]?.conversationId;
    const fresh = incoming.filter((m) => m.conversationId === conversationId && !bySeq.has(m.seq));
    if (fresh.length === 0) return;
    for (const m of fresh) bySeq.set(m.seq, m);
    const messages = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    const sent = new Set(messages.map((m) => m.clientId));
    for (const m of fresh) if (m.author === 'agent') stopTyping(m.agentName ?? '');
    set({ messages, pending: state.pending.filter((p) => !sent.has(p.clientId)), typing: [...typers.keys()] });
    for (const m of fresh) hooks.onMessage(m, live);
    // Sequence numbers are gap-free from 1: a list that is not 1…n means something was missed. Fetch the gap by
    // sequence number instead of hoping.
    if (messages.at(-1)!.seq !== messages.length) void catchUp();
  }

  async function catchUp(): Promise<void> {
    // Highest seq up to which we hold every message.
    let after = state.messages.findIndex((m, i) => m.seq !== i + 1);
    if (after < 0) after = state.messages.length;
    for (let page = 0; page < 50 && socket.connected; page++) {
      try {
        const ack = await socket.timeout(DELIVERY.ackTimeoutMs).emitWithAck('history', { afterSeq: after });
        if (!ack.ok) return;
        merge(ack.messages, false);
        if (!ack.more || ack.messages.length === 0) return;
        after = ack.messages.at(-1)!.seq;
      } catch {
        return;
      }
    }
  }

  /** Re-reads the outbox, which other tabs write too, so every tab shows every queued message. */
  async function refreshPending(): Promise<void> {
    const entries = await outbox.all();
    const sent = new Set(state.messages.map((m) => m.clientId));
    const pending = entries
      .filter((e) => !sent.has(e.clientId))
      .map((e) => (failed.has(e.clientId) ? { ...e, failed: failed.get(e.clientId)! } : e));
    set({ pending });
    hooks.onPending(pending.length);
  }

  const backoff = (attempt: number) =>
    Math.random() * Math.min(DELIVERY.retryMaxMs, DELIVERY.retryBaseMs * 2 ** Math.min(attempt, 10));

  // A destroyed chat wakes its sleepers, so a flush waiting to retry ends and releases the tabs' outbox lock.
  const sleepers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      sleepers.add(resolve);
      later(ms, () => {
        sleepers.delete(resolve);
        resolve();
      });
    });

  /**
   * Sends the outbox in order, one message in flight, until it is empty or the connection drops. Only one tab of the
   * site flushes at a time (Web Locks); where Web Locks are missing every tab may flush, which stays correct: they all
   * walk the same ordered outbox, and the gateway stores a repeated client id once.
   */
  async function flush(): Promise<void> {
    if (flushing) return;
    flushing = true;
    try {
      await tabs.exclusive('outbox', drain);
    } finally {
      flushing = false;
    }
  }

  async function drain(): Promise<void> {
    let attempt = 0;
    while (!destroyed && socket.connected && welcomed) {
      const next = (await outbox.all()).find((e) => !failed.has(e.clientId));
      if (!next) break;
      let ack: SendAck;
      try {
        ack = await socket
          .timeout(DELIVERY.ackTimeoutMs)
          .emitWithAck('send', { clientId: next.clientId, text: next.text });
      } catch {
        await sleep(backoff(attempt++));
        continue;
      }
      if (ack.ok) {
        attempt = 0;
        await outbox.remove(next.clientId);
        tabs.post({ type: 'outbox' });
        merge([ack.message], true);
      } else if (PERMANENT.includes(ack.code)) {
        failed.set(next.clientId, ack.code);
      } else {
        await sleep(backoff(attempt++));
      }
      await refreshPending();
    }
  }

  const onWelcome = (w: VisitorWelcome) => {
    hooks.onWelcome(w);
    if (conversationId && conversationId !== w.conversationId) state = { ...state, messages: [] };
    conversationId = w.conversationId;
    // "Back online" only after the visitor saw the chat offline or disconnected, not on the first connection.
    const back = state.status === 'offline' || (welcomedBefore && state.status !== 'online');
    welcomed = welcomedBefore = true;
    refusals = 0;
    set({
      status: 'online',
      backOnline: back,
      presence: w.presence,
      agent: w.agent,
      avatars: w.avatars,
      conversation: w.status,
      notice: w.renewed ? hooks.notice('renewed') : w.userTokenRefused ? hooks.notice('identity') : null,
    });
    if (back) later(3000, () => set({ backOnline: false }));
    merge(w.messages, false);
    if (w.more) void catchUp();
    void flush();
  };

  socket.on('welcome', onWelcome);
  socket.on('message', (m) => merge([m], true));
  // Live messages may have been lost between the gateway's processes: fetch from the last seq held in a row.
  socket.on('resync', () => void catchUp());
  socket.on('presence', ({ agents, agent }) => set({ presence: agents, agent }));
  socket.on('status', ({ status }) => set({ conversation: status }));
  socket.on('typing', ({ name, typing }) => {
    stopTyping(name);
    // The agent's typing events are throttled; without a new one, assume they stopped.
    if (typing)
      typers.set(
        name,
        later(LIMITS.typingExpiryMs, () => stopTyping(name, true)),
      );
    set({ typing: [...typers.keys()] });
  });
  socket.on('disconnect', (reason) => {
    welcomed = false;
    for (const name of typers.keys()) stopTyping(name);
    set({ status: offlineStatus(), typing: [], presence: null });
    // The gateway ended the session (another tab logged in and rotated it, or logged out): Socket.IO will not come
    // back by itself. Later than the tab that rotated it stores the new token, which the next attempt presents.
    if (reason === 'io server disconnect') later(1000 + backoff(refusals++), () => socket.active || socket.connect());
  });
  socket.on('connect_error', (err: Error & { data?: { code?: ErrorCode } }) => {
    const code = err.data?.code;
    // Only the site owner can fix this, by adding the page's origin to the gateway's PARLEY_ORIGINS: retrying is
    // pointless, and a status that says "Connecting…" forever would mislead the visitor.
    if (code === 'origin_refused') {
      if (!state.refused) console.warn(`[parley] ${location.origin} is not in the gateway's PARLEY_ORIGINS`);
      return set({ status: 'offline', refused: true, notice: hooks.notice('refused') });
    }
    // A busy gateway (limits, a database hiccup) is temporary: retry soon, quietly. A refusal for good (origin,
    // protocol) is told to the visitor and retried rarely. Both with jitter, so refused clients do not return at once.
    const temporary = !code || TEMPORARY.includes(code);
    set({ status: offlineStatus(), ...(temporary ? {} : { notice: hooks.notice('refused') }) });
    // The gateway refused us (not a network error), so Socket.IO will not retry by itself.
    if (code && !socket.active)
      later(temporary ? 1000 + backoff(refusals++) : 30_000 + Math.random() * 30_000, () => socket.connect());
  });

  // When the browser knows it is offline, a WebSocket can still look open for up to a minute (until its ping times
  // out), and messages sent into it wait for their ack timeout. Close it at once and reconnect when back.
  const onOffline = () => {
    socket.disconnect();
    set({ status: 'offline' });
  };
  const onOnline = () => state.refused || socket.connect();
  window.addEventListener('offline', onOffline);
  window.addEventListener('online', onOnline);
  if (navigator.onLine === false) onOffline();
  const unlisten = tabs.listen((m) => {
    if (m.type === 'outbox') void refreshPending();
  });

  void refreshPending();

  return {
    getState: () => state,
    subscribe(fn: () => void): () => void {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    /** Puts a message in the outbox (durably, before any send) and starts delivery. */
    async send(text: string): Promise<void> {
      const body = text.trim();
      if (!body) return;
      if (body.length > LIMITS.messageLength) throw new RangeError(`message longer than ${LIMITS.messageLength}`);
      const entry = await outbox.enqueue(body);
      tabs.post({ type: 'outbox' });
      set({ pending: [...state.pending, entry] });
      hooks.onPending(state.pending.length);
      typing(false);
      void flush();
    },
    retry(id: string): void {
      failed.delete(id);
      void refreshPending().then(flush);
    },
    typing,
    markRead(seq: number): void {
      if (socket.connected) socket.emit('read', { seq });
    },
    /** Connects again, presenting the current session and user token (after identify(), or another tab's). */
    reconnect(): void {
      socket.disconnect().connect();
    },
    /** Tells the agents which page the visitor is on now (single-page sites change it without a reload). */
    page(page: PageInfo): void {
      if (socket.connected) socket.emit('page', page);
    },
    /**
     * Ends the session on the gateway (its token stops working there; offline, it is only forgotten here), forgets
     * everything local and reconnects, so the gateway issues a new session.
     */
    async reset(): Promise<void> {
      if (socket.connected)
        await socket
          .timeout(DELIVERY.ackTimeoutMs)
          .emitWithAck('end', {})
          .catch(() => {});
      await outbox.clear();
      tabs.post({ type: 'outbox' });
      failed.clear();
      conversationId = undefined;
      set({ messages: [], pending: [], typing: [], notice: null });
      hooks.onPending(0);
      socket.disconnect().connect();
    },
    destroy(): void {
      destroyed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const wake of sleepers) wake();
      subscribers.clear();
      unlisten();
      window.removeEventListener('offline', onOffline);
      window.removeEventListener('online', onOnline);
      socket.removeAllListeners();
      socket.disconnect();
    },
  };

  /** Hides an agent's typing indicator; `render` also shows the change at once (for an expiry timer). */
  function stopTyping(name: string, render?: boolean): void {
    clearTimeout(typers.get(name));
    typers.delete(name);
    if (render) set({ typing: [...typers.keys()] });
  }

  /** Throttled at the sender: at most one `typing: true` per throttle window, and `false` once when it stops. */
  function typing(active: boolean): void {
    if (!socket.connected) return;
    const now = Date.now();
    if (active && (!sentTyping || now - lastTypingEmit >= LIMITS.typingThrottleMs)) {
      socket.emit('typing', { typing: true });
      sentTyping = true;
      lastTypingEmit = now;
    } else if (!active && sentTyping) {
      socket.emit('typing', { typing: false });
      sentTyping = false;
    }
  }
}

export type Chat = ReturnType<typeof createChat>;
