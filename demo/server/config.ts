import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type CannedReply, SITE_KEY } from '../../src/protocol';
import { AGENT_TOKEN_RULE, type AgentConfig } from './agents';
import { readAssignConfig } from './assign-config';
import type { AssignOptions } from './assignment';
import type { AttachmentOptions } from './attachments';
import { readAttachmentConfig } from './attachments/config';
import { type HoursConfig, parseHours } from './business-hours';
import { readCannedRepliesFile } from './console-tools/canned-file';
import { type Budget, DEFAULT_LIMITS, type Limits } from './limits';
import { LOG_LEVELS, type LogLevel } from './log';
import type { MailOptions } from './mail';
import { readMailConfig } from './mail/config';
import { parsePrechat } from './prechat';
import { DEFAULT_SOCKET_BUFFER_BYTES, MIN_SOCKET_BUFFER_BYTES } from './send-buffer';
import { DEFAULT_BUSY_TIMEOUT_MS } from './store/sqlite/store';

export interface Config {
  port: number;
  host: string;
  dbPath: string;
  dbSync: 'normal' | 'full';
  agents: AgentConfig[];
  /** `PARLEY_CANNED_REPLIES`: shared canned replies read from that JSON file (absent: none). */
  cannedReplies?: CannedReply[];
  /** True when the single agent's token was generated and must be printed. */
  generatedToken: boolean;
  /** `PARLEY_AGENT_TOKEN_FILE`: where the generated token is kept across restarts (default: `agent-token` beside `PARLEY_DB`). */
  agentTokenFile: string;
  origins: string[];
  /** `PARLEY_CONSOLE_ORIGINS`: origins besides the gateway's own that may open the agent namespace. */
  consoleOrigins: string[];
  /** Per-site secrets that sign user tokens (identity verification); empty when `PARLEY_SITE_SECRETS` is unset. */
  siteSecrets: Map<string, string>;
  /** `PARLEY_DB_BUSY_TIMEOUT_MS`. */
  dbBusyTimeoutMs: number;
  /** `PARLEY_LOG_LEVEL`. */
  logLevel: LogLevel;
  /** `DATABASE_URL`: PostgreSQL instead of SQLite (`PARLEY_DB` is then ignored). */
  databaseUrl?: string;
  /** `PARLEY_DB_SCHEMA`: the PostgreSQL schema holding Parley's tables (default: the connection's search path). */
  dbSchema?: string;
  /** `REDIS_URL`: fan-out and presence shared with other gateway processes; needs `DATABASE_URL`. */
  redisUrl?: string;
  /** `PARLEY_REDIS_PREFIX`: prefix of every Redis key and channel (absent: `parley`). */
  redisPrefix?: string;
  /** `PARLEY_TRUST_PROXY`: reverse proxies whose `X-Forwarded-For` entries are believed. */
  trustProxy: number;
  /**
   * `PARLEY_MAX_CONNECTIONS_PER_IP`, `PARLEY_MAX_TCP_CONNECTIONS_PER_IP`, `PARLEY_HANDSHAKES_PER_SECOND`,
   * `PARLEY_HANDSHAKES_PER_IP`, `PARLEY_RATE_SOCKET|SESSION|IP`.
   */
  limits: Limits;
  /** `PARLEY_MAX_SOCKET_BUFFER_KB`, in bytes: what one connection that does not read may have queued. */
  maxSocketBufferBytes: number;
  /** `PARLEY_MEMORY_BUDGET_MB`, in bytes; absent: the gateway's default (a share of V8's heap limit). */
  memoryBudgetBytes?: number;
  /** `PARLEY_EMPTY_SESSION_TTL_HOURS` (default 24): lifetime of an unused session that never stored a message. */
  emptySessionTtlMs: number;
  /** `PARLEY_SESSION_SWEEP_MINUTES` (default 10): how often expired sessions are deleted. */
  sessionSweepMs: number;
  /** `PARLEY_SMTP_URL` and the other email variables (mail/config.ts); absent: no email. */
  mail?: MailOptions;
  /** `PARLEY_HOURS`: business hours by site, read from that JSON file (see business-hours.ts); absent: none. */
  hours?: HoursConfig;
  /** `PARLEY_PRECHAT`: the sites with a pre-chat form, and their privacy policy URL (see prechat.ts); absent: none. */
  prechat?: Record<string, string>;
  /** `PARLEY_ASSIGN`, `PARLEY_AGENT_CAPACITY`, `PARLEY_ASSIGN_GRACE_S`. */
  assignment: AssignOptions;
  /** Uploads and downloads (`PARLEY_MAX_UPLOAD_MB`, `PARLEY_UPLOADS_DIR`, …; see attachments/config.ts). */
  attachments: AttachmentOptions;
}

