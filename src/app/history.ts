import { mergeBySeq } from '../client/merge';
import type { Message, VisitorWelcome } from '../protocol';
import type { AgentTyping } from './agent-typing';
import type { GetState, SetState } from './chat-state';
import type { VisitorSocket } from './connection';
import { DELIVERY } from './delivery';

/**
 * The conversation's messages: merges what arrives (live, in a welcome, from catch-up) by sequence number, and fetches
 * any gap with `history` instead of hoping it fills.
 */
export function createHistory(
  socket: VisitorSocket,
  get: GetState,
  set: SetState,
  typers: AgentTyping,
  onMessage: (m: Message, live: boolean) => void,
) {
  // `null` until the session's first message: a welcome without a conversation.
  let conversationId: string | null | undefined;

  function merge(incoming: Message[], live: boolean): void {
    const state = get();
    // This socket's first message (its own or another tab's) tells the id of the conversation it created.
    conversationId ??= incoming[0]?.conversationId;
    const { merged: messages, fresh } = mergeBySeq(
      state.messages,
      incoming.filter((m) => m.conversationId === conversationId),
    );
    if (fresh.length === 0) return;
    const sent = new Set(messages.map((m) => m.clientId));
    for (const m of fresh) if (m.author === 'agent') typers.stop(m.agentName ?? '');
    set({ messages, pending: state.pending.filter((p) => !sent.has(p.clientId)), typing: typers.names() });
    for (const m of fresh) onMessage(m, live);
    // Sequence numbers are gap-free from 1: a list that is not 1…n means something was missed. Fetch the gap by
    // sequence number instead of hoping.
    if (messages.at(-1)!.seq !== messages.length) void catchUp();
  }

  async function catchUp(): Promise<void> {
    // Highest seq up to which we hold every message.
    const held = get().messages;
    let after = held.findIndex((m, i) => m.seq !== i + 1);
    if (after < 0) after = held.length;
    for (let page = 0; page < 50 && socket.connected; page++) {
      try {
        const ack = await socket.timeout(DELIVERY.ackTimeoutMs).emitWithAck('history', { afterSeq: after });
        if (!ack.ok) return;
        merge(ack.messages, false);
        if (!ack.more || ack.messages.length === 0) return;
        after = ack.messages.at(-1)!.seq;
      } catch {
        return;
      }
    }
  }

  return {
    merge,
    catchUp,
    /** Takes the welcome's conversation; another one than held (a new session) starts from an empty list. */
    welcome(w: VisitorWelcome): void {
      if (conversationId && conversationId !== w.conversationId) set({ messages: [] }, true);
      conversationId = w.conversationId;
    },
    forget(): void {
      conversationId = undefined;
    },
  };
}

export type History = ReturnType<typeof createHistory>;
