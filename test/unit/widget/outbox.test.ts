import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOutbox, OUTBOX_CAP, OutboxFullError, outboxDbName } from '../../../src/app/outbox';

let site = 0;
const nextSite = () => `site${++site}`;

describe('outbox (fake-indexeddb)', () => {
  beforeEach(() => {
    globalThis.indexedDB = new IDBFactory();
  });
  afterEach(() => vi.restoreAllMocks());

  it('keeps call order and count after concurrent enqueues', async () => {
    const box = createOutbox(nextSite());
    const texts = Array.from({ length: 25 }, (_, i) => `m${i}`);
    const entries = await Promise.all(texts.map((t) => box.enqueue(t)));
    const all = await box.all();
    expect(all.map((e) => e.text)).toEqual(texts);
    expect(new Set(all.map((e) => e.clientId)).size).toBe(25);
    expect(all.map((e) => e.clientId)).toEqual(entries.map((e) => e.clientId));
    for (const e of all) expect(e.clientId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('persists in a per-site IndexedDB database that a new instance reads back', async () => {
    const s = nextSite();
    await createOutbox(s).enqueue('survives a reload');
    const dbs = await indexedDB.databases();
    expect(dbs.map((d) => d.name)).toContain(outboxDbName(s));
    expect(dbs.map((d) => d.name)).not.toContain('keyval-store');
    const reopened = await createOutbox(s).all();
    expect(reopened.map((e) => e.text)).toEqual(['survives a reload']);
  });

  it('removes only the acknowledged entry', async () => {
    const box = createOutbox(nextSite());
    const [a, , c] = await Promise.all([box.enqueue('a'), box.enqueue('b'), box.enqueue('c')]);
    await box.remove(a!.clientId);
    await box.remove(c!.clientId);
    expect((await box.all()).map((e) => e.text)).toEqual(['b']);
  });

  it('refuses new entries over the cap and keeps the existing ones', async () => {
    const box = createOutbox(nextSite());
    for (let i = 0; i < OUTBOX_CAP; i++) await box.enqueue(`m${i}`);
    await expect(box.enqueue('one too many')).rejects.toBeInstanceOf(OutboxFullError);
    const all = await box.all();
    expect(all).toHaveLength(OUTBOX_CAP);
    expect(all.at(-1)?.text).toBe(`m${OUTBOX_CAP - 1}`);
  });

  it('degrades to memory when IndexedDB.open throws, and keeps the message', async () => {
    vi.spyOn(indexedDB, 'open').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError');
    });
    const onDegrade = vi.fn();
    const box = createOutbox(nextSite(), onDegrade);
    await box.enqueue('kept');
    expect(box.durable).toBe(false);
    expect(onDegrade).toHaveBeenCalledTimes(1);
    expect((onDegrade.mock.calls[0]![0] as DOMException).name).toBe('SecurityError');
    expect((await box.all()).map((e) => e.text)).toEqual(['kept']);
  });

  it('degrades to memory on a quota error and loses neither the new nor the stored messages', async () => {
    const box = createOutbox(nextSite());
    await box.enqueue('stored');
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    const onDegrade = vi.fn();
    const box2 = createOutbox(`site${site}`, onDegrade);
    await box2.enqueue('over quota');
    expect(box2.durable).toBe(false);
    expect((onDegrade.mock.calls[0]![0] as DOMException).name).toBe('QuotaExceededError');
    expect((await box2.all()).map((e) => e.text)).toEqual(['stored', 'over quota']);
  });

  it('works without IndexedDB at all', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: removing the global is the point
    delete (globalThis as any).indexedDB;
    const box = createOutbox(nextSite());
    expect(box.durable).toBe(false);
    await box.enqueue('memory only');
    expect((await box.all()).map((e) => e.text)).toEqual(['memory only']);
  });
});
