// @vitest-environment node
// When the gateway tells its clients to catch up after a Redis gap, on fake Redis clients and a fake clock.
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GatewayContext } from '../../../demo/server/handler-context';
import { silentLogger } from '../../../demo/server/log';
import type { RedisClients } from '../../../demo/server/redis';
import { resyncLocalClients, watchRedisGaps } from '../../../demo/server/resync';

/** Two connections sharing one in-memory channel bus, as far as the gap watch uses them. */
function fakeRedis(bus: EventEmitter) {
  const pub = Object.assign(new EventEmitter(), {
    published: [] as string[],
    publish: async (channel: string, message: string) => {
      pub.published.push(message);
      bus.emit(channel, message);
      return 1;
    },
  });
  const sub = Object.assign(new EventEmitter(), {
    subscribe: async (channel: string, listener: (message: string) => void) => void bus.on(channel, listener),
  });
  return { pub, sub, close: async () => {} };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('watchRedisGaps', () => {
  async function twoProcesses() {
    const bus = new EventEmitter();
    const [a, b] = [fakeRedis(bus), fakeRedis(bus)];
    const runs = { a: 0, b: 0 };
    const options = { prefix: 'p', logger: silentLogger, quietMs: 250, maxWaitMs: 2000 };
    await watchRedisGaps({ ...options, redis: a as unknown as RedisClients, resync: () => runs.a++ });
    await watchRedisGaps({ ...options, redis: b as unknown as RedisClients, resync: () => runs.b++ });
    return { a, b, runs };
  }

  it("resyncs this process's clients when its subscriber is back, and the others' when its publisher is", async () => {
    const { a, runs } = await twoProcesses();
    a.sub.emit('ready');
    await vi.advanceTimersByTimeAsync(300);
    expect(runs).toEqual({ a: 1, b: 0 });

    a.pub.emit('ready');
    await vi.advanceTimersByTimeAsync(300);
    expect(a.pub.published).toHaveLength(1);
    // Its own notice comes back to it through the channel and is ignored.
    expect(runs).toEqual({ a: 1, b: 1 });
  });

  it('runs once for triggers in a burst, 250 ms after the last', async () => {
    const { a, b, runs } = await twoProcesses();
    a.sub.emit('ready');
    await vi.advanceTimersByTimeAsync(200);
    b.pub.emit('ready');
    await vi.advanceTimersByTimeAsync(200);
    expect(runs.a).toBe(0);
    await vi.advanceTimersByTimeAsync(50);
    expect(runs.a).toBe(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs.a).toBe(1);
  });

  it('does not wait longer than 2 s after the first trigger however long the burst', async () => {
    const { a, runs } = await twoProcesses();
    for (let t = 0; t < 3000; t += 200) {
      a.sub.emit('ready');
      await vi.advanceTimersByTimeAsync(200);
    }
    expect(runs.a).toBe(1);
  });
});

describe('resyncLocalClients', () => {
  it('tells agents first, then visitors, 250 sockets every 25 ms, skipping the ones gone meanwhile', () => {
    const told: string[] = [];
    const socket = (name: string, connected = true) => ({
      connected,
      emit: (event: string) => told.push(`${name}:${event}`),
    });
    const agents = [socket('agent0'), socket('agent1')];
    const visitors = Array.from({ length: 600 }, (_, i) => socket(`v${i}`));
    visitors[300]!.connected = false;
    const ctx = {
      closing: false,
      agents: { sockets: new Map(agents.map((s, i) => [`a${i}`, s])) },
      visitors: { sockets: new Map(visitors.map((s, i) => [`v${i}`, s])) },
    } as unknown as GatewayContext;

    resyncLocalClients(ctx);
    expect(told.slice(0, 3)).toEqual(['agent0:resync', 'agent1:resync', 'v0:resync']);
    expect(told).toHaveLength(250);
    vi.advanceTimersByTime(25);
    expect(told).toHaveLength(499);
    vi.advanceTimersByTime(25);
    expect(told).toHaveLength(601);
    expect(told).not.toContain('v300:resync');
    vi.advanceTimersByTime(1000);
    expect(told).toHaveLength(601);
  });
});
