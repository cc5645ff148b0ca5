import type { Server as HttpServer } from 'node:http';
import type { Server } from 'socket.io';
import { setupAgents } from './agents';
import { type AttachmentSetup, setupAttachments } from './attachments';
import { MANUAL, startAutoAssign } from './auto-assign';
import { createAvailabilityAnnouncer } from './availability';
import { broadcastPresence, pushSummary } from './broadcasts';
import type { Cluster } from './cluster';
import { checkOptions, type GatewayOptions } from './gateway-options';
import type { GatewayContext, VisitorNamespace } from './handler-context';
import type { ConnectionCap } from './http-guards';
import { createHttpServer, listen } from './http-server';
import { createIdentityVerifier } from './identity';
import { createInflight, type Inflight } from './inflight';
import type { Limits } from './limits';
import { createLogger, type Logger } from './log';
import { type Mail, setupMail } from './mail';
import { createMemoryBudget, defaultMemoryBudgetBytes } from './memory-budget';
import { createOriginPolicy, type OriginPolicy } from './origins';
import { createPresence, type Presence } from './presence';
import { resyncLocalClients } from './resync';
import { siteOfRoom, siteRoom } from './rooms';
import { DEFAULT_SOCKET_BUFFER_BYTES } from './send-buffer';
import { type SessionSweeper, startSessionSweeper } from './sessions';
import { createShield, type Shield } from './shield';
import { createSocketServer } from './socket-server';
import { openStore } from './store/open';
import type { Store } from './store/types';
import { setupVisitors } from './visitors';

