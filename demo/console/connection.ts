import { io, type Socket } from 'socket.io-client';
import {
  type AgentAuth,
  type AgentClientEvents,
  type AgentServerEvents,
  type ErrorCode,
  NAMESPACE,
} from '../../src/protocol.js';

export type AgentSocket = Socket<AgentServerEvents, AgentClientEvents>;

/** How long a request waits for its ack before it is reported as `timeout`. */
export const ACK_TIMEOUT_MS = 10_000;

/** Events answered with an ack. */
type AckEvents = {
  [K in keyof AgentClientEvents]: Parameters<AgentClientEvents[K]>[1] extends (ack: never) => void ? K : never;
}[keyof AgentClientEvents];
type PayloadOf<K extends AckEvents> = Parameters<AgentClientEvents[K]>[0];
type AckOf<K extends AckEvents> = Parameters<NonNullable<Parameters<AgentClientEvents[K]>[1]>>[0];

/** A failure seen by the console: a server error code, or `timeout` / `offline` from the client side. */
export interface RequestError {
  ok: false;
  code: ErrorCode | 'timeout' | 'offline';
  message: string;
}
export type RequestResult<K extends AckEvents> = Extract<AckOf<K>, { ok: true }> | RequestError;

/** Opens the `/agent` namespace on this origin; the token travels only in the `auth` payload. Call `connect()` after adding listeners. */
export function createAgentSocket(token: string): AgentSocket {
  const auth: AgentAuth = { token };
  return io(location.origin + NAMESPACE.agent, { auth, transports: ['websocket'], autoConnect: false });
}

/** True for a handshake refused because the token is unknown. */
export function isUnauthorized(err: Error): boolean {
  return (err as Error & { data?: { code?: unknown } }).data?.code === 'unauthorized';
}

/**
 * Emits `event` and resolves with its ack, or with `{ ok: false, code: 'timeout' }` after `timeoutMs`.
 * Nothing is emitted while disconnected (`offline`): Socket.IO would buffer the packet and send it on reconnect,
 * long after the caller gave up on it.
 */
export function request<K extends AckEvents>(
  socket: AgentSocket,
  event: K,
  payload: PayloadOf<K>,
  timeoutMs = ACK_TIMEOUT_MS,
): Promise<RequestResult<K>> {
  if (!socket.connected) {
    return Promise.resolve({ ok: false, code: 'offline', message: 'Not connected to the gateway.' });
  }
  return new Promise((resolve) => {
    const done = (err: Error | null, ack: unknown) => {
      if (err) resolve({ ok: false, code: 'timeout', message: 'The gateway did not answer in time.' });
      else if (ack && typeof ack === 'object' && 'ok' in ack) resolve(ack as RequestResult<K>);
      else resolve({ ok: false, code: 'internal', message: 'Malformed answer from the gateway.' });
    };
    // The generic event name defeats Socket.IO's per-event typing; the public signature above keeps callers typed.
    const timed = socket.timeout(timeoutMs);
    (timed.emit as unknown as (ev: string, p: unknown, cb: typeof done) => void).call(timed, event, payload, done);
  });
}
