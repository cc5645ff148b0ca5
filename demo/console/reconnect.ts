import { backoff } from '../../src/client/backoff.js';
import type { AgentLink } from './agent-link.js';

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * The console's delay before retry number `attempt` (from 0): at least a second, then the client core's full-jitter
 * backoff (src/client/backoff.ts, the widget's too) up to 30 s in all, so consoles a gateway restart or refusal
 * disconnected together do not come back in step.
 */
export const reconnectDelay = (attempt: number) =>
  RETRY_MIN_MS + backoff(attempt, RETRY_MIN_MS, RETRY_MAX_MS - RETRY_MIN_MS);

/** Reconnects, with a growing jittered delay, a socket Socket.IO will not retry by itself (closed or refused on purpose). */
export interface Reconnector {
  schedule(): void;
  /** Connected: the next retry starts from the shortest delay again. */
  reset(): void;
}

export function createReconnector(link: AgentLink): Reconnector {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  link.onTeardown(() => clearTimeout(timer));
  return {
    schedule() {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const { socket } = link;
        if (!link.isTornDown() && !socket.connected && !socket.active) socket.connect();
      }, reconnectDelay(attempt++));
    },
    reset() {
      clearTimeout(timer);
      attempt = 0;
    },
  };
}
