import type { IncomingHttpHeaders } from 'node:http';
import { SITE_KEY } from '../../src/protocol';

/**
 * Which browser origins may open a socket, judged by the handshake's `Origin` header. Requests without one come from
 * non-browser clients (tests, the benchmarks, scripts), which could send any `Origin` they like, so they are allowed:
 * the header protects visitors' and agents' browsers from pages on other origins, not the gateway from programs.
 */
export interface OriginPolicy {
  /**
   * A visitor handshake claiming `site`. Without `site`, whether the origin may open a chat at all (checked before any
   * other work; the site is only known once the handshake's `auth` is parsed).
   */
  visitorAllowed(headers: IncomingHttpHeaders, site?: string): boolean;
  /** An agent handshake: the gateway's own origin (where it serves `/agent`) or one of the console origins. */
  agentAllowed(headers: IncomingHttpHeaders): boolean;
  /** What Socket.IO's `cors.origin` needs for long-polling from other origins; undefined: same-origin only. */
  cors: true | string[] | undefined;
}

export interface OriginOptions {
  /**
   * `PARLEY_ORIGINS` entries: an origin (`https://shop.example`), `*` for any, or `site=origin` to bind a site to
   * origins. Empty: only pages served by the gateway itself.
   */
  origins?: readonly string[];
  /** `PARLEY_CONSOLE_ORIGINS`: origins besides the gateway's own that may open the agent namespace. */
  consoleOrigins?: readonly string[];
}

/**
 * Builds the policy; throws on an entry that is not an http(s) origin (or `site=origin` with a bad site).
 *
 * A site named in a `site=origin` entry may be claimed only from the origins it is named with, and such an origin
 * may claim only the sites it is named with. Plain entries allow any site not bound elsewhere.
 */
export function createOriginPolicy(options: OriginOptions): OriginPolicy {
  const plain = new Set<string>();
  const sitesOf = new Map<string, Set<string>>();
  const originsOf = new Map<string, Set<string>>();
  for (const entry of options.origins ?? []) {
    const equals = entry.indexOf('=');
    if (equals === -1) {
      plain.add(normalizeOrigin(entry, entry));
      continue;
    }
    const site = entry.slice(0, equals).trim();
    const origin = normalizeOrigin(entry.slice(equals + 1), entry);
    if (!SITE_KEY.test(site) || origin === '*') {
      throw new Error(`invalid origin entry "${entry}": expected site=origin, e.g. acme=https://acme.example`);
    }
    add(sitesOf, origin, site);
    add(originsOf, site, origin);
  }
  const anyOrigin = plain.has('*');
  const configured = plain.size + sitesOf.size > 0;
  const consoles = new Set((options.consoleOrigins ?? []).map((entry) => normalizeOrigin(entry, entry)));
  if (consoles.has('*')) throw new Error('console origins cannot be "*": name each origin that serves a console');

  const known = (origin: string, site: string | undefined): boolean => {
    const boundOrigins = site === undefined ? undefined : originsOf.get(site);
    if (boundOrigins) return boundOrigins.has(origin);
    const boundSites = sitesOf.get(origin);
    if (boundSites) return site === undefined || boundSites.has(site);
    return anyOrigin || plain.has(origin);
  };
  const browserOrigins = [...new Set([...plain, ...sitesOf.keys(), ...consoles])].filter((origin) => origin !== '*');

  return {
    visitorAllowed(headers, site) {
      const origin = headers.origin;
      if (origin === undefined) return true;
      if (!configured) return sameOrigin(origin, headers.host);
      return known(safeOrigin(origin) ?? '', site);
    },
    agentAllowed(headers) {
      const origin = headers.origin;
      if (origin === undefined) return true;
      return sameOrigin(origin, headers.host) || consoles.has(safeOrigin(origin) ?? '');
    },
    // Only long-polling needs CORS; same-origin pages need none, and the namespaces check every handshake's origin.
    cors: anyOrigin ? true : browserOrigins.length > 0 ? browserOrigins : undefined,
  };
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  const values = map.get(key) ?? new Set<string>();
  values.add(value);
  map.set(key, values);
}

function normalizeOrigin(origin: string, entry: string): string {
  if (origin.trim() === '*') return '*';
  const normal = safeOrigin(origin.trim());
  if (!normal) throw new Error(`invalid origin "${entry.trim()}": expected e.g. https://shop.example`);
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
