import { engineNames } from '../browsers.mjs';
import { chromium } from './chromium';
import { firefox } from './firefox';
import type { Engine, EnginePage } from './types';
import { webkit } from './webkit';

export type { Engine, EngineBrowser, EnginePage } from './types';

const ALL: Engine[] = [chromium, firefox, webkit];

/** The engines to run: all three, or those named in PARLEY_ENGINES (comma-separated), for a quicker local run. */
export function selectedEngines(): Engine[] {
  const names = engineNames();
  return ALL.filter((e) => names.includes(e.name));
}

/** Polls `fn(arg)` in the page until it returns something truthy, and returns that; generous by default. */
export async function waitFor<T, A = undefined>(
  page: EnginePage,
  what: string,
  fn: (arg: A) => T | Promise<T>,
  arg?: A,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await page.evaluate(fn, arg);
      if (value) return value;
      last = value;
    } catch (e) {
      // A navigation in progress destroys the context the script ran in: try again.
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
