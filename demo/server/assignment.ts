import type { AgentPresence } from '../../src/protocol';
import type { AssigneeLoad } from './store/types';

/**
 * Auto-assignment's decisions, free of I/O and of the clock (passed in), so they are unit-tested exactly: who gets
 * the next conversation, and whose conversations are offered again. `auto-assign.ts` runs them against the store.
 */

export interface AssignOptions {
  /** `PARLEY_ASSIGN`: `manual` (default) leaves assignment to agents; `round-robin` assigns new conversations. */
  mode: 'manual' | 'round-robin';
  /** `PARLEY_AGENT_CAPACITY` (default 5): open conversations an agent is given at most by auto-assignment. */
  capacity: number;
  /** `PARLEY_ASSIGN_GRACE_S` (default 120), in ms: how long an assignee may be offline or away before re-offering. */
  graceMs: number;
  /** How often waiting conversations and absent assignees are checked besides the events that trigger it (15 s). */
  sweepMs?: number;
  /** Wall clock of assignment times and absences (tests move it by hand); default `Date.now`. */
  now?: () => number;
}

export const DEFAULT_ASSIGN: AssignOptions = { mode: 'manual', capacity: 5, graceMs: 120_000 };

/**
 * The online (not away, not offline) agent with the fewest open conversations under `capacity`; ties go to the one
 * assigned least recently, then to configuration order. Undefined when everyone is absent or full.
 */
export function pickAgent(
  roster: readonly AgentPresence[],
  loads: ReadonlyMap<string, AssigneeLoad>,
  capacity: number,
): string | undefined {
  let best: AssigneeLoad | undefined;
  for (const agent of roster) {
    if (agent.status !== 'online') continue;
    const load = loads.get(agent.name) ?? { agent: agent.name, open: 0, lastAssignedAt: 0 };
    if (load.open >= capacity) continue;
    if (!best || load.open < best.open || (load.open === best.open && load.lastAssignedAt < best.lastAssignedAt)) {
      best = load;
    }
  }
  return best?.agent;
}

/** Counts one more conversation for `agent`, assigned at `at`, so the next pick of the same pass sees it. */
export function withAssignment(loads: Map<string, AssigneeLoad>, agent: string, at: number): void {
  const load = loads.get(agent) ?? { agent, open: 0, lastAssignedAt: 0 };
  loads.set(agent, { agent, open: load.open + 1, lastAssignedAt: Math.max(load.lastAssignedAt, at) });
}

/** Since when each agent has been absent (offline or away), as observed from successive rosters. */
export interface AbsenceClock {
  /** Records the roster as seen now: an agent not online starts (or keeps) its absence, an online one ends it. */
  observe(roster: readonly AgentPresence[]): void;
  /** Agents absent for longer than `graceMs`, as of the last observation. */
  overdue(graceMs: number): string[];
}

/**
 * An agent absent when the clock starts counts as absent from then: after a gateway restart its conversations wait
 * one grace period, not zero, before they are offered to others.
 */
export function createAbsenceClock(now: () => number): AbsenceClock {
  const since = new Map<string, number>();
  let seenAt = now();
  return {
    observe(roster) {
      seenAt = now();
      for (const agent of roster) {
        if (agent.status === 'online') since.delete(agent.name);
        else if (!since.has(agent.name)) since.set(agent.name, seenAt);
      }
    },
    overdue(graceMs) {
      return [...since].filter(([, from]) => seenAt - from > graceMs).map(([name]) => name);
    },
  };
}
