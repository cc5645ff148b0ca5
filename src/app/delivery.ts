import { backoff } from '../client/backoff';
import type { ErrorCode, Message, SendResult } from '../protocol';
import type { GetState, SetState } from './chat-state';
import type { VisitorSocket } from './connection';
import type { Outbox, OutboxEntry } from './outbox';
import { createPending } from './pending';
import type { Tabs } from './tabs';
import type { Timers } from './timers';

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

/** The delivery backoff for an attempt number (also the widget's reconnect backoff after a temporary refusal). */
export const retryDelay = (attempt: number) => backoff(attempt, DELIVERY.retryBaseMs, DELIVERY.retryMaxMs);

/** Errors that a later attempt cannot fix; the message stays visible as not sent, with a retry button. */
const PERMANENT: ErrorCode[] = [
  'invalid_payload',
  'message_too_long',
  'unknown_event',
  'file_too_large',
  'file_type_refused',
];

type SendAck = ({ ok: true } & SendResult) | { ok: false; code: ErrorCode; message: string };

/** The outbox flush: sends queued messages in order, retries with backoff, and removes each one on its ack. */
export function createDelivery(
  socket: VisitorSocket,
  get: GetState,
  set: SetState,
  outbox: Outbox,
  tabs: Tabs,
  sleep: Timers['sleep'],
  merge: (incoming: Message[], live: boolean) => void,
  onPending: (count: number) => void,
  uploads: Uploads,
) {
  const pending = createPending(outbox, tabs, get, set, onPending);
  const { failed } = pending;
  let flushing = false;
  let again = false;
  let stopped = false;
  /** True between the gateway's welcome and the next disconnect: only then is anything sent. */
  let welcomed = false;

  /**
   * Sends the outbox in order, one message in flight, until it is empty or the connection drops. Only one tab of the
   * site flushes at a time (Web Locks); where Web Locks are missing every tab may flush, which stays correct: they all
   * walk the same ordered outbox, and the gateway stores a repeated client id once.
   */
  async function flush(): Promise<void> {
    // A request during a flush may be for a message that flush already looked past (it read the outbox empty just
    // before the message was saved): it runs once more rather than leave the message to the next trigger.
    if (flushing) {
      again = true;
      return;
    }
    flushing = true;
    try {
      do {
        again = false;
        await tabs.exclusive('outbox', drain);
      } while (again && !stopped);
    } finally {
      flushing = false;
    }
  }

  async function drain(): Promise<void> {
    let attempt = 0;
    while (!stopped && socket.connected && welcomed) {
      const next = (await outbox.all()).find((e) => !failed.has(e.clientId));
      if (!next) break;
      const ack = await sendOnce(socket, next, () => withFiles(next, outbox, set, uploads));
      // An upload expired before its message went out: its files are uploaded again on the next attempt.
      if (ack && !ack.ok && ack.code === 'attachment_invalid' && next.files) {
        const { forgetUploads } = await import('../attachments/deliver');
        await outbox.save({ ...next, files: forgetUploads(next.files) });
      }
      if (ack?.ok) {
        attempt = 0;
        await outbox.remove(next.clientId);
        tabs.post({ type: 'outbox' });
        merge([ack.message], true);
      } else if (ack && PERMANENT.includes(ack.code)) {
        failed.set(next.clientId, ack.code);
      } else {
        await sleep(retryDelay(attempt++));
        // No ack: nothing changed that the panel shows.
        if (!ack) continue;
      }
      await pending.refresh();
    }
  }

  return {
    refreshPending: pending.refresh,
    flush,
    /** Called on the welcome (true) and on a disconnect (false). */
    online(up: boolean): void {
      welcomed = up;
    },
    /** Puts a message in the outbox (durably, before any send); true when there was something to send. */
    send: pending.enqueue,
    retry(id: string): void {
      failed.delete(id);
      void pending.refresh().then(flush);
    },
    clear: pending.clear,
    stop(): void {
      stopped = true;
    },
  };
}

/** Where and as whom the files of queued messages are uploaded. */
export interface Uploads {
  gateway: string;
  session: () => string;
}

/**
 * The ids of the entry's files, uploading those not uploaded yet (the attachment chunk is loaded only for a message
 * with files); a refusal to send as the ack, or null to retry later (offline).
 */
async function withFiles(entry: OutboxEntry, outbox: Outbox, set: SetState, up: Uploads) {
  if (!entry.files) return [];
  const { uploadEntryFiles } = await import('../attachments/deliver');
  const ready = await uploadEntryFiles(
    up.gateway,
    up.session(),
    entry.files,
    () => outbox.save(entry),
    (done) => set({ upload: { id: entry.clientId, done } }),
  );
  set({ upload: undefined });
  return ready.ok ? ready.ids : 'offline' in ready ? null : ready;
}

/** One attempt: the gateway's ack, or null when none came in time (or the socket closed meanwhile). */
async function sendOnce(
  socket: VisitorSocket,
  entry: OutboxEntry,
  files: () => Promise<string[] | SendAck | null>,
): Promise<SendAck | null> {
  try {
    const ids = await files();
    if (!Array.isArray(ids)) return ids;
    return await socket
      .timeout(DELIVERY.ackTimeoutMs)
      .emitWithAck('send', { clientId: entry.clientId, text: entry.text, ...(ids.length ? { attachments: ids } : {}) });
  } catch {
    return null;
  }
}

export type Delivery = ReturnType<typeof createDelivery>;
