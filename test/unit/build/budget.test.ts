import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error build.mjs is plain JavaScript without declarations
import { checkBudgets } from '../../../build.mjs';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('size budgets', () => {
  it('accepts files within the budgets and names each one exceeded', () => {
    const files = [
      { name: 'parley.js', gzip: 5000 },
      { name: 'chunks/app-X.js', gzip: 15000 },
    ];
    expect(checkBudgets(files, { firstLoad: 8192, total: 25600 })).toEqual([]);
    expect(checkBudgets(files, { firstLoad: 4000, total: 19000 })).toEqual([
      'first load (parley.js) is 5000 B gzip -9, over its budget of 4000 B',
      'whole widget is 20000 B gzip -9, over its budget of 19000 B',
    ]);
  });

  it('fails the real build when a budget is exceeded', () => {
    const r = spawnSync(process.execPath, ['build.mjs'], {
      cwd: root,
      env: {
        ...process.env,
        PARLEY_BUDGET_FIRSTLOAD: '100',
        PARLEY_DIST: mkdtempSync(path.join(tmpdir(), 'parley-dist-')),
      },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /size budget exceeded: first load \(parley\.js\) is \d+ B gzip -9, over its budget of 100 B/,
    );
    expect(r.stdout).toMatch(/parley\.js\s+[\d.]+ KB\s+[\d.]+ KB\s+[\d.]+ KB/);
  }, 120_000);
});
