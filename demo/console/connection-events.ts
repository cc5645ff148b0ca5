import type { AgentLink } from './agent-link.js';
import { isUnauthorized } from './connection.js';
import { reannounceAway } from './presence.js';
import type { Reconnector } from './reconnect.js';
import type { Typists } from './typists.js';

interface ConnectionParts {
  reconnector: Reconnector;
  typists: Typists;
  /** The list again, and the open conversation from the last contiguous seq held. */
  catchUp(): void;
  /** The gateway refused the token; the link is already torn down. */
  onUnauthorized(message: string): void;
  /** The token worked in an earlier page load. */
  tokenAccepted: boolean;
}

/** Typed wrong, or valid until the gateway restarted with other agents (e.g. a regenerated token). */
export const TOKEN_REFUSED = 'That agent token was not accepted. Check it and sign in again.';
export const AGENTS_CHANGED = "This gateway's agents changed; sign in again with a current token.";

/** Turns the socket's life cycle (connect, resync, disconnect, refusal) into connection state and catch-ups. */
export function listenToConnection(link: AgentLink, parts: ConnectionParts): void {
  let everConnected = false;

  link.listen('connect', () => {
    parts.reconnector.reset();
    link.update((s) => ({ ...s, connection: 'connected', connectionError: null }));
    if (everConnected) reannounceAway(link);
    everConnected = true;
    parts.catchUp();
  });

  // Live events may have been lost between the gateway's processes (Redis restarted): the socket itself stayed up.
  link.listen('resync', () => parts.catchUp());

  link.listen('disconnect', (reason) => {
    link.update((s) => ({ ...s, connection: 'reconnecting' }));
    parts.typists.clearAll();
    // The server closed the socket on purpose; Socket.IO does not retry that by itself.
    if (reason === 'io server disconnect') parts.reconnector.schedule();
  });

  link.listen('connect_error', (err) => {
    if (isUnauthorized(err)) {
      link.tearDown();
      parts.onUnauthorized(everConnected || parts.tokenAccepted ? AGENTS_CHANGED : TOKEN_REFUSED);
      return;
    }
    link.update((s) => ({
      ...s,
      connection: everConnected ? 'reconnecting' : 'connecting',
      connectionError: err.message || 'Cannot reach the gateway.',
    }));
    // A refusal by server middleware leaves the socket inactive: retry it ourselves, with backoff.
    if (!link.socket.active) parts.reconnector.schedule();
  });
}
