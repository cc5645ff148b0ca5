import type { Logger } from '../log';
import { redact } from '../redact';
import { openSqliteStore } from './sqlite/store';
import type { Store } from './types';

export interface StoreChoice {
  /** SQLite file, used unless `databaseUrl` is set. */
  dbPath: string;
  dbSync?: 'normal' | 'full';
  dbBusyTimeoutMs?: number;
  /** PostgreSQL connection URL (`DATABASE_URL`). */
  databaseUrl?: string;
  dbSchema?: string;
}

/**
 * Opens the store the options ask for. PostgreSQL is imported only when asked for, so a SQLite-only gateway never
 * loads `pg` (and does not need it installed).
 */
export async function openStore(options: StoreChoice, logger: Logger): Promise<Store> {
  if (!options.databaseUrl) {
    return openSqliteStore({
      path: options.dbPath,
      sync: options.dbSync ?? 'normal',
      busyTimeoutMs: options.dbBusyTimeoutMs,
    });
  }
  const url = options.databaseUrl;
  const { openPostgresStore } = await import('./postgres/store');
  return openPostgresStore({
    url,
    ...(options.dbSchema ? { schema: options.dbSchema } : {}),
    onError: (err) => logger.warn('postgres connection lost; the pool reconnects on next use', { err }),
  }).catch((err: unknown) => {
    throw new Error(`cannot open DATABASE_URL ${redact(url)}: ${(err as Error).message}`);
  });
}
