import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { GATEWAY_READY, gatewayScript, startServer } from './processes.mjs';

export interface RunningGateway {
  url: string;
  port: number;
  dbPath: string;
  process: ChildProcess;
  /** Everything the gateway printed, for assertions and for failure messages. */
  output(): string;
  /** Stops it with a signal (SIGTERM by default; SIGKILL for crash tests) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and database. */
  restart(): Promise<RunningGateway>;
}

export interface GatewayOptions {
  env?: Record<string, string>;
  port?: number;
  dbPath?: string;
  /** The gateway's entry script: the built `dist/server/main.js` unless given (e.g. an installed package's `bin`). */
  script?: string;
  /** Working directory of the process (the repository by default). */
  cwd?: string;
}

export const AGENTS = { Ana: 'ana-token-0123456789-abcdef', Ben: 'ben-token-0123456789-abcdef' };
export const AGENTS_ENV = Object.entries(AGENTS)
  .map(([n, t]) => `${n}:${t}`)
  .join(',');

/** Starts the real gateway (dist/server/main.js) as its own process on a free port with a temporary database. */
export async function startGateway(options: GatewayOptions = {}): Promise<RunningGateway> {
  const dbPath = options.dbPath ?? path.join(mkdtempSync(path.join(tmpdir(), 'parley-e2e-')), 'parley.db');
  const server = await startServer({
    name: 'gateway',
    script: options.script ?? gatewayScript(),
    ready: GATEWAY_READY,
    timeoutMs: 15_000,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: {
      PORT: String(options.port ?? 0),
      HOST: '127.0.0.1',
      PARLEY_DB: dbPath,
      PARLEY_AGENTS: AGENTS_ENV,
      ...options.env,
    },
  });
  return {
    url: server.url,
    port: server.port,
    dbPath,
    process: server.child,
    output: server.output,
    async stop(signal = 'SIGTERM') {
      await server.stop(signal);
    },
    async restart() {
      return startGateway({ ...options, port: server.port, dbPath });
    },
  };
}

export function removeDb(gw: RunningGateway): void {
  rmSync(path.dirname(gw.dbPath), { recursive: true, force: true });
}

/**
 * An agent speaking the protocol directly from Node (socket.io-client, WebSocket), once the gateway welcomed it;
 * rejects with the `connect_error` of a refused handshake. It reconnects by itself, as the console does.
 */
export async function connectAgent(url: string, token: string = AGENTS.Ana): Promise<Socket> {
  const socket = io(`${url}/agent`, { auth: { token }, transports: ['websocket'], forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('welcome', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}
