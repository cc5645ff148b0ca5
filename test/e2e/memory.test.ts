import { readFileSync } from 'node:fs';
import { io, type Socket } from 'socket.io-client';
import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LIMITS } from '../../src/protocol';
import { type RunningGateway, removeDb, startGateway } from '../support/gateway';

/**
 * Issue 12's finding, replayed against the real gateway process: a visitor fills its conversation with 200 messages
 * of 4,000 emoji-laden characters, opens raw WebSockets on its session, stops reading them (the kernel buffers fill
 * and the gateway has to hold what it cannot send), keeps them alive with unsolicited pongs and asks for the whole
 * history every 40 ms on each. Before pages and send buffers were bounded, the gateway queued 1.6 MB per request and
 * its RSS passed 350 MB within seconds here (the issue saw 1.9 GB in 15 s); now each connection holds at most
 * `PARLEY_MAX_SOCKET_BUFFER_KB` and its page requests are refused once a page would not fit.
 */

const ATTACKERS = 4;
const ATTACK_MS = 12_000;
/** Measured: 115 to 130 MB at peak (idle: ~95 MB); before the fix, over 350 MB well before the end. */
const RSS_BOUND_MB = 350;
const TEXT = '🦜🎉🙂😀'.repeat(LIMITS.messageLength / 8);

let gw: RunningGateway | undefined;
const clients: Socket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  if (gw) {
    await gw.stop();
    removeDb(gw);
    gw = undefined;
  }
});

/** Resident memory of a process, from /proc. */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

/** A visitor session holding 200 messages of 4,000 characters; returns its token. */
async function fullConversation(url: string): Promise<string> {
  const socket = io(`${url}/visitor`, { auth: { v: 1, site: 'acme' }, transports: ['websocket'], forceNew: true });
  clients.push(socket);
  const welcome = await new Promise<{ session: string }>((resolve) => socket.once('welcome', resolve));
  for (let i = 0; i < 200; i++) {
    const ack = await socket.timeout(5000).emitWithAck('send', { clientId: `flood-${i}-xxxxxx`, text: TEXT });
    expect(ack).toMatchObject({ ok: true });
  }
  socket.close();
  return welcome.session;
}

/**
 * A client speaking Engine.IO v4 / Socket.IO v5 by hand: connects to `/visitor` with `session`, then stops reading
 * its TCP socket and sends `history { afterSeq: 0 }` every 40 ms, and a pong every 5 s so it is never timed out.
 * Resolves when the gateway drops it.
 */
function nonReader(port: number, session: string, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    let timer: ReturnType<typeof setInterval> | undefined;
    let ack = 0;
    const done = () => {
      clearInterval(timer);
      stop.removeEventListener('abort', quit);
      resolve();
    };
    const quit = () => ws.terminate();
    stop.addEventListener('abort', quit);
    ws.on('error', () => {});
    ws.on('close', done);
    ws.on('message', (data) => {
      const frame = data.toString();
      if (frame.startsWith('0{')) ws.send(`40/visitor,${JSON.stringify({ v: 1, site: 'acme', session })}`);
      else if (frame === '2') ws.send('3');
      else if (frame.startsWith('40/visitor,') && !timer) {
        // From here on nothing is read: what the gateway sends piles up in the kernel, then in the gateway.
        (ws as unknown as { _socket: { pause(): void } })._socket.pause();
        let ticks = 0;
        timer = setInterval(() => {
          if (ws.readyState !== WebSocket.OPEN) return;
          if (++ticks % 125 === 0) ws.send('3');
          ws.send(`42/visitor,${ack++}["history",{"afterSeq":0}]`);
        }, 40);
      }
    });
  });
}

/** `/healthz` answered, and how long it took (ms); Infinity when it did not answer within 1 s. */
async function health(url: string): Promise<number> {
  const started = performance.now();
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    await res.text();
    return res.ok ? performance.now() - started : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

it('holds a bounded amount of memory for clients that stop reading, and keeps answering /healthz', async () => {
  gw = await startGateway({ env: { PARLEY_LOG_LEVEL: 'info' } });
  const { url, port } = gw;
  const pid = gw.process.pid!;
  const session = await fullConversation(url);
  const idleMb = rssMb(pid);

  // Attackers that the gateway drops are replaced at once, as a real one would: the pressure never lets up.
  const stop = new AbortController();
  let dropped = 0;
  const attacker = async () => {
    while (!stop.signal.aborted) {
      await nonReader(port, session, stop.signal);
      if (!stop.signal.aborted) dropped++;
    }
  };
  const attack = Promise.all(Array.from({ length: ATTACKERS }, attacker));

  let peakMb = idleMb;
  let slowestMs = 0;
  const slowHealth: number[] = [];
  const started = performance.now();
  const until = started + ATTACK_MS;
  while (performance.now() < until && gw.process.exitCode === null) {
    const ms = await health(url);
    slowestMs = Math.max(slowestMs, ms);
    if (ms > 1000) slowHealth.push(ms);
    peakMb = Math.max(peakMb, rssMb(pid));
    if (peakMb > RSS_BOUND_MB) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  stop.abort();
  await attack;

  const report = `idle ${idleMb.toFixed(0)} MB, peak ${peakMb.toFixed(0)} MB over ${((performance.now() - started) / 1000).toFixed(1)} s, slowest /healthz ${slowestMs.toFixed(0)} ms, ${dropped} connections dropped`;
  console.log(`non-reading clients: ${report}`);
  expect(gw.process.exitCode, gw.output().slice(-2000)).toBeNull();
  expect(peakMb, report).toBeLessThan(RSS_BOUND_MB);
  expect(slowHealth, 'every /healthz answered within 1 s').toEqual([]);
  // A well-behaved visitor still gets its chat, paged by bytes.
  const visitor = io(`${url}/visitor`, { auth: { v: 1, site: 'acme', session }, transports: ['websocket'] });
  clients.push(visitor);
  const welcome = await new Promise<{ messages: unknown[]; more: boolean }>((resolve) =>
    visitor.once('welcome', resolve),
  );
  expect(welcome.more).toBe(true);
  expect(Buffer.byteLength(JSON.stringify(welcome.messages))).toBeLessThanOrEqual(LIMITS.pageBytes);
}, 60_000);
