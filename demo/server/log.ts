import { pino } from 'pino';

/**
 * Structured logging with pino: one JSON line per event on stderr, `{ level, time, msg, ...fields }`.
 *
 * Never pass message bodies or tokens as fields. As a second line of defence every line is scrubbed before it is
 * written: fields whose name looks secret (`token`, `secret`, `password`, `authorization`, `cookie`, `auth`,
 * `session`, `text`, `body`) are replaced by `[redacted]`, and so are values anywhere (error messages and stacks
 * included) that look like a JWT, a bearer header, or a long opaque token or hash.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export const REDACTED = '[redacted]';

/**
 * A logger writing JSON lines through `write` (stderr, synchronously, by default, so the last lines before a crash
 * are not lost), dropping levels below `level`.
 */
export function createLogger(level: LogLevel = 'info', write?: (line: string) => void): Logger {
  const destination = write ? { write } : pino.destination({ dest: 2, sync: true });
  const base = pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Errors are already plain objects (see `scrub`); pino's own serializer would retype them.
      serializers: { err: (err: unknown) => err },
    },
    destination,
  );
  const method =
    (name: Exclude<LogLevel, 'silent'>) =>
    (msg: string, fields?: LogFields): void => {
      if (!base.isLevelEnabled(name)) return;
      if (fields) base[name](scrub(fields, 0) as object, scrubString(msg));
      else base[name](scrubString(msg));
    };
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
}

/** Discards everything; for tests. */
export const silentLogger: Logger = createLogger('silent', () => {});

/** Counts of events by reason, logged as one warning a second rather than a line each (refusals under a storm). */
export interface Tally {
  count(reason: string): void;
  /** Drops what is not logged yet and stops the timer. */
  close(): void;
}

export function createTally(logger: Logger, msg: string, windowMs = 1000): Tally {
  const counts = new Map<string, number>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    count(reason) {
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
      timer ??= setTimeout(() => {
        logger.warn(msg, { ...Object.fromEntries(counts), windowMs });
        counts.clear();
        timer = undefined;
      }, windowMs);
      timer.unref?.();
    },
    close() {
      if (timer) clearTimeout(timer);
      counts.clear();
    },
  };
}

const SECRET_KEY = /token|secret|passw|authoriz|cookie|^auth$|^session$|^text$|^body$/i;
const SECRET_VALUE = new RegExp(
  [
    // JWTs (a site's user token): base64url header starting with {"
    String.raw`eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*`,
    // Authorization headers
    String.raw`\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+`,
    // Session tokens (43 characters of base64url), SHA-256 hashes and other long opaque strings
    '[A-Za-z0-9_-]{40,}',
  ].join('|'),
  'g',
);
const MAX_DEPTH = 6;
const MAX_STRING = 4000;
const MAX_ITEMS = 50;

function scrubString(value: string): string {
  const short = value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  return short.replace(SECRET_VALUE, REDACTED);
}

/** A copy of `value` safe to log: secrets out, errors as plain objects, bounded in depth and size. */
function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function'
      ? String(value)
      : value;
  }
  if (depth >= MAX_DEPTH) return '[nested]';
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: scrubString(value.message) };
    const { code } = value as { code?: unknown };
    if (typeof code === 'string' || typeof code === 'number') out.code = code;
    if (value.stack) out.stack = scrubString(value.stack);
    if (value.cause !== undefined) out.cause = scrub(value.cause, depth + 1);
    return out;
  }
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((item) => scrub(item, depth + 1));
  // fromEntries defines own properties, so a key named `__proto__` stays a plain key.
  return Object.fromEntries(
    Object.keys(value)
      .slice(0, MAX_ITEMS)
      .map((key) => [key, SECRET_KEY.test(key) ? REDACTED : scrub((value as Record<string, unknown>)[key], depth + 1)]),
  );
}