/** Reads the gateway's environment (see docs/ARCHITECTURE.md). Throws an Error naming the bad variable. */
export function readConfig(env: NodeJS.ProcessEnv): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got "${env.PORT}"`);
  }
  const storage = readStorage(env);
  return {
    ...storage,
    ...readAgentConfig(env, storage.dbPath),
    ...readLimits(env),
    ...readAwayConfig(env),
    port,
    host: env.HOST?.trim() || '127.0.0.1',
    origins: list(env.PARLEY_ORIGINS),
    consoleOrigins: list(env.PARLEY_CONSOLE_ORIGINS),
    siteSecrets: env.PARLEY_SITE_SECRETS?.trim() ? parseSiteSecrets(env.PARLEY_SITE_SECRETS) : new Map(),
    logLevel: logLevel(env.PARLEY_LOG_LEVEL),
    trustProxy: integer(env, 'PARLEY_TRUST_PROXY', 0),
    emptySessionTtlMs: positive(env, 'PARLEY_EMPTY_SESSION_TTL_HOURS', 24) * 60 * 60 * 1000,
    sessionSweepMs: positive(env, 'PARLEY_SESSION_SWEEP_MINUTES', 10) * 60 * 1000,
    assignment: readAssignConfig(env),
    attachments: readAttachmentConfig(env),
  };
}

type StorageConfig = Pick<
  Config,
  'dbPath' | 'dbSync' | 'dbBusyTimeoutMs' | 'databaseUrl' | 'dbSchema' | 'redisUrl' | 'redisPrefix'
>;

/** Where data lives: SQLite (`PARLEY_DB*`), or PostgreSQL (`DATABASE_URL`) with Redis (`REDIS_URL`) for clusters. */
function readStorage(env: NodeJS.ProcessEnv): StorageConfig {
  const dbSync = (env.PARLEY_DB_SYNC ?? 'normal').toLowerCase();
  if (dbSync !== 'normal' && dbSync !== 'full') {
    throw new Error(`PARLEY_DB_SYNC must be "normal" or "full", got "${env.PARLEY_DB_SYNC}"`);
  }
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    throw new Error('DATABASE_URL must be a PostgreSQL URL (postgres://user:password@host:5432/database)');
  }
  const redisUrl = env.REDIS_URL?.trim() || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\//i.test(redisUrl)) {
    throw new Error('REDIS_URL must be a Redis URL (redis://host:6379 or rediss://…)');
  }
  if (redisUrl !== undefined && databaseUrl === undefined) {
    throw new Error(
      'REDIS_URL is set but DATABASE_URL is not: several gateway processes cannot share a SQLite file. Set DATABASE_URL=postgres://… as well, or unset REDIS_URL to run one process on SQLite',
    );
  }
  const dbSchema = env.PARLEY_DB_SCHEMA?.trim() || undefined;
  if (dbSchema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(dbSchema)) {
    throw new Error(`PARLEY_DB_SCHEMA must be lower-case letters, digits and _, got "${dbSchema.slice(0, 40)}"`);
  }
  const redisPrefix = env.PARLEY_REDIS_PREFIX?.trim() || undefined;
  if (redisPrefix !== undefined && !/^[\w.:-]{1,64}$/.test(redisPrefix)) {
    throw new Error(
      `PARLEY_REDIS_PREFIX must be 1 to 64 characters of A-Z a-z 0-9 _ . : -, got "${redisPrefix.slice(0, 40)}"`,
    );
  }
  return {
    ...(databaseUrl !== undefined ? { databaseUrl } : {}),
    ...(dbSchema !== undefined ? { dbSchema } : {}),
    ...(redisUrl !== undefined ? { redisUrl } : {}),
    ...(redisPrefix !== undefined ? { redisPrefix } : {}),
    dbPath: env.PARLEY_DB?.trim() || './data/parley.db',
    dbSync,
    dbBusyTimeoutMs: integer(env, 'PARLEY_DB_BUSY_TIMEOUT_MS', DEFAULT_BUSY_TIMEOUT_MS),
  };
}

/**
 * The agents (`PARLEY_AGENTS`, their avatars, or one generated token kept beside the database) and their shared
 * canned replies.
 */
function readAgentConfig(
  env: NodeJS.ProcessEnv,
  dbPath: string,
): Pick<Config, 'agents' | 'generatedToken' | 'agentTokenFile' | 'cannedReplies'> {
  const agents = env.PARLEY_AGENTS?.trim() ? parseAgents(env.PARLEY_AGENTS) : undefined;
  if (env.PARLEY_AGENT_AVATARS?.trim()) addAvatars(agents ?? [], env.PARLEY_AGENT_AVATARS);
  return {
    ...cannedReplies(env),
    agents: agents ?? [{ name: 'Agent', token: generateToken() }],
    generatedToken: agents === undefined,
    agentTokenFile: env.PARLEY_AGENT_TOKEN_FILE?.trim() || join(dirname(dbPath), 'agent-token'),
  };
}

/** Abuse and memory limits: connections, handshakes and event rates per socket/session/IP, buffers, the heap budget. */
function readLimits(env: NodeJS.ProcessEnv): Pick<Config, 'limits' | 'maxSocketBufferBytes' | 'memoryBudgetBytes'> {
  const maxSocketBufferKb = integer(env, 'PARLEY_MAX_SOCKET_BUFFER_KB', DEFAULT_SOCKET_BUFFER_BYTES / 1024);
  if (maxSocketBufferKb * 1024 < MIN_SOCKET_BUFFER_BYTES) {
    throw new Error(
      `PARLEY_MAX_SOCKET_BUFFER_KB must be at least ${MIN_SOCKET_BUFFER_BYTES / 1024} (two pages of replies), got "${maxSocketBufferKb}"`,
    );
  }
  const memoryBudgetMb = env.PARLEY_MEMORY_BUDGET_MB?.trim() ? integer(env, 'PARLEY_MEMORY_BUDGET_MB', 0) : undefined;
  if (memoryBudgetMb !== undefined && memoryBudgetMb < 1) {
    throw new Error('PARLEY_MEMORY_BUDGET_MB must be an integer >= 1 (megabytes)');
  }
  return {
    ...(memoryBudgetMb !== undefined ? { memoryBudgetBytes: memoryBudgetMb * 1024 * 1024 } : {}),
    maxSocketBufferBytes: maxSocketBufferKb * 1024,
    limits: {
      ...DEFAULT_LIMITS,
      connectionsPerIp: integer(env, 'PARLEY_MAX_CONNECTIONS_PER_IP', DEFAULT_LIMITS.connectionsPerIp),
      handshakesPerSecond: integer(env, 'PARLEY_HANDSHAKES_PER_SECOND', DEFAULT_LIMITS.handshakesPerSecond),
      handshakesPerIp: budget(env, 'PARLEY_HANDSHAKES_PER_IP', DEFAULT_LIMITS.handshakesPerIp),
      ...(env.PARLEY_MAX_TCP_CONNECTIONS_PER_IP?.trim()
        ? { tcpConnectionsPerIp: integer(env, 'PARLEY_MAX_TCP_CONNECTIONS_PER_IP', 0) }
        : {}),
      socket: budget(env, 'PARLEY_RATE_SOCKET', DEFAULT_LIMITS.socket),
      session: budget(env, 'PARLEY_RATE_SESSION', DEFAULT_LIMITS.session),
      ip: budget(env, 'PARLEY_RATE_IP', DEFAULT_LIMITS.ip),
    },
  };
}

/** Email (`PARLEY_SMTP_URL` …, see mail/config.ts) and business hours (`PARLEY_HOURS`), each only when set. */
function readAwayConfig(env: NodeJS.ProcessEnv): Pick<Config, 'mail' | 'hours' | 'prechat'> {
  const hours = env.PARLEY_HOURS?.trim() ? readHours(env.PARLEY_HOURS.trim()) : undefined;
  const mail = readMailConfig(env);
  const prechat = env.PARLEY_PRECHAT?.trim() ? parsePrechat(env.PARLEY_PRECHAT) : undefined;
  return {
    ...(mail !== undefined ? { mail } : {}),
    ...(hours !== undefined ? { hours } : {}),
    ...(prechat !== undefined ? { prechat } : {}),
  };
}

/** The business hours file named by `PARLEY_HOURS`; its errors name the variable and the file. */
function readHours(path: string): HoursConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`PARLEY_HOURS: cannot read JSON from "${path}": ${(err as Error).message}`);
  }
  try {
    return parseHours(json);
  } catch (err) {
    throw new Error(`PARLEY_HOURS (${path}): ${(err as Error).message}`);
  }
}

/** `PARLEY_CANNED_REPLIES`: the file's replies, when set. */
function cannedReplies(env: NodeJS.ProcessEnv): { cannedReplies?: CannedReply[] } {
  const path = env.PARLEY_CANNED_REPLIES?.trim();
  return path ? { cannedReplies: readCannedRepliesFile(path) } : {};
}

/** 24 random base64url characters; drawn again in the (about 1 in 10^10) case it has too few different ones. */
export function generateToken(): string {
  for (;;) {
    const token = randomBytes(18).toString('base64url');
    if (new Set(token).size >= AGENT_TOKEN_RULE.minDistinct) return token;
  }
}

/** A comma-separated list; blanks dropped. */
function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** A non-negative integer variable; blank means the default. */
function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new Error(`${name} must be an integer >= 0, got "${raw.slice(0, 40)}"`);
  }
  return value;
}

/** An integer variable >= 1; blank means the default. */
function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = integer(env, name, fallback);
  if (value < 1) throw new Error(`${name} must be an integer >= 1, got "${env[name]?.trim()}"`);
  return value;
}

/** `BURST/PER_SECOND` (e.g. `200/20`: 200 events at once, then 20 a second), or `off`; blank means the default. */
function budget(env: NodeJS.ProcessEnv, name: string, fallback: Budget | false): Budget | false {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === 'off' || raw === '0') return false;
  const match = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(raw);
  const burst = Number(match?.[1]);
  const perSecond = Number(match?.[2]);
  if (!match || burst < 1 || !(perSecond > 0)) {
    throw new Error(`${name} must be BURST/PER_SECOND (e.g. 200/20) or off, got "${raw.slice(0, 40)}"`);
  }
  return { burst, perSecond };
}

function logLevel(raw: string | undefined): LogLevel {
  const level = (raw?.trim() || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`PARLEY_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${level.slice(0, 40)}"`);
  }
  return level as LogLevel;
}

