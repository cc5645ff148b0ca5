import type { CannedReply } from '../../src/protocol';
import { type AgentConfig, checkAgentToken } from './agents';
import type { AssignOptions } from './assignment';
import type { AttachmentOptions } from './attachments';
import type { HoursConfig } from './business-hours';
import type { HttpTimeouts } from './http-guards';
import { type Budget, type Clock, DEFAULT_LIMITS, type Limits } from './limits';
import type { Logger } from './log';
import type { MailOptions } from './mail';
import { MIN_SOCKET_BUFFER_BYTES } from './send-buffer';

export interface GatewayOptions extends AttachmentOptions {
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
  /** Shared canned replies from `PARLEY_CANNED_REPLIES` (see console-tools/canned-file.ts); read-only for agents. */
  cannedReplies?: CannedReply[];
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
  /** Email: follow-ups, transcripts, replies by email (see mail/index.ts); absent, no email at all. */
  mail?: MailOptions;
  /** Business hours by site (`PARLEY_HOURS`, see business-hours.ts); a site without any is always inside them. */
  hours?: HoursConfig;
  /** Sites with a pre-chat form, and their privacy policy URL (`PARLEY_PRECHAT`, see prechat.ts). */
  prechat?: Record<string, string>;
  /** Auto-assignment (`PARLEY_ASSIGN`, `PARLEY_AGENT_CAPACITY`, `PARLEY_ASSIGN_GRACE_S`); default manual. */
  assignment?: AssignOptions;
}

/** Checks the options a gateway cannot start with; returns the abuse limits in force. Throws on the first mistake. */
export function checkOptions(options: GatewayOptions): Limits {
  checkAgents(options.agents);
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
  return limits;
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
