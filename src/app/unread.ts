import type { Host } from '../loader/host';
import type { Chat } from './chat';
import type { Tabs } from './tabs';

/**
 * The unread count: agent messages after the last seq the visitor saw in the open, visible panel. That seq is kept
 * across reloads (localStorage) and shared by the site's tabs, and seeing a message tells the gateway (`read`).
 */
export function createUnread(host: Host, tabs: Tabs) {
  const { persisted } = host;
  let seenSeq = persisted.read().seenSeq ?? 0;
  const visible = () => host.isOpen() && document.visibilityState === 'visible';
  return {
    visible,
    /** Everything up to `seq` counts as seen: a conversation joined with its history, or a reset (0). */
    seen(seq: number): void {
      seenSeq = seq;
    },
    update(chat: Chat): void {
      const messages = chat.getState().messages;
      const latest = messages.at(-1)?.seq ?? 0;
      if (visible() && latest > seenSeq) {
        seenSeq = latest;
        persisted.write({ seenSeq });
        tabs.post({ type: 'read', seq: latest });
        chat.markRead(latest);
      }
      host.setUnread(messages.filter((m) => m.author === 'agent' && m.seq > seenSeq).length);
    },
    /** Another tab showed messages up to `seq`. */
    readElsewhere(seq: number, chat: Chat): void {
      if (seq <= seenSeq) return;
      seenSeq = seq;
      this.update(chat);
    },
  };
}

export type Unread = ReturnType<typeof createUnread>;
