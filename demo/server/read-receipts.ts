import { summarize } from './broadcasts';
import type { GatewayContext } from './handler-context';
import { AGENTS_ROOM, conversationRoom } from './rooms';

/**
 * Read receipts after a read mark moved: agents get the conversation's summary (its `unread`, `agentReadSeq` and
 * `visitorReadSeq`), and, when agents read, the visitor's tabs get `read { seq }`, which the widget shows as "Seen".
 * Never rejects: a failure is logged.
 */
export function pushReads(ctx: GatewayContext, conversationId: string, by: 'agent' | 'visitor'): Promise<void> {
  if (ctx.closing) return Promise.resolve();
  return ctx.track(
    ctx.store.getConversation(conversationId).then(
      (stored) => {
        if (!stored) return;
        ctx.agents.to(AGENTS_ROOM).emit('conversation', summarize(ctx, stored));
        if (by === 'agent' && stored.agentReadSeq) {
          ctx.visitors.to(conversationRoom(conversationId)).emit('read', { seq: stored.agentReadSeq });
        }
      },
      (err: unknown) => ctx.logger.error('read receipt push failed', { conversationId, err }),
    ),
  );
}
