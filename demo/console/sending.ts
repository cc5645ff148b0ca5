import type { ConversationStatus } from '../../src/protocol.js';
import type { AgentLink } from './agent-link.js';
import { type RequestError, request } from './connection.js';
import { mergeConversation, receiveMessage } from './state.js';

export type ActionResult = { ok: true } | RequestError;

/**
 * Sends a reply. The caller keeps `clientId` for a retry of the same text, so a reply whose ack was lost is stored
 * once; the acked message joins the thread at once, before its live `message` event.
 */
export async function sendReply(
  link: AgentLink,
  markRead: () => void,
  reply: { conversationId: string; text: string; clientId: string; attachments?: string[] },
): Promise<ActionResult> {
  const { conversationId, text, clientId, attachments } = reply;
  const ack = await request(link.socket, 'send', {
    conversationId,
    clientId,
    text,
    ...(attachments ? { attachments } : {}),
  });
  if (!ack.ok) return ack;
  link.update((s) => receiveMessage(s, ack.message));
  if (conversationId === link.state.get().selectedId) markRead();
  return { ok: true };
}

export function sendTyping(link: AgentLink, conversationId: string, typing: boolean): void {
  // Volatile: a typing signal is worthless by the time a reconnect would flush it.
  if (link.socket.connected) link.socket.volatile.emit('typing', { conversationId, typing });
}

export async function setConversationStatus(
  link: AgentLink,
  conversationId: string,
  status: ConversationStatus,
): Promise<ActionResult> {
  const ack = await request(link.socket, 'setStatus', { conversationId, status });
  if (!ack.ok) return ack;
  link.update((s) => mergeConversation(s, ack.conversation));
  return { ok: true };
}
