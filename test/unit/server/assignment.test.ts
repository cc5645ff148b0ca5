// @vitest-environment node
// Auto-assignment's pure decisions: who gets the next conversation, whose conversations are offered again.
import { describe, expect, it } from 'vitest';
import { createAbsenceClock, pickAgent, withAssignment } from '../../../demo/server/assignment';
import type { AssigneeLoad } from '../../../demo/server/store/types';
import type { AgentPresence } from '../../../src/protocol';

const roster = (...entries: [string, AgentPresence['status']][]): AgentPresence[] =>
  entries.map(([name, status]) => ({ name, status }));
const loads = (...entries: [string, number, number][]) =>
  new Map<string, AssigneeLoad>(
    entries.map(([agent, open, lastAssignedAt]) => [agent, { agent, open, lastAssignedAt }]),
  );

describe('pickAgent', () => {
  it('picks the online agent with the fewest open conversations', () => {
    const team = roster(['Ana', 'online'], ['Ben', 'online'], ['Cy', 'online']);
    expect(pickAgent(team, loads(['Ana', 2, 1], ['Ben', 1, 5], ['Cy', 3, 0]), 5)).toBe('Ben');
  });

  it('breaks ties by the least recently assigned, then by configuration order', () => {
    const team = roster(['Ana', 'online'], ['Ben', 'online']);
    expect(pickAgent(team, loads(['Ana', 1, 20], ['Ben', 1, 10]), 5)).toBe('Ben');
    expect(pickAgent(team, loads(), 5)).toBe('Ana');
  });

  it('skips away, offline and full agents; nobody when all are', () => {
    const team = roster(['Ana', 'away'], ['Ben', 'offline'], ['Cy', 'online']);
    expect(pickAgent(team, loads(['Cy', 2, 0]), 3)).toBe('Cy');
    expect(pickAgent(team, loads(['Cy', 3, 0]), 3)).toBeUndefined();
    expect(pickAgent(roster(['Ana', 'away']), loads(), 3)).toBeUndefined();
  });

  it('alternates between two agents as a pass counts its own assignments, never over capacity', () => {
    const team = roster(['Ana', 'online'], ['Ben', 'online']);
    const counted = loads();
    const picks: (string | undefined)[] = [];
    for (let at = 1; at <= 8; at++) {
      const agent = pickAgent(team, counted, 3);
      picks.push(agent);
      if (agent) withAssignment(counted, agent, at);
    }
    expect(picks).toEqual(['Ana', 'Ben', 'Ana', 'Ben', 'Ana', 'Ben', undefined, undefined]);
  });
});

describe('absence clock', () => {
  it('reports agents absent for longer than the grace period, measured from when they left', () => {
    let now = 1_000;
    const absence = createAbsenceClock(() => now);
    absence.observe(roster(['Ana', 'online'], ['Ben', 'online']));
    now = 2_000;
    absence.observe(roster(['Ana', 'away'], ['Ben', 'online']));
    now = 2_000 + 120_000;
    absence.observe(roster(['Ana', 'away'], ['Ben', 'offline']));
    expect(absence.overdue(120_000)).toEqual([]);
    now += 1;
    absence.observe(roster(['Ana', 'offline'], ['Ben', 'offline']));
    // Away then offline is one absence, from when she first left.
    expect(absence.overdue(120_000)).toEqual(['Ana']);
    now += 120_000;
    absence.observe(roster(['Ana', 'online'], ['Ben', 'offline']));
    expect(absence.overdue(120_000)).toEqual(['Ben']);
  });

  it('counts agents absent at start from the start', () => {
    let now = 0;
    const absence = createAbsenceClock(() => now);
    absence.observe(roster(['Ana', 'offline']));
    now = 60_000;
    absence.observe(roster(['Ana', 'offline']));
    expect(absence.overdue(60_000)).toEqual([]);
    now = 60_001;
    absence.observe(roster(['Ana', 'offline']));
    expect(absence.overdue(60_000)).toEqual(['Ana']);
  });
});

describe('readAssignConfig', () => {
  it('defaults to manual, capacity 5, grace 120 s, and refuses bad values naming the variable', async () => {
    const { readAssignConfig } = await import('../../../demo/server/assign-config');
    expect(readAssignConfig({})).toEqual({ mode: 'manual', capacity: 5, graceMs: 120_000 });
    expect(
      readAssignConfig({ PARLEY_ASSIGN: 'Round-Robin', PARLEY_AGENT_CAPACITY: '3', PARLEY_ASSIGN_GRACE_S: '30' }),
    ).toEqual({ mode: 'round-robin', capacity: 3, graceMs: 30_000 });
    expect(() => readAssignConfig({ PARLEY_ASSIGN: 'random' })).toThrow(/PARLEY_ASSIGN/);
    expect(() => readAssignConfig({ PARLEY_AGENT_CAPACITY: '0' })).toThrow(/PARLEY_AGENT_CAPACITY/);
    expect(() => readAssignConfig({ PARLEY_ASSIGN_GRACE_S: '-1' })).toThrow(/PARLEY_ASSIGN_GRACE_S/);
  });
});
