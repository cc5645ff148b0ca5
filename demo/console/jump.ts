import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Thread } from './state.js';

/** A message to show once its conversation is open: a search hit. */
export interface JumpTarget {
  conversationId: string;
  seq: number;
}

/**
 * Once the target's thread is fully loaded and rendered, scrolls its message to the middle of the log, marks it
 * (`data-found`, styled by console.css) and moves focus to it, so keyboard and screen-reader users land there too;
 * then `done()`. The mark stays until the next jump. Nothing happens while another conversation is shown.
 */
export function useJumpToMessage(
  target: JumpTarget | null,
  selectedId: string | null,
  thread: Thread | undefined,
  done: () => void,
): void {
  const ready = target !== null && selectedId === target.conversationId && thread?.complete && !thread.loading;
  useEffect(() => {
    if (!ready || !target) return;
    const item = document.querySelector<HTMLElement>(`.log [data-seq="${target.seq}"]`);
    if (!item) return done();
    for (const old of document.querySelectorAll('.log [data-found]')) old.removeAttribute('data-found');
    item.setAttribute('data-found', '');
    item.tabIndex = -1;
    item.scrollIntoView({ block: 'center' });
    item.focus({ preventScroll: true });
    done();
  }, [ready, target, done]);
}

/**
 * Opening a search hit: selects its conversation and, for a message hit, jumps to the message once it is shown.
 * Returns the function the search results call.
 */
export function useOpenAtMessage(
  selectedId: string | null,
  threads: Record<string, Thread>,
  select: (id: string) => void,
): (conversationId: string, seq?: number) => void {
  const [target, setTarget] = useState<JumpTarget | null>(null);
  const done = useCallback(() => setTarget(null), []);
  useJumpToMessage(target, selectedId, target ? threads[target.conversationId] : undefined, done);
  return (conversationId, seq) => {
    select(conversationId);
    setTarget(seq === undefined ? null : { conversationId, seq });
  };
}
