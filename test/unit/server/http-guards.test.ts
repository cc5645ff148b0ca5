// @vitest-environment node
import type { Socket as TcpSocket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_TIMEOUTS, tcpConnectionsPerIp } from '../../../demo/server/http-guards';
import { DEFAULT_LIMITS } from '../../../demo/server/limits';
import { createLogger } from '../../../demo/server/log';
import { call, type Fixture, sleep, startGateway, tcpConnect } from '../../support/in-process-gateway';

/**
 * The HTTP server's own guards, over real TCP connections: slow requests are closed quickly, and one address cannot
 * hold more than its share of connections (and file descriptors) open. 127.0.0.1 and 127.0.0.2 are two client
 * addresses on one machine (both loopback on Linux).
 */

let fx: Fixture;
beforeEach(async () => {
  fx = await startGateway();
});
afterEach(async () => {
  await fx.stop();
});

/**
 * What the server sent on `socket` until it closed the connection, and how long after `since` that was. A connection
 * still open after `giveUpMs` is closed here, so the test fails on its numbers rather than on a timeout.
 */
function untilClosed(socket: TcpSocket, since: number, giveUpMs = 35_000): Promise<{ answer: string; ms: number }> {
  let answer = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    answer += chunk;
  });
  socket.on('error', () => {});
  const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
  return new Promise((resolve) =>
    socket.once('close', () => {
      clearTimeout(giveUp);
      resolve({ answer, ms: performance.now() - since });
    }),
  );
}

/** Sends a request line and then one more header byte a second, never finishing the headers. */
function trickle(socket: TcpSocket): () => void {
  socket.write('GET /healthz HTTP/1.1\r\nHost: parley.test\r\nX-Slow: ');
  const timer = setInterval(() => {
    if (socket.destroyed) clearInterval(timer);
    else socket.write('a');
  }, 1000);
  return () => clearInterval(timer);
}

