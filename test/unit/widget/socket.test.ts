// The widget's Socket.IO client (src/app/socket.ts) in Node with `ws` as the WebSocket: against the real gateway for
// what the widget relies on, and against a scripted WebSocket server for the heartbeat, acks and broken packets.
import '../../support/node-websocket';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { type ConnectError, type DisconnectReason, Socket } from '../../../src/app/socket';
import type { Message, VisitorClientEvents, VisitorServerEvents, VisitorWelcome } from '../../../src/protocol';
import { type Fixture, startGateway } from '../../support/in-process-gateway';

type Visitor = Socket<VisitorServerEvents, VisitorClientEvents>;
const open: Visitor[] = [];
const FAST = { reconnectBaseMs: 20, reconnectMaxMs: 100 };

afterEach(() => {
  for (const s of open.splice(0)) s.disconnect();
  vi.restoreAllMocks();
});

function socket(url: string, auth: object = { v: 1, site: 'acme' }): Visitor {
  const s: Visitor = new Socket(url, '/visitor', () => auth, FAST);
  open.push(s);
  return s.connect();
}

/** The next `event` of `s`, with its first argument. */
function next<T = unknown>(s: Visitor, event: string): Promise<T> {
  return new Promise((resolve) => s.on(event as 'connect', resolve as () => void));
}

describe('against the real gateway', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startGateway();
  });
  afterAll(() => fx.stop());

  it('is welcomed, sends with an ack, and receives the agent’s reply', async () => {
    const s = socket(fx.url);
    const welcome = await next<VisitorWelcome>(s, 'welcome');
    expect(s.connected).toBe(true);
    expect(welcome.session).toEqual(expect.any(String));
    const ack = await s.timeout(2000).emitWithAck('send', { clientId: 'c0ffee00c0ffee00c0ffee00c0ffee01', text: 'hi' });
    expect(ack).toMatchObject({ ok: true, message: { text: 'hi', seq: 1 } });
    if (!ack.ok) return;
    const agent = await fx.agent();
    const reply = next<Message>(s, 'message');
    agent.socket.emit('send', {
      conversationId: ack.message.conversationId,
      clientId: 'c0ffee00c0ffee00c0ffee00c0ffee02',
      text: 'hello',
    });
    expect(await reply).toMatchObject({ author: 'agent', text: 'hello', seq: 2 });
  });

  it('reports a refused handshake with its code, and does not retry it by itself', async () => {
    const s = socket(fx.url, { v: 999, site: 'acme' });
    const err = await next<ConnectError>(s, 'connect_error');
    expect(err.data?.code).toBe('version_unsupported');
    expect(s.active).toBe(false);
    expect(s.connected).toBe(false);
  });

  it('reconnects after a lost connection, and not after the gateway ended the session', async () => {
    const s = socket(fx.url);
    await next(s, 'welcome');
    const lost = next<DisconnectReason>(s, 'disconnect');
    await fx.restart({}, Number(new URL(fx.url).port));
    expect(await lost).toBe('transport close');
    expect(s.active).toBe(true);
    await next(s, 'welcome');
    expect(s.connected).toBe(true);

    const ended = next<DisconnectReason>(s, 'disconnect');
    await s.timeout(2000).emitWithAck('end', {});
    expect(await ended).toBe('io server disconnect');
    expect(s.active).toBe(false);
  });

  it('disconnects on request, refuses acks while disconnected, and connects again', async () => {
    const s = socket(fx.url);
    await next(s, 'welcome');
    const closed = next<DisconnectReason>(s, 'disconnect');
    s.disconnect();
    expect(await closed).toBe('io client disconnect');
    await expect(s.timeout(2000).emitWithAck('history', { afterSeq: 0 })).rejects.toThrow('not connected');
    s.connect();
    await next(s, 'welcome');
    expect(s.connected).toBe(true);
  });
});

