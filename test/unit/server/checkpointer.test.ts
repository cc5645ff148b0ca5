// @vitest-environment node
// WAL checkpoints in a worker thread (demo/server/store/sqlite/checkpointer.ts): the gateway's own connection never
// checkpoints, so a commit never waits for the database file's fsync; the worker keeps the WAL from growing.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CheckpointResult, startCheckpointer } from '../../../demo/server/store/sqlite/checkpointer';
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

function writer() {
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (x TEXT)');
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  return { db, write: () => insert.run('x'.repeat(4000)) };
}

describe('sqlite checkpointer', () => {
  it('copies the WAL into the database from its own thread while the writer never checkpoints', async () => {
    const { db, write } = writer();
    for (let i = 0; i < 2000; i++) write();
    // Nobody checkpointed: everything is still in the WAL only.
    expect(db.pragma('wal_checkpoint(NOOP)')).toEqual([{ busy: 0, log: expect.any(Number), checkpointed: 0 }]);

    const results: (CheckpointResult & { gated: boolean })[] = [];
    const checkpointer = startCheckpointer({ path: dbPath, intervalMs: 20, onCheckpoint: (r) => results.push(r) });
    await until(() => results.some((r) => r.log > 0 && r.checkpointed === r.log));
    await checkpointer.close();
    await checkpointer.close();
    const [after] = db.pragma('wal_checkpoint(NOOP)') as CheckpointResult[];
    expect(after!.checkpointed).toBe(after!.log);
    db.close();
  });

  it('holds writes for a checkpoint when the WAL is long, so that it starts over rather than growing', async () => {
    // Writes all the time (a few MB/s, the gateway's rate at its limit): a checkpoint beside them never finds every
    // frame copied when a write begins, so without the gate the WAL would hold all of the 20+ MB written.
    const { db, write } = writer();
    const results: (CheckpointResult & { gated: boolean })[] = [];
    const checkpointer = startCheckpointer({
      path: dbPath,
      intervalMs: 20,
      commits: 50,
      restartFrames: 1000,
      onCheckpoint: (r) => results.push(r),
    });
    let written = 0;
    const started = Date.now();
    // At least 5,000 writes over 2 s; on a loaded machine the worker may get its first turn later, so the writes go on
    // (up to 20 s) until a gated checkpoint was seen.
    const gated = () => results.some((r) => r.gated);
    const more = () => Date.now() - started < (gated() ? 2000 : 20_000);
    while (written < 5000 || more()) {
      const gate = checkpointer.gate();
      if (gate) await gate;
      write();
      checkpointer.committed();
      written++;
      if (written % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(gated()).toBe(true);
    const wal = (await stat(`${dbPath}-wal`)).size;
    expect(wal).toBeLessThan(written * 4096 * 0.5);
    await checkpointer.close();
    db.close();
  }, 40_000);

  it('is what a file store uses; a store in memory, or asked for `auto`, checkpoints itself', async () => {
    const store = openSqliteStore({ path: dbPath });
    expect(store.settings().walAutocheckpoint).toBe(0);
    const session = await store.createSession({ tokenHash: 'h', site: 'acme', meta: {}, now: 1 });
    const sent = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.appendMessage(session.conversationId, { author: 'visitor', text: `${i}` }),
      ),
    );
    expect(sent.map((r) => r.message.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await store.close();
    const memory = openSqliteStore({ path: ':memory:' });
    expect(memory.settings().walAutocheckpoint).toBe(1000);
    await memory.close();
    const auto = openSqliteStore({ path: join(dir, 'auto.db'), checkpoints: 'auto' });
    expect(auto.settings().walAutocheckpoint).toBe(1000);
    await auto.close();
  });
});
