import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from './log';

/**
 * The gateway process's memory budget: past it, new connections are refused (`rate_limited`) while the ones already
 * open keep working, so the process degrades instead of dying with "JavaScript heap out of memory" and taking every
 * chat with it. It recovers by itself once memory is back under 90% of the budget (the margin keeps it from
 * flapping, and its log with it, at the boundary).
 *
 * Memory in use includes garbage, which V8 collects as the process allocates: an idle heap kept 855 MB of it for as
 * long as we watched (40 s), and a process whose new clients are all refused is close to idle, so it would stay
 * refused. So a reading over the budget is
 * checked with a full collection (at most one per `COLLECT_EVERY_MS`; ~0.1 s for 750 MB of garbage): only what is
 * still alive counts.
 */
export interface MemoryBudget {
  /** Whether a new connection may open now; logs when the process goes over its budget and when it recovers. */
  allows(): boolean;
}

export interface MemoryBudgetOptions {
  /** Bytes of JavaScript memory over which new connections are refused. */
  limitBytes: number;
  logger: Logger;
  /** The process's JavaScript memory in bytes; `javaScriptMemory` unless a test injects another reading. */
  read?: () => number;
  /** A full garbage collection; `fullCollection()` unless a test injects one. */
  collect?: () => void;
  /** Milliseconds, for spacing collections. */
  now?: () => number;
}

/** The share of V8's heap limit (`--max-old-space-size`) the default budget allows. */
export const DEFAULT_BUDGET_SHARE = 0.75;
const RECOVERY_SHARE = 0.9;
export const COLLECT_EVERY_MS = 15_000;

/** The default budget: `DEFAULT_BUDGET_SHARE` of V8's heap limit (about 3 GB of a 4 GB default heap). */
export function defaultMemoryBudgetBytes(): number {
  return Math.floor(getHeapStatistics().heap_size_limit * DEFAULT_BUDGET_SHARE);
}

/**
 * V8's heap in use plus memory held outside it by JavaScript objects (Buffers: what sockets queue for slow clients),
 * about a microsecond to read. Not the RSS, which the allocator may keep high long after the memory was freed.
 */
export function javaScriptMemory(): number {
  const heap = getHeapStatistics();
  return heap.used_heap_size + heap.external_memory;
}

let gc: (() => void) | undefined;
/**
 * Runs a full garbage collection: `global.gc` when node runs with `--expose-gc`, otherwise the same function taken
 * from a new context once the flag is set (the documented effect of `--expose-gc` on contexts created after it).
 */
export function fullCollection(): void {
  if (!gc) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gc = exposed;
    else {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    }
  }
  gc();
}

const MB = 1024 * 1024;

export function createMemoryBudget(options: MemoryBudgetOptions): MemoryBudget {
  const { limitBytes, logger, read = javaScriptMemory, collect = fullCollection } = options;
  const now = options.now ?? (() => performance.now());
  let over = false;
  let refused = 0;
  let collectedAt = Number.NEGATIVE_INFINITY;
  const fits = (used: number) => (over ? used < limitBytes * RECOVERY_SHARE : used <= limitBytes);
  const fields = (used: number) => ({ usedMb: Math.round(used / MB), budgetMb: Math.round(limitBytes / MB) });
  return {
    allows() {
      let used = read();
      if (!fits(used) && now() - collectedAt >= COLLECT_EVERY_MS) {
        collectedAt = now();
        collect();
        used = read();
      }
      if (!over && !fits(used)) {
        over = true;
        logger.warn('memory budget exceeded: refusing new connections until memory falls', fields(used));
      } else if (over && fits(used)) {
        over = false;
        logger.info('memory back under budget: accepting new connections', { ...fields(used), refused });
        refused = 0;
      }
      if (over) refused++;
      return !over;
    },
  };
}
