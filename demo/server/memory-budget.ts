import { getHeapStatistics } from 'node:v8';
import type { Logger } from './log';

/**
 * The gateway process's memory budget: past it, new connections are refused (`rate_limited`) while the ones already
 * open keep working, so the process degrades instead of dying with "JavaScript heap out of memory" and taking every
 * chat with it. It recovers by itself once memory is back under 90% of the budget (the margin keeps it from
 * flapping, and its log with it, at the boundary).
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
}

/** The share of V8's heap limit (`--max-old-space-size`) the default budget allows. */
export const DEFAULT_BUDGET_SHARE = 0.75;
const RECOVERY_SHARE = 0.9;

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

const MB = 1024 * 1024;

export function createMemoryBudget(options: MemoryBudgetOptions): MemoryBudget {
  const { limitBytes, logger, read = javaScriptMemory } = options;
  let over = false;
  let refused = 0;
  return {
    allows() {
      const used = read();
      if (!over && used > limitBytes) {
        over = true;
        logger.warn('memory budget exceeded: refusing new connections until memory falls', {
          usedMb: Math.round(used / MB),
          budgetMb: Math.round(limitBytes / MB),
        });
      } else if (over && used < limitBytes * RECOVERY_SHARE) {
        over = false;
        logger.info('memory back under budget: accepting new connections', {
          usedMb: Math.round(used / MB),
          budgetMb: Math.round(limitBytes / MB),
          refused,
        });
        refused = 0;
      }
      if (over) refused++;
      return !over;
    },
  };
}
