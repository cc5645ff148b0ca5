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
  stats(): { sockets: number; connections: number; sessionBudgets: number; addresses: number };
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
  return new AbuseShield(options);
}

class AbuseShield implements Shield {
  private readonly limits: Limits;
  private readonly trustProxy: number;
  private readonly logger: Logger;
  private readonly now: Clock | undefined;
  /** The gateway-wide handshake budget. */
  private readonly handshakes: Bucket | undefined;
  private readonly handshakesByAddress: Buckets | undefined;
  private readonly byAddress: Buckets | undefined;
  private readonly bySession: Buckets | undefined;
  private readonly authFailures: Buckets | undefined;
  /** Namespace sockets per address (the cap) and Engine.IO connections per address (the backstop). */
  private readonly sockets = new Counter();
  private readonly connections = new Counter();
  private readonly backstop: number;
  // Refusals under a storm are counted and logged once a second, not once each.
  private readonly refusals: ReturnType<typeof createTally>;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(options: ShieldOptions) {
    const { limits, now } = options;
    this.limits = limits;
    this.trustProxy = options.trustProxy;
    this.logger = options.logger;
    this.now = now;
    this.handshakes =
      limits.handshakesPerSecond > 0
        ? new Bucket({ burst: limits.handshakesPerSecond, perSecond: limits.handshakesPerSecond }, now)
        : undefined;
    this.handshakesByAddress = limits.handshakesPerIp ? new Buckets(limits.handshakesPerIp, now) : undefined;
    this.byAddress = limits.ip ? new Buckets(limits.ip, now) : undefined;
    this.bySession = limits.session ? new Buckets(limits.session, now) : undefined;
    this.authFailures = limits.agentAuthFailures ? new Buckets(limits.agentAuthFailures, now) : undefined;
    this.backstop = limits.connectionsPerIp > 0 ? limits.connectionsPerIp * 2 : 0;
    this.refusals = createTally(this.logger, 'connections refused');
    this.sweeper = setInterval(() => {
      this.handshakesByAddress?.sweep();
      this.byAddress?.sweep();
      this.bySession?.sweep();
      this.authFailures?.sweep();
    }, SWEEP_MS);
    this.sweeper.unref?.();
  }

  address(req: Pick<IncomingMessage, 'headers' | 'socket'>): string {
    return clientAddress(req, this.trustProxy);
  }

  allowRequest(req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void): void {
    const from = this.address(req);
    if (this.backstop > 0 && this.connections.count(from) >= this.backstop) {
      this.refusals.count('too_many_connections');
      callback('too_many_connections', false);
      return;
    }
    // The address's own share is checked first and both are spent together or not at all: a churner refused for its
    // share spends nothing of the gateway-wide budget, and one refused for the gateway-wide budget keeps its share.
    const own = this.handshakesByAddress?.get(from);
    const buckets = [own, this.handshakes].filter((bucket) => bucket !== undefined);
    const refused = takeAll(buckets);
    if (refused >= 0) {
      this.refusals.count(buckets[refused] === own ? 'rate_limited_per_address' : 'rate_limited');
      callback('rate_limited', false);
      return;
    }
    callback(null, true);
  }

  trackConnection(conn: { request: IncomingMessage; once(event: 'close', fn: () => void): unknown }): void {
    const from = this.address(conn.request);
    this.connections.acquire(from);
    conn.once('close', () => this.connections.release(from));
  }

  admit(socket: HandshakingSocket): { refused: Error } | { address: string; release: () => void } {
    const from = this.address(socket.request);
    if (this.byAddress && !this.byAddress.take(from)) {
      return { refused: refusal('rate_limited', 'too many connection attempts from your network; retry later') };
    }
    const cap = this.limits.connectionsPerIp;
    if (!this.sockets.acquire(from, cap)) {
      this.logger.info('connection cap reached', { address: from, cap });
      return {
        refused: refusal(
          'too_many_connections',
          `too many open connections from your network (at most ${cap}); close a tab or retry later`,
        ),
      };
    }
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.sockets.release(from);
      socket.conn.off('close', release);
    };
    // A client that leaves while its handshake is still running never gets a `disconnect` event.
    socket.conn.once('close', release);
    return { address: from, release };
  }

  agentAuthAllowed(from: string): boolean {
    return !this.authFailures || this.authFailures.has(from);
  }

  agentAuthFailed(from: string): void {
    this.authFailures?.take(from);
  }

  visitorEvents(sessionKey: string, from: string): () => ErrorAck | undefined {
    const own = this.limits.socket ? new Bucket(this.limits.socket, this.now) : undefined;
    const { bySession, byAddress } = this;
    return () => {
      const checks: [Bucket, string][] = [];
      if (own) checks.push([own, 'too many events from this connection; slow down and retry']);
      if (bySession)
        checks.push([bySession.get(sessionKey), 'too many events in this chat session; slow down and retry']);
      if (byAddress) checks.push([byAddress.get(from), 'too many events from your network; retry later']);
      const refused = takeAll(checks.map(([bucket]) => bucket));
      return refused < 0 ? undefined : limited(checks[refused]![1]);
    };
  }

  agentEvents(): () => ErrorAck | undefined {
    const own = this.limits.socket ? new Bucket(this.limits.socket, this.now) : undefined;
    return () =>
      own && !own.take() ? limited('too many events from this connection; slow down and retry') : undefined;
  }

  close(): void {
    clearInterval(this.sweeper);
    this.refusals.close();
  }

  stats(): { sockets: number; connections: number; sessionBudgets: number; addresses: number } {
    return {
      sockets: this.sockets.total,
      connections: this.connections.total,
      sessionBudgets: this.bySession?.size ?? 0,
      addresses: this.byAddress?.size ?? 0,
    };
  }
}
