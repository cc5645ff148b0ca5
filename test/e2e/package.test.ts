// What we ship, as users install it: the ESM build's surface, and the two npm packages packed from this repository
// and installed into empty folders, as a bundler user (`npm i parley`) and a site owner (`npx parley-gateway`) would.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = (p: string) => path.join(root, 'dist', p);
const SERVER_PACKAGES = [
  'better-sqlite3',
  'pg',
  'redis',
  'socket.io',
  'pino',
  'jose',
  'valibot',
  '@socket.io/redis-adapter',
];

describe('what we ship', () => {
  it('the ESM build exports mount, with TypeScript declarations for the API and its events', async () => {
    const mod = await import(dist('esm/index.js'));
    expect(Object.keys(mod)).toEqual(['mount']);
    const types = readFileSync(dist('esm/index.d.ts'), 'utf8');
    expect(types).toMatch(/export declare function mount\(options\?: MountOptions\): ParleyApi;/);
    expect(types).toMatch(/export type \{ ParleyEvent, ParleyEvents \}/);
    const api = readFileSync(dist('esm/loader/mount.d.ts'), 'utf8');
    for (const method of ['open', 'close', 'toggle', 'send', 'identify', 'on', 'unreadCount', 'shutdown', 'destroy'])
      expect(api).toContain(`    ${method}`);
  });

  it('package.json points bundlers at the ESM build and its types, and exports the protocol as a subpath', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.exports['.']).toEqual({ types: './dist/esm/index.d.ts', import: './dist/esm/index.js' });
    expect(pkg.exports['./protocol']).toEqual({ types: './dist/esm/protocol.d.ts', import: './dist/esm/protocol.js' });
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['idb-keyval', 'preact']);
  });
});

describe('the packed packages, installed into empty folders', () => {
  let work: string;
  const tarballs: Record<'widget' | 'gateway', string> = { widget: '', gateway: '' };
  const npm = (cwd: string, args: string[]) =>
    execFileSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd, encoding: 'utf8' });

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'parley-pack-'));
    // The e2e set-up has built dist/ already; skipping prepack keeps a rebuild from touching files other tests serve.
    const pack = (args: string[]) =>
      JSON.parse(npm(root, ['pack', '--json', '--ignore-scripts', '--pack-destination', work, ...args]))[0].filename;
    tarballs.widget = path.join(work, pack([]));
    tarballs.gateway = path.join(work, pack(['--workspace', 'demo/server']));
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('parley installs the widget with no server dependency, and its protocol module imports alone', () => {
    const dir = path.join(work, 'widget-user');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'package.json'), '{ "name": "widget-user", "private": true, "type": "module" }');
    npm(dir, ['install', tarballs.widget]);
    const installed = SERVER_PACKAGES.filter((name) => existsSync(path.join(dir, 'node_modules', name)));
    expect(installed).toEqual([]);
    expect(existsSync(path.join(dir, 'node_modules/parley/dist/parley.js'))).toBe(true);
    const version = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "import('parley/protocol').then((m) => console.log(m.PROTOCOL_VERSION))"],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(Number(version)).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('@parley/gateway runs with npx from its tarball alone: /healthz, the widget, its chunks and /agent', async () => {
    const dir = path.join(work, 'site-owner');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'package.json'), '{ "name": "site-owner", "private": true }');
    // Compiles better-sqlite3 where no prebuilt binary can be downloaded: minutes on a busy 2-core machine.
    npm(dir, ['install', tarballs.gateway]);
    // pg and redis are loaded only for DATABASE_URL / REDIS_URL: a SQLite gateway starts without them.
    for (const name of ['pg', 'redis', '@socket.io/redis-adapter'])
      rmSync(path.join(dir, 'node_modules', name), { recursive: true, force: true });

    const gw = await startGateway({
      script: path.join(dir, 'node_modules/.bin/parley-gateway'),
      cwd: dir,
      env: { PARLEY_DB: path.join(dir, 'data/parley.db'), PARLEY_AGENTS: 'Ana:pack-test-token-0123456789abcdef' },
    });
    try {
      const get = async (p: string) => {
        const res = await fetch(new URL(p, gw.url));
        return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
      };
      expect((await get('/healthz')).status).toBe(200);
      const widget = await get('/parley.js');
      expect(widget.status).toBe(200);
      expect(widget.type).toMatch(/javascript/);
      const chunk = widget.body.match(/chunks\/app-[\w-]+\.js/)?.[0];
      expect(chunk).toBeDefined();
      expect((await get(`/${chunk}`)).status).toBe(200);
      const agent = await get('/agent');
      expect(agent.status).toBe(200);
      expect(agent.body).toMatch(/console/);
      expect(existsSync(path.join(dir, 'data/parley.db'))).toBe(true);
    } finally {
      await gw.stop();
    }
  }, 600_000);
});
