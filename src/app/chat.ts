import { typingThrottle } from '../client/typing';
import type { Status } from '../loader/types';
import {
  type EmailPayload,
  type Message,
  type PageInfo,
  PROTOCOL_VERSION,
  type VisitorAuth,
  type VisitorClientEvents,
  type VisitorWelcome,
} from '../protocol';
import { type AgentTyping, createAgentTyping } from './agent-typing';
import { createChatState, type SetState } from './chat-state';
import { openSocket, type VisitorSocket, watchConnection } from './connection';
import { createDelivery, type Delivery } from './delivery';
import { createHistory, type History } from './history';
import type { Outbox } from './outbox';
import type { Tabs } from './tabs';
import { createTimers } from './timers';

export type { ChatState, PendingMessage } from './chat-state';
export { DELIVERY } from './delivery';

export interface ChatHooks {
  auth(): Omit<VisitorAuth, 'v' | 'lastSeq'>;
  onWelcome(welcome: VisitorWelcome): void;
  onMessage(m: Message, live: boolean): void;
  onStatus(s: Status): void;
  onPending(count: number): void;
  notice(kind: 'renewed' | 'refused' | 'identity'): string;
}

/**
 * Asks the gateway something the rarely used UI needs (email capture, transcript, rating); resolves with its ack, or a
 * `{ ok: false }` of our own when offline or unanswered.
 */
function awayRequest(socket: ReturnType<typeof openSocket>) {
  return <E extends 'email' | 'transcript' | 'rate'>(
    event: E,
    payload: Parameters<VisitorClientEvents[E]>[0],
  ): Promise<{ ok: boolean; [key: string]: unknown }> =>
    socket.connected
      ? (
          socket.timeout(10_000).emitWithAck(event as 'email', payload as EmailPayload) as never as Promise<{
            ok: boolean;
          }>
        ).catch(() => ({ ok: false }))
      : Promise.resolve({ ok: false });
}

/** The visitor's address is known from now on (left in this tab, or in another): stop asking. */
function awayApi(socket: ReturnType<typeof openSocket>, set: ReturnType<typeof createChatState>['set']) {
  return { request: awayRequest(socket), emailLeft: () => set({ emailKnown: true }) };
}

/**
 * The visitor's chat: wires the connection (socket life cycle, refusals), history (merge by seq, catch-up), delivery
 * (the outbox flush) and typing to one state store the panel renders.
 */
export function createChat(gateway: string, outbox: Outbox, tabs: Tabs, hooks: ChatHooks) {
  const { get, set, subscribe, clear } = createChatState(() => outbox.durable, hooks.onStatus);
  const { later, sleep, clear: stopTimers } = createTimers();
  const typers = createAgentTyping(set, later);
  const socket = openSocket(gateway, () => ({
    ...hooks.auth(),
    v: PROTOCOL_VERSION,
    lastSeq: get().messages.at(-1)?.seq ?? 0,
  }));
  const history = createHistory(socket, get, set, typers, hooks.onMessage);
  const session = () => hooks.auth().session ?? '';
  const delivery = createDelivery(socket, get, set, outbox, tabs, sleep, history.merge, hooks.onPending, {
    gateway,
    session,
  });
  // Throttled at the sender: at most one `typing: true` per throttle window, and `false` once when it stops.
  const throttle = typingThrottle((typing) => socket.emit('typing', { typing }));
  const typing = (active: boolean) => socket.connected && throttle(active);

  const connection = watchConnection(
    socket,
    get,
    set,
    later,
    () => hooks.notice('refused'),
    () => {
      delivery.online(false);
      typers.clear();
    },
  );
  listenToGateway(socket, set, history, delivery, typers, hooks, connection.welcomed);
  const unlisten = tabs.listen((m) => {
    if (m.type === 'outbox') void delivery.refreshPending();
  });
  void delivery.refreshPending();

  return {
    getState: get,
    subscribe,
    /** Puts a message in the outbox (durably, before any send) and starts delivery. */
    async send(text: string, files?: File[]): Promise<void> {
      if (!(await delivery.send(text, files))) return;
      typing(false);
      void delivery.flush();
    },
    retry: delivery.retry,
    typing,
    /** The session token, for the attachment chunk's requests (re-signing expired file URLs). */
    session,
    // What the rarely used UI needs: `request` (see `awayRequest`) and `emailLeft`.
    ...awayApi(socket, set),
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
      await connection.end();
      await delivery.clear();
      history.forget();
      set({ messages: [], pending: [], typing: [], notice: null });
      hooks.onPending(0);
      socket.disconnect().connect();
    },
    destroy(): void {
      delivery.stop();
      stopTimers();
      clear();
      unlisten();
      connection.stop();
    },
  };
}

export type Chat = ReturnType<typeof createChat>;

/** What the gateway pushes: a welcome after every (re)connection, then live messages, resyncs, presence, typing. */
function listenToGateway(
  socket: VisitorSocket,
  set: SetState,
  history: History,
  delivery: Delivery,
  typers: AgentTyping,
  hooks: ChatHooks,
  welcomed: () => boolean,
) {
  socket.on('welcome', (w) => {
    hooks.onWelcome(w);
    history.welcome(w);
    delivery.online(true);
    set({
      status: 'online',
      backOnline: welcomed(),
      presence: w.presence,
      agent: w.agent,
      avatars: w.avatars,
      conversation: w.status,
      availability: w.availability,
      emailKnown: w.emailKnown,
      prechat: w.conversationId ? undefined : w.prechat?.privacyUrl,
      rating: w.rating,
      agentReadSeq: w.agentReadSeq ?? 0,
      notice: w.renewed ? hooks.notice('renewed') : w.userTokenRefused ? hooks.notice('identity') : null,
    });
    history.merge(w.messages, false);
    if (w.more) void history.catchUp();
    void delivery.flush();
  });
  socket.on('message', (m) => history.merge([m], true));
  // Live messages may have been lost between the gateway's processes: fetch from the last seq held in a row.
  socket.on('resync', () => void history.catchUp());
  socket.on('presence', ({ agents, agent }) => set({ presence: agents, agent }));
  socket.on('status', ({ status, rating }) => set({ conversation: status, rating }));
  socket.on('availability', (availability) => set({ availability }));
  socket.on('askEmail', () => set({ emailAsked: true }));
  socket.on('typing', ({ name, typing }) => typers.event(name, typing));
  socket.on('read', ({ seq }) => set({ agentReadSeq: seq }));
}
