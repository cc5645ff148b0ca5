// @vitest-environment node
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../../demo/server/address';
import { Bucket, Buckets, Counter, DEFAULT_LIMITS, type Limits, takeAll } from '../../../demo/server/limits';
import { silentLogger } from '../../../demo/server/log';
import { createShield, type Shield } from '../../../demo/server/shield';
import { DELIVERY } from '../../../src/app/chat';
import { manualClock } from '../../support/in-process-gateway';

describe('token buckets', () => {
  it('gives a burst at once, then refills at the rate, never above the burst', () => {
    const clock = manualClock();
    const bucket = new Bucket({ burst: 3, perSecond: 2 }, clock.now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    clock.advance(499);
    expect(bucket.take()).toBe(false);
    clock.advance(1);
    expect(bucket.take()).toBe(true);
    clock.advance(60_000);
    expect(bucket.available()).toBe(3);
  });

  it('spends from several buckets all or nothing', () => {
    const clock = manualClock();
    const a = new Bucket({ burst: 2, perSecond: 1 }, clock.now);
    const b = new Bucket({ burst: 1, perSecond: 1 }, clock.now);
    expect(takeAll([a, b])).toBe(-1);
    expect(takeAll([a, b])).toBe(1);
    // `a` kept the token that `b` could not match.
    expect(a.available()).toBe(1);
  });

  it('keys buckets and forgets only the full ones', () => {
    const clock = manualClock();
    const buckets = new Buckets({ burst: 2, perSecond: 1 }, clock.now);
    buckets.take('a');
    buckets.take('b');
    buckets.take('b');
    expect(buckets.has('b')).toBe(false);
    expect(buckets.has('never-seen')).toBe(true);
    clock.advance(1000);
    buckets.sweep();
    // `a` refilled to its burst and was dropped; `b` still remembers it is one token short.
    expect(buckets.size).toBe(1);
    expect(buckets.get('b').available()).toBe(1);
  });

  it('counts per key with a maximum and never below zero', () => {
    const counter = new Counter();
    expect([counter.acquire('x', 2), counter.acquire('x', 2), counter.acquire('x', 2)]).toEqual([true, true, false]);
    expect(counter.acquire('y', 0)).toBe(true);
    expect(counter.total).toBe(3);
    counter.release('x');
    counter.release('x');
    counter.release('x');
    counter.release('z');
    expect([counter.count('x'), counter.size, counter.total]).toEqual([0, 1, 1]);
  });
});

describe('client address', () => {
  const req = (remoteAddress: string, xff?: string | string[]) => ({
    socket: { remoteAddress } as never,
    headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
  });

  it('is the TCP peer unless a proxy is trusted', () => {
    expect(clientAddress(req('203.0.113.1', '10.9.9.9'))).toBe('203.0.113.1');
    expect(clientAddress(req('::ffff:127.0.0.1'))).toBe('127.0.0.1');
    expect(clientAddress(req('127.0.0.1', '198.51.100.4'), 1)).toBe('198.51.100.4');
  });

  it('takes the entry appended by the outermost trusted proxy, so a client cannot choose it', () => {
    expect(clientAddress(req('10.0.0.2', 'forged, 198.51.100.4'), 1)).toBe('198.51.100.4');
    expect(clientAddress(req('10.0.0.2', '1.1.1.1, 198.51.100.4, 10.0.0.1'), 2)).toBe('198.51.100.4');
    expect(clientAddress(req('10.0.0.2', ['1.1.1.1', '198.51.100.4']), 1)).toBe('198.51.100.4');
    // Fewer entries than proxies: the first one; garbage: the peer.
    expect(clientAddress(req('10.0.0.2', '198.51.100.4'), 3)).toBe('198.51.100.4');
    expect(clientAddress(req('10.0.0.2', 'not-an-ip'), 1)).toBe('10.0.0.2');
    expect(clientAddress(req('10.0.0.2', '198.51.100.4:5123'), 1)).toBe('198.51.100.4');
  });

  it('groups IPv6 clients by /64, where one subscriber holds every address', () => {
    const a = clientAddress(req('2001:db8:abcd:12:1::1'));
    const b = clientAddress(req('2001:0db8:abcd:0012:ffff:ffff:ffff:fffe'));
    expect(a).toBe('2001:db8:abcd:12::/64');
    expect(b).toBe(a);
    expect(clientAddress(req('2001:db8:abcd:13::1'))).not.toBe(a);
    expect(clientAddress(req('::1'))).toBe('0:0:0:0::/64');
    expect(clientAddress(req('10.0.0.1', '[2001:db8::7]:443'), 1)).toBe('2001:db8:0:0::/64');
    expect(clientAddress(req(''))).toBe('unknown');
  });
});

describe('default budgets', () => {
  /**
   * The widget drains its outbox one message at a time (src/app/chat.ts): it sends, waits for the ack, and after a
   * refusal sleeps a random time up to `retryBaseMs * 2^attempt` (capped at `retryMaxMs`). This replays that loop
   * against the real default buckets on a simulated clock, with a 2 ms round trip.
   */
  function drain(messages: number, limits: Limits): { ms: number; refusals: number } {
    const clock = manualClock();
    const shield = createShield({ limits, trustProxy: 0, logger: silentLogger, now: clock.now });
    const check = shield.visitorEvents('session', '203.0.113.1');
    let refusals = 0;
    for (let sent = 0, attempt = 0; sent < messages; ) {
      clock.advance(2);
      if (check() === undefined) {
        sent++;
        attempt = 0;
      } else {
        refusals++;
        clock.advance(Math.random() * Math.min(DELIVERY.retryMaxMs, DELIVERY.retryBaseMs * 2 ** attempt++));
      }
    }
    shield.close();
    return { ms: clock.now(), refusals };
  }

  it('let a full outbox of 500 messages drain in about 15 s, and a typical backlog at once', () => {
    const runs = Array.from({ length: 25 }, () => drain(500, DEFAULT_LIMITS));
    for (const run of runs) {
      expect(run.ms).toBeGreaterThan(14_000);
      expect(run.ms).toBeLessThan(20_000);
    }
    // 200 messages (the socket's burst) go out without a single refusal.
    expect(drain(200, DEFAULT_LIMITS)).toEqual({ ms: 400, refusals: 0 });
  });

  it('are at least as generous per session and per address as per socket', () => {
    const { socket, session, ip } = DEFAULT_LIMITS;
    if (!socket || !session || !ip) throw new Error('every default budget is on');
    for (const wider of [session, ip]) {
      expect(wider.burst).toBeGreaterThanOrEqual(socket.burst);
      expect(wider.perSecond).toBeGreaterThanOrEqual(socket.perSecond);
    }
  });
});

describe('handshakes per address', () => {
  const request = (remoteAddress: string) => ({ socket: { remoteAddress }, headers: {} }) as IncomingMessage;
  const allowed = (shield: Shield, from: string) => {
    let result = false;
    shield.allowRequest(request(from), (_err, success) => {
      result = success;
    });
    return result;
  };

  it('hold a churning address to its share, so another address’s paced handshakes all get in (defaults)', () => {
    const clock = manualClock();
    const shield = createShield({ limits: DEFAULT_LIMITS, trustProxy: 0, logger: silentLogger, now: clock.now });
    let churnerIn = 0;
    const paced: boolean[] = [];
    // 5 s of a churner trying 4,000 times a second (four times the gateway-wide budget), another address every 100 ms.
    for (let ms = 0; ms < 5000; ms++) {
      for (let i = 0; i < 4; i++) if (allowed(shield, '203.0.113.66')) churnerIn++;
      if (ms % 100 === 0) paced.push(allowed(shield, '198.51.100.7'));
      clock.advance(1);
    }
    expect(paced).toHaveLength(50);
    expect(paced.every(Boolean)).toBe(true);
    // Its burst of 200, then 10 a second.
    expect(churnerIn).toBe(200 + 10 * 5 - 1);
    shield.close();
  });

  it('never let a refused churner spend the gateway-wide budget', () => {
    const clock = manualClock();
    const limits = { ...DEFAULT_LIMITS, handshakesPerSecond: 10, handshakesPerIp: { burst: 2, perSecond: 1 } };
    const shield = createShield({ limits, trustProxy: 0, logger: silentLogger, now: clock.now });
    const churner = Array.from({ length: 1000 }, () => allowed(shield, '203.0.113.66'));
    expect(churner.filter(Boolean)).toHaveLength(2);
    // The 8 tokens left of the gateway-wide 10 all go to other addresses.
    const others = Array.from({ length: 9 }, (_, i) => allowed(shield, `198.51.100.${i + 1}`));
    expect(others).toEqual([...Array(8).fill(true), false]);
    // And an address refused by the gateway-wide budget keeps its own share for later.
    const late = '192.0.2.1';
    for (let i = 0; i < 5; i++) expect(allowed(shield, late)).toBe(false);
    clock.advance(100);
    expect([allowed(shield, late), allowed(shield, late)]).toEqual([true, false]);
    shield.close();
  });

  it('let a NAT’d office reconnect at once: four times its socket cap, then 10 a second', () => {
    const clock = manualClock();
    const shield = createShield({ limits: DEFAULT_LIMITS, trustProxy: 0, logger: silentLogger, now: clock.now });
    const office = '203.0.113.80';
    const reconnecting = Array.from({ length: 4 * DEFAULT_LIMITS.connectionsPerIp }, () => allowed(shield, office));
    expect(reconnecting.every(Boolean)).toBe(true);
    expect(allowed(shield, office)).toBe(false);
    clock.advance(1000);
    expect(Array.from({ length: 11 }, () => allowed(shield, office)).filter(Boolean)).toHaveLength(10);
    shield.close();
  });
});
