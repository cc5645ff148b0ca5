import type { IncomingMessage } from 'node:http';
import type { ErrorAck } from '../../src/protocol';
import { clientAddress } from './address';
import { Bucket, Buckets, type Clock, Counter, type Limits, takeAll } from './limits';
import { createTally, type Logger } from './log';
import { refusal } from './refusal';

/** What a namespace middleware needs of a Socket.IO socket. */
interface HandshakingSocket {
  request: IncomingMessage;
  conn: { once(event: 'close', fn: () => void): unknown; off(event: 'close', fn: () => void): unknown };
}

/**
 * The gateway's abuse limits, applied at three points:
 * - `allowRequest`: every new Engine.IO connection, before any WebSocket upgrade or Socket.IO work;
 * - the namespace middlewares: every visitor or agent handshake;
 * - `register()`: every client event.
 */
export interface Shield {
  /** The client address of a request (see `clientAddress`). */
  address(req: Pick<IncomingMessage, 'headers' | 'socket'>): string;
  /**
   * Engine.IO's `allowRequest`: refuses a new connection when the address already holds twice its socket cap in
   * Engine.IO connections, when the address has spent its own share of handshakes, or when the gateway-wide handshake
   * budget is spent. Refused before the upgrade, so the client sees a transport error and retries with its own
   * jittered reconnection delay; nothing is queued.
   */
  allowRequest(req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void): void;
  /** Counts an open Engine.IO connection (the backstop of `allowRequest`) until it closes. */
  trackConnection(conn: { request: IncomingMessage; once(event: 'close', fn: () => void): unknown }): void;
  /**
   * A namespace handshake: charges the address's budget and reserves one of its connection slots, released when the
   * socket disconnects (or its connection closes before it was accepted). Returns a refusal, or `release`, which the
   * caller must also call when it refuses the socket itself later.
   */
  admit(socket: HandshakingSocket): { refused: Error } | { address: string; release: () => void };
  /** Agent sign-in attempts: false once the address has spent its budget of failures. */
  agentAuthAllowed(address: string): boolean;
  agentAuthFailed(address: string): void;
  /** The per-event check of a visitor socket; returns the refusal to send, if any. */
  visitorEvents(sessionKey: string, address: string): () => ErrorAck | undefined;
  /** The per-event check of an agent socket. */
  agentEvents(): () => ErrorAck | undefined;
  /** Stops the sweeper. */
  close(): void;
  /** For tests and `/healthz`-style diagnostics. */
  stats(): { sockets: number; connections: number; sessions: number; addresses: number };
}

export interface ShieldOptions {
  limits: Limits;
  /** Number of reverse proxies in front of the gateway whose `X-Forwarded-For` entries are believed. */
  trustProxy: number;
  logger: Logger;
  now?: Clock;
}

const SWEEP_MS = 30_000;

function limited(message: string): ErrorAck {
  return { ok: false, code: 'rate_limited', message };
}

export function createShield(options: ShieldOptions): Shield {
  const { limits, trustProxy, logger, now } = options;
  const handshakes =
    limits.handshakesPerSecond > 0
      ? new Bucket({ burst: limits.handshakesPerSecond, perSecond: limits.handshakesPerSecond }, now)
      : undefined;
  const handshakesByAddress = limits.handshakesPerIp ? new Buckets(limits.handshakesPerIp, now) : undefined;
  const byAddress = limits.ip ? new Buckets(limits.ip, now) : undefined;
  const bySession = limits.session ? new Buckets(limits.session, now) : undefined;
  const authFailures = limits.agentAuthFailures ? new Buckets(limits.agentAuthFailures, now) : undefined;
  const sockets = new Counter();
  const connections = new Counter();
  const backstop = limits.connectionsPerIp > 0 ? limits.connectionsPerIp * 2 : 0;

  // Refusals under a storm are counted and logged once a second, not once each.
  const refusals = createTally(logger, 'connections refused');
  const refusedHandshake = (reason: 'rate_limited' | 'rate_limited_per_address' | 'too_many_connections') =>
    refusals.count(reason);

  const sweeper = setInterval(() => {
    handshakesByAddress?.sweep();
    byAddress?.sweep();
    bySession?.sweep();
    authFailures?.sweep();
  }, SWEEP_MS);
  sweeper.unref?.();

  const address = (req: Pick<IncomingMessage, 'headers' | 'socket'>) => clientAddress(req, trustProxy);

  return {
    address,
    allowRequest(req, callback) {
      const from = address(req);
      if (backstop > 0 && connections.count(from) >= backstop) {
        refusedHandshake('too_many_connections');
        return callback('too_many_connections', false);
      }
      // The address's own share is checked first and both are spent together or not at all: a churner refused for its
      // share spends nothing of the gateway-wide budget, and one refused for the gateway-wide budget keeps its share.
      const own = handshakesByAddress?.get(from);
      const buckets = [own, handshakes].filter((bucket) => bucket !== undefined);
      const refused = takeAll(buckets);
      if (refused >= 0) {
        refusedHandshake(buckets[refused] === own ? 'rate_limited_per_address' : 'rate_limited');
        return callback('rate_limited', false);
      }
      callback(null, true);
    },
    trackConnection(conn) {
      const from = address(conn.request);
      connections.acquire(from);
      conn.once('close', () => connections.release(from));
    },
    admit(socket) {
      const from = address(socket.request);
      if (byAddress && !byAddress.take(from)) {
        return { refused: refusal('rate_limited', 'too many connection attempts from your network; retry later') };
      }
      if (!sockets.acquire(from, limits.connectionsPerIp)) {
        logger.info('connection cap reached', { address: from, cap: limits.connectionsPerIp });
        return {
          refused: refusal(
            'too_many_connections',
            `too many open connections from your network (at most ${limits.connectionsPerIp}); close a tab or retry later`,
          ),
        };
      }
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        sockets.release(from);
        socket.conn.off('close', release);
      };
      // A client that leaves while its handshake is still running never gets a `disconnect` event.
      socket.conn.once('close', release);
      return { address: from, release };
    },
    agentAuthAllowed: (from) => !authFailures || authFailures.has(from),
    agentAuthFailed: (from) => void authFailures?.take(from),
    visitorEvents(sessionKey, from) {
      const own = limits.socket ? new Bucket(limits.socket, now) : undefined;
      return () => {
        const checks: [Bucket, string][] = [];
        if (own) checks.push([own, 'too many events from this connection; slow down and retry']);
        if (bySession)
          checks.push([bySession.get(sessionKey), 'too many events in this chat session; slow down and retry']);
        if (byAddress) checks.push([byAddress.get(from), 'too many events from your network; retry later']);
        const refused = takeAll(checks.map(([bucket]) => bucket));
        return refused < 0 ? undefined : limited(checks[refused]![1]);
      };
    },
    agentEvents() {
      const own = limits.socket ? new Bucket(limits.socket, now) : undefined;
      return () =>
        own && !own.take() ? limited('too many events from this connection; slow down and retry') : undefined;
    },
    close() {
      clearInterval(sweeper);
      refusals.close();
    },
    stats: () => ({
      sockets: sockets.total,
      connections: connections.total,
      sessions: bySession?.size ?? 0,
      addresses: byAddress?.size ?? 0,
    }),
  };
}
