import type { AgentLink } from './agent-link.js';
import { lastHeldSeq, markReadLocally } from './state.js';

function isVisible(): boolean {
  return document.visibilityState === 'visible';
}

/**
 * Returns `markRead`, which tells the gateway the open conversation has been seen, up to the last message held;
 * it runs again when the tab becomes visible.
 */
export function createReadReceipts(link: AgentLink): () => void {
  /** Highest seq a `read` was sent for, per conversation. */
  const readSent = new Map<string, number>();

  function markRead(): void {
    const s = link.state.get();
    const id = s.selectedId;
    if (!id || !isVisible() || !link.socket.connected) return;
    const seq = lastHeldSeq(s.threads[id]);
    if (seq > (readSent.get(id) ?? 0)) {
      readSent.set(id, seq);
      link.socket.emit('read', { conversationId: id, seq });
    }
    // Unread counts only messages after the last read seq, so anything up to it is known to be read.
    const c = s.conversations[id];
    if (c && c.lastSeq <= (readSent.get(id) ?? 0)) link.update((st) => markReadLocally(st, id));
  }

  const onVisibility = () => {
    if (isVisible()) markRead();
  };
  document.addEventListener('visibilitychange', onVisibility);
  link.onTeardown(() => document.removeEventListener('visibilitychange', onVisibility));
  return markRead;
}
