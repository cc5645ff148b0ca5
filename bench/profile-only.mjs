// Only the profile benchmark of `npm run bench` (bench/profile.mjs), at its full size: of the gateway, or with --relay
// of the bare relay. Prints its breakdown; with PARLEY_BENCH_PROFILE_OUT set, keeps the profile for bench/hot.mjs.
// Builds nothing: run `node build.mjs` first.
import { killAll } from './proc.mjs';
import { FULL_PROFILE, runProfile } from './profile.mjs';

const log = (line) => console.log(`[profile ${new Date().toISOString().slice(11, 19)}] ${line}`);
try {
  const result = await runProfile({
    ...FULL_PROFILE,
    target: process.argv.includes('--relay') ? 'relay' : 'parley',
    log,
  });
  const perMessage = (ms) => ((ms * 1000) / result.messages).toFixed(0);
  for (const c of result.breakdown.categories)
    console.log(`${(c.share * 100).toFixed(0).padStart(3)}%  ${perMessage(c.ms).padStart(5)} µs/msg  ${c.name}`);
} finally {
  killAll();
}
