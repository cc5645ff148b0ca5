import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
const fixtures = fileURLToPath(new URL('../e2e/fixtures/', import.meta.url));
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html' };

/** The strict policy of the brief; the gateway is another origin, reached over ws:. */
export const STRICT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:";

export interface HostSite {
  url: string;
  /** The gateway URL written into the fixtures; set it once the gateway runs (it must know this site's origin). */
  gateway: string;
  close(): Promise<void>;
}

/**
 * A site owner's own web server, on another origin than the gateway: serves the given pages (path → HTML, plus
 * optional headers such as a CSP), the files of test/e2e/fixtures (both with {{GATEWAY}} replaced; csp.html under a strict
 * Content-Security-Policy) and the built widget at /parley.js and /chunks/*, as a site that self-hosts the script.
 */
export async function startHostSite(
  pages: Record<string, string | { html: string; headers?: Record<string, string> }> = {},
  gateway = '',
): Promise<HostSite> {
  const site = { gateway };
  const server: Server = createServer(async (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    // Browsers ask for it on their own; a 404 would show as a console error in the tests that count those.
    if (pathname === '/favicon.ico') return res.writeHead(204).end();
    const page = pages[pathname];
    if (page !== undefined) {
      const { html, headers } = typeof page === 'string' ? { html: page, headers: {} } : page;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...headers });
      return res.end(html.replaceAll('{{GATEWAY}}', site.gateway));
    }
    const widgetFile = pathname === '/parley.js' || /^\/chunks\/[\w.-]+\.js$/.test(pathname);
    const fixture = /^\/[\w-]+\.(html|css|js)$/.test(pathname);
    if (widgetFile || fixture) {
      try {
        const body = await readFile(widgetFile ? path.join(dist, pathname) : path.join(fixtures, pathname), 'utf8');
        const headers: Record<string, string> = { 'content-type': `${TYPES[path.extname(pathname)]}; charset=utf-8` };
        if (pathname === '/csp.html') headers['content-security-policy'] = STRICT_CSP;
        res.writeHead(200, headers);
        return res.end(widgetFile ? body : body.replaceAll('{{GATEWAY}}', site.gateway));
      } catch {}
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(site, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** A plain host page embedding the widget with the given data attributes. */
export function hostPage(attrs: Record<string, string>, head = '', body = '<h1>Host page</h1>'): string {
  const data = Object.entries(attrs)
    .map(([k, v]) => ` data-${k}="${v.replace(/"/g, '&quot;')}"`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>${head}</head><body>${body}<script async src="/parley.js"${data}></script></body></html>`;
}