describe('a WebSocket that cannot even be created', () => {
  it('is a failed attempt: connect_error after the caller’s turn, then a retry that connects', async () => {
    const Real = globalThis.WebSocket;
    let tries = 0;
    globalThis.WebSocket = new Proxy(Real, {
      construct(target, args) {
        if (++tries === 1) throw new DOMException('blocked', 'SecurityError');
        return new target(...(args as [string]));
      },
    });
    const fx = await startGateway();
    try {
      const s = socket(fx.url);
      const err = await next<ConnectError>(s, 'connect_error');
      expect(err.message).toBe('blocked');
      await next(s, 'welcome');
      expect(tries).toBe(2);
    } finally {
      globalThis.WebSocket = Real;
      for (const s of open.splice(0)) s.disconnect();
      await fx.stop();
    }
  });
});

describe('against a scripted server', () => {
  let server: WebSocketServer;
  let url: string;
  /** Every connection, with the frames it received. */
  const peers: { ws: WebSocket; frames: string[] }[] = [];
  let handshake = { pingInterval: 100, pingTimeout: 100 };

  beforeAll(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('connection', (ws, req) => {
      expect(req.url).toBe('/socket.io/?EIO=4&transport=websocket');
      const peer = { ws, frames: [] as string[] };
      peers.push(peer);
      ws.on('message', (data) => {
        peer.frames.push(String(data));
        if (String(data).startsWith('40/visitor,')) ws.send('40/visitor,{"sid":"n1"}');
      });
      ws.send(`0${JSON.stringify({ sid: 's1', upgrades: [], maxPayload: 1e6, ...handshake })}`);
    });
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  afterEach(() => {
    peers.length = 0;
    handshake = { pingInterval: 100, pingTimeout: 100 };
  });

  it('presents its auth, answers pings, and reconnects with "ping timeout" when they stop', async () => {
    const s = socket(url, { token: 't' });
    await next(s, 'connect');
    peers[0]!.ws.send('2');
    await vi.waitFor(() => expect(peers[0]!.frames).toEqual(['40/visitor,{"token":"t"}', '3']));
    // No ping within pingInterval + pingTimeout (200 ms).
    expect(await next<DisconnectReason>(s, 'disconnect')).toBe('ping timeout');
    await next(s, 'connect');
    expect(peers).toHaveLength(2);
  });

  it('fails an ack that does not come in time, and one whose connection is lost first', async () => {
    handshake = { pingInterval: 60_000, pingTimeout: 60_000 };
    const s = socket(url);
    await next(s, 'connect');
    await expect(s.timeout(50).emitWithAck('history', { afterSeq: 0 })).rejects.toThrow('timed out');
    const pending = s.timeout(60_000).emitWithAck('history', { afterSeq: 3 });
    await vi.waitFor(() => expect(peers[0]!.frames.at(-1)).toBe('42/visitor,1["history",{"afterSeq":3}]'));
    peers[0]!.ws.close();
    await expect(pending).rejects.toThrow('disconnected');
  });

  it('resolves acks by id and passes events on', async () => {
    handshake = { pingInterval: 60_000, pingTimeout: 60_000 };
    const s = socket(url);
    await next(s, 'connect');
    const typing = next(s, 'typing');
    const ack = s.timeout(2000).emitWithAck('history', { afterSeq: 0 });
    peers[0]!.ws.send('42/visitor,["typing",{"name":"Ana","typing":true}]');
    peers[0]!.ws.send('43/visitor,0[{"ok":true,"messages":[],"more":false}]');
    expect(await typing).toEqual({ name: 'Ana', typing: true });
    expect(await ack).toEqual({ ok: true, messages: [], more: false });
  });

  it('drops a connection that sends what it cannot read ("parse error"), and comes back', async () => {
    handshake = { pingInterval: 60_000, pingTimeout: 60_000 };
    const s = socket(url);
    await next(s, 'connect');
    peers[0]!.ws.send('42/visitor,{oops');
    expect(await next<DisconnectReason>(s, 'disconnect')).toBe('parse error');
    await next(s, 'connect');
  });

  it('sends nothing once the heartbeat is overdue (a suspended device), and reconnects', async () => {
    handshake = { pingInterval: 60_000, pingTimeout: 60_000 };
    const s = socket(url);
    await next(s, 'connect');
    const realNow = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(realNow + 200_000);
    const lost = next<DisconnectReason>(s, 'disconnect');
    s.emit('typing', { typing: true });
    expect(await lost).toBe('ping timeout');
    expect(peers[0]!.frames).toEqual(['40/visitor,{"v":1,"site":"acme"}']);
  });
});