export type { AgentConfig } from './agents';
export type { GatewayOptions } from './gateway-options';

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
  /** Uploads, downloads and the storage of attachments (tests, diagnostics). */
  attachments: AttachmentSetup;
  /** Deletes the sessions that expired by now, as the periodic sweep does (tests, diagnostics). */
  sweepSessions: SessionSweeper['sweep'];
  /** The inbound SMTP listener's port, once `listen()` started it (`PARLEY_INBOUND_SMTP_PORT`). */
  inboundSmtpPort?: number;
  /** Starts listening; resolves with the base URL, e.g. `http://127.0.0.1:3000` (the real port when `port` is 0). */
  listen(port: number, host: string): Promise<string>;
  /** Stops accepting, disconnects every socket, waits for pending writes, closes the store. Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds the HTTP server, the Socket.IO namespaces and the store. Nothing listens until `listen()`. Each step is a
 * module of its own; the order matters where noted.
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? createLogger();
  const limits = checkOptions(options);
  const origins = createOriginPolicy({ origins: options.origins, consoleOrigins: options.consoleOrigins });
  const inflight = createInflight();
  const attachments = await openStorage(options, { origins, logger, inflight });
  // Handlers see the store whose messages carry their files' signed URLs.
  const store = attachments.store;
  // Before the Socket.IO server: its adapter carries broadcasts to the other processes.
  const cluster = await closeOnFailure(
    store,
    joinClusterIfAsked(options, logger, () => ctx),
  );
  const { server, connectionCap, shield, io, visitors, agents } = createServers(options, {
    limits,
    origins,
    logger,
    // The inbound email webhook is read lazily: mail is set up once the context exists.
    routes: (req, res) => mail?.http(req, res) || attachments.handle(req, res),
    adapter: cluster?.adapter,
    ctx: () => ctx,
  });
  const presence = cluster?.presence ?? createPresence(options.agents.map((agent) => agent.name));
  const ctx: GatewayContext = {
    store,
    presence,
    logger,
    visitors,
    agents,
    track: inflight.track,
    closing: false,
    agentNames: options.agents.map((agent) => agent.name),
    autoAssign: MANUAL,
    availability: announceAvailability(options, presence, visitors),
  };
  const mail = options.mail ? setupMail(ctx, options.mail, options.dbPath) : undefined;
  if (mail) ctx.mail = mail.queue;
  if (cluster) await closeOnFailure(store, cluster.start());
  const sweeper = setupNamespaces(ctx, options, { origins, shield });
  if (options.assignment?.mode === 'round-robin') ctx.autoAssign = startAutoAssign(ctx, options.assignment);

  let shutdown: Promise<void> | undefined;
  const gateway: Gateway = {
    mode: { storage: options.databaseUrl ? 'postgres' : 'sqlite', fanOut: cluster ? 'redis' : 'local' },
    server,
    io,
    store,
    shield,
    attachments,
    sweepSessions: sweeper.sweep,
    connectionCap,
    listen: async (port, host) => {
      const url = await listen(server, port, host, logger);
      const smtpPort = await mail?.listen(host);
      if (smtpPort !== undefined) {
        gateway.inboundSmtpPort = smtpPort;
        logger.info('inbound SMTP listening', { host, port: smtpPort });
      }
      return url;
    },
    close: () => {
      shutdown ??= closeGateway({
        ctx,
        io,
        server,
        inflight,
        sweeper,
        cluster,
        shield,
        connectionCap,
        attachments,
        mail,
      });
      return shutdown;
    },
  };
  return gateway;
}

/** A step that fails once the store is open closes it before the gateway's start fails. */
async function closeOnFailure<T>(store: Store, step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** Opens the store and wraps it with attachments (uploads, downloads, signed file URLs). */
async function openStorage(
  options: GatewayOptions,
  { origins, logger, inflight }: { origins: OriginPolicy; logger: Logger; inflight: Inflight },
): Promise<AttachmentSetup> {
  const rawStore = await openStore(options, logger);
  return closeOnFailure(
    rawStore,
    setupAttachments({
      ...options,
      store: rawStore,
      origins,
      trustProxy: options.trustProxy ?? 0,
      logger,
      track: inflight.track,
    }),
  );
}

interface ServerParts {
  limits: Limits;
  origins: OriginPolicy;
  logger: Logger;
  /** The attachment routes. */
  routes: AttachmentSetup['handle'];
  /** The cluster's Socket.IO adapter, when there is one. */
  adapter: Cluster['adapter'] | undefined;
  /** Read by the health route only, once requests arrive. */
  ctx: () => GatewayContext;
}

/** The abuse limits and the memory budget, the HTTP server (static files, health, attachments) and Socket.IO on it. */
function createServers(options: GatewayOptions, { limits, origins, logger, routes, adapter, ctx }: ServerParts) {
  const shield = createShield({ limits, trustProxy: options.trustProxy ?? 0, logger, now: options.now });
  const memory = createMemoryBudget({
    limitBytes: options.memoryBudgetBytes ?? defaultMemoryBudgetBytes(),
    logger,
    ...options.memoryProbe,
  });
  const startedAt = Date.now();
  const { server, connectionCap } = createHttpServer({
    distDir: options.distDir,
    logger,
    limits,
    trustProxy: options.trustProxy ?? 0,
    httpTimeouts: options.httpTimeouts,
    routes,
    health: () => ({
      uptime: Math.round((Date.now() - startedAt) / 1000),
      visitors: ctx().visitors.sockets.size,
      agents: ctx().agents.sockets.size,
    }),
  });
  const sockets = createSocketServer(server, {
    origins,
    shield,
    memory,
    socketBufferBytes: options.maxSocketBufferBytes ?? DEFAULT_SOCKET_BUFFER_BYTES,
    logger,
    adapter,
  });
  return { shield, server, connectionCap, ...sockets };
}

/**
 * Joins the other processes through Redis when `redisUrl` is set. Imported lazily: a single SQLite process never
 * loads the Redis packages. `ctx` is read only once events arrive, after the gateway has built it.
 */
async function joinClusterIfAsked(
  options: GatewayOptions,
  logger: Logger,
  ctx: () => GatewayContext,
): Promise<Cluster | undefined> {
  if (!options.redisUrl) return undefined;
  const { joinCluster } = await import('./cluster');
  return joinCluster({
    redisUrl: options.redisUrl,
    prefix: options.redisPrefix ?? 'parley',
    logger,
    agentNames: options.agents.map((agent) => agent.name),
    ...(options.presenceHeartbeatMs ? { heartbeatMs: options.presenceHeartbeatMs } : {}),
    onAgentsChanged: () => broadcastPresence(ctx()),
    onVisitorsGone: (ids) => {
      for (const id of ids) void pushSummary(ctx(), id, { local: true });
    },
    resync: () => resyncLocalClients(ctx()),
  });
}

/** Each site's availability (presence and business hours), announced to its visitors on this process. */
function announceAvailability(options: GatewayOptions, presence: Presence, visitors: VisitorNamespace) {
  return createAvailabilityAnnouncer({
    presence: () => presence.aggregate(),
    hours: options.hours ?? new Map(),
    sites: () => localSites(visitors),
    emit: (site, value) => visitors.local.to(siteRoom(site)).emit('availability', value),
  });
}

/** The sites with a visitor socket on this process (the adapter's local rooms). */
function* localSites(visitors: VisitorNamespace): Iterable<string> {
  for (const room of visitors.adapter.rooms.keys()) {
    const site = siteOfRoom(room);
    if (site !== undefined) yield site;
  }
}

/** The visitor and agent handlers, and the sweep of expired sessions. */
function setupNamespaces(
  ctx: GatewayContext,
  options: GatewayOptions,
  guards: { origins: OriginPolicy; shield: Shield },
): SessionSweeper {
  const secrets = options.siteSecrets ?? new Map<string, string>();
  const verifyUser = createIdentityVerifier(
    secrets instanceof Map ? secrets : new Map(Object.entries(secrets as Record<string, string>)),
  );
  const sessionPolicy = options.emptySessionTtlMs !== undefined ? { emptyTtlMs: options.emptySessionTtlMs } : {};
  const now = options.sessionClock ?? Date.now;
  const avatars = Object.fromEntries(options.agents.flatMap((a) => (a.avatar ? [[a.name, a.avatar]] : [])));
  setupVisitors(ctx, {
    ...guards,
    verifyUser,
    sessionPolicy,
    now,
    ...(Object.keys(avatars).length ? { avatars } : {}),
    ...(options.mail?.transcriptLimits ? { transcriptLimits: options.mail.transcriptLimits } : {}),
    ...(options.prechat ? { prechat: options.prechat } : {}),
  });
  setupAgents(ctx, options.agents, { ...guards, cannedReplies: options.cannedReplies ?? [] });
  return startSessionSweeper({
    store: ctx.store,
    policy: sessionPolicy,
    now,
    logger: ctx.logger,
    track: ctx.track,
    ...(options.sessionSweepMs !== undefined ? { intervalMs: options.sessionSweepMs } : {}),
  });
}

interface GatewayParts {
  ctx: GatewayContext;
  io: Server;
  server: HttpServer;
  inflight: Inflight;
  sweeper: SessionSweeper;
  cluster: Cluster | undefined;
  shield: Shield;
  connectionCap: ConnectionCap;
  attachments: AttachmentSetup;
  mail: Mail | undefined;
}

/** Stops accepting, disconnects every socket, waits for pending writes, then closes Redis, the limits and the store. */
async function closeGateway(parts: GatewayParts): Promise<void> {
  const { ctx, server } = parts;
  ctx.closing = true;
  parts.sweeper.stop();
  ctx.autoAssign.stop();
  ctx.availability.stop();
  // Stops taking new jobs and waits for the one in hand; the inbound listener stops accepting.
  await parts.mail?.close();
  const closed = parts.io.close();
  // Idle keep-alive and half-finished static downloads would otherwise hold `server.close()` open.
  server.closeAllConnections();
  await closed;
  // Disconnect handlers queue summary pushes; wait until nothing is left touching the store.
  await parts.inflight.drain();
  await parts.cluster?.close();
  parts.shield.close();
  parts.connectionCap.close();
  await parts.attachments.close();
  await ctx.store.close();
  ctx.logger.info('closed');
}
