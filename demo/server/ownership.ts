import type { AgentClientEvents, ConversationSummary, ListView, Note } from '../../src/protocol';
import { summarize } from './broadcasts';
import type { consoleToolEvents } from './console-tools/schemas';
import type { GatewayContext } from './handler-context';
import { AGENTS_ROOM } from './rooms';
import { type After, HandlerError, type Handlers } from './router';
import type { MessagePage } from './store/types';
import type { agentEvents } from './validate';

/**
 * Who owns a conversation, and its agent-only timeline (internal notes and system lines). Everything here is sent on
 * the agent namespace only: nothing reaches a visitor socket, and notes are not messages (no seq, no unread count,
 * no preview).
 */

export interface AssignmentChange {
  conversationId: string;
  from: string | null;
  to: string | null;
  /** The agent who made the change; absent for auto-assignment. */
  actor?: string;
  /** Why auto-assignment took a conversation back, e.g. "away for more than 120 s". */
  reason?: string;
}

/** The system line an assignment change leaves in the conversation. */
export function assignmentLine({ from, to, actor, reason }: AssignmentChange): string {
  if (actor === undefined) {
    return to !== null ? `Assigned to ${to} automatically` : `Unassigned from ${from}${reason ? `: ${reason}` : ''}`;
  }
  if (to === null) return `${actor} unassigned this conversation${from && from !== actor ? ` from ${from}` : ''}`;
  return to === actor ? `${actor} took this conversation` : `${actor} assigned this conversation to ${to}`;
}

/**
 * Records an assignment change that was just written as a system line, and returns what to tell every agent (of
 * every gateway process): the new summary and the line. Sending is left to the caller (after the ack, for a handler).
 */
export async function recordAssignment(
  ctx: GatewayContext,
  change: AssignmentChange,
  at: number,
): Promise<{ summary: ConversationSummary; announce(): void }> {
  const line = await ctx.store.addNote({
    conversationId: change.conversationId,
    kind: 'event',
    ...(change.actor !== undefined ? { agentName: change.actor } : {}),
    text: assignmentLine(change),
    at,
  });
  const stored = await ctx.store.getConversation(change.conversationId);
  if (!stored) throw new HandlerError('not_found', 'no such conversation');
  const summary = summarize(ctx, stored);
  return {
    summary,
    announce() {
      const agents = ctx.agents.to(AGENTS_ROOM);
      agents.emit('conversation', summary);
      agents.emit('note', line.note);
    },
  };
}

/** The `list` filter by owner for the calling agent. */
export function ownerFilter(view: ListView | undefined, me: string): { assignee?: string | null } {
  if (view === 'mine') return { assignee: me };
  if (view === 'unassigned') return { assignee: null };
  return {};
}

/**
 * The notes of an `open` page: those placed after the page's first seq (`afterSeq`) up to, not including, its last
 * message's seq when more messages follow (the next page, which starts there, carries those), else all the rest.
 */
export function notesForPage(
  ctx: GatewayContext,
  conversationId: string,
  afterSeq: number,
  page: MessagePage,
): Promise<Note[]> {
  const last = page.messages.at(-1)?.seq;
  return ctx.store.notesBetween(conversationId, {
    from: afterSeq,
    ...(page.more && last !== undefined ? { to: last } : {}),
  });
}

/** Attempts of `assign` against concurrent changes of the same conversation before it answers with the current owner. */
const ASSIGN_ATTEMPTS = 3;

type OwnershipHandlers = Pick<
  Handlers<Omit<AgentClientEvents, keyof typeof consoleToolEvents>, typeof agentEvents>,
  'assign' | 'note'
>;

/** The agent events `assign` and `note` for the agent `name`. */
export function ownershipHandlers(ctx: GatewayContext, name: string): OwnershipHandlers {
  return {
    assign: async ({ conversationId, agent }, after) => {
      if (agent !== null && !ctx.agentNames.includes(agent)) {
        throw new HandlerError('unknown_agent', `no agent is named "${agent.slice(0, 64)}"`);
      }
      return { conversation: await assign(ctx, { conversationId, to: agent, actor: name }, after) };
    },
    note: async ({ conversationId, clientId, text }, after) => {
      const at = Date.now();
      const added = await ctx.store.addNote({ conversationId, kind: 'note', agentName: name, clientId, text, at });
      if (!added.duplicate) after(() => ctx.agents.to(AGENTS_ROOM).emit('note', added.note));
      return added;
    },
  };
}

/**
 * Moves the conversation from whoever owns it now to `to`, conditionally on that owner, so a concurrent change (by
 * another agent or auto-assignment, in any process) is never overwritten unseen: the write is tried again from the
 * new owner. An unchanged owner records nothing.
 */
async function assign(
  ctx: GatewayContext,
  { conversationId, to, actor }: { conversationId: string; to: string | null; actor: string },
  after: After,
): Promise<ConversationSummary> {
  for (let attempt = 1; ; attempt++) {
    const before = await ctx.store.getConversation(conversationId);
    if (!before) throw new HandlerError('not_found', 'no such conversation');
    const from = before.assignee ?? null;
    if (from === to || attempt > ASSIGN_ATTEMPTS) return summarize(ctx, before);
    const at = Date.now();
    if (!(await ctx.store.assign(conversationId, { to, from, at }))) continue;
    const { summary, announce } = await recordAssignment(ctx, { conversationId, from, to, actor }, at);
    after(() => {
      announce();
      // An unassigned conversation waits for auto-assignment; a reassignment may free a place.
      ctx.autoAssign.nudge();
    });
    return summary;
  }
}
