import { createStore, del, entries, set, type UseStore } from 'idb-keyval';
import { newClientId } from './client-id.js';

/**
 * The console's durable outbox: every reply is written here before its first send attempt and leaves only once the
 * gateway acknowledged it, and the half-typed draft of each conversation is kept beside it, so a reload, a crash, a
 * gateway restart or a refused token loses neither. One IndexedDB database (`parley-console`, never idb-keyval's
 * shared default), keyed by agent name so a browser shared by two agents sends each one's replies under their own
 * name. Storage failures degrade to memory (reported through `onDegrade`) and never throw into the UI.
 *
 * Written to move into the client core (`src/client/`) with the widget's outbox: same entry shape and ordering.
 */
export interface QueuedReply {
  clientId: string;
  agent: string;
  conversationId: string;
  text: string;
  /**
   * Ids of files uploaded for this reply (pending on the gateway until the reply claims them). A reply queued for
   * longer than pending uploads live is refused with `attachment_invalid` and kept, with its text, for the agent.
   */
  attachments?: string[];
  createdAt: number;
  /** Strictly increasing within a browser: the send order. */
  order: number;
  /** Refused for good by the gateway (e.g. `not_found`): kept for the agent to copy, never retried. */
  error?: string;
}

export interface ReplyStore {
  readonly durable: boolean;
  enqueue(agent: string, conversationId: string, text: string, attachments?: string[]): Promise<QueuedReply>;
  /** The agent's replies in send order, re-read so that other tabs' entries are included. */
  replies(agent: string): Promise<QueuedReply[]>;
  remove(clientId: string): Promise<void>;
  /** Keeps a reply that will never be accepted, with the reason, out of the send loop. */
  fail(reply: QueuedReply, error: string): Promise<void>;
  drafts(agent: string): Promise<Record<string, string>>;
  /** An empty text deletes the draft. */
  setDraft(agent: string, conversationId: string, text: string): Promise<void>;
}

export const CONSOLE_DB = 'parley-console';
/** Queued replies per browser, as the widget's `OUTBOX_CAP`: beyond it the composer refuses with a clear error. */
export const REPLY_CAP = 500;

const replyKey = (clientId: string) => `reply:${clientId}`;
const draftKey = (agent: string, conversationId: string) => `draft:${agent}\n${conversationId}`;

function isReply(v: unknown): v is QueuedReply {
  const e = v as QueuedReply;
  return !!e && typeof e.clientId === 'string' && typeof e.conversationId === 'string' && typeof e.order === 'number';
}

export function createReplyStore(onDegrade: (err: unknown) => void = () => {}): ReplyStore {
  let durable = typeof indexedDB !== 'undefined';
  let store: UseStore | undefined;
  // What this tab knows; after a storage failure it is the store.
  let memory = new Map<string, unknown>();
  // Serialises this tab's operations so concurrent enqueues keep their call order.
  let chain: Promise<unknown> = Promise.resolve();

  const guarded = async (op: (s: UseStore) => Promise<unknown>) => {
    if (!durable) return;
    try {
      store ??= createStore(CONSOLE_DB, 'replies');
      await op(store);
    } catch (err) {
      durable = false;
      onDegrade(err);
    }
  };
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => {});
    return run;
  };
  const read = async () => {
    await guarded(async (s) => {
      memory = new Map(await entries<string, unknown>(s));
    });
    return memory;
  };
  const put = (key: string, value: unknown) => {
    memory.set(key, value);
    return guarded((s) => set(key, value, s));
  };
  const drop = (key: string) => {
    memory.delete(key);
    return guarded((s) => del(key, s));
  };
  const repliesOf = async (agent?: string) =>
    [...(await read()).values()]
      .filter(isReply)
      .filter((r) => agent === undefined || r.agent === agent)
      .sort((a, b) => a.order - b.order || (a.clientId < b.clientId ? -1 : 1));

  return {
    get durable() {
      return durable;
    },
    enqueue: (agent, conversationId, text, attachments) =>
      serial(async () => {
        const all = await repliesOf();
        if (all.length >= REPLY_CAP) throw new Error(`${REPLY_CAP} replies are waiting to be sent; wait for them.`);
        const now = Date.now();
        const order = Math.max(now, (all.at(-1)?.order ?? 0) + 1);
        const reply: QueuedReply = { clientId: newClientId(), agent, conversationId, text, createdAt: now, order };
        if (attachments?.length) reply.attachments = attachments;
        await put(replyKey(reply.clientId), reply);
        return reply;
      }),
    replies: (agent) => serial(() => repliesOf(agent)),
    remove: (clientId) => serial(() => drop(replyKey(clientId))),
    fail: (reply, error) => serial(() => put(replyKey(reply.clientId), { ...reply, error })),
    drafts: (agent) =>
      serial(async () => {
        const prefix = draftKey(agent, '');
        const out: Record<string, string> = {};
        for (const [key, value] of await read()) {
          if (key.startsWith(prefix) && typeof value === 'string') out[key.slice(prefix.length)] = value;
        }
        return out;
      }),
    setDraft: (agent, conversationId, text) =>
      serial(() => (text ? put(draftKey(agent, conversationId), text) : drop(draftKey(agent, conversationId)))),
  };
}
