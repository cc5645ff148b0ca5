import { LIMITS, type Message } from '../../src/protocol.js';
import type { AgentLink } from './agent-link.js';
import { setTyping, type Typist } from './state.js';

/** Shows who is typing in each conversation, each typist for at most `LIMITS.typingExpiryMs` after their last signal. */
export interface Typists {
  /** Their message arrived: the author's expiry timer is no longer needed. */
  stopTimerFor(m: Message): void;
  /** Disconnected: nobody is known to be typing any more. */
  clearAll(): void;
}

function keyOf(conversationId: string, typist: Typist): string {
  return `${conversationId}\n${typist.who}\n${typist.author}`;
}

export function createTypists(link: AgentLink): Typists {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const stopTimer = (key: string) => {
    const t = timers.get(key);
    if (t !== undefined) clearTimeout(t);
    timers.delete(key);
  };
  const stopAllTimers = () => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  };
  link.onTeardown(stopAllTimers);

  link.listen('typing', (t) => {
    if (t.author === 'agent' && t.who === link.state.get().me) return;
    const typist: Typist = { who: t.author === 'visitor' ? '' : t.who, author: t.author };
    const key = keyOf(t.conversationId, typist);
    stopTimer(key);
    link.update((st) => setTyping(st, t.conversationId, typist, t.typing));
    if (!t.typing) return;
    const expire = () => {
      timers.delete(key);
      link.update((st) => setTyping(st, t.conversationId, typist, false));
    };
    timers.set(key, setTimeout(expire, LIMITS.typingExpiryMs));
  });

  return {
    stopTimerFor(m) {
      if (m.author === 'visitor') stopTimer(keyOf(m.conversationId, { who: '', author: 'visitor' }));
      if (m.author === 'agent' && m.agentName)
        stopTimer(keyOf(m.conversationId, { who: m.agentName, author: 'agent' }));
    },
    clearAll() {
      stopAllTimers();
      link.update((s) => (Object.keys(s.typing).length ? { ...s, typing: {} } : s));
    },
  };
}
