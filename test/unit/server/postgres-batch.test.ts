// @vitest-environment node
// Group commit on PostgreSQL: a burst of appends, first messages included, is one statement (one round trip), where
// each append used to be one statement and each first message a failed append plus a five-statement transaction.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openPostgresStore } from '../../../demo/server/store/postgres/store';
import { NotFoundError } from '../../../demo/server/store/types';
import { DATABASE_URL, databaseUnavailable } from '../../support/cluster';

const unavailable = await databaseUnavailable();
const schema = `parley_batch_${randomBytes(4).toString('hex')}`;

afterAll(async () => {
  if (unavailable) return;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

describe.skipIf(unavailable !== undefined)('postgres append batches', () => {
  it('stores a burst of 30 appends to 3 new conversations, in one round trip; a missing one fails alone', async () => {
    const store = await openPostgresStore({ url: DATABASE_URL!, schema });
    try {
      const ids = await Promise.all(
        [1, 2, 3].map(
          async (i) =>
            (await store.createSession({ tokenHash: `t${i}`, site: 'acme', meta: {}, now: 1 })).conversationId,
        ),
      );
      const queries = vi.spyOn(pg.Pool.prototype, 'query');
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          store.appendMessage(ids[i % 3]!, { author: 'visitor', clientId: `c${i}`, text: `m${i}` }),
        ),
      );
      expect(queries).toHaveBeenCalledTimes(1);
      expect(results.filter((r) => r.created)).toHaveLength(3);
      for (const id of ids) {
        const seqs = results.filter((r) => r.message.conversationId === id).map((r) => r.message.seq);
        expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      }
      // A conversation nobody reserved: its message gets no row, is tried once more alone, then refused; the others
      // of its batch are stored.
      queries.mockClear();
      const mixed = await Promise.allSettled([
        store.appendMessage(ids[0]!, { author: 'visitor', clientId: 'after', text: 'after' }),
        store.appendMessage('missing', { author: 'visitor', clientId: 'x', text: 'x' }),
      ]);
      expect(mixed[0]).toMatchObject({ status: 'fulfilled', value: { message: { seq: 11 } } });
      expect(mixed[1]).toMatchObject({ status: 'rejected', reason: expect.any(NotFoundError) });
      expect(queries).toHaveBeenCalledTimes(2);
      queries.mockRestore();
    } finally {
      await store.close();
    }
  });
});
