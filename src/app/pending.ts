import { type ErrorCode, LIMITS, type Message } from '../protocol';
import type { GetState, PendingMessage, SetState } from './chat-state';
import type { Outbox, OutboxEntry } from './outbox';
import type { Tabs } from './tabs';

/**
 * The visitor's messages not stored yet, as the panel shows them: what the outbox holds (every tab writes it), less
 * what the conversation already has, each marked with the reason the gateway refused it for good, if it did.
 */
export function createPending(
  outbox: Outbox,
  tabs: Tabs,
  get: GetState,
  set: SetState,
  onPending: (count: number) => void,
) {
  /** Messages the gateway refused for good, by client id: not sent again unless the visitor retries. */
  const failed = new Map<string, ErrorCode>();
  const show = (pending: PendingMessage[]) => {
    set({ pending });
    onPending(pending.length);
  };
  return {
    failed,
    /** Re-reads the outbox, which other tabs write too, so every tab shows every queued message. */
    async refresh(): Promise<void> {
      show(pendingOf(await outbox.all(), get().messages, failed));
    },
    /** Puts a message in the outbox (durably, before any send); true when there was something to send. */
    async enqueue(text: string, files?: File[]): Promise<boolean> {
      const body = text.trim();
      if (!body && !files?.length) return false;
      if (body.length > LIMITS.messageLength) throw new RangeError(`message longer than ${LIMITS.messageLength}`);
      const entry = await outbox.enqueue(
        body,
        files?.map((blob) => ({ name: blob.name, blob })),
      );
      tabs.post({ type: 'outbox' });
      show([...get().pending, entry]);
      return true;
    },
    /** Forgets every queued message, here and in the other tabs. */
    async clear(): Promise<void> {
      await outbox.clear();
      tabs.post({ type: 'outbox' });
      failed.clear();
    },
  };
}

function pendingOf(entries: OutboxEntry[], messages: Message[], failed: Map<string, ErrorCode>): PendingMessage[] {
  const sent = new Set(messages.map((m) => m.clientId));
  return entries
    .filter((e) => !sent.has(e.clientId))
    .map((e) => (failed.has(e.clientId) ? { ...e, failed: failed.get(e.clientId)! } : e));
}
