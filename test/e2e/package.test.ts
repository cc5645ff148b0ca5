import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = (p: string) => fileURLToPath(new URL(`../../dist/${p}`, import.meta.url));

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

  it('package.json points bundlers at the ESM build and its types', () => {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'));
    expect(pkg.exports['.']).toEqual({ types: './dist/esm/index.d.ts', import: './dist/esm/index.js' });
  });
});
