import { createTabs } from '../../../src/client/tabs.js';

/** What one console tab shows: whether it is in view, and which conversation it has open. */
interface TabView {
  visible: boolean;
  conversationId: string | null;
}

type TabMessage = { tab: string; view: TabView | null } | { hello: string };

const CHANNEL = 'parley-console-tabs';

/**
 * Knows what every console tab of this browser shows (BroadcastChannel), so that a tab in the background does not
 * notify about a conversation the agent is reading in another one, and so that only one tab alerts per event (a Web
 * Lock held for a while: the client core's `tabs.once`, as in the widget). Without BroadcastChannel each tab knows
 * only itself.
 */
export interface ConsoleTabs {
  /** This tab's view changed (visibility or open conversation). */
  show(view: TabView): void;
  /** A visible tab, this one included, has `conversationId` open. */
  reading(conversationId: string): boolean;
  anyVisible(): boolean;
  /** Runs `fn` in one tab only of those calling with the same key within `holdMs`. */
  once(key: string, holdMs: number, fn: () => void): void;
  close(): void;
}

export function createConsoleTabs(): ConsoleTabs {
  const me = Math.random().toString(36).slice(2);
  const tabs = createTabs<TabMessage>(CHANNEL, 'parley-console-alert:');
  const views = new Map<string, TabView>();
  const post = tabs.post;

  tabs.listen((m) => {
    if ('hello' in m) {
      const mine = views.get(me);
      if (mine) post({ tab: me, view: mine });
    } else if (m.view) views.set(m.tab, m.view);
    else views.delete(m.tab);
  });
  const onHide = () => post({ tab: me, view: null });
  addEventListener('pagehide', onHide);
  post({ hello: me });

  return {
    show(view) {
      views.set(me, view);
      post({ tab: me, view });
    },
    reading: (id) => [...views.values()].some((v) => v.visible && v.conversationId === id),
    anyVisible: () => [...views.values()].some((v) => v.visible),
    once: tabs.once,
    close() {
      onHide();
      removeEventListener('pagehide', onHide);
      tabs.close();
    },
  };
}
