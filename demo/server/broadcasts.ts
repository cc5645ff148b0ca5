import type { ConversationSummary } from '../../src/protocol';
import type { AgentSocket, GatewayContext } from './handler-context';
import { AGENTS_ROOM } from './rooms';
import type { StoredSummary } from './store/types';

/** What the gateway pushes unprompted: conversation summaries to agents, who is connected to agents and visitors. */

export function summarize(ctx: GatewayContext, stored: StoredSummary): ConversationSummary {
  return { ...stored, visitor: { ...stored.visitor, online: ctx.presence.visitorOnline(stored.id) } };
}

/**
 * Sends the current summary of a conversation to every agent (of every gateway process; with `local`, to this
 * process's agents only). Never rejects: a failure is logged.
 */
export function pushSummary(
  ctx: GatewayContext,
  conversationId: string,
  options: { local?: boolean } = {},
): Promise<void> {
  if (ctx.closing) return Promise.resolve();
  return ctx.track(
    ctx.store.getConversation(conversationId).then(
      (stored) => {
        if (!stored) return;
        const agents = options.local ? ctx.agents.local : ctx.agents;
        agents.to(AGENTS_ROOM).emit('conversation', summarize(ctx, stored));
      },
      (err: unknown) => ctx.logger.error('summary push failed', { conversationId, err }),
    ),
  );
}

/**
 * Tells this process's agents who is connected, and its visitors the aggregate when it changed. Local only: with
 * several processes, each one announces the merged view to its own sockets when that view changes (see
 * cluster-presence.ts), so nobody gets the same news twice.
 */
export function broadcastPresence(ctx: GatewayContext, except?: AgentSocket): void {
  const agents = ctx.presence.agents();
  (except ? except.local.to(AGENTS_ROOM) : ctx.agents.local.to(AGENTS_ROOM)).emit('agents', { agents });
  const changed = ctx.presence.takeAggregateChange();
  if (changed) ctx.visitors.local.emit('presence', changed);
  ctx.availability.announce();
  // An agent came online (room for waiting conversations) or left (its conversations start their grace period).
  ctx.autoAssign.nudge();
}
