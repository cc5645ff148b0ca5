/**
 * The lazily loaded half of the widget: the panel, the socket and the outbox. Loaded by the launcher when the
 * visitor opens the chat, when the page calls the API, or for a returning visitor with a conversation.
 */
import { h, render } from 'preact';
import type { App, Host } from '../loader/host';
import type { Message } from '../protocol';
import { createChat } from './chat';
import { createOutbox } from './outbox';
import panelCss from './panel.css' with { type: 'text' };
import { chime } from './sound';
import { stringsFor } from './strings';
import { Panel } from './ui/Panel';

export function start(host: Host): App {
  const { config } = host;
  const s = stringsFor(config.locale);
  host.adoptStyles(panelCss);
  const outbox = createOutbox(config.site, (err) => console.warn('[parley] storage unavailable, using memory:', err));
  let seenSeq = host.persisted.read().seenSeq ?? 0;
  let destroyed = false;

  const visible = () => host.isOpen() && document.visibilityState === 'visible';

  /** Agent messages after the last one the visitor saw count as unread while the panel is closed or hidden. */
  const updateUnread = () => {
    const messages = chat.getState().messages;
    const latest = messages.at(-1)?.seq ?? 0;
    if (visible()) {
      if (latest > seenSeq) {
        seenSeq = latest;
        host.persisted.write({ seenSeq });
        chat.markRead(latest);
      }
      host.setUnread(0);
    } else {
      host.setUnread(messages.filter((m) => m.author === 'agent' && m.seq > seenSeq).length);
    }
  };

  const publicMessage = (m: Message) => ({
    id: m.id,
    author: m.author === 'agent' ? ('agent' as const) : ('visitor' as const),
    ...(m.agentName ? { agentName: m.agentName } : {}),
    text: m.text,
    createdAt: m.createdAt,
  });

  const chat = createChat(config.gateway, outbox, {
    auth: () => ({
      site: config.site,
      ...(host.persisted.read().session ? { session: host.persisted.read().session } : {}),
      page: { url: location.href, title: document.title },
      locale: config.locale,
    }),
    onSession: (token) => host.persisted.write({ session: token }),
    onMessage(m, live) {
      if (live && m.author !== 'system') host.emit('message', publicMessage(m));
      if (live && m.author === 'agent' && !visible()) chime();
    },
    onStatus: (status) => host.emit('status', { status }),
    notice: (kind, code) => (kind === 'renewed' ? s.sessionRenewed : s.unavailable(code ?? '')),
  });

  const unsubscribe = chat.subscribe(updateUnread);
  const offOpen = host.onOpenChange(updateUnread);
  document.addEventListener('visibilitychange', updateUnread);

  render(h(Panel, { host, chat, strings: s, durable: () => outbox.durable }), host.panel);

  return {
    send: (text) => chat.send(text),
    async shutdown() {
      host.persisted.clear();
      await chat.reset();
      seenSeq = 0;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      unsubscribe();
      offOpen();
      document.removeEventListener('visibilitychange', updateUnread);
      chat.destroy();
      render(null, host.panel);
    },
  };
}