/** Parses `name:token,name:token`; the token is everything after the first colon. */
export function parseAgents(value: string): AgentConfig[] {
  const agents: AgentConfig[] = [];
  const entries = value.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const name = colon === -1 ? '' : entry.slice(0, colon).trim();
    const token = colon === -1 ? '' : entry.slice(colon + 1).trim();
    // Never echo the entry: it may hold a token.
    if (!name || !token) {
      throw new Error(
        `PARLEY_AGENTS entry ${index + 1} is malformed: expected name:token, e.g. Ana:<24+ random characters>,Ben:<…>`,
      );
    }
    if (agents.some((agent) => agent.name === name)) {
      throw new Error(`PARLEY_AGENTS names agent "${name}" twice`);
    }
    agents.push({ name, token });
  });
  return agents;
}

/**
 * Parses `name=https://…,name=https://…` onto the configured agents. Only `https:` URLs: the image loads in the
 * visitor's page, which must not fetch mixed content, and the site's CSP must allow the host in `img-src`.
 */
export function addAvatars(agents: AgentConfig[], value: string): void {
  value.split(',').forEach((entry, index) => {
    const eq = entry.indexOf('=');
    const name = entry.slice(0, Math.max(eq, 0)).trim();
    const agent = agents.find((a) => a.name === name);
    if (!agent) {
      throw new Error(
        `PARLEY_AGENT_AVATARS entry ${index + 1} names no agent of PARLEY_AGENTS: expected name=https://…, e.g. Ana=https://example.com/ana.png`,
      );
    }
    let url: URL | undefined;
    try {
      url = new URL(entry.slice(eq + 1).trim());
    } catch {}
    if (url?.protocol !== 'https:' || url.username || url.password) {
      throw new Error(`PARLEY_AGENT_AVATARS: the avatar of "${name}" must be an https: URL without credentials`);
    }
    agent.avatar = url.href;
  });
}

