// `npm test`: typecheck, lint, build (with size budgets), then every vitest project (unit and end-to-end).
// Ends with one plain line, `N passed, N failed`, derived from vitest's JSON report plus the three checks above.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const report = path.join(root, 'test-results', 'vitest.json');

function step(label, cmd, args) {
  console.log(`\n▶ ${label}: ${[path.basename(cmd), ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  const ok = r.status === 0;
  console.log(`${ok ? '✔' : '✘'} ${label}`);
  return ok;
}

const checks = [
  ['typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
  ['lint', 'npm', ['run', '--silent', 'lint']],
  ['build', process.execPath, ['build.mjs']],
].map(([label, cmd, args]) => ({ label, ok: step(label, cmd, args) }));

rmSync(report, { force: true });
const extra = process.argv.slice(2);
step('tests', bin('vitest'), [
  'run',
  '--config',
  'test/vitest.config.ts',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...extra,
]);

let passed = checks.filter((c) => c.ok).length;
let failed = checks.length - passed;
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests;
  // A file that fails to load has no failed test in it, but it is a failure all the same.
  const brokenFiles = json.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
  failed += json.numFailedTests + brokenFiles;
  if (json.numTotalTests === 0) failed += 1;
} else {
  console.error('vitest wrote no report');
  failed += 1;
}
for (const c of checks.filter((c) => !c.ok)) console.error(`failed check: ${c.label}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
