import type { ConversationSummary, Message } from '../../../src/protocol.js';
import { beep } from '../attention.js';
import { visitorName } from '../format.js';
import type { ConsoleState, StateHolder } from '../state.js';
import { type AlertPrefs, decideAlert } from './decide.js';
import { loadPrefs, savePrefs } from './prefs.js';
import { createConsoleTabs } from './tabs.js';

/** The tab's favicon with the unread count as a badge. */
export function setFavicon(href: string): void {
  let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) {
    link = document.createElement('link');
    link.rel = 'icon';
    document.head.append(link);
  }
  link.href = href;
}

/** Long enough for every tab to have heard the same event (they get it within milliseconds of each other). */
const ONCE_HOLD_MS = 10_000;

export interface Alerts {
  /** A live visitor message arrived. */
  onVisitorMessage(m: Message): Promise<void>;
  /** The console's state changed: tells the other tabs what this one shows, when that changed. */
  onState(): void;
  prefs(): AlertPrefs;
  setPrefs(prefs: AlertPrefs): void;
  close(): void;
}

function permission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'function' ? Notification.permission : 'unsupported';
}

function showNotification(m: Message, c: ConversationSummary | undefined, isNew: boolean): void {
  const who = c ? visitorName(c.visitor) : 'A visitor';
  // One notification per conversation (`tag`): a newer message replaces the older one instead of piling up.
  const n = new Notification(isNew ? `New conversation: ${who}` : who, {
    body: m.text.slice(0, 200),
    tag: m.conversationId,
  });
  n.onclick = () => {
    window.focus();
    location.hash = `#${encodeURIComponent(m.conversationId)}`;
    n.close();
  };
}

/** How long a message of a conversation the console does not list yet waits for its summary (who, assignee). */
const SUMMARY_WAIT_MS = 3000;

/** The conversation's summary, once the console holds it (a new conversation's comes just after its first message). */
function summaryOf(state: StateHolder<ConsoleState>, id: string): Promise<ConversationSummary | undefined> {
  const held = state.get().conversations[id];
  if (held) return Promise.resolve(held);
  return new Promise((resolve) => {
    const done = (c: ConversationSummary | undefined) => {
      clearTimeout(timer);
      off();
      resolve(c);
    };
    const off = state.subscribe(() => {
      const c = state.get().conversations[id];
      if (c) done(c);
    });
    const timer = setTimeout(() => done(undefined), SUMMARY_WAIT_MS);
  });
}

/**
 * Desktop notifications and the chime for visitor messages, decided by `decideAlert`, at most once per message across
 * the browser's console tabs.
 */
export function createAlerts(state: StateHolder<ConsoleState>): Alerts {
  const getState = state.get;
  const tabs = createConsoleTabs();
  let prefs: AlertPrefs | null = null;
  const agentPrefs = () => {
    const me = getState().me;
    prefs ??= me ? loadPrefs(me) : null;
    return prefs;
  };
  let shown = '';
  const show = () => {
    const view = { visible: document.visibilityState === 'visible', conversationId: getState().selectedId };
    const key = JSON.stringify(view);
    if (key === shown) return;
    shown = key;
    tabs.show(view);
  };
  document.addEventListener('visibilitychange', show);
  show();

  return {
    async onVisitorMessage(m) {
      const found = await summaryOf(state, m.conversationId);
      const s = getState();
      const current = agentPrefs();
      if (!current) return;
      const c = found;
      const isNew = m.seq === 1;
      const decision = decideAlert(
        { kind: isNew ? 'new' : 'message', ...(c?.assignee ? { assignee: c.assignee } : {}) },
        {
          me: s.me,
          away: s.myStatus === 'away',
          prefs: current,
          permission: permission(),
          reading: tabs.reading(m.conversationId),
          anyTabVisible: tabs.anyVisible(),
        },
      );
      if (!decision.desktop && !decision.sound) return;
      tabs.once(`${s.me}:${m.id}`, ONCE_HOLD_MS, () => {
        if (decision.sound) beep();
        if (decision.desktop) showNotification(m, c, isNew);
      });
    },
    onState: show,
    prefs: () => agentPrefs() ?? loadPrefs(''),
    setPrefs(next) {
      prefs = next;
      const me = getState().me;
      if (me) savePrefs(me, next);
    },
    close() {
      document.removeEventListener('visibilitychange', show);
      tabs.close();
    },
  };
}
