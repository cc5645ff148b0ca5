// Chromium discovery, shared by the tests (test/support/browser.ts) and the benchmarks (bench/), which are plain
// JavaScript and cannot import TypeScript.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright';

/** Flags that keep Chromium quiet on a machine without network access or a GPU. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Where to find Chromium: $PARLEY_CHROMIUM, then Debian's /usr/bin/chromium, then a browser installed by
 * `npx playwright install chromium`. Playwright cannot download browsers everywhere, so we never rely on it doing so.
 */
export function findChromium() {
  const candidates = [process.env.PARLEY_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  try {
    candidates.push(chromium.executablePath());
  } catch {}
  const found = candidates.find((p) => !!p && existsSync(p));
  if (!found)
    throw new Error(
      'No Chromium found for the end-to-end tests. Install one: `apt-get install chromium` (Debian/Ubuntu), ' +
        'or `npx playwright install chromium`, or point PARLEY_CHROMIUM at a Chromium or Chrome binary.',
    );
  return found;
}

export function launchBrowser() {
  return chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS, headless: true });
}
