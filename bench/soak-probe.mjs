// Preloaded into the gateway by the soak (`node --expose-gc --import bench/soak-probe.mjs dist/server/main.js`): what
// only the process itself can see. On SIGUSR2 it runs a full garbage collection and appends one JSON line to
// $PARLEY_SOAK_PROBE: heap after that collection, RSS, and the event-loop delay since the previous line.
// The gateway does not use SIGUSR2; the probe adds no work between signals but the delay histogram.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.PARLEY_SOAK_PROBE;
if (file) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.on('SIGUSR2', () => {
    const ms = (ns) => Math.round(ns / 1e4) / 100;
    const eventLoop = { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) };
    delay.reset();
    globalThis.gc?.();
    const m = process.memoryUsage();
    const line = { at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
    appendFileSync(file, `${JSON.stringify({ ...line, eventLoop })}\n`);
  });
}
