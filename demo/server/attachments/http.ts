import type { IncomingMessage, ServerResponse } from 'node:http';
import { ATTACHMENTS } from '../../../src/attachments/wire';
import type { ErrorAck } from '../../../src/protocol';
import { clientAddress } from '../address';
import { authenticate, digest } from '../agents';
import { Buckets, type Budget } from '../limits';
import type { Logger } from '../log';
import type { OriginPolicy } from '../origins';
import { hashToken } from '../sessions';
import { serveDownload } from './download';
import type { UrlSigner } from './signing';
import { receiveUpload, tooLarge, UploadError, type Uploader, type UploadSettings } from './upload';

/** Uploads per visitor session (or agent), and per client address: a burst of 20 (a few screenshots), then 1 every 2 s. */
export const UPLOAD_BUDGETS: { owner: Budget; address: Budget } = {
  owner: { burst: 20, perSecond: 0.5 },
  address: { burst: 60, perSecond: 2 },
};

/**
 * Re-signing per visitor session (or agent): a tab left open past the URLs' expiry asks once per file it shows again,
 * so a burst of 100 (a long conversation's images), then 5 a second.
 */
export const RESIGN_BUDGET: Budget = { burst: 100, perSecond: 5 };

/** `POST /files/<id>/urls`: fresh signed URLs of a file, for a caller whose conversation the file belongs to. */
const RESIGN_PATH = /^\/files\/([A-Za-z0-9-]{1,64})\/urls$/;

export interface AttachmentHttpOptions extends Omit<UploadSettings, 'now'> {
  signer: UrlSigner;
  origins: OriginPolicy;
  agents: readonly { name: string; token: string }[];
  trustProxy: number;
  now: () => number;
}

const ALLOW_HEADERS = [
  'content-type',
  ATTACHMENTS.sessionHeader,
  ATTACHMENTS.agentHeader,
  ATTACHMENTS.conversationHeader,
]
  .join(', ')
  .toLowerCase();

/**
 * `POST /uploads`, `POST /files/<id>/urls` (with their CORS preflights) and `GET /files/…`; returns false for any
 * other path.
 */
export function createAttachmentRoutes(options: AttachmentHttpOptions) {
  const known = options.agents.map((agent) => ({ name: agent.name, digest: digest(agent.token) }));
  const byOwner = new Buckets(UPLOAD_BUDGETS.owner);
  const byAddress = new Buckets(UPLOAD_BUDGETS.address);
  const bySigner = new Buckets(RESIGN_BUDGET);
  const cleanup = setInterval(() => {
    byOwner.sweep();
    byAddress.sweep();
    bySigner.sweep();
  }, 60_000);
  cleanup.unref();

  const upload = async (req: IncomingMessage, res: ServerResponse) => {
    if (!byAddress.take(clientAddress(req, options.trustProxy))) throw rateLimited();
    const uploader = await identify(req, options, known);
    if (!byOwner.take(uploader.owner)) throw rateLimited();
    const declared = Number(req.headers['content-length']);
    // Refused before a byte of the body is read; a body without a length is counted while it streams.
    if (declared > options.maxBytes + 64 * 1024) throw tooLarge(options.maxBytes);
    const attachment = await receiveUpload(req, options, uploader);
    json(res, 201, { ok: true, attachment });
  };

  const resign = async (req: IncomingMessage, res: ServerResponse, id: string) => {
    if (!byAddress.take(clientAddress(req, options.trustProxy))) throw rateLimited();
    const caller = await identify(req, options, known);
    if (!bySigner.take(caller.owner)) throw rateLimited();
    json(res, 200, { ok: true, ...(await freshUrls(options, caller.conversationId, id)) });
  };

  /** A POST route with CORS for the widget's and console's origins; refusals become `{ ok: false }` answers. */
  const routePost = (req: IncomingMessage, res: ServerResponse, run: () => Promise<void>) => {
    if (!cors(req, res, options.origins)) return;
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'POST') {
      json(res, 405, failure('invalid_payload', 'use POST'));
      return;
    }
    run().catch((err: unknown) => refuse(res, err, options.logger));
  };

  return {
    handle(req: IncomingMessage, res: ServerResponse): boolean {
      const path = (req.url ?? '/').split('?', 1)[0]!;
      if (path === ATTACHMENTS.uploadPath) {
        routePost(req, res, () => upload(req, res));
        return true;
      }
      const resigned = RESIGN_PATH.exec(path);
      if (resigned) {
        routePost(req, res, () => resign(req, res, resigned[1]!));
        return true;
      }
      if (path.startsWith('/files/') && (req.method === 'GET' || req.method === 'HEAD')) {
        serveDownload(req, res, options).catch((err: unknown) => {
          options.logger.error('file download failed', { err });
          if (!res.headersSent) json(res, 500, failure('internal', 'internal error'));
          else res.destroy();
        });
        return true;
      }
      return false;
    },
    close: () => clearInterval(cleanup),
  };
}

