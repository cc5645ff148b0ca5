import type { IncomingHttpHeaders } from 'node:http';

/** Which browser origins may open a socket (the `Origin` header of the handshake). */
export interface OriginPolicy {
  /** A visitor handshake. Requests without an `Origin` header (non-browser clients) are allowed. */
  visitorAllowed(headers: IncomingHttpHeaders): boolean;
  /** What Socket.IO's `cors.origin` needs for long-polling from other origins; undefined: same-origin only. */
  cors: true | string[] | undefined;
}

/**
 * `origins`: the origins allowed to open a visitor socket (e.g. `https://shop.example`); `*` allows any. Empty: only
 * pages served by the gateway itself. Throws on an entry that is not an http(s) origin.
 */
export function createOriginPolicy(origins: readonly string[]): OriginPolicy {
  const normal = origins.map(normalizeOrigin);
  const anyOrigin = normal.includes('*');
  const allowed = new Set(normal);
  return {
    visitorAllowed(headers) {
      const origin = headers.origin;
      if (origin === undefined) return true;
      if (anyOrigin) return true;
      if (allowed.size > 0) return allowed.has(safeOrigin(origin) ?? '');
      return sameOrigin(origin, headers.host);
    },
    // Only long-polling needs CORS; same-origin pages need none, and WebSockets are checked by origin in the handshake.
    cors: allowed.size === 0 ? undefined : anyOrigin ? true : [...allowed],
  };
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
