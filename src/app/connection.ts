import type { Status } from '../loader/types';
import {
  type ErrorCode,
  NAMESPACE,
  type VisitorAuth,
  type VisitorClientEvents,
  type VisitorServerEvents,
} from '../protocol';
import type { GetState, SetState } from './chat-state';
import { DELIVERY, retryDelay } from './delivery';
import { type ConnectError, Socket } from './socket';
import type { Timers } from './timers';

export type VisitorSocket = Socket<VisitorServerEvents, VisitorClientEvents>;

/** Handshake refusals that go away by themselves. */
const TEMPORARY: ErrorCode[] = ['rate_limited', 'too_many_connections', 'storage_error', 'internal'];

/** Opens the visitor socket; `auth` is re-evaluated on every attempt, so a reconnect presents the newest session. */
export function openSocket(gateway: string, auth: () => VisitorAuth): VisitorSocket {
  const socket: VisitorSocket = new Socket(gateway, NAMESPACE.visitor, auth, {
    reconnectBaseMs: 500,
    reconnectMaxMs: 5000,
  });
  return socket.connect();
}

/**
 * The socket's life cycle and refusal policy: status on disconnects and refusals, reconnects (with backoff) where
 * Socket.IO will not, and the browser's offline/online events. `onDown` runs first on every disconnect.
 */
export function watchConnection(
  socket: VisitorSocket,
  get: GetState,
  set: SetState,
  later: Timers['later'],
  notice: () => string,
  onDown: () => void,
) {
  let refusals = 0;
  let welcomedBefore = false;
  const offlineStatus = (): Status => (navigator.onLine === false ? 'offline' : 'connecting');
  socket.on('disconnect', (reason) => {
    onDown();
    set({ status: offlineStatus(), typing: [], presence: null });
    // The gateway ended the session (another tab logged in and rotated it, or logged out): Socket.IO will not come
    // back by itself. Later than the tab that rotated it stores the new token, which the next attempt presents.
    if (reason === 'io server disconnect')
      later(1000 + retryDelay(refusals++), () => socket.active || socket.connect());
  });
  socket.on('connect_error', (err: ConnectError) => {
    const code = err.data?.code;
    // Only the site owner can fix this, by adding the page's origin to the gateway's PARLEY_ORIGINS: retrying is
    // pointless, and a status that says "Connecting…" forever would mislead the visitor.
    if (code === 'origin_refused') {
      if (!get().refused) console.warn(`[parley] ${location.origin} is not in the gateway's PARLEY_ORIGINS`);
      return set({ status: 'offline', refused: true, notice: notice() });
    }
    // A busy gateway (limits, a database hiccup) is temporary: retry soon, quietly. A refusal for good (origin,
    // protocol) is told to the visitor and retried rarely. Both with jitter, so refused clients do not return at once.
    const temporary = !code || TEMPORARY.includes(code);
    set({ status: offlineStatus(), ...(temporary ? {} : { notice: notice() }) });
    // The gateway refused us (not a network error), so Socket.IO will not retry by itself.
    if (code && !socket.active)
      later(temporary ? 1000 + retryDelay(refusals++) : 30_000 + Math.random() * 30_000, () => socket.connect());
  });

  // When the browser knows it is offline, a WebSocket can still look open for up to a minute (until its ping times
  // out), and messages sent into it wait for their ack timeout. Close it at once and reconnect when back.
  const onOffline = () => {
    socket.disconnect();
    set({ status: 'offline' });
  };
  const onOnline = () => get().refused || socket.connect();
  window.addEventListener('offline', onOffline);
  window.addEventListener('online', onOnline);
  if (navigator.onLine === false) onOffline();
  return {
    /**
     * A welcome resets the refusal backoff. Returns whether to say "Back online": only after the visitor saw the chat
     * offline or disconnected, not on the first connection; the note goes after 3 s.
     */
    welcomed(): boolean {
      refusals = 0;
      const { status } = get();
      const back = status === 'offline' || (welcomedBefore && status !== 'online');
      welcomedBefore = true;
      if (back) later(3000, () => set({ backOnline: false }));
      return back;
    },
    /** Ends the session on the gateway (its token stops working there); offline, there is nothing to end. */
    async end(): Promise<void> {
      if (socket.connected)
        await socket
          .timeout(DELIVERY.ackTimeoutMs)
          .emitWithAck('end', {})
          .catch(() => {});
    },
    stop(): void {
      window.removeEventListener('offline', onOffline);
      window.removeEventListener('online', onOnline);
      socket.removeAllListeners();
      socket.disconnect();
    },
  };
}
