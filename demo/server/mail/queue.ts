import { randomUUID } from 'node:crypto';
import type { Logger } from '../log';
import type {
  MailJob,
  MailOutcome,
  NewTranscriptJob,
  Store,
  TranscriptCounts,
  TranscriptReservation,
} from '../store/types';
import { followUpEmail, transcriptEmail } from './compose';
import type { Mailer } from './mailer';
import { replyToken } from './reply-token';

export interface MailQueueOptions {
  store: Store;
  mailer: Mailer;
  logger: Logger;
  /** An agent reply the visitor has not read this long is emailed (`PARLEY_EMAIL_DELAY_S`, default 120 s). */
  delayMs: number;
  /** Makes Reply-To tokens (reply-token.ts). */
  secret: string;
  /** `PARLEY_INBOUND_DOMAIN`: with it, emails carry `Reply-To: reply+<token>@domain`; without, no Reply-To. */
  inboundDomain?: string;
  /** A job still failing this long after it was queued is given up, and the reason logged (default 48 h). */
  giveUpMs?: number;
  /** How long a claimed job is this process's; longer than one SMTP attempt can take (default 120 s). */
  leaseMs?: number;
  /** How often due jobs are looked for (default 1 s). */
  pollMs?: number;
  /** First retry delay, doubled per attempt up to `retryMaxMs` (defaults 5 s and 15 min). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  now?: () => number;
}

export interface MailQueue {
  /** Queues the follow-up of an agent reply (no-op when one is pending: it will carry this reply too). */
  agentReplied(conversationId: string): Promise<void>;
  /** Queues a transcript, sent on the next poll, unless a limit is reached (`Store.reserveTranscript`). */
  queueTranscript(
    request: Omit<NewTranscriptJob, 'id' | 'now'>,
    limits: TranscriptCounts,
  ): Promise<TranscriptReservation>;
  /** Sends every job due now, one at a time; resolves with how many were handled (tests, diagnostics). */
  drain(): Promise<number>;
  /** Stops polling and waits for the job in hand. */
  stop(): Promise<void>;
}

export const DEFAULT_GIVE_UP_MS = 48 * 60 * 60 * 1000;

/**
 * The email queue: jobs live in the store (`mail_jobs`), so a restart or an SMTP outage loses none, and each is
 * leased by one process at a time, so several processes send it once. Exactly once holds unless a process dies
 * between the SMTP server's acceptance and the store's record of it: the next holder sends it again, with the same
 * Message-ID (at-least-once in that window, as with any SMTP client).
 */
export function startMailQueue(options: MailQueueOptions): MailQueue {
  const { store, logger } = options;
  const now = options.now ?? Date.now;
  const leaseMs = options.leaseMs ?? 120_000;
  let stopped = false;
  let running: Promise<number> = Promise.resolve(0);
  let timer: NodeJS.Timeout | undefined;

  const followUpDue = (conversationId: string, dueAt: number) =>
    store.enqueueMail({ id: randomUUID(), kind: 'followup', conversationId, dueAt, now: now() });

  const handle = jobHandler(options, followUpDue);

  async function drainNow(): Promise<number> {
    let handled = 0;
    for (;;) {
      if (stopped) return handled;
      const job = await store.claimMail(now(), leaseMs);
      if (!job) return handled;
      await handle(job);
      handled++;
    }
  }

  const drain = () => {
    running = running.then(drainNow, drainNow);
    return running;
  };

  const poll = () => {
    timer = setTimeout(() => {
      drain()
        .catch((err: unknown) => logger.error('email queue poll failed', { err }))
        .finally(() => {
          if (!stopped) poll();
        });
    }, options.pollMs ?? 1_000);
    timer.unref();
  };
  poll();

  return {
    agentReplied: async (conversationId) => {
      await followUpDue(conversationId, now() + options.delayMs);
    },
    queueTranscript: async (request, limits) => {
      const reservation = await store.reserveTranscript({ ...request, id: randomUUID(), now: now() }, limits);
      if (reservation.queued) void drain().catch((err: unknown) => logger.error('email queue poll failed', { err }));
      return reservation;
    },
    drain,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => {});
      options.mailer.close();
    },
  };
}

