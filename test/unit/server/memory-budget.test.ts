// @vitest-environment node
import { Manager } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../demo/server/log';
import {
  COLLECT_EVERY_MS,
  createMemoryBudget,
  defaultMemoryBudgetBytes,
  fullCollection,
  javaScriptMemory,
} from '../../../demo/server/memory-budget';
import { AGENTS, call, type Fixture, nextEvent, startGateway } from '../../support/in-process-gateway';

const MB = 1024 * 1024;

/** Log lines as objects, from a logger writing into `lines`. */
const parsed = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('memory budget', () => {
  /** A budget of 200 MB over a reading the test sets, with collections that free `garbage` and a clock. */
  function budgetOf(lines: string[]) {
    const state = { used: 100 * MB, garbage: 0, now: 0, collections: 0 };
    const budget = createMemoryBudget({
      limitBytes: 200 * MB,
      logger: createLogger('info', (line) => lines.push(line)),
      read: () => state.used,
      collect: () => {
        state.collections++;
        state.used -= state.garbage;
        state.garbage = 0;
      },
      now: () => state.now,
    });
    return { budget, state };
  }

  it('refuses while live memory is over the budget, and allows again once it is under 90% of it', () => {
    const lines: string[] = [];
    const { budget, state } = budgetOf(lines);
    expect(budget.allows()).toBe(true);
    expect(state.collections).toBe(0);
    state.used = 201 * MB;
    expect(budget.allows()).toBe(false);
    expect(state.collections).toBe(1);
    // Collections are spaced out: within COLLECT_EVERY_MS the reading alone decides.
    state.now += 1000;
    expect(budget.allows()).toBe(false);
    // Between 90% and 100%: still refusing, so the state (and the log) does not flap at the boundary.
    state.used = 190 * MB;
    expect(budget.allows()).toBe(false);
    expect(state.collections).toBe(1);
    state.used = 179 * MB;
    expect(budget.allows()).toBe(true);
    expect(budget.allows()).toBe(true);
    expect(parsed(lines)).toEqual([
      expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/^memory budget exceeded/), usedMb: 201 }),
      expect.objectContaining({ level: 'info', msg: expect.stringMatching(/^memory back under budget/), refused: 3 }),
    ]);
  });

  it('counts only live memory: garbage over the budget is collected first, and a stale refusal recovers', () => {
    const lines: string[] = [];
    const { budget, state } = budgetOf(lines);
    // Over only because of garbage: collected, never refused.
    state.used = 250 * MB;
    state.garbage = 100 * MB;
    expect(budget.allows()).toBe(true);
    expect(state).toMatchObject({ used: 150 * MB, collections: 1 });
    // Live memory over the budget: refused. Then it all becomes garbage, which nothing collects while the process
    // idles; the next attempt after COLLECT_EVERY_MS collects it and is let in.
    state.now += COLLECT_EVERY_MS;
    state.used = 250 * MB;
    expect(budget.allows()).toBe(false);
    state.garbage = 200 * MB;
    state.now += COLLECT_EVERY_MS - 1;
    expect(budget.allows()).toBe(false);
    state.now += 1;
    expect(budget.allows()).toBe(true);
    expect(state).toMatchObject({ used: 50 * MB, collections: 3 });
    expect(parsed(lines).map((entry) => entry.level)).toEqual(['warn', 'info']);
  });

  it('collects garbage for real when asked', () => {
    // A million small objects, all unreachable once `allocate` returns (most of them promoted to the old generation
    // while the array held them, so only a full collection frees them).
    const allocate = () => Array.from({ length: 1_000_000 }, (_, i) => ({ i })).length;
    expect(allocate()).toBe(1_000_000);
    const withGarbage = javaScriptMemory();
    fullCollection();
    expect(javaScriptMemory()).toBeLessThan(withGarbage - 20 * MB);
  });

  it('defaults to 75% of the V8 heap limit', async () => {
    const { getHeapStatistics } = await import('node:v8');
    expect(defaultMemoryBudgetBytes()).toBe(Math.floor(getHeapStatistics().heap_size_limit * 0.75));
  });

  describe('in the gateway', () => {
    let fx: Fixture | undefined;
    const managers: Manager[] = [];
    afterEach(async () => {
      for (const manager of managers.splice(0)) manager.engine?.close();
      await fx?.stop();
    });

    /** A polling handshake: the first request of a new Engine.IO connection. */
    async function engineHandshake(url: string): Promise<{ status: number; body: string }> {
      const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
      return { status: res.status, body: await res.text() };
    }

    it('refuses new connections and namespace handshakes over budget; open sockets keep working', async () => {
      const lines: string[] = [];
      let used = 50 * MB;
      fx = await startGateway({
        memoryBudgetBytes: 100 * MB,
        memoryProbe: { read: () => used, collect: () => {} },
        logger: createLogger('info', (line) => lines.push(line)),
      });
      const { url } = fx;
      // One Engine.IO connection, opened while there is room, carrying a visitor.
      const manager = new Manager(url, { transports: ['websocket'], reconnection: false, forceNew: true });
      managers.push(manager);
      const visitor = manager.socket('/visitor', { auth: { v: 1, site: 'acme' } });
      await nextEvent(visitor, 'welcome');

      used = 101 * MB;
      expect(await engineHandshake(url)).toEqual({
        status: 403,
        body: JSON.stringify({ code: 4, message: 'rate_limited' }),
      });
      // A new namespace socket on the connection already open is refused too (it would cost a welcome page).
      const agent = manager.socket('/agent', { auth: { token: AGENTS[0]!.token } });
      const refused = await new Promise<Error & { data?: unknown }>((resolve) => agent.once('connect_error', resolve));
      expect(refused.data).toEqual({ code: 'rate_limited', message: 'the server is busy; retry in a minute' });
      // What is open keeps working.
      expect(await call(visitor, 'typing', { typing: true })).toEqual({ ok: true });

      used = 80 * MB;
      expect((await engineHandshake(url)).status).toBe(200);
      expect(
        parsed(lines)
          .filter((entry) => /memory/.test(String(entry.msg)))
          .map(({ level, msg, usedMb, budgetMb, refused }) => ({ level, msg, usedMb, budgetMb, refused })),
      ).toEqual([
        {
          level: 'warn',
          msg: 'memory budget exceeded: refusing new connections until memory falls',
          usedMb: 101,
          budgetMb: 100,
          refused: undefined,
        },
        {
          level: 'info',
          msg: 'memory back under budget: accepting new connections',
          usedMb: 80,
          budgetMb: 100,
          refused: 2,
        },
      ]);
    });
  });
});
