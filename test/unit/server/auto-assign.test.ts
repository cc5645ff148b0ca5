// @vitest-environment node
// PARLEY_ASSIGN=round-robin through a real gateway: capacity, waiting conversations, freeing a place, re-offering the
// conversations of an absent agent after the grace period (clock moved by hand).
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationSummary, Note } from '../../../src/protocol';
import { AGENTS, call, collect, type Fixture, settle, startGateway } from '../../support/in-process-gateway';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.stop();
  fx = undefined;
});

const GRACE_MS = 60_000;

async function roundRobin(capacity: number) {
  let clock = Date.now();
  fx = await startGateway({
    assignment: { mode: 'round-robin', capacity, graceMs: GRACE_MS, sweepMs: 50, now: () => clock },
  });
  return {
    fx,
    advance(ms: number) {
      clock += ms;
    },
  };
}

async function owners(socket: Parameters<typeof call>[0]): Promise<Record<string, string | null>> {
  const { conversations } = await call<{ conversations: ConversationSummary[] }>(socket, 'list', {});
  return Object.fromEntries(conversations.map((c) => [c.id, c.assignee ?? null]));
}

const count = (owned: Record<string, string | null>, who: string | null) =>
  Object.values(owned).filter((owner) => owner === who).length;

describe('round-robin auto-assignment', () => {
  it('spreads new conversations over online agents up to capacity; the rest wait, then go when a place frees', async () => {
    const { fx } = await roundRobin(2);
    const ana = await fx.agent();
    const ben = await fx.agent(AGENTS[1]!.token);
    const lines = collect<Note>(ben.socket, 'note');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await fx.chatting({}, `help ${i}`)).conversationId);

    await expect.poll(async () => count(await owners(ana.socket), null), { timeout: 5000 }).toBe(1);
    const owned = await owners(ana.socket);
    expect(count(owned, 'Ana')).toBe(2);
    expect(count(owned, 'Ben')).toBe(2);
    // Oldest first: the newest one waits.
    expect(owned[ids[4]!]).toBeNull();
    await settle(ben.socket);
    expect(
      lines.filter((n) => n.kind === 'event' && /^Assigned to (Ana|Ben) automatically$/.test(n.text)),
    ).toHaveLength(4);

    const anas = ids.find((id) => owned[id] === 'Ana')!;
    await call(ana.socket, 'setStatus', { conversationId: anas, status: 'resolved' });
    await expect.poll(async () => (await owners(ana.socket))[ids[4]!], { timeout: 5000 }).toBe('Ana');
  });

  it('assigns nobody while everyone is away, and waiting conversations go when an agent comes online', async () => {
    const { fx } = await roundRobin(3);
    const ana = await fx.agent();
    await call(ana.socket, 'presence', { status: 'away' });
    const { conversationId } = await fx.chatting({}, 'anyone?');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await owners(ana.socket))[conversationId]).toBeNull();
    const ben = await fx.agent(AGENTS[1]!.token);
    await expect.poll(async () => (await owners(ben.socket))[conversationId], { timeout: 5000 }).toBe('Ben');
  });

  it('offers the unanswered conversations of an agent away past the grace period again, oldest first', async () => {
    const { fx, advance } = await roundRobin(5);
    const ana = await fx.agent();
    const first = (await fx.chatting({}, 'one')).conversationId;
    const second = (await fx.chatting({}, 'two')).conversationId;
    await expect.poll(async () => count(await owners(ana.socket), 'Ana'), { timeout: 5000 }).toBe(2);
    await call(ana.socket, 'send', { conversationId: second, clientId: 'answer-0001', text: 'on it' });
    await call(ana.socket, 'presence', { status: 'away' });
    const ben = await fx.agent(AGENTS[1]!.token);
    const lines = collect<Note>(ben.socket, 'note');
    advance(GRACE_MS - 1_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await owners(ben.socket))[first]).toBe('Ana');
    advance(2_000);
    // The unanswered one moves to Ben; the answered one stays with Ana.
    await expect.poll(async () => (await owners(ben.socket))[first], { timeout: 5000 }).toBe('Ben');
    expect((await owners(ben.socket))[second]).toBe('Ana');
    expect(lines.map((n) => n.text)).toEqual([
      'Unassigned from Ana: away for more than 60 s',
      'Assigned to Ben automatically',
    ]);
  });

  it('leaves assignment to agents in manual mode (the default)', async () => {
    fx = await startGateway();
    const ana = await fx.agent();
    const { conversationId } = await fx.chatting({}, 'hello');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await owners(ana.socket))[conversationId]).toBeNull();
  });
});