/** Sends one claimed job and records its outcome: retried with a doubling delay, given up after `giveUpMs`. */
function jobHandler(
  options: MailQueueOptions,
  followUpDue: (conversationId: string, dueAt: number) => Promise<unknown>,
): (job: MailJob) => Promise<void> {
  const { store, logger } = options;
  const now = options.now ?? Date.now;
  const giveUpMs = options.giveUpMs ?? DEFAULT_GIVE_UP_MS;
  const backoff = (attempts: number) =>
    Math.min((options.retryBaseMs ?? 5_000) * 2 ** Math.max(0, attempts - 1), options.retryMaxMs ?? 15 * 60_000);

  async function handle(job: MailJob): Promise<void> {
    let outcome: MailOutcome;
    try {
      outcome = job.kind === 'followup' ? await sendFollowUp(job) : await sendTranscript(job);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (now() - job.createdAt >= giveUpMs) {
        outcome = { state: 'failed', error: reason };
        logger.warn('email given up', { job: job.id, kind: job.kind, attempts: job.attempts, reason });
      } else {
        outcome = { state: 'pending', dueAt: now() + backoff(job.attempts), error: reason };
        logger.info('email will be retried', { job: job.id, attempts: job.attempts, reason });
      }
    }
    if (!(await store.finishMail(job, outcome, now()))) {
      logger.warn('email lease lost; another process took the job over', { job: job.id });
      return;
    }
    if (job.kind === 'followup' && outcome.state !== 'pending') await followUpLater(job.conversationId);
  }

  /**
   * A reply stored while this follow-up was in hand could not queue its own (one pending per conversation) and may
   * not be in the email: queue it now, after the finish, due a delay after that reply.
   */
  async function followUpLater(conversationId: string): Promise<void> {
    const context = await store.mailContext(conversationId);
    if (!context?.email) return;
    const page = await store.messagesAfter(conversationId, Math.max(context.visitorReadSeq, context.emailedSeq));
    const next = page.messages.find((m) => m.author === 'agent');
    if (next) await followUpDue(conversationId, next.createdAt + options.delayMs);
  }

  /** Every agent reply the visitor has not read and no earlier follow-up carried, in one email. */
  async function sendFollowUp(job: MailJob): Promise<MailOutcome> {
    const context = await store.mailContext(job.conversationId);
    if (!context) return { state: 'skipped', error: 'conversation deleted' };
    if (!context.email) return { state: 'skipped', error: 'no address' };
    // Only `messages`: internal notes live elsewhere and can never reach an email.
    const page = await store.messagesAfter(job.conversationId, Math.max(context.visitorReadSeq, context.emailedSeq));
    const replies = page.messages.filter((m) => m.author === 'agent');
    if (!replies.length) return { state: 'skipped', error: 'read in the chat' };
    const canReply = options.inboundDomain !== undefined;
    const email = followUpEmail({ site: context.site, messages: replies, pageUrl: context.pageUrl, canReply });
    await send(job, context.email, email);
    logger.info('follow-up emailed', { job: job.id, conversation: job.conversationId, replies: replies.length });
    return { state: 'sent', uptoSeq: replies.at(-1)!.seq };
  }

  async function sendTranscript(job: MailJob): Promise<MailOutcome> {
    const context = await store.mailContext(job.conversationId);
    if (!context || !job.recipient) return { state: 'skipped', error: 'conversation deleted' };
    const page = await store.messagesAfter(job.conversationId, 0);
    await send(job, job.recipient, transcriptEmail({ site: context.site, ...page, pageUrl: context.pageUrl }));
    logger.info('transcript emailed', { job: job.id, conversation: job.conversationId });
    return { state: 'sent' };
  }

  async function send(job: MailJob, to: string, composed: ReturnType<typeof followUpEmail>): Promise<void> {
    let replyTo: string | undefined;
    if (options.inboundDomain) {
      const token = replyToken(options.secret, job.conversationId);
      await store.saveReplyToken(token, job.conversationId);
      replyTo = `reply+${token}@${options.inboundDomain}`;
    }
    await options.mailer.send({ id: job.id, to, ...composed, ...(replyTo ? { replyTo } : {}) });
  }

  return handle;
}
