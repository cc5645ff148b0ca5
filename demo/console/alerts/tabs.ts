import { createTabLocks } from '../../../src/client/tab-locks.js';

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
 * Lock held for a while, the client core's `createTabLocks`, as the widget's `tabs.once`). Without BroadcastChannel each tab knows only itself.
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
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : undefined;
  const views = new Map<string, TabView>();
  const { once, release } = createTabLocks('parley-console-alert:');
  const post = (m: TabMessage) => channel?.postMessage(m);

  const onMessage = (e: MessageEvent<TabMessage>) => {
    const m = e.data;
    if ('hello' in m) {
      const mine = views.get(me);
      if (mine) post({ tab: me, view: mine });
    } else if (m.view) views.set(m.tab, m.view);
    else views.delete(m.tab);
  };
  const onHide = () => post({ tab: me, view: null });
  channel?.addEventListener('message', onMessage);
  addEventListener('pagehide', onHide);
  post({ hello: me });

  return {
    show(view) {
      views.set(me, view);
      post({ tab: me, view });
    },
    reading: (id) => [...views.values()].some((v) => v.visible && v.conversationId === id),
    anyVisible: () => [...views.values()].some((v) => v.visible),
    once,
    close() {
      onHide();
      removeEventListener('pagehide', onHide);
      release();
      channel?.close();
    },
  };
}
