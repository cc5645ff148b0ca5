/**
 * Abuse limits of the gateway: token buckets per socket, per visitor session and per client address, a cap on
 * concurrent sockets per client address, and caps on new connections per second, per client address and gateway-wide. See SECURITY.md for
 * the numbers and why they are what they are.
 */

/** A token bucket: `burst` events at once, refilled at `perSecond`. */
export interface Budget {
  burst: number;
  perSecond: number;
}

export interface Limits {
  /** Events of one socket (visitor or agent). */
  socket: Budget | false;
  /** Events of one visitor session, across all its tabs (and devices sharing it). */
  session: Budget | false;
  /** Visitor events, and handshakes of both namespaces, from one client address. */
  ip: Budget | false;
  /** Sockets open at once from one client address, both namespaces together; 0: no cap. */
  connectionsPerIp: number;
  /** New Engine.IO connections per second, gateway-wide (also the burst); 0: no cap. */
  handshakesPerSecond: number;
  /**
   * New Engine.IO connections from one client address: its share of `handshakesPerSecond`, charged before it, so an
   * address that opens and closes connections as fast as it can (never reaching `connectionsPerIp`) cannot starve the
   * others.
   */
  handshakesPerIp: Budget | false;
  /**
   * TCP connections open at once from one client address (the TCP peer), upgraded or not; 0: no cap. Absent: derived
   * from `connectionsPerIp` (see `tcpConnectionsPerIp` in http-guards.ts).
   */
  tcpConnectionsPerIp?: number;
  /** Failed agent sign-ins from one client address; once spent, wrong tokens from there are refused (a right one passes). */
  agentAuthFailures: Budget | false;
}

/**
 * The defaults. A widget drains its outbox one message at a time, waiting for each ack, so a full outbox of 500
 * messages spends the socket budget: 200 at once, then 20 per second, about 15 s in all (`rate_limited` refusals are
 * retried by the widget with jittered backoff). A person typing never comes near any of them.
 */
export const DEFAULT_LIMITS: Limits = {
  socket: { burst: 200, perSecond: 20 },
  session: { burst: 300, perSecond: 30 },
  ip: { burst: 1000, perSecond: 100 },
  connectionsPerIp: 50,
  // Enough for 5,000 widgets reconnecting after a restart to be back in under 10 s (BENCHMARKS.md: 300/s took 17 s),
  // and a bound on handshake work below one core (the benchmark's ~950 handshakes/s used 69% of one).
  handshakesPerSecond: 1000,
  // An office behind one NAT address: all 50 of its sockets (`connectionsPerIp`) reconnecting at once after a restart,
  // four times over (an attempt that passes here but fails later, e.g. in the namespace handshake, still costs one),
  // then a page view with the widget every 5 s from each of those 50 people. A churner gets 20% of the gateway-wide
  // burst once, then 1% of its rate: it takes 100 addresses at full speed to spend it all.
  handshakesPerIp: { burst: 200, perSecond: 10 },
  agentAuthFailures: { burst: 10, perSecond: 0.2 },
};

export type Clock = () => number;
const monotonic: Clock = performance.now.bind(performance);

/** One token bucket. `available()` refills it; `take()` spends one token. */
export class Bucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly budget: Budget,
    private readonly now: Clock = monotonic,
  ) {
    this.tokens = budget.burst;
    this.last = now();
  }

  available(): number {
    const t = this.now();
    this.tokens = Math.min(this.budget.burst, this.tokens + ((t - this.last) / 1000) * this.budget.perSecond);
    this.last = t;
    return this.tokens;
  }

  take(): boolean {
    if (this.available() < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Full again: the bucket holds no information and can be forgotten. */
  full(): boolean {
    return this.available() >= this.budget.burst;
  }
}

/** Buckets by key (session, address), created on first use and forgotten by `sweep()` once full again. */
export class Buckets {
  private readonly entries = new Map<string, Bucket>();

  constructor(
    readonly budget: Budget,
    private readonly now: Clock = monotonic,
  ) {}

  get(key: string): Bucket {
    let bucket = this.entries.get(key);
    if (!bucket) {
      bucket = new Bucket(this.budget, this.now);
      this.entries.set(key, bucket);
    }
    return bucket;
  }

  take(key: string): boolean {
    return this.get(key).take();
  }

  /** Whether `key` has a token left, without spending it. */
  has(key: string): boolean {
    const bucket = this.entries.get(key);
    return !bucket || bucket.available() >= 1;
  }

  sweep(): void {
    for (const [key, bucket] of this.entries) if (bucket.full()) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Spends one token from each bucket, or from none: returns the index of the first bucket without a token (nothing is
 * spent then), or -1 when every bucket paid.
 */
export function takeAll(buckets: readonly Bucket[]): number {
  for (let i = 0; i < buckets.length; i++) if (buckets[i]!.available() < 1) return i;
  for (const bucket of buckets) bucket.take();
  return -1;
}

/** Counts open things per key (sockets per client address). */
export class Counter {
  private readonly counts = new Map<string, number>();
  /** Across all keys. */
  total = 0;

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Counts one more for `key` unless it already has `max` (0: no maximum); false when refused. */
  acquire(key: string, max = 0): boolean {
    const count = this.count(key);
    if (max > 0 && count >= max) return false;
    this.counts.set(key, count + 1);
    this.total++;
    return true;
  }

  release(key: string): void {
    if (!this.counts.has(key)) return;
    this.total--;
    const count = this.count(key) - 1;
    if (count > 0) this.counts.set(key, count);
    else this.counts.delete(key);
  }

  get size(): number {
    return this.counts.size;
  }
}
