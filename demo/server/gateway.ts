import { createServer, type Server as HttpServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server, type ServerOptions } from 'socket.io';
import { LIMITS, NAMESPACE } from '../../src/protocol';
import { type AgentConfig, setupAgents } from './agents';
import { createClusterPresence } from './cluster-presence';
import {
  type AgentNamespace,
  broadcastPresence,
  type GatewayContext,
  pushSummary,
  type VisitorNamespace,
} from './context';
import { createHttpHandler } from './http';
import { createIdentityVerifier } from './identity';
import { type Budget, DEFAULT_LIMITS, type Limits } from './limits';
import { createLogger, type Logger } from './log';
import { createPresence, type Presence } from './presence';
import { connectRedis, forAdapter, type RedisClients, redact } from './redis';
import { createShield, type Shield } from './shield';
import { openPostgresStore } from './store/postgres';
import { openSqliteStore } from './store/sqlite';
import type { Store } from './store/types';
import { setupVisitors } from './visitors';

export type { AgentConfig } from './agents';

export interface GatewayOptions {
  /** SQLite file; its directory is created. Ignored when `databaseUrl` is set. */
  dbPath: string;
  /** PostgreSQL connection URL: the store is PostgreSQL instead of SQLite (`DATABASE_URL`). */
  databaseUrl?: string;
  /** PostgreSQL schema for Parley's tables (`PARLEY_DB_SCHEMA`). */
  dbSchema?: string;
  /**
   * Redis URL (`REDIS_URL`): Socket.IO's Redis adapter carries every room broadcast to the other gateway processes,
   * and presence is shared through Redis. Requires `databaseUrl` (processes cannot share a SQLite file).
   */
  redisUrl?: string;
  /** Prefix of Parley's Redis keys and channels (`PARLEY_REDIS_PREFIX`, default `parley`). */
  redisPrefix?: string;
  /** Presence heartbeat with Redis (default 2000 ms); a process that stops beating is dropped after 3 beats. */
  presenceHeartbeatMs?: number;
  agents: AgentConfig[];
  /**
   * Origins allowed to open a visitor socket (e.g. `https://shop.example`); `*` allows any. Absent or empty: only
   * pages served by the gateway itself. Requests without an `Origin` header (non-browser clients) are allowed.
   */
  origins?: string[];
  /** The build output directory served over HTTP (`dist/`). */
  distDir: string;
  /** See `SqliteStoreOptions.sync`. */
  dbSync?: 'normal' | 'full';
  /**
   * How long a write waits for a lock held by another connection before it fails with `storage_error`. SQLite waits
   * synchronously, so the whole gateway waits with it: keep it short. Default 1000 ms.
   */
  dbBusyTimeoutMs?: number;
  logger?: Logger;
  /**
   * Per-site secrets (at least 32 characters) that sign user tokens (`auth.userToken`, HS256). A site without one
   * cannot identify users: its tokens are refused and its visitors stay anonymous. Never logged.
   */
  siteSecrets?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** Per socket: `burst` events at once, then `perSecond`. `false` disables. Same as `limits.socket`. */
  rateLimit?: Budget | false;
  /** Abuse limits; each absent one takes its value from `DEFAULT_LIMITS`. */
  limits?: Partial<Limits>;
  /**
   * Reverse proxies in front of the gateway: with N > 0 the client address is the Nth `X-Forwarded-For` entry from
   * the right, otherwise the TCP peer. Default 0. Setting it without a proxy lets clients choose their address.
   */
  trustProxy?: number;
}

export interface Gateway {
  /** What this process runs on, e.g. `{ storage: 'sqlite', fanOut: 'local' }`. */
  mode: { storage: 'sqlite' | 'postgres'; fanOut: 'local' | 'redis' };
  server: HttpServer;
  io: Server;
  store: Store;
  /** The abuse limits in force (`stats()` for diagnostics). */
  shield: Shield;
  /** Starts listening; resolves with the base URL, e.g. `http://127.0.0.1:3000` (the real port when `port` is 0). */
  listen(port: number, host: string): Promise<string>;
  /** Stops accepting, disconnects every socket, waits for pending writes, closes the store. Idempotent. */
  close(): Promise<void>;
}