/** The shortest secret accepted for signing user tokens: HS256 wants at least 256 bits of key. */
export const MIN_SITE_SECRET_LENGTH = 32;

/**
 * Parses `site:secret,site:secret`. The secret is everything after the first colon (so a site id cannot contain one,
 * and a secret cannot contain a comma) and must be at least `MIN_SITE_SECRET_LENGTH` characters. Errors name the
 * entry and the site, never the secret.
 */
export function parseSiteSecrets(value: string): Map<string, string> {
  const secrets = new Map<string, string>();
  const entries = value.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const site = colon === -1 ? '' : entry.slice(0, colon).trim();
    const secret = colon === -1 ? '' : entry.slice(colon + 1).trim();
    if (!site || !secret) {
      throw new Error(
        `PARLEY_SITE_SECRETS entry ${index + 1} is malformed: expected site:secret, e.g. acme:<${MIN_SITE_SECRET_LENGTH}+ random characters>`,
      );
    }
    if (!SITE_KEY.test(site)) {
      throw new Error(
        `PARLEY_SITE_SECRETS entry ${index + 1} is malformed: the site must be 1 to 64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit`,
      );
    }
    if (secret.length < MIN_SITE_SECRET_LENGTH) {
      throw new Error(
        `PARLEY_SITE_SECRETS: the secret of site "${site}" is too short: use at least ${MIN_SITE_SECRET_LENGTH} random characters (e.g. openssl rand -base64 32)`,
      );
    }
    if (secrets.has(site)) throw new Error(`PARLEY_SITE_SECRETS names site "${site}" twice`);
    secrets.set(site, secret);
  });
  return secrets;
}
