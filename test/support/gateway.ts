import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

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
  const child = spawn(process.execPath, [options.script ?? path.join(root, 'dist/server/main.js')], {
    cwd: options.cwd ?? root,
    env: {
      ...process.env,
      PORT: String(options.port ?? 0),
      HOST: '127.0.0.1',
      PARLEY_DB: dbPath,
      PARLEY_AGENTS: AGENTS_ENV,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start within 15 s:\n${out}`)), 15_000);
    const check = () => {
      const m = out.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (m?.[1]) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before listening:\n${out}`));
    });
  });

  const port = Number(new URL(url).port);
  return {
    url,
    port,
    dbPath,
    process: child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    async restart() {
      return startGateway({ ...options, port, dbPath });
    },
  };
}

export function removeDb(gw: RunningGateway): void {
  rmSync(path.dirname(gw.dbPath), { recursive: true, force: true });
}
