import type { Server as HttpServer, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { normalizeAddress } from './address';
import { Counter, type Limits } from './limits';
import { createTally, type Logger } from './log';

/**
 * Guards of the HTTP server below Socket.IO, against slow or piled-up connections that never become a handshake:
 * tight timeouts for receiving a request, and a cap on TCP connections open at once per client address. See
 * SECURITY.md for the numbers.
 */

/** How long the HTTP server waits for a client, in milliseconds. */
export interface HttpTimeouts {
  /** From the connection (or the end of the previous request) until the request's headers are complete. */
  headersMs: number;
  /** Until the whole request, body included, has arrived. */
  requestMs: number;
  /** An idle keep-alive connection between two requests. */
  keepAliveMs: number;
  /**
   * How often Node looks for requests over `headersMs` or `requestMs`: a slow request is closed (`408`) up to this
   * much later than its timeout. Node's default is 30 s, which turned a 60 s `headersTimeout` into 80 s.
   */
  checkIntervalMs: number;
}

/**
 * Headers are a few hundred bytes, so 10 s is ages even on a poor mobile link; a body is at most one 64 KB Engine.IO
 * long-polling frame (`LIMITS.maxPayloadBytes`), 30 s even at 20 kbit/s. A trickling request is closed within 11 s.
 * Neither timeout touches a WebSocket (Node stops tracking a connection once it is upgraded) nor a long-poll that is
 * waiting for the server's answer (its request is complete).
 */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersMs: 10_000,
  requestMs: 20_000,
  keepAliveMs: 5_000,
  checkIntervalMs: 1_000,
};

/** The options of `http.createServer` that apply `timeouts`. */
export function httpServerOptions(timeouts: HttpTimeouts): ServerOptions {
  for (const [name, ms] of Object.entries(timeouts)) {
    if (!Number.isInteger(ms) || ms < 1) throw new Error(`httpTimeouts.${name} must be a positive integer (ms)`);
  }
  if (timeouts.headersMs > timeouts.requestMs) throw new Error('httpTimeouts.headersMs must not exceed requestMs');
  return {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionsCheckingInterval: timeouts.checkIntervalMs,
  };
}

/** A browser keeps up to 6 connections per origin for page assets; a few browsers share an address behind NAT. */
const MIN_TCP_CONNECTIONS_PER_IP = 32;

/**
 * TCP connections one client address may hold open at once (0: no cap): `limits.tcpConnectionsPerIp`, or else four
 * times `connectionsPerIp` and at least 32. Four because `allowRequest` lets an address hold twice its socket cap in
 * Engine.IO connections and a long-polling one uses two TCP connections at once (the waiting GET and a POST), so
 * an address within its socket caps stays within this one.
 */
export function tcpConnectionsPerIp(limits: Limits): number {
  if (limits.tcpConnectionsPerIp !== undefined) return limits.tcpConnectionsPerIp;
  return limits.connectionsPerIp > 0 ? Math.max(MIN_TCP_CONNECTIONS_PER_IP, limits.connectionsPerIp * 4) : 0;
}

export interface ConnectionCap {
  /** TCP connections open from `address` (normal form, see `clientAddress`). */
  from(address: string): number;
  stats(): { connections: number; addresses: number };
  close(): void;
}

/**
 * Counts the TCP connections of `server` by peer address from the moment they are accepted, upgraded or not, until
 * they close, and destroys at once any beyond `max` from one address, before a byte is read. Behind a reverse proxy
 * the peer is the proxy and the client is known only from `X-Forwarded-For`, after the headers: the proxy must bound
 * slow clients then, and only the count is kept.
 */
export function capConnectionsPerAddress(
  server: HttpServer,
  options: { max: number; behindProxy: boolean; logger: Logger },
): ConnectionCap {
  const max = options.behindProxy ? 0 : options.max;
  const open = new Counter();
  const refusals = createTally(options.logger, 'tcp connections refused');
  const onConnection = (socket: Socket) => {
    const from = normalizeAddress(socket.remoteAddress ?? '') ?? 'unknown';
    if (!open.acquire(from, max)) {
      refusals.count('too_many_tcp_connections');
      socket.destroy();
      return;
    }
    socket.once('close', () => open.release(from));
  };
  server.on('connection', onConnection);
  return {
    from: (address) => open.count(address),
    stats: () => ({ connections: open.total, addresses: open.size }),
    close() {
      server.off('connection', onConnection);
      refusals.close();
    },
  };
}
