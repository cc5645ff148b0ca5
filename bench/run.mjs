// `npm run bench` (after `node build.mjs`): the gateway benchmarks, then the host-page benchmark (bench/host-page.mjs,
// when present) and Lighthouse with and without the widget (bench/lighthouse.mjs), then BENCHMARKS.md.
//
//   node bench/run.mjs           full run (about 7 min): writes BENCHMARKS.md
//   node bench/run.mjs --quick   small and short, for development: prints the report, writes nothing
//   node bench/run.mjs --render F  writes BENCHMARKS.md again from F, the JSON a run saved to PARLEY_BENCH_JSON
//                                  (for a change to the report's wording, without measuring again)
//
// Every server and load generator runs in its own child process; this process only orchestrates, reads /proc and
// checks the database afterwards. Children are killed in a finally block and on SIGINT/SIGTERM.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCluster } from './cluster.mjs';
import { runDisk } from './disk.mjs';
import { gatewayScript } from './gateway.mjs';
import { runLatency } from './latency.mjs';
import { killAll, loadAverage, root } from './proc.mjs';
import { FULL_PROFILE, runProfile } from './profile.mjs';
import { runScale, runSweep } from './ratios.mjs';
import { machineFacts, renderReport } from './report.mjs';
import { runSearch } from './search.mjs';
import { keepSoakSection } from './soak-report.mjs';
import { runStorm } from './storm.mjs';

const quick = process.argv.includes('--quick');

/** Scenario sizes: the numbers, or small ones for development. */
export const PLAN = quick
  ? {
      latency: {
        visitors: 500,
        connectRate: 500,
        warmupMs: 2000,
        durationMs: 10_000,
        visitorRate: 1000,
        agentRate: 100,
      },
      storm: { visitors: 500, connectRate: 500, loadMs: 5000, visitorRate: 1000, agentRate: 100, timeoutMs: 60_000 },
      profile: { visitors: 500, connectRate: 500, durationMs: 5000, visitorRate: 1000, agentRate: 100 },
      cluster: {
        visitorsPerProcess: 250,
        connectRate: 250,
        warmupMs: 2000,
        durationMs: 10_000,
        visitorRate: 500,
        agentRate: 50,
      },
      scale: { sizes: [200], connectRate: 500, warmupMs: 1000, durationMs: 5000, visitorRate: 1000, agentRate: 100 },
      sweep: { visitors: 300, connectRate: 500, warmupMs: 1000, durationMs: 4000, rates: [500, 2000] },
      disk: { rounds: 1, durationMs: 5000 },
      search: { messages: 10_000, conversations: 100, runs: 10 },
    }
  : {
      latency: {
        visitors: 10_000,
        connectRate: 1000,
        warmupMs: 5000,
        durationMs: 60_000,
        visitorRate: 1000,
        agentRate: 100,
      },
      storm: {
        visitors: 5000,
        connectRate: 1000,
        loadMs: 10_000,
        visitorRate: 1000,
        agentRate: 100,
        timeoutMs: 90_000,
      },
      profile: FULL_PROFILE,
      // Per process (and per generator): the cluster as a whole gets twice the visitors and the same message rate
      // as the one-process run.
      cluster: {
        visitorsPerProcess: 10_000,
        connectRate: 500,
        warmupMs: 5000,
        durationMs: 60_000,
        visitorRate: 500,
        agentRate: 50,
      },
      // Issue 18: the latency run's ratios at more sizes, the rate sweep, and the disk variants (bench/ratios.mjs,
      // bench/disk.mjs); the 10,000-visitor size is the latency run above.
      scale: {
        sizes: [1000, 5000],
        connectRate: 1000,
        warmupMs: 5000,
        durationMs: 30_000,
        visitorRate: 1000,
        agentRate: 100,
      },
      sweep: {
        visitors: 2000,
        connectRate: 1000,
        warmupMs: 3000,
        durationMs: 15_000,
        rates: [500, 1000, 2000, 3000, 4000, 5000, 6000],
      },
      disk: { rounds: 2, durationMs: 20_000 },
      // The goal: under 50 ms with 100,000 messages stored.
      search: { messages: 100_000, conversations: 1000, runs: 30 },
    };

/** The whole run must end: past this, children are killed and the run fails. */
const DEADLINE_MS = quick ? 15 * 60_000 : 50 * 60_000;

const log = (line) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`${signal}: stopping every child process`);
    killAll();
    process.exit(130);
  });
}

