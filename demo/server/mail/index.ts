import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayContext } from '../handler-context';
import { createInbound, type Inbound } from './inbound';
import { createMailer, type Mailer } from './mailer';
import { type MailQueue, startMailQueue } from './queue';
import { loadMailSecret } from './reply-token';
import type { TranscriptLimits } from './transcripts';

/** Email (issue 15): follow-ups and transcripts out over SMTP, replies in over SMTP or a provider's webhook. */
export interface MailOptions {
  /** `PARLEY_SMTP_URL`, e.g. `smtp://user:pass@mail.example:587` (`smtps://` for implicit TLS). */
  smtpUrl: string;
  /** `PARLEY_MAIL_FROM`, e.g. `Acme support <support@acme.example>`. */
  from: string;
  /** `PARLEY_EMAIL_DELAY_S` in ms (default 120 s): how long an agent reply stays unread before it is emailed. */
  delayMs: number;
  /** `PARLEY_INBOUND_DOMAIN`: Reply-To `reply+<token>@domain`; unset, emails have no Reply-To and nothing comes in. */
  inboundDomain?: string;
  /** `PARLEY_INBOUND_SMTP_PORT`: the built-in SMTP listener for replies (off unless set; 0 picks a free port). */
  inboundSmtpPort?: number;
  /** `PARLEY_INBOUND_TOKEN`: the secret of the provider webhook `POST /inbound/email`; unset, no webhook. */
  inboundToken?: string;
  /** `PARLEY_MAIL_SECRET`: Reply-To tokens' HMAC key; default generated and kept in `mail-secret` beside the DB. */
  secret?: string;
  /** Tests and tuning of the queue (see `MailQueueOptions`). */
  giveUpMs?: number;
  pollMs?: number;
  retryBaseMs?: number;
  leaseMs?: number;
  inboundMaxBytes?: number;
  /** Transcripts a day; each absent field takes `DEFAULT_TRANSCRIPT_LIMITS`' value. */
  transcriptLimits?: TranscriptLimits;
  /** Tests: a mailer other than SMTP. */
  mailer?: Mailer;
}

export interface Mail {
  queue: MailQueue;
  inbound?: Inbound;
  /** The webhook route, if any (see `Inbound.http`). */
  http(req: IncomingMessage, res: ServerResponse): boolean;
  /** Starts the inbound SMTP listener when asked for; its port. */
  listen(host: string): Promise<number | undefined>;
  close(): Promise<void>;
}

export function setupMail(ctx: GatewayContext, options: MailOptions, dbPath: string): Mail {
  const domain = options.inboundDomain ?? (/@([^>\s]+)>?\s*$/.exec(options.from)?.[1] || 'parley.invalid');
  const mailer = options.mailer ?? createMailer({ smtpUrl: options.smtpUrl, from: options.from, domain });
  const queue = startMailQueue({
    store: ctx.store,
    mailer,
    logger: ctx.logger,
    delayMs: options.delayMs,
    secret: loadMailSecret(dbPath, options.secret),
    ...(options.inboundDomain ? { inboundDomain: options.inboundDomain } : {}),
    ...(options.giveUpMs !== undefined ? { giveUpMs: options.giveUpMs } : {}),
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.retryBaseMs !== undefined ? { retryBaseMs: options.retryBaseMs } : {}),
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
  });
  const inbound = options.inboundDomain
    ? createInbound(ctx, {
        domain: options.inboundDomain,
        ...(options.inboundToken ? { webhookToken: options.inboundToken } : {}),
        ...(options.inboundMaxBytes ? { maxBytes: options.inboundMaxBytes } : {}),
      })
    : undefined;
  return {
    queue,
    ...(inbound ? { inbound } : {}),
    http: (req, res) => inbound?.http(req, res) ?? false,
    listen: async (host) =>
      inbound && options.inboundSmtpPort !== undefined ? inbound.listenSmtp(options.inboundSmtpPort, host) : undefined,
    close: async () => {
      await inbound?.close();
      await queue.stop();
    },
  };
}
