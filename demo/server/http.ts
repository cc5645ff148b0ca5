import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import type { Logger } from './log';

export interface HttpOptions {
  /** The build output directory (`dist/`). */
  distDir: string;
  /** Extra fields for `/healthz`. */
  health: () => Record<string, unknown>;
  logger: Logger;
  /** Routes served before the static files (attachments, the inbound email webhook); true when one answered. */
  routes?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

const CSP_BASE =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'";

// The console talks to the gateway that served it and nothing else; CSP Level 3's 'self' covers ws: and wss: to the
// same host (Chromium, Firefox, and WebKit since 2022).
const CSP_CONSOLE =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
// esbuild's `[name]-[hash]` chunk names: the hash is 8+ upper-case letters and digits.
const HASHED_NAME = /-[A-Z0-9]{8,}\.[a-z0-9.]+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface Route {
  dir: string;
  name: string;
  cors?: boolean;
  csp?: string;
  cache?: string;
}

/** The HTTP request listener: static files of the build, the demo pages and `/healthz`. Everything else is 404. */
export function createHttpHandler(options: HttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const dist = resolve(options.distDir);

  const route = (pathname: string): Route | undefined => {
    if (pathname === '/parley.js' || pathname === '/parley.js.map') {
      return { dir: dist, name: pathname.slice(1), cors: true };
    }
    if (pathname === '/') return { dir: join(dist, 'pages'), name: 'index.html', csp: CSP_BASE };
    if (pathname === '/agent') {
      return { dir: join(dist, 'pages'), name: 'agent.html', csp: CSP_CONSOLE };
    }
    const [, folder, name, ...rest] = pathname.split('/');
    // Assets of the demo pages (e.g. /demo.css); pages themselves only through their routes, with their CSP.
    if (folder !== undefined && name === undefined && !folder.endsWith('.html')) {
      return { dir: join(dist, 'pages'), name: folder };
    }
    if (rest.length > 0 || name === undefined) return undefined;
    // Module chunks are fetched in CORS mode by host pages on other origins.
    if (folder === 'chunks') return { dir: join(dist, 'chunks'), name, cors: true, cache: cacheFor(name) };
    if (folder === 'console') return { dir: join(dist, 'console'), name, cache: cacheFor(name) };
    return undefined;
  };

  return (req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (options.routes?.(req, res)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed');
    }
    const pathname = (req.url ?? '/').split('?', 1)[0]!;
    if (pathname === '/healthz') {
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      return send(res, 200, JSON.stringify({ ok: true, ...options.health() }));
    }
    const target = route(pathname);
    if (!target) return send(res, 404, 'not found');
    serveFile(req, res, target, pathname === '/favicon.ico').catch((err: unknown) => {
      options.logger.error('static file failed', { path: pathname.slice(0, 200), err });
      if (!res.headersSent) send(res, 500, 'internal error');
      else res.destroy();
    });
  };
}

function cacheFor(name: string): string {
  return HASHED_NAME.test(name) ? IMMUTABLE : 'no-cache';
}

/** Resolves `name` inside `dir` only: a safe character set, no leading dot, and a final containment check. */
function locate(dir: string, name: string): string | undefined {
  if (!SAFE_NAME.test(name)) return undefined;
  const path = resolve(dir, name);
  return path.startsWith(dir + sep) ? path : undefined;
}

async function serveFile(req: IncomingMessage, res: ServerResponse, route: Route, optional = false): Promise<void> {
  const path = locate(route.dir, route.name);
  const type = TYPES[extname(route.name)];
  const file = path && type ? await fileStat(path) : undefined;
  if (!path || !type || !file) {
    if (!optional) return send(res, 404, 'not found');
    // Browsers fetch /favicon.ico by themselves; a 404 would print an error in the demo page's console.
    res.statusCode = 204;
    res.setHeader('Cache-Control', 'max-age=86400');
    res.end();
    return;
  }

  let body = path;
  let size = file.size;
  let encoding: 'br' | 'gzip' | undefined;
  for (const candidate of accepted(req.headers['accept-encoding'])) {
    const compressed = await fileStat(`${path}.${candidate === 'gzip' ? 'gz' : 'br'}`);
    // A stale precompressed copy (older than the file) would serve old code.
    if (compressed && compressed.mtimeMs >= file.mtimeMs) {
      body = `${path}.${candidate === 'gzip' ? 'gz' : 'br'}`;
      size = compressed.size;
      encoding = candidate;
      break;
    }
  }

  const etag = `"${file.size.toString(36)}-${Math.trunc(file.mtimeMs).toString(36)}${encoding ? `-${encoding}` : ''}"`;
  res.setHeader('Content-Type', type);
  res.setHeader('Vary', 'Accept-Encoding');
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', route.cache ?? 'no-cache');
  if (route.cors) {
    res.setHeader('Access-Control-Allow-Origin', '*');
    // Host pages that isolate themselves (COEP require-corp) may still load the widget.
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  }
  if (route.csp) {
    res.setHeader('Content-Security-Policy', route.csp);
    res.setHeader('Referrer-Policy', 'no-referrer');
  }
  if (encoding) res.setHeader('Content-Encoding', encoding);

  if (matches(req.headers['if-none-match'], etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader('Content-Length', size);
  res.statusCode = 200;
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(body);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

async function fileStat(path: string): Promise<Stats | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Precompressed encodings the client accepts, best first. */
function accepted(header: string | undefined): ('br' | 'gzip')[] {
  if (!header) return [];
  const ok = new Set<string>();
  for (const part of header.split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) continue;
    if (token) ok.add(token);
  }
  return (['br', 'gzip'] as const).filter((encoding) => ok.has(encoding));
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

// Node omits the body of a HEAD response by itself.
function send(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