async function main() {
  if (!existsSync(gatewayScript())) throw new Error(`${gatewayScript()} is missing: run \`node build.mjs\` first`);
  const watchdog = setTimeout(() => {
    log(`deadline of ${DEADLINE_MS / 60_000} min passed: stopping`);
    killAll();
    process.exit(1);
  }, DEADLINE_MS);
  watchdog.unref();

  const startedAt = new Date();
  const loadBefore = loadAverage();
  log(`${quick ? 'quick' : 'full'} run; load average before: ${loadBefore.join(' ')}`);

  const results = { quick, startedAt: startedAt.toISOString(), loadBefore };
  // A failed scenario is reported as such; the others still run.
  const attempt = async (name, fn) => {
    try {
      return await fn();
    } catch (err) {
      log(`${name} failed: ${err?.stack ?? err}`);
      return {
        error: String(err?.message ?? err)
          .split('\n')[0]
          .slice(0, 300),
      };
    } finally {
      killAll();
    }
  };
  results.parley = await attempt('parley', () => runLatency({ target: 'parley', ...PLAN.latency, log }));
  results.relay = await attempt('relay', () => runLatency({ target: 'relay', ...PLAN.latency, log }));
  results.profile = await attempt('profile', () => runProfile({ ...PLAN.profile, log }));
  results.storm = await attempt('storm', () => runStorm({ ...PLAN.storm, log }));
  // Once more with the gateway's own handshake budget (blank = its default), which a restart storm runs into.
  results.stormDefault = await attempt('storm (default handshake budget)', () =>
    runStorm({
      ...PLAN.storm,
      gatewayEnv: { PARLEY_HANDSHAKES_PER_SECOND: '' },
      log: (line) => log(`[default handshake budget] ${line}`),
    }),
  );
  results.cluster = await attempt('cluster', () => runCluster({ ...PLAN.cluster, log }));
  results.clusterRelay = await attempt('cluster (bare relays)', () =>
    runCluster({ ...PLAN.cluster, target: 'relay', log: (line) => log(`[relays] ${line}`) }),
  );
  const { sizes, ...scaleParams } = PLAN.scale;
  results.scaleParams = scaleParams;
  results.scale = await attempt('scale', () => runScale({ sizes, ...scaleParams, log }));
  results.sweep = await attempt('sweep', () => runSweep({ ...PLAN.sweep, log }));
  results.disk = await attempt('disk', () => runDisk({ ...PLAN.disk, log }));
  results.search = await attempt('search', () => runSearch({ ...PLAN.search, log }));
  results.loadAfter = loadAverage();
  results.durationMs = Date.now() - startedAt.getTime();
  log(
    `gateway benchmarks done in ${(results.durationMs / 1000).toFixed(0)} s; load average after: ${results.loadAfter.join(' ')}`,
  );

  results.hostPage = await hostPage();
  results.lighthouse = await attempt('lighthouse', async () =>
    (await import('./lighthouse.mjs')).runLighthouse({ runs: quick ? 2 : 5, log }),
  );
  results.totalMs = Date.now() - startedAt.getTime();

  const report = renderReport({ machine: machineFacts(), plan: PLAN, results });
  if (quick) {
    console.log(`\n${report}`);
    log('quick mode: BENCHMARKS.md not written');
  } else {
    const file = path.join(root, 'BENCHMARKS.md');
    writeFileSync(file, keepSoakSection(report, file));
    log('wrote BENCHMARKS.md');
  }
  if (process.env.PARLEY_BENCH_JSON) {
    writeFileSync(process.env.PARLEY_BENCH_JSON, JSON.stringify({ plan: PLAN, results }, null, 2));
  }
}

/** `--render FILE`: the report of a saved run, on this machine's facts (the run's date and loads are in FILE). */
function render(file) {
  const { plan, results } = JSON.parse(readFileSync(file, 'utf8'));
  const report = renderReport({ machine: machineFacts(), plan, results });
  if (results.quick) console.log(report);
  else writeFileSync(path.join(root, 'BENCHMARKS.md'), keepSoakSection(report, path.join(root, 'BENCHMARKS.md')));
}

/** The widget's host-page benchmark, written separately; absent or failing, the report says so. */
async function hostPage() {
  const file = path.join(root, 'bench', 'host-page.mjs');
  if (!existsSync(file)) {
    log('bench/host-page.mjs does not exist yet: host-page benchmark skipped');
    return { skipped: 'bench/host-page.mjs does not exist yet; the host-page benchmark was skipped.' };
  }
  try {
    log('host page: running bench/host-page.mjs');
    const mod = await import(pathToFileURL(file).href);
    const section = await mod.run({ quick });
    return { section: String(section ?? '') };
  } catch (err) {
    log(`host page: failed: ${err?.stack ?? err}`);
    return { failed: String(err?.message ?? err).split('\n')[0] };
  } finally {
    killAll();
  }
}

const renderIndex = process.argv.indexOf('--render');
(renderIndex > 0 ? Promise.resolve().then(() => render(process.argv[renderIndex + 1])) : main()).then(
  () => process.exit(0),
  (err) => {
    console.error(`[bench] failed: ${err?.stack ?? err}`);
    killAll();
    process.exit(1);
  },
);
