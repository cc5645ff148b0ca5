import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTabs } from '../../../src/client/tabs';

/**
 * The Web Locks of one browser, as far as the tab locks use them: a lock is granted when free, `ifAvailable` gets
 * `null` when it is taken, and a plain request waits its turn. Several `createTabs` over one of these are the tabs
 * of one browser (happy-dom and Node have no `navigator.locks`).
 */
function fakeLocks() {
  const held = new Set<string>();
  const queues = new Map<string, (() => void)[]>();
  const requested: string[] = [];
  const free = (name: string) => {
    held.delete(name);
    queues.get(name)?.shift()?.();
  };
  async function request(name: string, ...args: unknown[]): Promise<unknown> {
    const cb = args.at(-1) as (lock: Lock | null) => Promise<unknown>;
    const ifAvailable = args.length > 1 && (args[0] as LockOptions).ifAvailable;
    requested.push(name);
    if (held.has(name)) {
      if (ifAvailable) return cb(null);
      await new Promise<void>((turn) => queues.set(name, [...(queues.get(name) ?? []), turn]));
    }
    held.add(name);
    try {
      return await cb({ name, mode: 'exclusive' });
    } finally {
      free(name);
    }
  }
  return { locks: { request } as unknown as LockManager, held, requested };
}

const opened: { close(): void }[] = [];
/** Two tabs of one browser sharing `locks`, their locks named `prefix + name`. */
function twoTabs(prefix: string, locks: LockManager | undefined) {
  const tabs = [createTabs<never>('parley-test', prefix, locks), createTabs<never>('parley-test', prefix, locks)];
  opened.push(...tabs);
  return tabs as [(typeof tabs)[0], (typeof tabs)[0]];
}

afterEach(() => {
  for (const tab of opened.splice(0)) tab.close();
  vi.useRealTimers();
});

describe('tabs: locks shared by the tabs of one browser (client core)', () => {
  it('runs `once` in the first tab only while it holds the lock, and again after holdMs', async () => {
    vi.useFakeTimers();
    const { locks, held, requested } = fakeLocks();
    const [a, b] = twoTabs('parley:acme:', locks);
    const ran: string[] = [];
    a.once('chime:1', 10_000, () => ran.push('a'));
    b.once('chime:1', 10_000, () => ran.push('b'));
    await vi.advanceTimersByTimeAsync(9_999);
    b.once('chime:1', 10_000, () => ran.push('b late'));
    b.once('chime:2', 10_000, () => ran.push('b other key'));
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual(['a', 'b other key']);
    expect(requested.slice(0, 2)).toEqual(['parley:acme:chime:1', 'parley:acme:chime:1']);
    await vi.advanceTimersByTimeAsync(10_001);
    expect(held.size).toBe(0);
    b.once('chime:1', 10_000, () => ran.push('b after hold'));
    await vi.advanceTimersByTimeAsync(0);
    expect(ran.at(-1)).toBe('b after hold');
  });

  it('lets go of held locks on close, so another tab may run the next call at once', async () => {
    vi.useFakeTimers();
    const { locks, held } = fakeLocks();
    const [a, b] = twoTabs('p:', locks);
    const ran: string[] = [];
    a.once('k', 60_000, () => ran.push('a'));
    await vi.advanceTimersByTimeAsync(0);
    expect(held).toEqual(new Set(['p:k']));
    a.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(held.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    b.once('k', 60_000, () => ran.push('b'));
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual(['a', 'b']);
  });

  it('runs `exclusive` work of two tabs one after the other, under the prefixed name', async () => {
    const { locks, requested } = fakeLocks();
    const [a, b] = twoTabs('parley-console-outbox:', locks);
    const steps: string[] = [];
    const work = (tab: string) => async () => {
      steps.push(`${tab} start`);
      await new Promise((r) => setTimeout(r, 5));
      steps.push(`${tab} end`);
      return tab;
    };
    expect(await Promise.all([a.exclusive('Ana', work('a')), b.exclusive('Ana', work('b'))])).toEqual(['a', 'b']);
    expect(steps).toEqual(['a start', 'a end', 'b start', 'b end']);
    expect(requested).toEqual(['parley-console-outbox:Ana', 'parley-console-outbox:Ana']);
  });

  it('without Web Locks, every tab does the work', async () => {
    const [a, b] = twoTabs('p:', undefined);
    const ran: string[] = [];
    a.once('k', 10_000, () => ran.push('a'));
    b.once('k', 10_000, () => ran.push('b'));
    expect(ran).toEqual(['a', 'b']);
    expect(await b.exclusive('outbox', async () => 'done')).toBe('done');
  });

  it('tells the other tabs, not itself, until they stop listening', async () => {
    const [a, b] = [createTabs<string>('parley-test-channel'), createTabs<string>('parley-test-channel')];
    opened.push(a, b);
    const heard: string[] = [];
    a.listen((m) => heard.push(`a ${m}`));
    const stop = b.listen((m) => heard.push(`b ${m}`));
    a.post('one');
    await vi.waitFor(() => expect(heard).toEqual(['b one']));
    stop();
    a.post('two');
    b.post('three');
    await vi.waitFor(() => expect(heard).toEqual(['b one', 'a three']));
  });
});
