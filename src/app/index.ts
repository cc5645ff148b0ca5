/**
 * The lazily loaded half of the widget: the panel, the socket and the outbox. Loaded by the launcher when the
 * visitor opens the chat, when the page calls the API, or for a returning visitor with a conversation.
 */
import { h, render } from 'preact';
import type { App, Host } from '../loader/host';
import { createChat } from './chat';
import { watchNavigation } from './navigation';
import { createOutbox } from './outbox';
import { pageHooks } from './page-hooks';
import { lockPageWhileFullScreen } from './page-lock';
import panelCss from './panel.css' with { type: 'text' };
import { loadStrings } from './strings';
import { createTabs } from './tabs';
import { Panel } from './ui/panel';
import { createUnread } from './unread';

export async function start(host: Host): Promise<App> {
  const { config, persisted } = host;
  host.adoptStyles(panelCss);
  const s = await loadStrings(host.lang);
  const tabs = createTabs(config.site);
  const outbox = createOutbox(config.site, (err) => console.warn('[parley] storage unavailable, using memory:', err));
  const unread = createUnread(host, tabs);
  const chat = createChat(config.gateway, outbox, tabs, pageHooks(host, tabs, s, unread));
  const updateUnread = () => unread.update(chat);

  const stops = [
    tabs.listen((m) => {
      if (m.type === 'read') unread.readElsewhere(m.seq, chat);
      // Another tab identified the user and rotated the shared session token: present the new one.
      if (m.type === 'identify') chat.reconnect();
    }),
    watchNavigation((page) => chat.page(page)),
    chat.subscribe(updateUnread),
    host.onOpenChange(updateUnread),
    () => document.removeEventListener('visibilitychange', updateUnread),
    lockPageWhileFullScreen(host),
    chat.destroy,
    tabs.close,
    () => render(null, host.panel),
  ];
  document.addEventListener('visibilitychange', updateUnread);

  render(h(Panel, { host, chat, strings: s }), host.panel);

  return {
    send: (text) => chat.send(text),
    identify() {
      chat.reconnect();
    },
    async shutdown() {
      persisted.clear();
      unread.seen(0);
      await chat.reset();
    },
    destroy() {
      // Each stop runs once: a second destroy() finds the list empty.
      for (const stop of stops.splice(0)) stop();
    },
  };
}
