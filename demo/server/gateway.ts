import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type ServerOptions } from 'socket.io';
import { LIMITS, NAMESPACE } from '../../src/protocol';
import { type AgentConfig, checkAgentToken, setupAgents } from './agents';
import { broadcastPresence, pushSummary } from './broadcasts';
import { createClusterPresence } from './cluster-presence';
import type { AgentNamespace, GatewayContext, VisitorNamespace } from './handler-context';
import { createHttpHandler } from './http';
import {
  type ConnectionCap,
  capConnectionsPerAddress,
  DEFAULT_HTTP_TIMEOUTS,
  type HttpTimeouts,
  httpServerOptions,
  tcpConnectionsPerIp,
} from './http-guards';
import { createIdentityVerifier } from './identity';
import { type Budget, type Clock, DEFAULT_LIMITS, type Limits } from './limits';
import { createLogger, type Logger } from './log';
import { createMemoryBudget, defaultMemoryBudgetBytes } from './memory-budget';
import { createOriginPolicy } from './origins';
import { createPresence, type Presence } from './presence';
import type { RedisClients } from './redis';
import { refusal } from './refusal';
import { type GapWatch, resyncLocalClients, watchRedisGaps } from './resync';
import {
  DEFAULT_SOCKET_BUFFER_BYTES,
  type EngineConnection,
  MIN_SOCKET_BUFFER_BYTES,
  watchSendBuffer,
} from './send-buffer';
import { type SessionSweeper, startSessionSweeper } from './sessions';
import { createShield, type Shield } from './shield';
import { openStore } from './store/open';
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
   * Origins allowed to open a visitor socket (e.g. `https://shop.example`); `*` allows any; `site=origin` binds a site
   * to origins (see `createOriginPolicy`). Absent or empty: only pages served by the gateway itself. Requests without
   * an `Origin` header (non-browser clients) are allowed.
   */
  origins?: string[];
  /** Origins besides the gateway's own allowed to open the agent namespace (a console hosted elsewhere). */
  consoleOrigins?: string[];
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
  /** Timeouts of the HTTP server; each absent one takes its value from `DEFAULT_HTTP_TIMEOUTS`. */
  httpTimeouts?: Partial<HttpTimeouts>;
  /** The clock of the abuse limits' token buckets, in milliseconds (tests move it by hand); default monotonic. */
  now?: Clock;
  /**
   * Bytes queued for one client connection that does not read its replies (`PARLEY_MAX_SOCKET_BUFFER_KB`); past it
   * the connection is closed. Default `DEFAULT_SOCKET_BUFFER_BYTES`; at least `MIN_SOCKET_BUFFER_BYTES`.
   */
  maxSocketBufferBytes?: number;
  /**
   * JavaScript memory past which new connections are refused with `rate_limited` (`PARLEY_MEMORY_BUDGET_MB`).
   * Default: `DEFAULT_BUDGET_SHARE` of V8's heap limit.
   */
  memoryBudgetBytes?: number;
  /** How the budget reads the process's JavaScript memory (bytes) and collects garbage; tests inject both. */
  memoryProbe?: { read: () => number; collect: () => void };
  /**
   * A session whose visitor never stored a message is deleted after this long unused (default 24 h,
   * `PARLEY_EMPTY_SESSION_TTL_HOURS`); other sessions after 180 days unused.
   */
  emptySessionTtlMs?: number;
  /** How often expired sessions are deleted (default 10 minutes, `PARLEY_SESSION_SWEEP_MINUTES`). */
  sessionSweepMs?: number;
  /** Wall clock for session expiry and sweeps (tests move it by hand); default `Date.now`. */
  sessionClock?: () => number;
}

