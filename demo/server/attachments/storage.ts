import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Where file bytes live. Keys are chosen by the gateway (`<uuid>` and `<uuid>.thumb`), never by a client. The local
 * directory serves one process; PostgreSQL (`pg-storage.ts`) serves any number of them.
 */
export interface FileStorage {
  readonly kind: 'local' | 'postgres';
  /** Stores the bytes of `source` under `key`, replacing any; resolves with the byte count. */
  write(key: string, source: Readable | Buffer): Promise<number>;
  /** The bytes of `key` and their size, or undefined when there is none. */
  read(key: string): Promise<{ stream: Readable; size: number } | undefined>;
  /** Idempotent. */
  remove(key: string): Promise<void>;
  /** The URL-signing secret every process sharing this storage agrees on, created on first use. */
  secret(): Promise<string>;
  close(): Promise<void>;
}

const KEY = /^[A-Za-z0-9_-]{1,64}(\.thumb)?$/;

export function checkKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`invalid storage key ${JSON.stringify(key.slice(0, 80))}`);
}

/** A directory (`PARLEY_UPLOADS_DIR`); files are written beside their final name and renamed, so never half-read. */
export async function openLocalStorage(dir: string, secretPath: string): Promise<FileStorage> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const pathOf = (key: string) => {
    checkKey(key);
    const path = join(root, key);
    if (!path.startsWith(root + sep)) throw new Error('storage key escapes the directory');
    return path;
  };
  return {
    kind: 'local',
    async write(key, source) {
      const path = pathOf(key);
      const part = `${path}.${randomBytes(6).toString('hex')}.part`;
      try {
        if (Buffer.isBuffer(source)) await writeFile(part, source, { mode: 0o600 });
        else await pipeline(source, createWriteStream(part, { mode: 0o600 }));
        await rename(part, path);
      } catch (err) {
        await rm(part, { force: true });
        throw err;
      }
      return (await stat(path)).size;
    },
    async read(key) {
      const path = pathOf(key);
      const found = await stat(path).catch(() => undefined);
      if (!found?.isFile()) return undefined;
      return { stream: createReadStream(path), size: found.size };
    },
    async remove(key) {
      await rm(pathOf(key), { force: true });
    },
    secret: () => localSecret(secretPath),
    async close() {},
  };
}

/** Read from `path`, or created there (0600) by whichever process gets there first. */
async function localSecret(path: string): Promise<string> {
  try {
    await writeFile(path, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return (await readFile(path, 'utf8')).trim();
}
