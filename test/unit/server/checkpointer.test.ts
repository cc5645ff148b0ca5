// @vitest-environment node
// WAL checkpoints in a worker thread (demo/server/store/sqlite/checkpointer.ts): the gateway's own connection never
// checkpoints, so a commit never waits for the database file's fsync; the worker keeps the WAL from growing.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../../demo/server/store/sqlite/checkpointer';
import { openSqliteStore } from '../../../demo/server/store/sqlite/store';

let dir: string;
let dbPath: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-checkpoint-'));
  dbPath = join(dir, 'parley.db');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function until(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('sqlite checkpointer', () => {
  it('copies the WAL into the database from its own thread while the writer never checkpoints', async () => {
    const db = new Database(dbPath);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (x TEXT)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    for (let i = 0; i < 2000; i++) insert.run('x'.repeat(500));
    // Nobody checkpointed: everything is still in the WAL only.
    expect(db.pragma('wal_checkpoint(NOOP)')).toEqual([{ busy: 0, log: expect.any(Number), checkpointed: 0 }]);

    const results: { log: number; checkpointed: number; gated: boolean }[] = [];
    const checkpointer = startCheckpointer({ path: dbPath, intervalMs: 20, onCheckpoint: (r) => results.push(r) });
    await until(() => results.some((r) => r.log > 0 && r.checkpointed === r.log));
    // The WAL was long: the checkpoint after the first one held appends (gated) until it was complete.
    await until(() => results.some((r) => r.gated));
    await checkpointer.close();
    await checkpointer.close();
    // The writer's connection finds the WAL fully copied: the next commit starts the WAL over, so it stops growing.
    const [after] = db.pragma('wal_checkpoint(NOOP)') as { log: number; checkpointed: number }[];
    expect(after!.checkpointed).toBe(after!.log);
    db.close();
  });

  it('is what a file store uses: its WAL stays small under many commits, and a store in memory has none', async () => {
    const store = openSqliteStore({ path: dbPath });
    expect(store.settings().walAutocheckpoint).toBe(0);
    const session = await store.createSession({ tokenHash: 'h', site: 'acme', meta: {}, now: 1 });
    // About 20 MB through the WAL in 2,000 commits without a pause: without checkpoints it would hold all of it, and
    // with checkpoints beside the commits only (never all frames copied when a write begins) it would never start over.
    const started = Date.now();
    for (let i = 0; i < 2000 || Date.now() - started < 3000; i++) {
      await store.appendMessage(session.conversationId, { author: 'visitor', text: `${i} ${'x'.repeat(4000)}` });
    }
    const wal = (await stat(`${dbPath}-wal`)).size;
    expect(wal).toBeLessThan(16 * 1024 * 1024);
    await store.close();
    expect((await store.messagesAfter(session.conversationId, 0).catch((err: Error) => err)) instanceof Error).toBe(
      true,
    );
    const memory = openSqliteStore({ path: ':memory:' });
    expect(memory.settings().walAutocheckpoint).toBe(1000);
    await memory.close();
    const auto = openSqliteStore({ path: join(dir, 'auto.db'), checkpoints: 'auto' });
    expect(auto.settings().walAutocheckpoint).toBe(1000);
    await auto.close();
  });
});
