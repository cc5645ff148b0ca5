import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AddressObject, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { LIMITS } from '../../../src/protocol';
import { pushSummary } from '../broadcasts';
import type { GatewayContext } from '../handler-context';
import { AGENTS_ROOM, conversationRoom } from '../rooms';
import { stripQuoted } from './reply-text';
import { tokenOfAddress } from './reply-token';

export interface InboundOptions {
  /** `PARLEY_INBOUND_DOMAIN`: replies go to `reply+<token>@domain`. */
  domain: string;
  /** Largest email accepted, in bytes (default 1 MiB); a larger one is refused (SMTP 552, HTTP 413). */
  maxBytes?: number;
  /** `PARLEY_INBOUND_TOKEN`: the provider webhook's shared secret (header `X-Parley-Inbound-Token`); unset: no webhook. */
  webhookToken?: string;
}

export const DEFAULT_INBOUND_MAX_BYTES = 1024 * 1024;

/** What became of one inbound email. `refused`: the sender should know (unknown address); `dropped`: silently. */
export type Delivery =
  | { outcome: 'stored'; conversationId: string; seq: number }
  | { outcome: 'dropped'; reason: string }
  | { outcome: 'refused'; reason: string };

export interface Inbound {
  /** Whether `recipient` is a reply address of a known conversation (refuse others at RCPT TO). */
  knows(recipient: string): Promise<boolean>;
  /** Parses one raw email sent to `recipients` (envelope `from` is '' for the null sender) and stores the reply. */
  deliver(raw: Buffer, recipients: string[], from: string): Promise<Delivery>;
  /** The webhook route: `POST /inbound/email`, raw RFC 5322 body. Returns false for any other request. */
  http(req: IncomingMessage, res: ServerResponse): boolean;
  /** Starts the SMTP listener (`PARLEY_INBOUND_SMTP_PORT`); resolves with its port. */
  listenSmtp(port: number, host: string): Promise<number>;
  close(): Promise<void>;
}

/** Auto-replies, bounces and lists never become messages (RFC 3834; `Precedence` is the older convention). */
function automatic(headers: Map<string, unknown>, from: string): string | undefined {
  if (from === '') return 'null return path (a bounce)';
  const submitted = String(headers.get('auto-submitted') ?? 'no').toLowerCase();
  if (submitted !== 'no') return `Auto-Submitted: ${submitted.slice(0, 40)}`;
  const precedence = String(headers.get('precedence') ?? '').toLowerCase();
  if (['bulk', 'junk', 'list', 'auto_reply'].includes(precedence)) return `Precedence: ${precedence}`;
  if (headers.has('x-autoreply') || headers.has('x-autorespond')) return 'X-Autoreply';
  const type = headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (type?.value === 'multipart/report') return 'delivery report';
  return undefined;
}

type ConversationOf = (recipient: string) => Promise<string | undefined>;
type Deliver = Inbound['deliver'];

export function createInbound(ctx: GatewayContext, options: InboundOptions): Inbound {
  const maxBytes = options.maxBytes ?? DEFAULT_INBOUND_MAX_BYTES;
  let smtp: SMTPServer | undefined;
  const conversationOf: ConversationOf = async (recipient) => {
    const token = tokenOfAddress(recipient, options.domain);
    return token === undefined ? undefined : ctx.store.conversationOfReplyToken(token);
  };
  const deliver: Deliver = (raw, recipients, from) => deliverReply(ctx, conversationOf, raw, recipients, from);
  return {
    knows: async (recipient) => (await conversationOf(recipient)) !== undefined,
    deliver,
    http: (req, res) => webhook(ctx, { ...options, maxBytes }, deliver, req, res),
    listenSmtp: (port, host) => {
      smtp = smtpServer(ctx, { domain: options.domain, maxBytes }, conversationOf, deliver);
      return listenOn(smtp, port, host);
    },
    close: () => new Promise((resolve) => (smtp ? smtp.close(() => resolve()) : resolve())),
  };
}

/** Parses one email and stores it as the visitor's message of the conversation its Reply-To token names. */
async function deliverReply(
  ctx: GatewayContext,
  conversationOf: ConversationOf,
  raw: Buffer,
  recipients: string[],
  from: string,
): Promise<Delivery> {
  let conversationId: string | undefined;
  for (const recipient of recipients) conversationId ??= await conversationOf(recipient);
  if (!conversationId) {
    ctx.logger.warn('inbound email refused: unknown or forged reply address', {
      recipients: recipients.map((r) => r.slice(0, 100)),
    });
    return { outcome: 'refused', reason: 'unknown recipient' };
  }
  const mail = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
  const auto = automatic(mail.headers, from);
  if (auto) {
    ctx.logger.info('inbound email dropped', { conversation: conversationId, reason: auto });
    return { outcome: 'dropped', reason: auto };
  }
  const text = stripQuoted(mail.text ?? '').slice(0, LIMITS.messageLength);
  if (!text) return { outcome: 'dropped', reason: 'nothing above the quoted text' };
  // The same email delivered twice (a provider retrying) is stored once: its Message-ID is the idempotency key.
  const clientId = `email-${createHash('sha256')
    .update(mail.messageId ?? raw)
    .digest('base64url')
    .slice(0, 32)}`;
  const result = await ctx.store.appendMessage(conversationId, { author: 'visitor', clientId, text });
  if (!result.duplicate) {
    const { message } = result;
    ctx.visitors.to(conversationRoom(conversationId)).emit('message', message);
    ctx.agents.to(AGENTS_ROOM).emit('message', message);
    if (result.reopened) {
      ctx.visitors.to(conversationRoom(conversationId)).emit('status', { status: 'open' });
      await pushSummary(ctx, conversationId);
    }
  }
  ctx.logger.info('inbound email stored', { conversation: conversationId, seq: result.message.seq });
  return { outcome: 'stored', conversationId, seq: result.message.seq };
}

