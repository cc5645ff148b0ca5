// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { timeOrderedId } from '../../../demo/server/store/time-ordered-id';

describe('timeOrderedId', () => {
  it('is a version 7 UUID with the time in its first 48 bits', () => {
    const at = Date.UTC(2026, 10, 30, 1, 2, 3, 456);
    const id = timeOrderedId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replace('-', '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts by time, so new rows append to the end of the primary key', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => timeOrderedId(1_700_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
  });

  it('differs within one millisecond (74 random bits)', () => {
    const ids = new Set(Array.from({ length: 5000 }, () => timeOrderedId(1_700_000_000_000)));
    expect(ids.size).toBe(5000);
  });
});
