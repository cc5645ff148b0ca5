// @vitest-environment node
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fixture, startGateway } from '../../support/in-process-gateway';

let fx: Fixture;
const WIDGET = 'console.log("parley");'.repeat(20);

beforeAll(async () => {
  fx = await startGateway();
  const dist = join(fx.dir, 'dist');
  for (const sub of ['chunks', 'pages', 'console', 'server']) await mkdir(join(dist, sub), { recursive: true });
  await writeFile(join(dist, 'parley.js'), WIDGET);
  await writeFile(join(dist, 'parley.js.gz'), gzipSync(WIDGET));
  await writeFile(join(dist, 'parley.js.br'), brotliCompressSync(WIDGET));
  await writeFile(join(dist, 'chunks', 'app-7QK2ZJ4M.js'), 'export const app = 1;');
  await writeFile(join(dist, 'chunks', 'loader.js'), 'export const loader = 1;');
  await writeFile(join(dist, 'pages', 'index.html'), '<!doctype html><title>demo</title>');
  await writeFile(join(dist, 'pages', 'agent.html'), '<!doctype html><title>agent</title>');
  await writeFile(join(dist, 'console', 'main.css'), 'body{}');
  await writeFile(join(dist, 'pages', 'demo.css'), 'main{}');
  await writeFile(join(dist, 'server', 'main.js'), 'secret server code');
  await writeFile(join(fx.dir, 'outside.txt'), 'outside the dist dir');
});
afterAll(async () => {
  await fx.stop();
});

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  raw: Buffer;
}

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(fx.url);
    // A raw path: a URL string would be normalised (`/chunks/..` → `/`) before it ever reached the server.
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8'), raw });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('http', () => {
  it('reports health as JSON with connection counts', async () => {
    const { socket } = await fx.visitor();
    await fx.agent();
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ ok: true, visitors: 1, agents: 1 });
    expect(typeof body.uptime).toBe('number');
    socket.close();
  });

  it('serves the widget with CORS, nosniff, no-cache and an ETag that yields 304', async () => {
    const res = await get('/parley.js');
    expect(res.status).toBe(200);
    expect(res.body).toBe(WIDGET);
    expect(res.headers).toMatchObject({
      'content-type': 'text/javascript; charset=utf-8',
      'access-control-allow-origin': '*',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
      vary: 'Accept-Encoding',
    });
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^".+"$/);
    const again = await get('/parley.js', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    const head = await get('/parley.js', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(WIDGET.length));
    expect(head.body).toBe('');
  });

  it('serves precompressed variants when accepted', async () => {
    const br = await get('/parley.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.raw.length).toBeLessThan(WIDGET.length);
    const gz = await get('/parley.js', { 'accept-encoding': 'gzip, br;q=0' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.etag).not.toBe(br.headers.etag);
    const plain = await get('/parley.js', { 'accept-encoding': 'identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
  });

  it('serves chunks to other origins, caching hashed names for good', async () => {
    const hashed = await get('/chunks/app-7QK2ZJ4M.js');
    expect(hashed.status).toBe(200);
    expect(hashed.headers['access-control-allow-origin']).toBe('*');
    expect(hashed.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(hashed.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const plain = await get('/chunks/loader.js');
    expect(plain.headers['cache-control']).toBe('no-cache');
    expect(plain.headers['access-control-allow-origin']).toBe('*');
  });

  it('serves the demo page and the agent console with a strict CSP', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'",
    );
    const agent = await get('/agent');
    expect(agent.body).toContain('<title>agent</title>');
    // The console may connect to the gateway that served it only, not to `ws:`/`wss:` anywhere.
    expect(agent.headers['content-security-policy']).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
    );
    const css = await get('/console/main.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const demoCss = await get('/demo.css');
    expect(demoCss.body).toBe('main{}');
    expect(demoCss.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers 404 for unknown paths and never leaves the served folders', async () => {
    for (const path of [
      '/nope',
      '/server/main.js',
      '/chunks/../server/main.js',
      '/chunks/..',
      '/chunks/%2e%2e%2fserver%2fmain.js',
      '/console/..%2f..%2foutside.txt',
      '/chunks/.hidden',
      '/chunks/',
      '/console/main.css/extra',
      '/parley.js.gz',
      '/agent/',
      '/index.html',
      '/agent.html',
      '/..',
      '/.env',
      '/pages',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain('secret');
    }
  });

  it('answers a missing favicon with 204, so the demo page logs no error', async () => {
    const res = await get('/favicon.ico');
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
  });

  it('allows only GET and HEAD', async () => {
    const res = await get('/parley.js', {}, 'POST');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});
