import { ENGINE_NEEDS, engineNames, ensureBrowsers } from './browsers.mjs';

/** Before any end-to-end test: every browser the run needs is there, or installed, or the run stops saying how. */
export default function setup(): void {
  ensureBrowsers([...new Set(['chromium' as const, ...engineNames().flatMap((e) => ENGINE_NEEDS[e])])]);
}
