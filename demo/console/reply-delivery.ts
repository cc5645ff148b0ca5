import { OutboxFullError } from '../../src/client/outbox-store.js';
import { createTabs, type Tabs } from '../../src/client/tabs.js';
import type { AgentLink } from './agent-link.js';
import type { RequestError } from './connection.js';
import { type QueuedReply, REPLY_CAP, type ReplyStore } from './reply-store.js';
import { sendReply } from './sending.js';
import type { ConsoleState } from './state.js';

/** Failures that a later attempt can cure: the reply stays queued and is sent again. */
const TRANSIENT = new Set<RequestError['code']>(['offline', 'timeout', 'rate_limited', 'storage_error', 'internal']);
/** A transient failure while still connected is retried after this long. */
const RETRY_MS = 5000;
const CHANNEL = 'parley-console-outbox';

/** The replies part of the console's controller. */
export interface ReplyDelivery {
  /**
   * Queues a reply (with the ids of files already uploaded) in the console's durable outbox, shows it queued, then
   * sends everything queued in order (now, or after the next reconnect).
   */
  send(
    conversationId: string,
    text: string,
    attachments?: string[],
  ): Promise<{ ok: true } | { ok: false; message: string }>;
  /** Drops a queued reply the gateway refused for good. */
  discard(clientId: string): Promise<void>;
  /** The half-typed reply of a conversation, kept across reloads and sign-ins. */
  draft(conversationId: string): string;
  setDraft(conversationId: string, text: string): void;
}

/** Queued replies by conversation, for the message log. */
function byConversation(replies: QueuedReply[]): ConsoleState['queued'] {
  const out: ConsoleState['queued'] = {};
  for (const r of replies) out[r.conversationId] = [...(out[r.conversationId] ?? []), r];
  return out;
}

interface Flusher {
  flush(): Promise<void>;
  stop(): void;
}

/**
 * Sends the console's outbox (see reply-store.ts) exactly once and in order: one reply in flight, in `order`; a
 * reply that cannot go now stops the walk (a later one sent first would break the order) and is retried after
 * `RETRY_MS` or the next welcome. Only one console tab of the browser flushes at a time (Web Locks); a tab without
 * them may flush alongside another, which stays correct because the gateway stores a repeated client id once.
 */
function createFlusher(
  link: AgentLink,
  store: ReplyStore,
  tabs: Tabs<'changed'>,
  markRead: () => void,
  changed: () => Promise<void>,
): Flusher {
  let flushing = false;
  let again = false;
  let retry: ReturnType<typeof setTimeout> | undefined;

  async function drain(agent: string): Promise<void> {
    for (const reply of await store.replies(agent)) {
      if (reply.error) continue;
      if (link.isTornDown() || !link.socket.connected) return;
      const { conversationId, text, clientId, attachments } = reply;
      const result = await sendReply(link, markRead, {
        conversationId,
        text,
        clientId,
        ...(attachments ? { attachments } : {}),
      });
      if (result.ok) await store.remove(clientId);
      else if (!TRANSIENT.has(result.code)) await store.fail(reply, `${result.code}: ${result.message}`);
      await changed();
      if (!result.ok && TRANSIENT.has(result.code)) {
        if (link.socket.connected) retry = setTimeout(() => void flush(), RETRY_MS);
        return;
      }
    }
  }

  async function flush(): Promise<void> {
    const agent = link.state.get().me;
    if (!agent || link.isTornDown()) return;
    if (flushing) {
      again = true;
      return;
    }
    flushing = true;
    clearTimeout(retry);
    try {
      do {
        again = false;
        await tabs.exclusive(agent, () => drain(agent));
      } while (again && !link.isTornDown());
    } finally {
      flushing = false;
    }
  }

  return { flush, stop: () => clearTimeout(retry) };
}

/** The agent's drafts: read from the store on welcome, written through on every change. */
function createDrafts(link: AgentLink, store: ReplyStore): Pick<ReplyDelivery, 'draft' | 'setDraft'> {
  const drafts = new Map<string, string>();
  link.listen('welcome', (w) => {
    void store.drafts(w.name).then((held) => {
      for (const [id, text] of Object.entries(held)) if (!drafts.has(id)) drafts.set(id, text);
      link.update((s) => ({ ...s, draftsLoaded: true }));
    });
  });
  return {
    draft: (conversationId) => drafts.get(conversationId) ?? '',
    setDraft(conversationId, text) {
      if ((drafts.get(conversationId) ?? '') === text) return;
      if (text) drafts.set(conversationId, text);
      else drafts.delete(conversationId);
      const agent = link.state.get().me;
      if (agent) void store.setDraft(agent, conversationId, text);
    },
  };
}

/**
 * The console's durable replies: queued in the store before any attempt, shown as queued (the other console tabs
 * hear of every change over BroadcastChannel), and sent on every (re)connection once the gateway welcomed the agent
 * and after every enqueue.
 */
export function createReplyDelivery(link: AgentLink, store: ReplyStore, markRead: () => void): ReplyDelivery {
  // Channel `parley-console-outbox`, and the flusher's lock `parley-console-outbox:<agent>`.
  const tabs = createTabs<'changed'>(CHANNEL);
  const me = () => link.state.get().me;
  const refresh = async () => {
    const agent = me();
    if (!agent) return;
    const replies = await store.replies(agent);
    link.update((s) => ({ ...s, queued: byConversation(replies) }));
  };
  const changed = async () => {
    await refresh();
    tabs.post('changed');
  };
  const flusher = createFlusher(link, store, tabs, markRead, changed);

  link.listen('welcome', () => void refresh().then(flusher.flush));
  tabs.listen(() => void refresh());
  link.onTeardown(() => {
    flusher.stop();
    tabs.close();
  });

  return {
    async send(conversationId, text, attachments) {
      const agent = me();
      if (!agent) return { ok: false, message: 'Not signed in yet.' };
      try {
        await store.enqueue(agent, conversationId, text, attachments);
      } catch (err) {
        const full = err instanceof OutboxFullError;
        return {
          ok: false,
          message: full ? `${REPLY_CAP} replies are waiting to be sent; wait for them.` : (err as Error).message,
        };
      }
      await changed();
      void flusher.flush();
      return { ok: true };
    },
    async discard(clientId) {
      await store.remove(clientId);
      await changed();
    },
    ...createDrafts(link, store),
  };
}
