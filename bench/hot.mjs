// The functions a CPU profile kept by the profile benchmark spends its measured window in: self time (the sampled
// frame) and total time (anywhere on the stack), in µs per message, heaviest first.
//
//   PARLEY_BENCH_PROFILE_OUT=/tmp/gw.cpuprofile node bench/profile-only.mjs   (or a full `npm run bench`)
//   node bench/hot.mjs /tmp/gw.cpuprofile [rows]
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [file, rowsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/hot.mjs FILE.cpuprofile [rows]');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const { from, to, messages } = JSON.parse(readFileSync(`${file}.window.json`, 'utf8'));
const rows = Number(rowsArg ?? 40);

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = ({ callFrame: f }) =>
  `${f.functionName || '(anonymous)'} ${f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : ''}`.trim();

const self = new Map();
const total = new Map();
const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  if (t < from || t > to) continue;
  const dt = profile.timeDeltas[i] ?? 0;
  let id = profile.samples[i];
  add(self, label(nodes.get(id)), dt);
  const seen = new Set();
  for (; id !== undefined; id = parent.get(id)) {
    const key = label(nodes.get(id));
    if (!seen.has(key)) add(total, key, dt);
    seen.add(key);
  }
}
const print = (title, map) => {
  console.log(`\n${title} (µs per message, ${messages} messages)`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, rows))
    console.log(`${(us / messages).toFixed(1).padStart(8)}  ${key}`);
};
print('self', self);
print('total', total);
