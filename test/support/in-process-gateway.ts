import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket as TcpSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { createGateway, type Gateway, type GatewayOptions } from '../../demo/server/gateway';
import { silentLogger } from '../../demo/server/log';
import type { AgentWelcome, Message, VisitorAuth, VisitorWelcome } from '../../src/protocol';

export const AGENTS = [
  { name: 'Ana', token: 'ana-secret-token-0123456789' },
  { name: 'Ben', token: 'ben-secret-token-0123456789' },
];

export interface Fixture {
  gateway: Gateway;
  url: string;
  dir: string;
  dbPath: string;
  /** Closes every client socket opened through this fixture, then the gateway. */
  stop(): Promise<void>;
  /**
   * Closes the gateway only, keeping the temp dir, so a new gateway can reopen the same db; on `port` when given (a
   * client that keeps reconnecting to the old URL then finds it again), else on a new one.
   */
  restart(overrides?: Partial<GatewayOptions>, port?: number): Promise<void>;
  visitor(auth?: Partial<VisitorAuth>, options?: Partial<ManagerOptions & SocketOptions>): Promise<Visitor>;
  /** A visitor that sent `text` (default "hello") as its first message, so its conversation exists. */
  chatting(auth?: Partial<VisitorAuth>, text?: string): Promise<Chatting>;
  agent(token?: string): Promise<Agent>;
  /** A socket whose handshake must fail; resolves with the `connect_error`. */
  refused(
    namespace: string,
    options: Partial<ManagerOptions & SocketOptions>,
  ): Promise<Error & { data?: { code?: string; message?: string } }>;
}

export interface Visitor {
  socket: Socket;
  welcome: VisitorWelcome;
}

/** A visitor whose first message created its conversation (a handshake alone creates none). */
export interface Chatting extends Visitor {
  conversationId: string;
  /** That first message, seq 1. */
  opening: Message;
}

export interface Agent {
  socket: Socket;
  welcome: AgentWelcome;
}

/** A real gateway on a random port with a fresh SQLite file and a dist dir that holds nothing. */
export async function startGateway(overrides: Partial<GatewayOptions> = {}): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-gw-'));
  const dbPath = join(dir, 'db', 'parley.db');
  const sockets = new Set<Socket>();
  let openings = 0;
  const options = (extra: Partial<GatewayOptions>): GatewayOptions => ({
    dbPath,
    agents: AGENTS,
    distDir: join(dir, 'dist'),
    logger: silentLogger,
    ...overrides,
    ...extra,
  });

  const fixture: Fixture = {
    gateway: await createGateway(options({})),
    url: '',
    dir,
    dbPath,
    async stop() {
      for (const socket of sockets) socket.close();
      await fixture.gateway.close();
      await rm(dir, { recursive: true, force: true });
    },
    async restart(extra = {}, port = 0) {
      for (const socket of sockets) socket.close();
      sockets.clear();
      await fixture.gateway.close();
      fixture.gateway = await createGateway(options(extra));
      fixture.url = await fixture.gateway.listen(port, '127.0.0.1');
    },
    async visitor(auth = {}, opts = {}) {
      const socket = open(`${fixture.url}/visitor`, { auth: { v: 1, site: 'acme', ...auth }, ...opts });
      const welcome = await nextEvent<VisitorWelcome>(socket, 'welcome');
      return { socket, welcome };
    },
    async chatting(auth = {}, text = 'hello') {
      const visitor = await fixture.visitor(auth);
      const ack = await call(visitor.socket, 'send', { clientId: `opening-${++openings}`, text });
      if (!ack.ok) throw new Error(`first message refused: ${JSON.stringify(ack)}`);
      return { ...visitor, conversationId: ack.message.conversationId, opening: ack.message };
    },
    async agent(token = AGENTS[0]!.token) {
      const socket = open(`${fixture.url}/agent`, { auth: { token } });
      const welcome = await nextEvent<AgentWelcome>(socket, 'welcome');
      return { socket, welcome };
    },
    refused(namespace, opts) {
      const socket = open(`${fixture.url}${namespace}`, { ...opts, reconnection: false });
      return new Promise((resolve, reject) => {
        socket.on('connect', () => reject(new Error('connected although it should have been refused')));
        socket.on('connect_error', (err) => resolve(err));
      });
    },
  };
  fixture.url = await fixture.gateway.listen(0, '127.0.0.1');

  function open(url: string, opts: Partial<ManagerOptions & SocketOptions>): Socket {
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, ...opts });
    sockets.add(socket);
    return socket;
  }
  return fixture;
}

/** The next `event` on `socket` (matching `accept`), or a rejection after `ms`. */
export function nextEvent<T>(socket: Socket, event: string, accept: (value: T) => boolean = () => true, ms = 2000) {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no "${event}" within ${ms} ms`));
    }, ms);
    const listener = (value: T) => {
      if (!accept(value)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(value);
    };
    socket.on(event, listener);
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Every `event` received from now on. */
export function collect<T>(socket: Socket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (value: T) => seen.push(value));
  return seen;
}

/** Emits with an ack and resolves with the ack value. */
// biome-ignore lint/suspicious/noExplicitAny: tests read ack fields and assert on them rather than type each one.
export function call<T = any>(socket: Socket, event: string, ...args: unknown[]): Promise<T> {
  return socket.timeout(2000).emitWithAck(event, ...args) as Promise<T>;
}

/** Lets in-flight broadcasts arrive: a round trip on each socket, after which earlier events have been delivered. */
export async function settle(...sockets: Socket[]): Promise<void> {
  await Promise.all(sockets.map((socket) => call(socket, 'no-such-event')));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A clock the test moves by hand, in milliseconds (`GatewayOptions.now`, `ShieldOptions.now`). */
export function manualClock() {
  let now = 0;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/**
 * Opens an Engine.IO WebSocket from `localAddress` and closes it as soon as the server answered: resolves with the
 * HTTP status (101 when the upgrade was accepted), or 0 when the connection failed before any answer.
 */
export function upgrade(url: string, localAddress: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress });
    let answer = '';
    const done = (status: number) => {
      socket.destroy();
      resolve(status);
    };
    socket.setEncoding('latin1');
    socket.once('connect', () =>
      socket.write(
        'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n' +
          `Host: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ),
    );
    socket.on('data', (chunk: string) => {
      answer += chunk;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (status) done(Number(status[1]));
    });
    socket.once('error', () => done(0));
    socket.once('close', () => done(0));
  });
}

/** A raw TCP connection to the gateway at `url` from `localAddress` (127.0.0.x: all loopback on Linux). */
export function tcpConnect(url: string, localAddress = '127.0.0.1'): Promise<TcpSocket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A user token as a site's backend signs it (HS256, 10 minutes), for user `sub` of the site holding `secret`. */
export function signUserToken(secret: string, sub: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret));
}
