import type { AgentLink } from './agent-link.js';

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

/** Reconnects, with a doubling delay, a socket Socket.IO will not retry by itself (closed or refused on purpose). */
export interface Reconnector {
  schedule(): void;
  /** Connected: the next retry starts from the shortest delay again. */
  reset(): void;
}

export function createReconnector(link: AgentLink): Reconnector {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let delay = RETRY_MIN_MS;
  link.onTeardown(() => clearTimeout(timer));
  return {
    schedule() {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const { socket } = link;
        if (!link.isTornDown() && !socket.connected && !socket.active) socket.connect();
      }, delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    },
    reset() {
      clearTimeout(timer);
      delay = RETRY_MIN_MS;
    },
  };
}
