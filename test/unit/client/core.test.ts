import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoff } from '../../../src/client/backoff';
import { clientId } from '../../../src/client/client-id';
import { mergeBySeq } from '../../../src/client/merge';
import { typingThrottle } from '../../../src/client/typing';

afterEach(() => vi.restoreAllMocks());

describe('the client core shared by widget and console', () => {
  it('merges by seq: each seq once (the held copy wins), in order, and reports only what was new', () => {
    const held = [
      { seq: 1, v: 'a' },
      { seq: 3, v: 'c' },
    ];
    const { merged, fresh } = mergeBySeq(held, [
      { seq: 3, v: 'x' },
      { seq: 2, v: 'b' },
      { seq: 2, v: 'y' },
    ]);
    expect(merged).toEqual([
      { seq: 1, v: 'a' },
      { seq: 2, v: 'b' },
      { seq: 3, v: 'c' },
    ]);
    expect(fresh).toEqual([{ seq: 2, v: 'b' }]);
  });

  it('throttles typing: one true per window, one false only after a true', () => {
    let now = 0;
    const sent: boolean[] = [];
    const typing = typingThrottle(
      (t) => sent.push(t),
      1000,
      () => now,
    );
    typing(false);
    typing(true);
    now = 500;
    typing(true);
    now = 1000;
    typing(true);
    typing(false);
    typing(false);
    typing(true);
    expect(sent).toEqual([true, true, false, true]);
  });

  it('backs off with full jitter under an exponential ceiling', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    expect(backoff(0, 500, 15_000)).toBeCloseTo(499.5);
    expect(backoff(3, 500, 15_000)).toBeCloseTo(3996);
    expect(backoff(40, 500, 15_000)).toBeCloseTo(14_985);
    vi.spyOn(Math, 'random').mockReturnValue(0.25);
    expect(backoff(3, 500, 15_000)).toBe(1000);
  });

  it('makes random 128-bit client ids', () => {
    const ids = new Set(Array.from({ length: 100 }, clientId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });
});
