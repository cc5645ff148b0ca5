import type { Host } from '../loader/host';
import type { Strings } from '../locales/types';
import type { Message } from '../protocol';
import type { ChatHooks } from './chat';
import { chime } from './sound';
import type { Tabs } from './tabs';
import type { Unread } from './unread';

/**
 * What the chat asks of the page around it: the handshake's auth (session, page, locale, user token), and what a
 * welcome, a message or a status change means for localStorage, the other tabs, the host page's events and the chime.
 */
export function pageHooks(host: Host, tabs: Tabs, s: Strings, unread: Unread): ChatHooks {
  const { config, persisted } = host;
  return {
    auth: () => {
      const session = persisted.read().session;
      return {
        site: config.site,
        ...(session ? { session } : {}),
        page: { url: location.href, title: document.title },
        locale: config.locale,
        ...(config.userToken ? { userToken: config.userToken } : {}),
      };
    },
    onWelcome(w) {
      if (w.session) {
        persisted.write({ session: w.session });
        // A login rotated the session token that every tab shares (the old one no longer works): the other tabs
        // reconnect with this one. Not after a renewal, so that tabs of different users never take turns.
        if (w.user && !w.renewed) tabs.post({ type: 'identify' });
      }
      // A verified user's session can move to their existing conversation; its history counts as seen.
      if (persisted.read().conversation !== w.conversationId) {
        const seenSeq = w.messages.at(-1)?.seq ?? 0;
        unread.seen(seenSeq);
        persisted.write({ conversation: w.conversationId, seenSeq });
      }
    },
    onMessage(m, live) {
      // The conversation a session's first message created is this browser's, not one to count as already seen.
      persisted.write({ conversation: m.conversationId });
      if (live && m.author !== 'system') host.emit('message', publicMessage(m));
      // One chime per message however many tabs are open: live messages reach every tab within milliseconds.
      if (live && m.author === 'agent' && !unread.visible()) tabs.once(`chime:${m.id}`, 10_000, chime);
    },
    onStatus: (status) => host.emit('status', { status }),
    onPending: (queued) => persisted.write({ queued }),
    notice: (kind) => (kind === 'renewed' ? s.sessionRenewed : kind === 'identity' ? s.identityRefused : s.unavailable),
  };
}

/** A message as the host page's `message` event shows it. */
function publicMessage(m: Message) {
  return {
    id: m.id,
    author: m.author === 'agent' ? ('agent' as const) : ('visitor' as const),
    ...(m.agentName ? { agentName: m.agentName } : {}),
    text: m.text,
    createdAt: m.createdAt,
  };
}
