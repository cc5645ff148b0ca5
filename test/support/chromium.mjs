// Chromium discovery, shared by the tests (test/support/browser.ts) and the benchmarks (bench/), which are plain
// JavaScript and cannot import TypeScript.
import { chromium } from 'playwright';
import { findBrowser } from './browsers.mjs';

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

/** Where Chromium is: $PARLEY_CHROMIUM, Debian's, or Playwright's (see browsers.mjs); throws with the install command. */
export function findChromium() {
  return findBrowser('chromium');
}

export function launchBrowser() {
  return chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS, headless: true });
}
