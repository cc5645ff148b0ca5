// Preloaded into the gateway by the soak (`node --expose-gc --import bench/soak-probe.mjs dist/server/main.js`): what
// only the process itself can see. On SIGUSR2 it runs a full garbage collection and appends one JSON line to
// $PARLEY_SOAK_PROBE: heap after that collection, RSS, and the event-loop delay since the previous line.
// The gateway does not use SIGUSR2; the probe adds no work between signals but the delay histogram.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.PARLEY_SOAK_PROBE;
if (file) {
  const resolutionMs = 10;
  const delay = monitorEventLoopDelay({ resolution: resolutionMs });
  delay.enable();
  process.on('SIGUSR2', () => {
    // The histogram records the whole interval between its timer's runs, never less than the resolution: the delay
    // is what exceeds it.
    const ms = (ns) => Math.max(0, Math.round(ns / 1e4) / 100 - resolutionMs);
    const eventLoop = { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) };
    globalThis.gc?.();
    const m = process.memoryUsage();
    // After the forced collection, which blocks the loop and is the probe's doing, not the gateway's.
    delay.reset();
    const line = { at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
    appendFileSync(file, `${JSON.stringify({ ...line, eventLoop })}\n`);
  });
}
