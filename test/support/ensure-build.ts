import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** End-to-end tests run against what we ship: dist/. Build it when a run starts without one. */
export default function setup(): void {
  const built = [`dist/server/main.js`, `dist/parley.js`, `demo/server/dist/server/main.js`];
  if (built.every((f) => existsSync(`${root}/${f}`))) return;
  execFileSync(process.execPath, ['build.mjs'], { cwd: root, stdio: 'inherit' });
}
