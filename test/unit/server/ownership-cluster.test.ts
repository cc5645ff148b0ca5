// @vitest-environment node
// Ownership across two gateway processes sharing Redis and PostgreSQL: assignment changes and notes reach agents on
// the other process, and two processes auto-assigning together assign each conversation once, within capacity.
// Needs PARLEY_TEST_DATABASE_URL and PARLEY_TEST_REDIS_URL; skipped, with the reason printed, without them.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayOptions } from '../../../demo/server/gateway';
import type { AgentPresence, ConversationSummary, Note } from '../../../src/protocol';
import { clusterUnavailable, DATABASE_URL, REDIS_URL } from '../../support/cluster';
import { AGENTS, call, collect, type Fixture, nextEvent, startGateway } from '../../support/in-process-gateway';

const reason = await clusterUnavailable();
if (reason) console.warn(`Redis-backed ownership tests skipped: ${reason}`);

describe.skipIf(reason !== undefined)('ownership across gateway processes', () => {
  let schema = '';
  const gateways: Fixture[] = [];

  async function cluster(extra: Partial<GatewayOptions> = {}): Promise<[Fixture, Fixture]> {
    schema = `parley_own_${randomBytes(4).toString('hex')}`;
    const prefix = `parley-own-${randomBytes(4).toString('hex')}`;
    const options = {
      databaseUrl: DATABASE_URL!,
      dbSchema: schema,
      redisUrl: REDIS_URL!,
      redisPrefix: prefix,
      presenceHeartbeatMs: 100,
      ...extra,
    };
    gateways.push(await startGateway(options));
    gateways.push(await startGateway(options));
    return [gateways[0]!, gateways[1]!];
  }

  afterEach(async () => {
    for (const gateway of gateways.splice(0)) await gateway.stop();
    const db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
  });

  it('an assignment and a note made on one process reach an agent on the other', async () => {
    const [g1, g2] = await cluster();
    const ana = await g1.agent();
    const ben = await g2.agent(AGENTS[1]!.token);
    const { conversationId } = await g1.chatting({}, 'hello');
    const summary = nextEvent<ConversationSummary>(ben.socket, 'conversation', (c) => c.assignee === 'Ana');
    const line = nextEvent<Note>(ben.socket, 'note', (n) => n.kind === 'event');
    await call(ana.socket, 'assign', { conversationId, agent: 'Ana' });
    expect((await summary).id).toBe(conversationId);
    expect((await line).text).toBe('Ana took this conversation');
    const note = nextEvent<Note>(ben.socket, 'note', (n) => n.kind === 'note');
    await call(ana.socket, 'note', { conversationId, clientId: 'note-cluster-1', text: 'for Ben' });
    expect((await note).text).toBe('for Ben');
  });

  it('two processes auto-assigning together assign each conversation once and nobody over capacity', async () => {
    const assignment = { mode: 'round-robin', capacity: 2, graceMs: 60_000, sweepMs: 50 } as const;
    const [g1, g2] = await cluster({ assignment });
    const ana = await g1.agent();
    const rosterAtAna = collect<{ agents: AgentPresence[] }>(ana.socket, 'agents');
    await g2.agent(AGENTS[1]!.token);
    const lines = collect<Note>(ana.socket, 'note');
    // Both processes see both agents online before conversations arrive (g1 tells Ana when it sees Ben).
    const everyoneOnline = () => rosterAtAna.at(-1)?.agents.every((a) => a.status === 'online') ?? false;
    await expect.poll(everyoneOnline, { timeout: 5000 }).toBe(true);
    for (let i = 0; i < 6; i++) await (i % 2 ? g2 : g1).chatting({}, `help ${i}`);
    const owners = async () => {
      const { conversations } = await call<{ conversations: ConversationSummary[] }>(ana.socket, 'list', {});
      return conversations.map((c) => c.assignee ?? null);
    };
    await expect.poll(async () => (await owners()).filter((o) => o === null).length, { timeout: 8000 }).toBe(2);
    const owned = await owners();
    expect(owned.filter((o) => o === 'Ana')).toHaveLength(2);
    expect(owned.filter((o) => o === 'Ben')).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const assigned = lines.filter((n) => n.kind === 'event');
    expect(assigned).toHaveLength(4);
    expect(new Set(assigned.map((n) => n.conversationId)).size).toBe(4);
  });
});
