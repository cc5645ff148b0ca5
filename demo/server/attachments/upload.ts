import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Busboy, type BusboyInstance } from '@fastify/busboy';
import type { ErrorCode, UploadedFile } from '../../../src/protocol';
import type { Logger } from '../log';
import type { Store } from '../store/types';
import { isImageType, reencodeImage } from './images';
import { detectKind, SNIFF_BYTES } from './kinds';
import { safeFileName } from './names';
import type { FileStorage } from './storage';

/** Who is uploading, once the request's header token was checked. */
export interface Uploader {
  owner: string;
  conversationId: string;
}

export interface UploadSettings {
  store: Store;
  storage: FileStorage;
  maxBytes: number;
  types: readonly string[];
  logger: Logger;
  now: () => number;
}

/** A refusal of an upload, answered as `{ ok: false, code, message }` with this HTTP status. */
export class UploadError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Streams the request's single file to a temporary file (never into memory), refusing it as soon as it passes
 * `maxBytes`; then checks its type, re-encodes images, stores the result and records the pending attachment.
 */
export async function receiveUpload(
  req: IncomingMessage,
  settings: UploadSettings,
  uploader: Uploader,
): Promise<UploadedFile> {
  const temp = join(tmpdir(), `parley-upload-${randomUUID()}`);
  try {
    const name = await streamToFile(req, temp, settings.maxBytes);
    return await storeUpload(temp, name, settings, uploader);
  } finally {
    await rm(temp, { force: true });
  }
}

/** Resolves with the file's (sanitised) name once its bytes are in `path`. */
function streamToFile(req: IncomingMessage, path: string, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let parser: BusboyInstance;
    try {
      parser = new Busboy({
        headers: req.headers as { 'content-type': string },
        limits: { files: 1, fileSize: maxBytes, fields: 0, parts: 1, headerPairs: 20, fieldNameSize: 100 },
      });
    } catch {
      reject(new UploadError(400, 'invalid_payload', 'expected a multipart/form-data body'));
      return;
    }
    let received: Promise<string> | undefined;
    const fail = (err: UploadError) => {
      req.unpipe(parser);
      reject(err);
    };
    parser.on('file', (_field, file, filename) => {
      const name = safeFileName(filename ?? '');
      file.on('limit', () => fail(tooLarge(maxBytes)));
      received = pipeline(file, createWriteStream(path, { mode: 0o600 })).then(() => name);
      received.catch(() => {});
    });
    parser.on('filesLimit', () => fail(new UploadError(400, 'invalid_payload', 'one file per upload')));
    parser.on('partsLimit', () => fail(new UploadError(400, 'invalid_payload', 'one file per upload')));
    parser.on('error', () => fail(new UploadError(400, 'invalid_payload', 'malformed multipart body')));
    parser.on('finish', () => {
      if (!received) return reject(new UploadError(400, 'invalid_payload', 'no file in the upload'));
      received.then(resolve, () => reject(new UploadError(400, 'invalid_payload', 'the upload was cut off')));
    });
    req.on('aborted', () => fail(new UploadError(400, 'invalid_payload', 'the upload was cut off')));
    req.pipe(parser);
  });
}

export function tooLarge(maxBytes: number): UploadError {
  return new UploadError(413, 'file_too_large', `files may be at most ${Math.round(maxBytes / 1048576)} MB`);
}

async function storeUpload(temp: string, name: string, s: UploadSettings, uploader: Uploader): Promise<UploadedFile> {
  const head = await readHead(temp);
  const kind = await detectKind(head, name, s.types);
  if (!kind.ok) throw new UploadError(415, 'file_type_refused', kind.message);
  const id = randomUUID();
  let size: number;
  let image: { width: number; height: number } | undefined;
  if (kind.image && isImageType(kind.type)) {
    const encoded = await reencodeImage(temp, kind.type).catch(() => {
      throw new UploadError(415, 'file_type_refused', 'the image could not be read, or it is too large in pixels');
    });
    size = await s.storage.write(id, encoded.data);
    await s.storage.write(`${id}.thumb`, encoded.thumb);
    image = { width: encoded.width, height: encoded.height };
  } else {
    const file = await open(temp);
    try {
      size = await s.storage.write(id, file.createReadStream({ autoClose: false }));
    } finally {
      await file.close();
    }
  }
  const record = { id, name, type: kind.type, size, ...image };
  await s.store.createAttachment({ ...record, ...uploader, thumb: image !== undefined, createdAt: s.now() });
  return record;
}

async function readHead(path: string): Promise<Uint8Array> {
  const file = await open(path);
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}