/** The uploader from its header token: a visitor's session, or an agent with the conversation it uploads to. */
async function identify(
  req: IncomingMessage,
  options: AttachmentHttpOptions,
  known: readonly { name: string; digest: Buffer }[],
): Promise<Uploader> {
  const session = header(req, ATTACHMENTS.sessionHeader);
  if (session) {
    const found = await options.store.findSession(hashToken(session));
    if (!found) throw new UploadError(401, 'unauthorized', 'unknown or expired session');
    return { owner: `visitor:${found.visitorId}`, conversationId: found.conversationId };
  }
  const token = header(req, ATTACHMENTS.agentHeader);
  const name = token ? authenticate(known, token) : undefined;
  if (name === undefined)
    throw new UploadError(
      401,
      'unauthorized',
      `send ${ATTACHMENTS.sessionHeader} or a valid ${ATTACHMENTS.agentHeader}`,
    );
  const conversationId = header(req, ATTACHMENTS.conversationHeader) ?? '';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(conversationId) || !(await options.store.hasConversation(conversationId))) {
    throw new UploadError(404, 'not_found', 'no such conversation');
  }
  return { owner: `agent:${name}`, conversationId };
}

/**
 * New signed URLs of a file of `conversationId`'s messages. Another conversation's file, a pending upload and a file
 * whose message is gone all answer 404 alike, so ids cannot be probed.
 */
async function freshUrls(
  options: AttachmentHttpOptions,
  conversationId: string,
  id: string,
): Promise<{ url: string; thumbUrl?: string }> {
  const attachment = await options.store.findServableAttachment(id);
  if (!attachment || attachment.conversationId !== conversationId) {
    throw new UploadError(404, 'not_found', 'no such file in this conversation');
  }
  const url = options.signer.url(id, 'file');
  return attachment.thumb ? { url, thumbUrl: options.signer.url(id, 'thumb') } : { url };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return typeof value === 'string' && value.length > 0 && value.length <= 1024 ? value : undefined;
}

/** Answers for browsers on allowed origins only (visitor pages and consoles); false when the origin is refused. */
function cors(req: IncomingMessage, res: ServerResponse, origins: OriginPolicy): boolean {
  res.setHeader('Vary', 'Origin');
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (!origins.visitorAllowed(req.headers) && !origins.agentAllowed(req.headers)) {
    json(res, 403, failure('origin_refused', 'this origin may not upload; see PARLEY_ORIGINS'));
    return false;
  }
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Allow-Methods', 'POST');
  res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
  res.setHeader('Access-Control-Max-Age', '600');
  return true;
}

function rateLimited(): UploadError {
  return new UploadError(429, 'rate_limited', 'too many uploads; wait a minute and retry');
}

function refuse(res: ServerResponse, err: unknown, logger: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // The rest of a refused body is not read: the connection closes after the answer.
  res.setHeader('Connection', 'close');
  if (err instanceof UploadError) {
    json(res, err.status, failure(err.code, err.message));
    return;
  }
  logger.error('upload failed', { err });
  json(res, 500, failure('storage_error', 'could not store the file; retry later'));
}

function failure(code: ErrorAck['code'], message: string): ErrorAck {
  return { ok: false, code, message };
}

function json(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}
