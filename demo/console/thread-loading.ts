import type { AgentLink } from './agent-link.js';
import { request } from './connection.js';
import { addNotes } from './ownership.js';
import { addToThread, emptyThread, lastHeldSeq, mergeConversation, updateThread } from './state.js';

/** Loads one conversation's history, page by page, from the last contiguous seq held. */
export interface ThreadLoader {
  /** Fetches what is missing of a conversation's history (again, after an error or a reconnect). */
  load(id: string): Promise<void>;
  /** Opens a conversation (or none) and loads what is missing of it. */
  select(id: string | null): void;
}

async function fetchHistory(link: AgentLink, id: string, markRead: () => void): Promise<void> {
  link.update((s) => updateThread(s, id, (t) => ({ ...t, loading: true, error: null })));
  // Not connected yet (or reconnecting): the `connect` handler loads the selected conversation.
  if (!link.socket.connected) return;
  let cursor = link.state.get().threads[id]?.contiguous ?? 0;
  let serverLastSeq = 0;
  for (;;) {
    const ack = await request(
      link.socket,
      'open',
      cursor > 0 ? { conversationId: id, afterSeq: cursor } : { conversationId: id },
    );
    if (link.isTornDown()) return;
    if (!ack.ok) {
      link.update((s) => updateThread(s, id, (t) => ({ ...t, loading: false, error: `${ack.code}: ${ack.message}` })));
      return;
    }
    serverLastSeq = ack.conversation.lastSeq;
    link.update((s) =>
      updateThread(mergeConversation(s, ack.conversation), id, (t) =>
        addNotes(addToThread(t, ack.messages), ack.notes),
      ),
    );
    const reached = ack.messages.at(-1)?.seq ?? cursor;
    if (!ack.more || reached <= cursor) break;
    cursor = reached;
  }
  link.update((s) =>
    updateThread(s, id, (t) => ({
      ...t,
      loading: false,
      complete: true,
      // Everything the gateway had when it answered is now held, even across seqs it no longer stores.
      contiguous: Math.max(t.contiguous, Math.min(lastHeldSeq(t), serverLastSeq)),
    })),
  );
  markRead();
}

export function createThreadLoader(link: AgentLink, markRead: () => void): ThreadLoader {
  const loading = new Map<string, Promise<void>>();
  const reloadWanted = new Set<string>();

  function load(id: string): Promise<void> {
    const running = loading.get(id);
    if (running) {
      // A reconnect while a fetch is in flight: run once more afterwards, from the new `contiguous`.
      reloadWanted.add(id);
      return running;
    }
    const run = (async () => {
      do {
        reloadWanted.delete(id);
        await fetchHistory(link, id, markRead);
      } while (reloadWanted.has(id) && !link.isTornDown());
    })().finally(() => loading.delete(id));
    loading.set(id, run);
    return run;
  }

  function select(id: string | null): void {
    link.update((s) => {
      const next = { ...s, selectedId: id };
      return id && !s.threads[id] ? { ...next, threads: { ...s.threads, [id]: emptyThread() } } : next;
    });
    if (id) void load(id);
  }

  return { load, select };
}
