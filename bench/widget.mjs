// `npm run bench:widget` (after `node build.mjs`): only the widget's benchmarks, the host page (bench/host-page.mjs)
// and Lighthouse (bench/lighthouse.mjs), in a few minutes instead of the whole run. Rewrites their part of
// BENCHMARKS.md (from "## Host page" to the end, where `npm run bench` puts them) and leaves the gateway's alone.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run as runHostPage } from './host-page.mjs';
import { runLighthouse } from './lighthouse.mjs';
import { renderLighthouse } from './lighthouse-report.mjs';
import { root } from './proc.mjs';

const log = (line) => console.log(`[bench:widget ${new Date().toISOString().slice(11, 19)}] ${line}`);

const file = path.join(root, 'BENCHMARKS.md');
const before = readFileSync(file, 'utf8');
const start = before.indexOf('\n## Host page');
if (start < 0) throw new Error('BENCHMARKS.md has no "## Host page" section: run `npm run bench` once');

log('host page');
const hostPage = await runHostPage();
log('lighthouse');
const lighthouse = await runLighthouse({ log });
const widget = [
  hostPage.trim(),
  '',
  `_Host page and Lighthouse sections measured ${new Date().toISOString()} by \`npm run bench:widget\` on the machine above._`,
  '',
  renderLighthouse(lighthouse),
];
writeFileSync(file, `${before.slice(0, start + 1)}${widget.join('\n')}`);
log('wrote the widget sections of BENCHMARKS.md');
process.exit(0);
