// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, sleep, startGateway, upgrade } from '../../support/in-process-gateway';

/**
 * Fair handshakes over real sockets: one address churning connections gets its own share of the handshake budget
 * and no more, so other addresses keep connecting. Two client addresses on one machine: 127.0.0.1 and 127.0.0.2 are
 * both loopback on Linux, and the gateway sees them as two TCP peers.
 */

let fx: Fixture;
beforeEach(async () => {
  fx = await startGateway();
});
afterEach(async () => {
  await fx.stop();
});

describe('handshakes per address', () => {
  it('keeps a churning address from failing more than 5% of another address’s paced handshakes', async () => {
    // A gateway-wide budget a churner on this machine easily outruns, and per-address shares well inside it.
    await fx.restart({ limits: { handshakesPerSecond: 60, handshakesPerIp: { burst: 40, perSecond: 5 } } });
    const started = performance.now();
    let churning = true;
    let churned = 0;
    let churnAccepted = 0;
    // The churner: 16 connections at a time from 127.0.0.2, each closed as soon as it is answered, for a bounded time.
    const churners = Array.from({ length: 16 }, async () => {
      while (churning) {
        const status = await upgrade(fx.url, '127.0.0.2');
        churned++;
        if (status === 101) churnAccepted++;
      }
    });
    await sleep(300);
    // The paced client: 40 handshakes from 127.0.0.1, one every 100 ms (its own share: 40 at once, then 5 a second).
    const paced: number[] = [];
    for (let i = 0; i < 40; i++) {
      paced.push(await upgrade(fx.url, '127.0.0.1'));
      await sleep(100);
    }
    churning = false;
    await Promise.all(churners);
    const seconds = (performance.now() - started) / 1000;

    expect(paced.filter((status) => status !== 101).length).toBeLessThanOrEqual(2);
    // The churner tried more than the whole gateway-wide budget, and got its own share: 40 at once, then 5 a second.
    expect(churned).toBeGreaterThan(60 * seconds);
    expect(churnAccepted).toBeLessThanOrEqual(40 + 5 * seconds + 1);
  }, 30_000);
});