/** Builds the HTTP server, the Socket.IO namespaces and the store. Nothing listens until `listen()`. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? createLogger();
  checkAgents(options.agents);
  const secrets = options.siteSecrets ?? new Map<string, string>();
  const verifyUser = createIdentityVerifier(
    secrets instanceof Map ? secrets : new Map(Object.entries(secrets as Record<string, string>)),
  );
  const origins = (options.origins ?? []).map(normalizeOrigin);
  const anyOrigin = origins.includes('*');
  const allowed = new Set(origins);
  const originAllowed = (headers: IncomingHttpHeaders): boolean => {
    const origin = headers.origin;
    if (origin === undefined) return true;
    if (anyOrigin) return true;
    if (allowed.size > 0) return allowed.has(safeOrigin(origin) ?? '');
    return sameOrigin(origin, headers.host);
  };

  const limits: Limits = {
    ...DEFAULT_LIMITS,
    ...(options.rateLimit !== undefined ? { socket: options.rateLimit } : {}),
    ...options.limits,
  };
  checkLimits(limits);
  if (options.redisUrl && !options.databaseUrl) {
    throw new Error('REDIS_URL needs DATABASE_URL: several gateway processes cannot share a SQLite file');
  }
  const store: Store = options.databaseUrl
    ? await openPostgresStore({
        url: options.databaseUrl,
        ...(options.dbSchema ? { schema: options.dbSchema } : {}),
        onError: (err) => logger.warn('postgres connection lost; the pool reconnects on next use', { err }),
      }).catch((err: unknown) => {
        throw new Error(`cannot open DATABASE_URL ${redact(options.databaseUrl!)}: ${(err as Error).message}`);
      })
    : openSqliteStore({
        path: options.dbPath,
        sync: options.dbSync ?? 'normal',
        busyTimeoutMs: options.dbBusyTimeoutMs ?? 1000,
      });
  let redis: RedisClients | undefined;
  if (options.redisUrl) {
    try {
      redis = await connectRedis(options.redisUrl, logger);
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  const redisPrefix = options.redisPrefix ?? 'parley';
  const shield = createShield({ limits, trustProxy: options.trustProxy ?? 0, logger });
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inflight.add(work);
    const done = () => inflight.delete(work);
    work.then(done, done);
    return work;
  };

  const startedAt = Date.now();
  const server = createServer(
    createHttpHandler({
      distDir: options.distDir,
      logger,
      health: () => ({
        uptime: Math.round((Date.now() - startedAt) / 1000),
        visitors: ctx.visitors.sockets.size,
        agents: ctx.agents.sockets.size,
      }),
    }),
  );

  const ioOptions: Partial<ServerOptions> = {
    maxHttpBufferSize: LIMITS.maxPayloadBytes,
    serveClient: false,
    transports: ['websocket', 'polling'],
    // Checked for every new Engine.IO connection, before the WebSocket upgrade: refused ones cost almost nothing.
    allowRequest: (req, callback) => shield.allowRequest(req, callback),
    // Not `connectionStateRecovery`: every reconnection runs the namespace middlewares (origin, session, token).
  };
  // Only long-polling needs CORS; same-origin pages need none, and WebSockets are checked by origin in the handshake.
  if (allowed.size > 0) ioOptions.cors = { origin: anyOrigin ? true : [...allowed], methods: ['GET', 'POST'] };
  // Every room broadcast (conversation rooms, the agents room) then reaches the sockets of every process.
  if (redis) ioOptions.adapter = createAdapter(forAdapter(redis.pub, logger), redis.sub, { key: `${redisPrefix}:io` });
  const io = new Server(server, ioOptions);
  io.engine.on('connection', (conn: Parameters<typeof shield.trackConnection>[0]) => shield.trackConnection(conn));

  const agentNames = options.agents.map((agent) => agent.name);
  const cluster = redis
    ? createClusterPresence({
        agentNames,
        pub: redis.pub,
        sub: redis.sub,
        prefix: redisPrefix,
        logger,
        ...(options.presenceHeartbeatMs ? { heartbeatMs: options.presenceHeartbeatMs } : {}),
        onAgentsChanged: () => broadcastPresence(ctx),
        onVisitorsGone: (ids) => {
          for (const id of ids) void pushSummary(ctx, id, { local: true });
        },
      })
    : undefined;
  const presence: Presence = cluster ?? createPresence(agentNames);
  const ctx: GatewayContext = {
    store,
    presence,
    logger,
    visitors: io.of(NAMESPACE.visitor) as unknown as VisitorNamespace,
    agents: io.of(NAMESPACE.agent) as unknown as AgentNamespace,
    track,
    closing: false,
  };
  if (cluster) {
    try {
      await cluster.start();
    } catch (err) {
      await redis?.close();
      await store.close();
      throw new Error(`cannot start Redis presence: ${(err as Error).message}`);
    }
  }
  const avatars = Object.fromEntries(options.agents.flatMap((a) => (a.avatar ? [[a.name, a.avatar]] : [])));
  setupVisitors(ctx, { originAllowed, shield, verifyUser, ...(Object.keys(avatars).length ? { avatars } : {}) });
  setupAgents(ctx, options.agents, shield);

  // The default namespace serves nothing; refuse it rather than hold idle sockets.
  io.use((_socket, next) => next(new Error('use the /visitor or /agent namespace')));

  let shutdown: Promise<void> | undefined;
  return {
    mode: { storage: options.databaseUrl ? 'postgres' : 'sqlite', fanOut: redis ? 'redis' : 'local' },
    server,
    io,
    store,
    shield,
    listen: (port, host) =>
      new Promise((resolvePromise, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const { port: actual } = server.address() as AddressInfo;
          logger.info('listening', { host, port: actual });
          resolvePromise(`http://${host.includes(':') ? `[${host}]` : host}:${actual}`);
        });
      }),
    close: () => {
      shutdown ??= (async () => {
        ctx.closing = true;
        const closed = io.close();
        // Idle keep-alive and half-finished static downloads would otherwise hold `server.close()` open.
        server.closeAllConnections();
        await closed;
        // Disconnect handlers queue summary pushes; wait until nothing is left touching the store.
        while (inflight.size > 0) await Promise.allSettled([...inflight]);
        // Tell the other processes at once rather than letting this one's presence expire.
        await cluster?.close();
        await redis?.close();
        shield.close();
        await store.close();
        logger.info('closed');
      })();
      return shutdown;
    },
  };
}

function checkAgents(agents: readonly AgentConfig[]): void {
  const names = new Set<string>();
  for (const agent of agents) {
    if (!agent.name.trim() || !agent.token) throw new Error('every agent needs a name and a token');
    if (names.has(agent.name)) throw new Error(`agent "${agent.name}" is configured twice`);
    names.add(agent.name);
  }
}

function checkLimits(limits: Limits): void {
  for (const name of ['socket', 'session', 'ip', 'agentAuthFailures'] as const) {
    const budget = limits[name];
    if (budget !== false && !(budget.burst >= 1 && budget.perSecond > 0)) {
      throw new Error(`limits.${name} needs a burst of at least 1 and a positive rate per second`);
    }
  }
  for (const name of ['connectionsPerIp', 'handshakesPerSecond'] as const) {
    if (!Number.isInteger(limits[name]) || limits[name] < 0) throw new Error(`limits.${name} must be an integer >= 0`);
  }
}

function normalizeOrigin(origin: string): string {
  if (origin.trim() === '*') return '*';
  const normal = safeOrigin(origin.trim());
  if (!normal) throw new Error(`invalid origin "${origin}": expected e.g. https://shop.example`);
  return normal;
}

function safeOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}