describe('slow requests', () => {
  it('closes a request trickling one header byte a second within 30 s, with the default timeouts', async () => {
    // Node checks for late requests every `checkIntervalMs`, so a request can outlive its timeout by that much.
    expect(DEFAULT_HTTP_TIMEOUTS.headersMs + DEFAULT_HTTP_TIMEOUTS.checkIntervalMs).toBeLessThanOrEqual(30_000);
    expect(DEFAULT_HTTP_TIMEOUTS.requestMs + DEFAULT_HTTP_TIMEOUTS.checkIntervalMs).toBeLessThanOrEqual(30_000);
    expect(fx.gateway.server.headersTimeout).toBe(DEFAULT_HTTP_TIMEOUTS.headersMs);
    expect(fx.gateway.server.requestTimeout).toBe(DEFAULT_HTTP_TIMEOUTS.requestMs);
    expect(fx.gateway.server.keepAliveTimeout).toBe(DEFAULT_HTTP_TIMEOUTS.keepAliveMs);

    const started = performance.now();
    const socket = await tcpConnect(fx.url);
    const closed = untilClosed(socket, started);
    const stop = trickle(socket);
    const { answer, ms } = await closed;
    stop();
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeGreaterThanOrEqual(DEFAULT_HTTP_TIMEOUTS.headersMs - 100);
    expect(ms).toBeLessThan(30_000);
  }, 45_000);

  it('closes trickling headers, a trickling body and a silent connection at their configured timeouts', async () => {
    await fx.restart({ httpTimeouts: { headersMs: 1000, requestMs: 2000, checkIntervalMs: 100 } });
    const started = performance.now();
    const headers = await tcpConnect(fx.url);
    const body = await tcpConnect(fx.url);
    const silent = await tcpConnect(fx.url);
    const closed = [headers, body, silent].map((socket) => untilClosed(socket, started, 10_000));
    const stop = trickle(headers);
    body.write('POST /healthz HTTP/1.1\r\nHost: parley.test\r\nContent-Length: 1000\r\n\r\nx');
    const [slowHeaders, slowBody, quiet] = await Promise.all(closed);
    stop();
    expect(slowHeaders!.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(slowHeaders!.ms).toBeLessThan(5000);
    expect(quiet!.ms).toBeLessThan(5000);
    // The body's request is answered (a 404: /healthz takes no POST) but its connection is closed at `requestMs`.
    expect(slowBody!.ms).toBeGreaterThanOrEqual(1900);
    expect(slowBody!.ms).toBeLessThan(6000);
  });

  it('never closes a WebSocket or a waiting long-poll: both outlive every HTTP timeout several times', async () => {
    await fx.restart({ httpTimeouts: { headersMs: 300, requestMs: 500, keepAliveMs: 300, checkIntervalMs: 100 } });
    const ws = await fx.visitor();
    const polling = await fx.visitor({}, { transports: ['polling'] });
    let disconnects = 0;
    for (const { socket } of [ws, polling]) socket.on('disconnect', () => disconnects++);
    await sleep(2000);
    expect(await call(ws.socket, 'typing', { typing: true })).toEqual({ ok: true });
    expect(await call(polling.socket, 'typing', { typing: true })).toEqual({ ok: true });
    expect(disconnects).toBe(0);
    // Both are still counted as TCP connections while they last, and no longer once they are gone.
    // (The long-poll is counted while a request is open: between two polls it may hold no connection at all.)
    await expect.poll(() => fx.gateway.connectionCap.stats().connections).toBeGreaterThanOrEqual(2);
    ws.socket.close();
    polling.socket.close();
    await expect
      .poll(() => fx.gateway.connectionCap.stats(), { timeout: 5000 })
      .toEqual({
        connections: 0,
        addresses: 0,
      });
  });
});

describe('TCP connections per address', () => {
  it('derives the cap from the socket cap unless it is set: four times it, at least 32, none when that is none', () => {
    expect(tcpConnectionsPerIp(DEFAULT_LIMITS)).toBe(200);
    expect(tcpConnectionsPerIp({ ...DEFAULT_LIMITS, connectionsPerIp: 1 })).toBe(32);
    expect(tcpConnectionsPerIp({ ...DEFAULT_LIMITS, connectionsPerIp: 0 })).toBe(0);
    expect(tcpConnectionsPerIp({ ...DEFAULT_LIMITS, tcpConnectionsPerIp: 7 })).toBe(7);
  });

  it('closes connections beyond the cap at once, while another address connects and /healthz answers', async () => {
    const lines: string[] = [];
    // Long timeouts, so that only the cap closes anything here.
    await fx.restart({
      limits: { tcpConnectionsPerIp: 5 },
      httpTimeouts: { headersMs: 60_000, requestMs: 60_000 },
      logger: createLogger('warn', (line) => lines.push(line)),
    });
    const held = await Promise.all(Array.from({ length: 5 }, () => tcpConnect(fx.url, '127.0.0.2')));
    for (const socket of held) trickle(socket);
    await expect.poll(() => fx.gateway.connectionCap.from('127.0.0.2')).toBe(5);

    const started = performance.now();
    const extra = await tcpConnect(fx.url, '127.0.0.2');
    const refused = await untilClosed(extra, started, 3000);
    expect(refused.answer).toBe('');
    expect(refused.ms).toBeLessThan(1000);
    expect(held.every((socket) => !socket.destroyed)).toBe(true);

    // Another address is not affected, over plain HTTP or a socket.
    const health = await fetch(`${fx.url}/healthz`);
    expect(health.status).toBe(200);
    expect((await fx.visitor()).welcome.session).toBeTruthy();

    // A closed connection gives its slot back.
    held[0]!.destroy();
    await expect.poll(() => fx.gateway.connectionCap.from('127.0.0.2')).toBe(4);
    const again = await tcpConnect(fx.url, '127.0.0.2');
    again.write('GET /healthz HTTP/1.1\r\nHost: parley.test\r\nConnection: close\r\n\r\n');
    expect((await untilClosed(again, performance.now())).answer).toMatch(/^HTTP\/1\.1 200 /);
    for (const socket of held) socket.destroy();
    // Logged as a count once a second, not a line per refusal.
    const logged = () => lines.map((line) => JSON.parse(line)).filter((e) => e.msg === 'tcp connections refused');
    await expect
      .poll(logged, { timeout: 3000 })
      .toEqual([expect.objectContaining({ level: 'warn', too_many_tcp_connections: 1, windowMs: 1000 })]);
  });

  it('counts but never caps behind a trusted proxy, where every connection comes from the proxy', async () => {
    await fx.restart({ trustProxy: 1, limits: { tcpConnectionsPerIp: 2 } });
    const sockets = await Promise.all(Array.from({ length: 4 }, () => tcpConnect(fx.url)));
    await expect.poll(() => fx.gateway.connectionCap.stats().connections).toBe(4);
    expect(sockets.every((socket) => !socket.destroyed)).toBe(true);
    for (const socket of sockets) socket.destroy();
  });
});