export interface Gateway {
  /** What this process runs on, e.g. `{ storage: 'sqlite', fanOut: 'local' }`. */
  mode: { storage: 'sqlite' | 'postgres'; fanOut: 'local' | 'redis' };
  server: HttpServer;
  io: Server;
  store: Store;
  /** The abuse limits in force (`stats()` for diagnostics). */
  shield: Shield;
  /** TCP connections open per client address (`stats()` for diagnostics). */
  connectionCap: ConnectionCap;
  /** Deletes the sessions that expired by now, as the periodic sweep does (tests, diagnostics). */
  sweepSessions: SessionSweeper['sweep'];
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
  const origins = createOriginPolicy({ origins: options.origins, consoleOrigins: options.consoleOrigins });

  const limits: Limits = {
    ...DEFAULT_LIMITS,
    ...(options.rateLimit !== undefined ? { socket: options.rateLimit } : {}),
    ...options.limits,
  };
  checkLimits(limits);
  if (options.maxSocketBufferBytes !== undefined && !(options.maxSocketBufferBytes >= MIN_SOCKET_BUFFER_BYTES)) {
    throw new Error(`maxSocketBufferBytes must be at least ${MIN_SOCKET_BUFFER_BYTES} (two pages of replies)`);
  }
  if (options.redisUrl && !options.databaseUrl) {
    throw new Error('REDIS_URL needs DATABASE_URL: several gateway processes cannot share a SQLite file');
  }
  const store = await openStore(options, logger);
  let redis: RedisClients | undefined;
  if (options.redisUrl) {
    try {
      redis = await (await import('./redis')).connectRedis(options.redisUrl, logger);
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  const redisPrefix = options.redisPrefix ?? 'parley';
  const shield = createShield({ limits, trustProxy: options.trustProxy ?? 0, logger, now: options.now });
  const socketBufferBytes = options.maxSocketBufferBytes ?? DEFAULT_SOCKET_BUFFER_BYTES;
  const memory = createMemoryBudget({
    limitBytes: options.memoryBudgetBytes ?? defaultMemoryBudgetBytes(),
    logger,
    ...options.memoryProbe,
  });
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inflight.add(work);
    const done = () => inflight.delete(work);
    work.then(done, done);
    return work;
  };

  const startedAt = Date.now();
  const server = createServer(
    httpServerOptions({ ...DEFAULT_HTTP_TIMEOUTS, ...options.httpTimeouts }),
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
  const connectionCap = capConnectionsPerAddress(server, {
    max: tcpConnectionsPerIp(limits),
    behindProxy: (options.trustProxy ?? 0) > 0,
    logger,
  });

  const ioOptions: Partial<ServerOptions> = {
    maxHttpBufferSize: LIMITS.maxPayloadBytes,
    serveClient: false,
    transports: ['websocket', 'polling'],
    // Checked for every new Engine.IO connection, before the WebSocket upgrade: refused ones cost almost nothing.
    allowRequest: (req, callback) =>
      memory.allows() ? shield.allowRequest(req, callback) : callback('rate_limited', false),
    // Not `connectionStateRecovery`: every reconnection runs the namespace middlewares (origin, session, token).
  };
  if (origins.cors) ioOptions.cors = { origin: origins.cors, methods: ['GET', 'POST'] };
  // Every room broadcast (conversation rooms, the agents room) then reaches the sockets of every process.
  if (redis) ioOptions.adapter = await redisAdapter(redis, redisPrefix, logger);
  const io = new Server(server, ioOptions);
  io.engine.on('connection', (conn: Parameters<typeof shield.trackConnection>[0] & EngineConnection) => {
    shield.trackConnection(conn);
    watchSendBuffer(conn, { capBytes: socketBufferBytes, logger, address: shield.address(conn.request) });
  });

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
  let gaps: GapWatch | undefined;
  if (cluster && redis) {
    try {
      await cluster.start();
      gaps = await watchRedisGaps({ redis, prefix: redisPrefix, logger, resync: () => resyncLocalClients(ctx) });
    } catch (err) {
      await cluster.close();
      await redis.close();
      await store.close();
      throw new Error(`cannot start Redis presence: ${(err as Error).message}`);
    }
  }
  // Connections already open may start more namespace sockets (each a welcome page): the budget holds for them too.
  for (const namespace of [ctx.visitors, ctx.agents] as const) {
    namespace.use((_socket, next) =>
      memory.allows() ? next() : next(refusal('rate_limited', 'the server is busy; retry in a minute')),
    );
  }
  const sessions = options.emptySessionTtlMs !== undefined ? { emptyTtlMs: options.emptySessionTtlMs } : {};
  const now = options.sessionClock ?? Date.now;
  const avatars = Object.fromEntries(options.agents.flatMap((a) => (a.avatar ? [[a.name, a.avatar]] : [])));
  setupVisitors(ctx, {
    origins,
    shield,
    verifyUser,
    sessions,
    now,
    ...(Object.keys(avatars).length ? { avatars } : {}),
  });
  const sweeper = startSessionSweeper({
    store,
    policy: sessions,
    now,
    logger,
    track,
    ...(options.sessionSweepMs !== undefined ? { intervalMs: options.sessionSweepMs } : {}),
  });
  setupAgents(ctx, options.agents, { origins, shield });

  // The default namespace serves nothing; refuse it rather than hold idle sockets.
  io.use((_socket, next) => next(new Error('use the /visitor or /agent namespace')));

  let shutdown: Promise<void> | undefined;
  return {
    mode: { storage: options.databaseUrl ? 'postgres' : 'sqlite', fanOut: redis ? 'redis' : 'local' },
    server,
    io,
    store,
    shield,
    sweepSessions: sweeper.sweep,
    connectionCap,
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
        sweeper.stop();
        const closed = io.close();
        // Idle keep-alive and half-finished static downloads would otherwise hold `server.close()` open.
        server.closeAllConnections();
        await closed;
        // Disconnect handlers queue summary pushes; wait until nothing is left touching the store.
        while (inflight.size > 0) await Promise.allSettled([...inflight]);
        gaps?.close();
        // Tell the other processes at once rather than letting this one's presence expire.
        await cluster?.close();
        await redis?.close();
        shield.close();
        connectionCap.close();
        await store.close();
        logger.info('closed');
      })();
      return shutdown;
    },
  };
}

