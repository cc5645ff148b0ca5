import { createOutboxStore, OUTBOX_CAP, type Queued } from '../../src/client/outbox-store.js';

/**
 * The console's durable outbox, the client core's (`src/client/outbox-store.ts`) as the widget's: every reply is
 * written here before its first send attempt and leaves only once the gateway acknowledged it, and the half-typed
 * draft of each conversation is kept beside it, so a reload, a crash, a gateway restart or a refused token loses
 * neither. One IndexedDB database (`parley-console`), replies tagged with the agent's name so a browser shared by two
 * agents sends each one's replies under their own name.
 */
export interface QueuedReply extends Queued {
  agent: string;
  conversationId: string;
  text: string;
  /**
   * Ids of files uploaded for this reply (pending on the gateway until the reply claims them). A reply queued for
   * longer than pending uploads live is refused with `attachment_invalid` and kept, with its text, for the agent.
   */
  attachments?: string[];
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
/** Queued replies per browser, the widget's `OUTBOX_CAP`: beyond it the composer refuses with a clear error. */
export const REPLY_CAP = OUTBOX_CAP;

const REPLY_PREFIX = 'reply:';
const draftKey = (agent: string, conversationId: string) => `draft:${agent}\n${conversationId}`;

function isReply(v: unknown): v is QueuedReply {
  const e = v as QueuedReply;
  return !!e && typeof e.clientId === 'string' && typeof e.conversationId === 'string' && typeof e.order === 'number';
}

export function createReplyStore(onDegrade: (err: unknown) => void = () => {}): ReplyStore {
  const store = createOutboxStore(
    CONSOLE_DB,
    'replies',
    isReply,
    (agent: string, conversationId: string, text: string, attachments?: string[]) =>
      attachments?.length ? { agent, conversationId, text, attachments } : { agent, conversationId, text },
    onDegrade,
    REPLY_PREFIX,
  );
  return {
    get durable() {
      return store.durable;
    },
    enqueue: store.enqueue,
    replies: async (agent) => (await store.all()).filter((r) => r.agent === agent),
    remove: store.remove,
    fail: (reply, error) => store.save({ ...reply, error }),
    drafts: (agent) =>
      store.serial(async () => {
        const prefix = draftKey(agent, '');
        const out: Record<string, string> = {};
        for (const [key, value] of await store.get()) {
          if (key.startsWith(prefix) && typeof value === 'string') out[key.slice(prefix.length)] = value;
        }
        return out;
      }),
    setDraft: (agent, conversationId, text) =>
      store.serial(() =>
        text ? store.put(draftKey(agent, conversationId), text) : store.drop(draftKey(agent, conversationId)),
      ),
  };
}
