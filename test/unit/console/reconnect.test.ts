import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentLink } from '../../../demo/console/agent-link';
import { createReconnector } from '../../../demo/console/reconnect';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A link whose socket stays disconnected; `connects` records when (fake time) the reconnector called connect(). */
function fakeLink() {
  const connects: number[] = [];
  const socket = { connected: false, active: false, connect: () => connects.push(Date.now()) };
  const link = { socket, isTornDown: () => false, onTeardown: () => {} } as unknown as AgentLink;
  return { link, connects };
}

/** The delays of the first `n` retries with Math.random() returning `random`. */
function delays(random: number, n: number): number[] {
  vi.useFakeTimers({ now: 0 });
  vi.spyOn(Math, 'random').mockReturnValue(random);
  const { link, connects } = fakeLink();
  const reconnector = createReconnector(link);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const from = Date.now();
    reconnector.schedule();
    vi.runAllTimers();
    out.push(connects.at(-1)! - from);
  }
  vi.useRealTimers();
  vi.restoreAllMocks();
  return out;
}

describe("the console's reconnect backoff", () => {
  it('is jittered through the client core: consoles retrying together spread out', () => {
    expect(delays(0, 3)).toEqual([1000, 1000, 1000]);
    expect(delays(0.5, 3)).toEqual([1500, 2000, 3000]);
    expect(delays(0.999, 1)[0]).toBeCloseTo(1999, -1);
  });

  it('grows up to 30 s and starts again from the shortest delay after a connection', () => {
    expect(delays(0.999, 12).at(-1)).toBeCloseTo(30_000, -2);
    vi.useFakeTimers({ now: 0 });
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const { link, connects } = fakeLink();
    const reconnector = createReconnector(link);
    reconnector.schedule();
    vi.runAllTimers();
    reconnector.schedule();
    reconnector.reset();
    vi.runAllTimers();
    expect(connects).toEqual([1500]);
    reconnector.schedule();
    vi.runAllTimers();
    expect(connects).toEqual([1500, 3000]);
  });
});