/**
 * Socket.IO's Redis adapter, imported only in cluster mode so a single SQLite process never loads the Redis packages.
 */
async function redisAdapter(redis: RedisClients, prefix: string, logger: Logger): Promise<ServerOptions['adapter']> {
  const [{ createAdapter }, { forAdapter }] = await Promise.all([
    import('@socket.io/redis-adapter'),
    import('./redis'),
  ]);
  return createAdapter(forAdapter(redis.pub, logger), redis.sub, { key: `${prefix}:io` });
}

function checkAgents(agents: readonly AgentConfig[]): void {
  const names = new Set<string>();
  for (const agent of agents) {
    if (!agent.name.trim() || !agent.token) throw new Error('every agent needs a name and a token');
    checkAgentToken(agent);
    if (names.has(agent.name)) throw new Error(`agent "${agent.name}" is configured twice`);
    names.add(agent.name);
  }
}

function checkLimits(limits: Limits): void {
  for (const name of ['socket', 'session', 'ip', 'handshakesPerIp', 'agentAuthFailures'] as const) {
    const budget = limits[name];
    if (budget !== false && !(budget.burst >= 1 && budget.perSecond > 0)) {
      throw new Error(`limits.${name} needs a burst of at least 1 and a positive rate per second`);
    }
  }
  for (const name of ['connectionsPerIp', 'handshakesPerSecond', 'tcpConnectionsPerIp'] as const) {
    const count = limits[name] ?? 0;
    if (!Number.isInteger(count) || count < 0) throw new Error(`limits.${name} must be an integer >= 0`);
  }
}
