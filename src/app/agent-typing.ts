import { LIMITS } from '../protocol';
import type { SetState } from './chat-state';
import type { Timers } from './timers';

/** The agents shown as typing, each with the timer that hides them when their typing events stop. */
export function createAgentTyping(set: SetState, later: Timers['later']) {
  const typers = new Map<string, ReturnType<typeof setTimeout>>();
  const names = () => [...typers.keys()];
  /** Hides an agent's typing indicator; `render` also shows the change at once (for an expiry timer). */
  const stop = (name: string, render?: boolean) => {
    clearTimeout(typers.get(name));
    typers.delete(name);
    if (render) set({ typing: names() });
  };
  return {
    names,
    stop,
    event(name: string, typing: boolean): void {
      stop(name);
      // The agent's typing events are throttled; without a new one, assume they stopped.
      if (typing)
        typers.set(
          name,
          later(LIMITS.typingExpiryMs, () => stop(name, true)),
        );
      set({ typing: names() });
    },
    clear(): void {
      for (const name of typers.keys()) stop(name);
    },
  };
}

export type AgentTyping = ReturnType<typeof createAgentTyping>;
