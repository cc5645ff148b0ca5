import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from '../log';
import type { OriginPolicy } from '../origins';
import type { Store } from '../store/types';
import { createAttachmentRoutes } from './http';
import { DEFAULT_TYPES } from './kinds';
import { withAttachmentUrls } from './messages';
import { createUrlSigner, DEFAULT_URL_TTL_MS } from './signing';
import { type FileStorage, openLocalStorage } from './storage';
import { startAttachmentSweeper } from './sweep';

/** `PARLEY_MAX_UPLOAD_MB` default. */
export const DEFAULT_MAX_UPLOAD_MB = 10;

export interface AttachmentOptions {
  /** `PARLEY_UPLOADS_DIR`; default `uploads/` beside the SQLite file. */
  uploadsDir?: string;
  /** `local` (default) or `postgres` (shared by several processes; default with `redisUrl`). */
  uploadStorage?: 'local' | 'postgres';
  /** Bytes per file (`PARLEY_MAX_UPLOAD_MB`, default 10 MB). */
  maxUploadBytes?: number;
  /** Allowed MIME types (`PARLEY_UPLOAD_TYPES`), a subset of `KINDS`; default all of them. */
  uploadTypes?: readonly string[];
  /** `PARLEY_FILE_URL_SECRET` (32+ characters); default generated once and kept beside the database. */
  fileUrlSecret?: string;
  /** How long a signed URL works; default one hour. */
  fileUrlTtlMs?: number;
  /** How often expired uploads and files of deleted messages are removed; default 10 minutes. */
  attachmentSweepMs?: number;
  /** Wall clock for URL expiry, upload times and the sweep (tests move it). */
  attachmentClock?: () => number;
}

export interface AttachmentSetup {
  /** The store whose messages carry attachments with signed URLs. */
  store: Store;
  storage: FileStorage;
  /** The HTTP routes: true when the request was theirs. */
  handle: ReturnType<typeof createAttachmentRoutes>['handle'];
  sweep(): Promise<number>;
  close(): Promise<void>;
}

export async function setupAttachments(
  options: AttachmentOptions & {
    store: Store;
    dbPath: string;
    databaseUrl?: string;
    dbSchema?: string;
    redisUrl?: string;
    origins: OriginPolicy;
    agents: readonly { name: string; token: string }[];
    trustProxy: number;
    logger: Logger;
    track: <T>(work: Promise<T>) => Promise<T>;
  },
): Promise<AttachmentSetup> {
  const now = options.attachmentClock ?? Date.now;
  const storage = await openStorage(options);
  const secret = options.fileUrlSecret ?? (await storage.secret());
  const signer = createUrlSigner(secret, { ttlMs: options.fileUrlTtlMs ?? DEFAULT_URL_TTL_MS, now });
  const routes = createAttachmentRoutes({
    store: options.store,
    storage,
    signer,
    origins: options.origins,
    agents: options.agents,
    trustProxy: options.trustProxy,
    maxBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_MB * 1024 * 1024,
    types: options.uploadTypes ?? DEFAULT_TYPES,
    logger: options.logger,
    now,
  });
  const sweeper = startAttachmentSweeper({
    store: options.store,
    storage,
    intervalMs: options.attachmentSweepMs ?? 10 * 60 * 1000,
    now,
    logger: options.logger,
    track: options.track,
  });
  return {
    store: withAttachmentUrls(options.store, signer),
    storage,
    handle: routes.handle,
    sweep: sweeper.sweep,
    async close() {
      sweeper.stop();
      routes.close();
      await storage.close();
    },
  };
}

async function openStorage(
  options: AttachmentOptions & { dbPath: string; databaseUrl?: string; dbSchema?: string; redisUrl?: string },
) {
  const kind = options.uploadStorage ?? (options.redisUrl ? 'postgres' : 'local');
  if (kind === 'postgres') {
    if (!options.databaseUrl) throw new Error('PARLEY_UPLOAD_STORAGE=postgres needs DATABASE_URL');
    const { openPostgresStorage } = await import('./pg-storage');
    return openPostgresStorage({ url: options.databaseUrl, ...(options.dbSchema ? { schema: options.dbSchema } : {}) });
  }
  // An in-memory database (tests) has no directory: its files go to a fresh temporary one, never the working dir.
  const beside =
    options.dbPath === ':memory:' ? await mkdtemp(join(tmpdir(), 'parley-files-')) : dirname(options.dbPath);
  return openLocalStorage(options.uploadsDir ?? join(beside, 'uploads'), join(beside, 'file-url.secret'));
}
