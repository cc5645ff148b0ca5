// The widget's socket stack exactly as build.mjs bundles it (socket.io-client trimmed, src/app/engine.ts in place of
// engine.io-client, src/app/socket-parser.ts in place of socket.io-parser), in Node with `ws` as the WebSocket: against
// the real gateway for what the widget relies on, and against a bare WebSocket server for the heartbeat.
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import type { Manager as RealManager, Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
// @ts-expect-error build.mjs is plain JavaScript without declarations
import { websocketOnly } from '../../../build.mjs';
import { Socket as Engine } from '../../../src/app/engine';
import { type Fixture, nextEvent, startGateway } from '../../support/in-process-gateway';

const root = fileURLToPath(new URL('../../..', import.meta.url));
let Manager: typeof RealManager;
let fx: Fixture;
const open: Socket[] = [];

beforeAll(async () => {
  (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
  const { outputFiles } = await esbuild.build({
    stdin: { contents: 'export { Manager } from "socket.io-client";', resolveDir: root, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    plugins: [websocketOnly],
  });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'parley-engine-')), 'socket.mjs');
  writeFileSync(file, outputFiles[0]!.text);
  ({ Manager } = await import(pathToFileURL(file).href));
  fx = await startGateway();
});

afterAll(async () => {
  await fx.stop();
  delete (globalThis as { WebSocket?: unknown }).WebSocket;
});

afterEach(() => {
  for (const s of open.splice(0)) s.disconnect();
});

/** A visitor socket opened the way src/app/connection.ts opens it. */
function visitor(auth: Record<string, unknown> = {}, url = fx.url): Socket {
  const manager = new Manager(url, { transports: ['websocket'], upgrade: false, reconnectionDelay: 50 });
  const socket = manager.socket('/visitor', { auth: { v: 1, site: 'acme', ...auth } });
  open.push(socket);
  return socket;
}

describe('the widget bundle socket stack (WebSocket-only Engine.IO client)', () => {
  it('is welcomed, sends with an ack and receives events', async () => {
    const socket = visitor();
    const welcome = await nextEvent<{ session: string }>(socket, 'welcome');
    expect(welcome.session).toEqual(expect.any(String));
    const ack = await socket.timeout(2000).emitWithAck('send', { clientId: 'engine-1', text: 'hi' });
    expect(ack).toMatchObject({ ok: true, message: { text: 'hi', seq: 1 } });
    expect(socket.io.engine.id).toEqual(expect.any(String));
  });

  it('reports a refused handshake with its code, as connect_error data', async () => {
    const socket = visitor({ v: 999 });
    const err = await new Promise<Error & { data?: { code?: string } }>((resolve) =>
      socket.on('connect_error', resolve),
    );
    expect(err.data?.code).toBe('version_unsupported');
    expect(socket.active).toBe(false);
  });

  it('tells a disconnect by the gateway from a lost transport, and reconnects only after the latter', async () => {
    const socket = visitor();
    await nextEvent(socket, 'welcome');
    const port = Number(new URL(fx.url).port);
    const lost = nextEvent<string>(socket, 'disconnect');
    await fx.restart({}, port);
    expect(await lost).toBe('transport close');
    await nextEvent(socket, 'welcome', () => true, 10_000);
    expect(socket.connected).toBe(true);

    const ended = nextEvent<string>(socket, 'disconnect');
    await socket.timeout(2000).emitWithAck('end', {});
    expect(await ended).toBe('io server disconnect');
    expect(socket.active).toBe(false);
  });
});

describe('the Engine.IO heartbeat', () => {
  let server: WebSocketServer;
  let url: string;
  const frames: string[] = [];
  let ping: (() => void) | undefined;

  beforeAll(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('connection', (ws) => {
      ws.on('message', (data) => frames.push(String(data)));
      ws.send('0{"sid":"s1","upgrades":[],"pingInterval":100,"pingTimeout":100,"maxPayload":1000000}');
      ping = () => ws.send('2');
    });
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('answers pings, passes packets on, and closes with "ping timeout" when the pings stop', async () => {
    const engine = new Engine(url, { path: '/socket.io' });
    await new Promise<void>((resolve) => engine.on('open', resolve));
    expect(engine.id).toBe('s1');
    engine.write('0/visitor,{}');
    const pinged = new Promise<void>((resolve) => engine.on('ping', resolve));
    ping!();
    await pinged;
    const closed = new Promise<string>((resolve) => engine.on('close', resolve));
    // No ping within pingInterval + pingTimeout (200 ms).
    expect(await closed).toBe('ping timeout');
    expect(frames).toEqual(['40/visitor,{}', '3']);
    expect(engine.readyState).toBe('closed');
    engine.write('lost');
    expect(frames).toHaveLength(2);
  });

  it('says a ping expired when its timer could not fire in time (a suspended device)', async () => {
    const engine = new Engine(url, { path: '/socket.io' });
    await new Promise<void>((resolve) => engine.on('open', resolve));
    expect(engine._hasPingExpired()).toBe(false);
    const realNow = Date.now;
    Date.now = () => realNow() + 10_000;
    try {
      expect(engine._hasPingExpired()).toBe(true);
    } finally {
      Date.now = realNow;
    }
    expect(await new Promise<string>((resolve) => engine.on('close', resolve))).toBe('ping timeout');
  });
});
