import { ENGINE_NEEDS, engineNames, ensureBrowsers, locate } from './browsers.mjs';

/** Before any end-to-end test: every browser the run needs is there, or installed, or the run stops saying how. */
export default function setup(): void {
  const needs = [...new Set(['chromium' as const, ...engineNames().flatMap((e) => ENGINE_NEEDS[e])])];
  ensureBrowsers(needs);
  console.log(`End-to-end browsers: ${needs.map((n) => `${n} ${locate(n)}`).join(', ')}`);
}
