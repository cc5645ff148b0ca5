import { type AssignOptions, createAbsenceClock, pickAgent, withAssignment } from './assignment';
import type { GatewayContext } from './handler-context';
import { recordAssignment } from './ownership';

/** Runs auto-assignment (`PARLEY_ASSIGN=round-robin`) when something may have changed, and on a periodic sweep. */
export interface AutoAssigner {
  /** Something changed (a new conversation, a resolve, presence): run a pass soon. Never throws. */
  nudge(): void;
  /** Stops the sweep; a pass under way finishes (it is tracked, so `close()` waits for it). */
  stop(): void;
}

/** Manual assignment: nothing to do. */
export const MANUAL: AutoAssigner = { nudge() {}, stop() {} };

/** Conversations one pass looks at, per step; the next nudge or sweep takes the rest. */
const BATCH = 100;
const DEFAULT_SWEEP_MS = 15_000;

/**
 * One pass at a time per process: a nudge during a pass runs one more pass after it, so bursts (ten new
 * conversations) cost at most two. Several processes may run passes together: every write is conditional (`claim`,
 * `assign` with `from`), so each conversation is assigned once and no agent goes over capacity.
 */
export function startAutoAssign(ctx: GatewayContext, options: AssignOptions): AutoAssigner {
  const now = options.now ?? Date.now;
  const absence = createAbsenceClock(now);
  let running = false;
  let again = false;

  const pass = async () => {
    const roster = ctx.presence.agents();
    absence.observe(roster);
    await offerAgain(ctx, absence.overdue(options.graceMs), options, now);
    await assignWaiting(ctx, options.capacity, now);
  };
  const nudge = () => {
    if (ctx.closing) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    void ctx
      .track(
        (async () => {
          do {
            again = false;
            await pass().catch((err: unknown) => ctx.logger.error('auto-assignment failed', { err }));
          } while (again && !ctx.closing);
        })(),
      )
      .finally(() => {
        running = false;
      });
  };
  const timer = setInterval(nudge, options.sweepMs ?? DEFAULT_SWEEP_MS);
  timer.unref();
  return { nudge, stop: () => clearInterval(timer) };
}

/** Assigns waiting conversations, oldest first, while an online agent has room. */
async function assignWaiting(ctx: GatewayContext, capacity: number, now: () => number): Promise<void> {
  const roster = ctx.presence.agents();
  if (!roster.some((agent) => agent.status === 'online')) return;
  const waiting = await ctx.store.waitingConversations(BATCH);
  if (waiting.length === 0) return;
  let loads = new Map((await ctx.store.assignmentLoad()).map((load) => [load.agent, load]));
  for (const conversationId of waiting) {
    const agent = pickAgent(roster, loads, capacity);
    if (agent === undefined) return;
    const at = now();
    if (await ctx.store.claim(conversationId, agent, capacity, at)) {
      withAssignment(loads, agent, at);
      const { announce } = await recordAssignment(ctx, { conversationId, from: null, to: agent }, at);
      announce();
    } else {
      // Another process took this conversation or the agent's last place: count again before the next one.
      loads = new Map((await ctx.store.assignmentLoad()).map((load) => [load.agent, load]));
    }
  }
}

/** Unassigns the unanswered conversations of agents absent past the grace period, oldest first. */
async function offerAgain(
  ctx: GatewayContext,
  overdue: readonly string[],
  options: AssignOptions,
  now: () => number,
): Promise<void> {
  const reason = `${options.graceMs / 1000 >= 1 ? `away for more than ${options.graceMs / 1000} s` : 'away'}`;
  for (const agent of overdue) {
    for (const conversationId of await ctx.store.unansweredAssigned(agent, BATCH)) {
      const at = now();
      if (!(await ctx.store.assign(conversationId, { to: null, from: agent, at }))) continue;
      const { announce } = await recordAssignment(ctx, { conversationId, from: agent, to: null, reason }, at);
      announce();
    }
  }
}
