import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import contentDisposition from 'content-disposition';
import type { Store } from '../store/types';
import { KINDS } from './kinds';
import type { UrlSigner } from './signing';
import type { FileStorage } from './storage';

const ID = /^[A-Za-z0-9-]{1,64}$/;

/** Headers of every file response: never sniffed into something active, never able to run script if opened. */
export const FILE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
  'Referrer-Policy': 'no-referrer',
  // Host pages on other origins show images in <img> (also under COEP require-corp).
  'Cross-Origin-Resource-Policy': 'cross-origin',
} as const;

/**
 * `GET /files/<id>/<file|thumb>?exp=&sig=`: 403 for a missing, altered or expired signature (before any lookup);
 * 404 for a file whose message or conversation is gone. Re-encoded images are served inline, everything else as
 * `attachment`, with the name through `content-disposition` (`filename*`, never raw in a header).
 */
export async function serveDownload(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { store: Store; storage: FileStorage; signer: UrlSigner },
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://gateway');
  const [, , id = '', variant = '', ...rest] = url.pathname.split('/');
  for (const [header, value] of Object.entries(FILE_HEADERS)) res.setHeader(header, value);
  if (rest.length > 0 || !ID.test(id) || (variant !== 'file' && variant !== 'thumb')) return end(res, 404);
  if (!deps.signer.verify(id, variant, url.searchParams.get('exp'), url.searchParams.get('sig'))) return end(res, 403);
  const attachment = await deps.store.findServableAttachment(id);
  if (!attachment || (variant === 'thumb' && !attachment.thumb)) return end(res, 404);
  const found = await deps.storage.read(variant === 'thumb' ? `${id}.thumb` : id);
  if (!found) return end(res, 404);
  const image = KINDS[attachment.type]?.image === true;
  const type = variant === 'thumb' ? 'image/webp' : attachment.type;
  res.setHeader('Content-Type', type === 'text/plain' ? 'text/plain; charset=utf-8' : type);
  res.setHeader('Content-Length', found.size);
  res.setHeader(
    'Content-Disposition',
    contentDisposition.create(attachment.name, { type: image ? 'inline' : 'attachment' }),
  );
  // Private: a shared cache must not keep a file for anyone else; the URL itself stops working at `exp`.
  res.setHeader('Cache-Control', 'private, max-age=300');
  res.statusCode = 200;
  if (req.method === 'HEAD') {
    found.stream.destroy();
    res.end();
    return;
  }
  await pipeline(found.stream, res);
}

function end(res: ServerResponse, status: number): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(status === 403 ? 'forbidden' : 'not found');
}
