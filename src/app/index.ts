/**
 * The lazily loaded half of the widget: the panel, the socket and the outbox. Loaded by the launcher when the
 * visitor opens the chat, when the page calls the API, or for a returning visitor with a conversation.
 */
import { h, render } from 'preact';
import type { App, Host } from '../loader/host';
import type { Message } from '../protocol';
import { createChat } from './chat';
import { createOutbox } from './outbox';
import { lockPageWhileFullScreen } from './page-lock';
import panelCss from './panel.css' with { type: 'text' };
import { chime } from './sound';
import { loadStrings } from './strings';
import { createTabs } from './tabs';
import { Panel } from './ui/panel';

export async function start(host: Host): Promise<App> {
  const { config, persisted } = host;
  host.adoptStyles(panelCss);
  const s = await loadStrings(host.lang);
  const tabs = createTabs(config.site);
  const outbox = createOutbox(config.site, (err) => console.warn('[parley] storage unavailable, using memory:', err));
  let seenSeq = persisted.read().seenSeq ?? 0;
  let page = location.href;
  let destroyed = false;

  const visible = () => host.isOpen() && document.visibilityState === 'visible';

  /** Agent messages after the last one the visitor saw count as unread while the panel is closed or hidden. */
  const updateUnread = () => {
    const messages = chat.getState().messages;
    const latest = messages.at(-1)?.seq ?? 0;
    if (visible() && latest > seenSeq) {
      seenSeq = latest;
      persisted.write({ seenSeq });
      tabs.post({ type: 'read', seq: latest });
      chat.markRead(latest);
    }
    host.setUnread(messages.filter((m) => m.author === 'agent' && m.seq > seenSeq).length);
  };

  const chat = createChat(config.gateway, outbox, tabs, {
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
        seenSeq = w.messages.at(-1)?.seq ?? 0;
        persisted.write({ conversation: w.conversationId, seenSeq });
      }
    },
    onMessage(m, live) {
      // The conversation a session's first message created is this browser's, not one to count as already seen.
      persisted.write({ conversation: m.conversationId });
      if (live && m.author !== 'system') host.emit('message', publicMessage(m));
      // One chime per message however many tabs are open: live messages reach every tab within milliseconds.
      if (live && m.author === 'agent' && !visible()) tabs.once(`chime:${m.id}`, 10_000, chime);
    },
    onStatus: (status) => host.emit('status', { status }),
    onPending: (queued) => persisted.write({ queued }),
    notice: (kind) => (kind === 'renewed' ? s.sessionRenewed : kind === 'identity' ? s.identityRefused : s.unavailable),
  });

  const unlisten = tabs.listen((m) => {
    if (m.type === 'read' && m.seq > seenSeq) {
      seenSeq = m.seq;
      updateUnread();
    }
    // Another tab identified the user and rotated the shared session token: present the new one.
    if (m.type === 'identify') chat.reconnect();
  });

  // Single-page sites change the URL without a reload; tell the agents when the visitor moves on.
  const onNavigate = () => {
    if (location.href === page) return;
    page = location.href;
    chat.page({ url: page, title: document.title });
  };
  const nav = (window as { navigation?: EventTarget }).navigation;
  nav?.addEventListener('navigatesuccess', onNavigate);
  window.addEventListener('popstate', onNavigate);
  window.addEventListener('hashchange', onNavigate);

  const unsubscribe = chat.subscribe(updateUnread);
  const offOpen = host.onOpenChange(updateUnread);
  document.addEventListener('visibilitychange', updateUnread);
  const unlockPage = lockPageWhileFullScreen(host);

  render(h(Panel, { host, chat, strings: s }), host.panel);

  return {
    send: (text) => chat.send(text),
    identify() {
      chat.reconnect();
    },
    async shutdown() {
      persisted.clear();
      seenSeq = 0;
      await chat.reset();
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      unsubscribe();
      offOpen();
      unlisten();
      nav?.removeEventListener('navigatesuccess', onNavigate);
      window.removeEventListener('popstate', onNavigate);
      window.removeEventListener('hashchange', onNavigate);
      document.removeEventListener('visibilitychange', updateUnread);
      unlockPage();
      chat.destroy();
      tabs.close();
      render(null, host.panel);
    },
  };
}

function publicMessage(m: Message) {
  return {
    id: m.id,
    author: m.author === 'agent' ? ('agent' as const) : ('visitor' as const),
    ...(m.agentName ? { agentName: m.agentName } : {}),
    text: m.text,
    createdAt: m.createdAt,
  };
}
