import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import { CONSOLE_DB, createReplyStore } from '../../../demo/console/reply-store';

describe('the console reply store (fake-indexeddb)', () => {
  beforeEach(() => {
    globalThis.indexedDB = new IDBFactory();
  });

  it('keeps call order after concurrent enqueues, each with its own client id, and survives a new instance', async () => {
    const store = createReplyStore();
    const texts = Array.from({ length: 20 }, (_, i) => `reply ${i}`);
    await Promise.all(texts.map((t, i) => store.enqueue('Ana', i % 2 ? 'c1' : 'c2', t)));
    const again = await createReplyStore().replies('Ana');
    expect(again.map((r) => r.text)).toEqual(texts);
    expect(new Set(again.map((r) => r.clientId)).size).toBe(20);
    for (const r of again) expect(r.clientId).toMatch(/^[0-9a-f]{32}$/);
    expect((await indexedDB.databases()).map((d) => d.name)).toEqual([CONSOLE_DB]);
  });

  it("keeps each agent's replies and drafts apart", async () => {
    const store = createReplyStore();
    await store.enqueue('Ana', 'c1', 'from Ana');
    await store.enqueue('Ben', 'c1', 'from Ben');
    await store.setDraft('Ana', 'c1', 'Ana typing');
    await store.setDraft('Ben', 'c1', 'Ben typing');
    expect((await store.replies('Ana')).map((r) => r.text)).toEqual(['from Ana']);
    expect(await store.drafts('Ana')).toEqual({ c1: 'Ana typing' });
    await store.setDraft('Ana', 'c1', '');
    expect(await store.drafts('Ana')).toEqual({});
    expect(await store.drafts('Ben')).toEqual({ c1: 'Ben typing' });
  });

  it('removes an acknowledged reply and keeps a refused one with its reason', async () => {
    const store = createReplyStore();
    const a = await store.enqueue('Ana', 'c1', 'a');
    const b = await store.enqueue('Ana', 'c1', 'b');
    await store.remove(a.clientId);
    await store.fail(b, 'not_found: no such conversation');
    expect(await createReplyStore().replies('Ana')).toEqual([{ ...b, error: 'not_found: no such conversation' }]);
  });

  it('degrades to memory when IndexedDB fails, and says so', async () => {
    const failing = {
      open: () => {
        throw new Error('disabled');
      },
    } as unknown as IDBFactory;
    globalThis.indexedDB = failing;
    const errors: unknown[] = [];
    const store = createReplyStore((err) => errors.push(err));
    await store.enqueue('Ana', 'c1', 'kept in memory');
    expect(store.durable).toBe(false);
    expect(errors).toHaveLength(1);
    expect((await store.replies('Ana')).map((r) => r.text)).toEqual(['kept in memory']);
  });
});
