// What the cluster tests (several gateways on PostgreSQL + Redis) share: the check that the services are there, and a
// Redis server of the test's own that it may stop and start without disturbing anyone else's tests.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';
import { createClient } from 'redis';

export const DATABASE_URL = process.env.PARLEY_TEST_DATABASE_URL;
export const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL;

/** Why the PostgreSQL + Redis tests cannot run here, or `undefined` when they can. */
export async function clusterUnavailable(): Promise<string | undefined> {
  const noDatabase = await databaseUnavailable();
  if (noDatabase) return noDatabase;
  if (!REDIS_URL) return 'PARLEY_TEST_REDIS_URL is not set (.ci/run starts Redis)';
  const redis = createClient({ url: REDIS_URL, socket: { connectTimeout: 3000, reconnectStrategy: false } });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    return `cannot reach PARLEY_TEST_REDIS_URL: ${(err as Error).message}`;
  } finally {
    if (redis.isOpen) redis.destroy();
  }
  return undefined;
}

/** Why the PostgreSQL tests cannot run here, or `undefined` when they can. */
export async function databaseUnavailable(): Promise<string | undefined> {
  if (!DATABASE_URL) return 'PARLEY_TEST_DATABASE_URL is not set (.ci/run starts PostgreSQL)';
  const db = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
  db.on('error', () => {});
  try {
    await db.connect();
  } catch (err) {
    return `cannot reach PARLEY_TEST_DATABASE_URL: ${(err as Error).message}`;
  } finally {
    await db.end().catch(() => {});
  }
  return undefined;
}

/** Why a private `redis-server` cannot be started here, or `undefined` when it can. */
export function privateRedisUnavailable(): string | undefined {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'redis-server is not installed (apt-get install redis-server)';
  }
}

/** A `redis-server` on a free loopback port, without persistence (as in CI): a restart loses everything. */
export interface PrivateRedis {
  url: string;
  /** Stops the server (SIGTERM) and waits until it exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until it accepts commands. */
  start(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const redis: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      const started = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      child = started;
      await untilAccepting(port, started);
    },
    async stop() {
      const running = child;
      if (!running) return;
      child = undefined;
      if (running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    },
  };
  await redis.start();
  return redis;
}

/** A port nothing listens on right now: bound by the kernel's choice, then released for the server. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function untilAccepting(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${child.exitCode}`);
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      if (client.isOpen) client.destroy();
    }
  }
  throw new Error(`redis-server on port ${port} did not start within 10 s`);
}

/** A TCP proxy in front of a Redis server: it can cut every connection, and refuse new ones while `refusing`. */
export interface RedisProxy {
  url: string;
  refusing: boolean;
  cut(): void;
  close(): Promise<void>;
}

export async function startRedisProxy(redisUrl: string): Promise<RedisProxy> {
  const target = new URL(redisUrl);
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (proxy.refusing) return client.destroy();
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(redisUrl);
  url.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const proxy: RedisProxy = {
    url: url.toString(),
    refusing: false,
    cut: () => {
      for (const s of open) s.destroy();
    },
    close: () => {
      proxy.cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