/** The webhook route: `POST /inbound/email`, raw RFC 5322 body. Returns false for any other request. */
function webhook(
  ctx: GatewayContext,
  options: { webhookToken?: string; maxBytes: number },
  deliver: Deliver,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  if ((req.url ?? '').split('?', 1)[0] !== '/inbound/email') return false;
  const reply = (status: number, body: string): true => {
    if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
    return true;
  };
  if (!options.webhookToken) return reply(404, 'not found');
  if (req.method !== 'POST') return reply(405, 'method not allowed');
  const presented = String(req.headers['x-parley-inbound-token'] ?? '');
  if (!sameSecret(presented, options.webhookToken)) {
    ctx.logger.warn('inbound webhook refused: bad token');
    req.resume();
    return reply(401, 'unauthorized');
  }
  const { maxBytes } = options;
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) {
      reply(413, `larger than ${maxBytes} bytes`);
      req.destroy();
    } else chunks.push(chunk);
  });
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const header = req.headers['x-parley-recipient'];
    const recipients = header ? [String(header)] : [];
    void ctx
      .track(
        recipientsOf(raw, recipients).then((to) =>
          deliver(raw, to, String(req.headers['x-parley-sender'] ?? 'unknown')),
        ),
      )
      .then(
        (d) => reply(d.outcome === 'refused' ? 404 : 200, d.outcome === 'stored' ? 'stored' : d.reason),
        (err: unknown) => {
          ctx.logger.error('inbound webhook failed', { err });
          reply(500, 'could not store; retry later');
        },
      );
  });
  return true;
}

/** The SMTP listener (`PARLEY_INBOUND_SMTP_PORT`): unknown recipients are refused at RCPT TO, replies stored. */
function smtpServer(
  ctx: GatewayContext,
  { domain, maxBytes }: { domain: string; maxBytes: number },
  conversationOf: ConversationOf,
  deliver: Deliver,
): SMTPServer {
  const smtpError = (message: string, responseCode: number) => Object.assign(new Error(message), { responseCode });
  const smtp = new SMTPServer({
    name: domain,
    banner: 'Parley reply mail',
    size: maxBytes,
    authOptional: true,
    // Plain SMTP on the listener: put it behind a real MX (or a provider) that handles TLS and spam.
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo: (address, _session, callback) => {
      conversationOf(address.address).then(
        (id) => {
          if (id) return callback();
          ctx.logger.warn('inbound email refused: unknown or forged reply address', {
            recipient: address.address.slice(0, 100),
          });
          callback(smtpError('no such recipient', 550));
        },
        () => callback(smtpError('try again later', 451)),
      );
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(smtpError(`larger than ${maxBytes} bytes`, 552));
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        const to = session.envelope.rcptTo.map((r) => r.address);
        ctx.track(deliver(Buffer.concat(chunks), to, from)).then(
          (d) => (d.outcome === 'refused' ? callback(smtpError('no such recipient', 550)) : callback()),
          (err: unknown) => {
            ctx.logger.error('inbound email failed', { err });
            callback(smtpError('try again later', 451));
          },
        );
      });
    },
  });
  smtp.on('error', (err) => ctx.logger.warn('inbound SMTP error', { err }));
  return smtp;
}

/** Starts the SMTP listener; resolves with its port (the real one when `port` is 0). */
function listenOn(server: SMTPServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => {
      server.server.off('error', reject);
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** The webhook's recipients: a header the provider sets, else the email's own To, Cc and Delivered-To. */
async function recipientsOf(raw: Buffer, given: string[]): Promise<string[]> {
  if (given.length) return given;
  const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const list = (value: AddressObject | AddressObject[] | undefined) =>
    (Array.isArray(value) ? value : value ? [value] : []).flatMap((a) => a.value.map((v) => v.address ?? ''));
  const delivered = mail.headers.get('delivered-to');
  return [...list(mail.to), ...list(mail.cc), ...(typeof delivered === 'string' ? [delivered] : [])].filter(Boolean);
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
