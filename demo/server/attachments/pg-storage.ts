import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import pg from 'pg';
import { quoteIdent } from '../store/postgres/migrations';
import { checkKey, type FileStorage } from './storage';

/** Bytes per row of `attachment_chunks`: small enough to never hold more than one in memory per transfer. */
export const CHUNK_BYTES = 256 * 1024;

/**
 * File bytes in PostgreSQL, for several gateway processes (cluster mode requires PostgreSQL already, so this adds no
 * service to run, back up or secure). BYTEA chunks rather than large objects: plain rows, so `pg_dump`, replication
 * and deletion need nothing special, and no `lo_unlink` can be forgotten. Reads and writes go chunk by chunk. The
 * tables are created by the store's migrations.
 */
export function openPostgresStorage(options: { url: string; schema?: string }): FileStorage {
  const config: pg.PoolConfig = { connectionString: options.url, max: 4, application_name: 'parley-files' };
  if (options.schema !== undefined) config.options = `-c search_path=${quoteIdent(options.schema)}`;
  const pool = new pg.Pool(config);
  pool.on('error', () => {});
  return {
    kind: 'postgres',
    write: (key, source) => writeChunks(pool, key, source),
    async read(key) {
      checkKey(key);
      const { rows } = await pool.query<{ n: number; size: string }>(
        'SELECT count(*)::int AS n, coalesce(sum(octet_length(data)), 0)::bigint AS size FROM attachment_chunks WHERE key = $1',
        [key],
      );
      const chunks = rows[0]?.n ?? 0;
      if (chunks === 0) return undefined;
      return { stream: Readable.from(readChunks(pool, key, chunks)), size: Number(rows[0]!.size) };
    },
    async remove(key) {
      checkKey(key);
      await pool.query('DELETE FROM attachment_chunks WHERE key = $1', [key]);
    },
    async secret() {
      await pool.query(
        "INSERT INTO parley_settings (key, value) VALUES ('file_url_secret', $1) ON CONFLICT (key) DO NOTHING",
        [randomBytes(32).toString('base64url')],
      );
      const { rows } = await pool.query<{ value: string }>(
        "SELECT value FROM parley_settings WHERE key = 'file_url_secret'",
      );
      return rows[0]!.value;
    },
    close: () => pool.end(),
  };
}

async function writeChunks(pool: pg.Pool, key: string, source: Readable | Buffer): Promise<number> {
  checkKey(key);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('DELETE FROM attachment_chunks WHERE key = $1', [key]);
    let n = 0;
    let total = 0;
    for await (const chunk of rechunk(Buffer.isBuffer(source) ? [source] : source)) {
      await client.query('INSERT INTO attachment_chunks (key, n, data) VALUES ($1, $2, $3)', [key, n++, chunk]);
      total += chunk.length;
    }
    await client.query('COMMIT');
    return total;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Regroups a stream's buffers into `CHUNK_BYTES` pieces (the last one shorter). */
async function* rechunk(source: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const piece of source) {
    let buf = piece;
    while (size + buf.length >= CHUNK_BYTES) {
      const take = CHUNK_BYTES - size;
      pending.push(buf.subarray(0, take));
      yield Buffer.concat(pending);
      buf = buf.subarray(take);
      pending = [];
      size = 0;
    }
    if (buf.length > 0) {
      pending.push(buf);
      size += buf.length;
    }
  }
  if (size > 0) yield Buffer.concat(pending);
}

async function* readChunks(pool: pg.Pool, key: string, chunks: number): AsyncGenerator<Buffer> {
  for (let n = 0; n < chunks; n++) {
    const { rows } = await pool.query<{ data: Buffer }>(
      'SELECT data FROM attachment_chunks WHERE key = $1 AND n = $2',
      [key, n],
    );
    if (!rows[0]) throw new Error(`chunk ${n} of ${key} vanished`);
    yield rows[0].data;
  }
}
