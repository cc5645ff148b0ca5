import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html' };

export interface HostSite {
  url: string;
  close(): Promise<void>;
}

/**
 * A site owner's own web server, on another origin than the gateway: serves the given pages (path → HTML, plus
 * optional headers such as a CSP) and the built widget at /parley.js and /chunks/*, the way a site that self-hosts
 * the script would.
 */
export async function startHostSite(
  pages: Record<string, string | { html: string; headers?: Record<string, string> }>,
): Promise<HostSite> {
  const server: Server = createServer(async (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    const page = pages[pathname];
    if (page !== undefined) {
      const { html, headers } = typeof page === 'string' ? { html: page, headers: {} } : page;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...headers });
      return res.end(html);
    }
    if (pathname === '/parley.js' || /^\/chunks\/[\w.-]+\.js$/.test(pathname)) {
      try {
        const body = await readFile(path.join(dist, pathname));
        res.writeHead(200, { 'content-type': `${TYPES[path.extname(pathname)]}; charset=utf-8` });
        return res.end(body);
      } catch {}
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A plain host page embedding the widget with the given data attributes. */
export function hostPage(attrs: Record<string, string>, head = '', body = '<h1>Host page</h1>'): string {
  const data = Object.entries(attrs)
    .map(([k, v]) => ` data-${k}="${v.replace(/"/g, '&quot;')}"`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>${head}</head><body>${body}<script async src="/parley.js"${data}></script></body></html>`;
}
