// PARLEY_ASSIGN=round-robin with capacity 3 and two agents in real Chromium consoles: ten new conversations are
// spread, never more than three open each; the rest wait unassigned and are assigned when a place frees.
import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationSummary } from '../../src/protocol';
import { connectAgent } from '../support/gateway';
import { openAgent } from '../support/pages';
import { type RawVisitor, rawVisitor } from '../support/raw-visitor';
import { e2e } from '../support/suite';

const t = e2e({
  gatewayPerTest: true,
  gateway: () => ({ env: { PARLEY_ASSIGN: 'round-robin', PARLEY_AGENT_CAPACITY: '3' } }),
});
const sockets: { close(): unknown }[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

/** Follows every summary pushed to agents, and checks the capacity after each one. */
function watchOwners(observer: Socket) {
  const owners = new Map<string, { assignee: string | null; status: string }>();
  const overCapacity: string[] = [];
  observer.on('conversation', (c: ConversationSummary) => {
    owners.set(c.id, { assignee: c.assignee ?? null, status: c.status });
    for (const agent of ['Ana', 'Ben']) {
      const open = [...owners.values()].filter((o) => o.assignee === agent && o.status === 'open').length;
      if (open > 3) overCapacity.push(`${agent} had ${open}`);
    }
  });
  const count = (who: string | null) =>
    [...owners.values()].filter((o) => o.assignee === who && o.status === 'open').length;
  return { owners, overCapacity, count };
}

describe('round-robin auto-assignment', () => {
  it('spreads 10 new conversations over two agents with capacity 3; the rest wait, then go as places free', async () => {
    const ana = await openAgent(await t.context(), t.gateway.url, 'Ana');
    const ben = await openAgent(await t.context(), t.gateway.url, 'Ben');
    // Ana's console shows Ben online: the gateway knows both are there before conversations arrive.
    await ana.page
      .getByRole('list', { name: 'Other agents' })
      .locator('li.agent--online', { hasText: 'Ben' })
      .waitFor();
    const observer = await connectAgent(t.gateway.url);
    sockets.push(observer);
    const watch = watchOwners(observer);

    const visitors: RawVisitor[] = [];
    for (let i = 0; i < 10; i++) {
      const visitor = await rawVisitor(t.gateway.url);
      sockets.push(visitor.socket);
      visitors.push(visitor);
      await visitor.send(`Question number ${i}`);
    }
    await expect.poll(() => [watch.count('Ana'), watch.count('Ben')], { timeout: 15_000 }).toEqual([3, 3]);
    // The waiting four are the newest ones (oldest first), still unassigned: their summaries were never pushed.
    const listed = await observer.timeout(10_000).emitWithAck('list', { view: 'unassigned', status: 'open' });
    expect(listed.conversations).toHaveLength(4);

    // Each console's "Mine" view shows its three.
    for (const agent of [ana, ben]) {
      await agent.page.getByRole('radio', { name: 'Mine' }).check();
      await expect.poll(() => agent.conversations.count()).toBe(3);
    }
    await ana.page.getByRole('radio', { name: 'Unassigned' }).check();
    await expect.poll(() => ana.conversations.count()).toBe(4);

    // Ana resolves one of hers: the oldest waiting conversation becomes hers.
    await ana.page.getByRole('radio', { name: 'Mine' }).check();
    await ana.conversations.first().getByRole('button').click();
    await ana.page.getByRole('button', { name: 'Resolve' }).click();
    await expect.poll(() => watch.count('Ana'), { timeout: 15_000 }).toBe(3);
    const waiting = await observer.timeout(10_000).emitWithAck('list', { view: 'unassigned', status: 'open' });
    expect(waiting.conversations).toHaveLength(3);
    expect(watch.overCapacity).toEqual([]);
    expect(watch.count('Ana') + watch.count('Ben')).toBe(6);
  });
});
