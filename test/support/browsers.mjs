// Where the end-to-end tests find each browser, and how they install a missing one. Plain JavaScript, shared by the
// tests and the benchmarks (bench/), which cannot import TypeScript.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chromium } from 'playwright';

const multiarch = () => {
  try {
    return readdirSync('/usr/lib').filter((d) => d.endsWith('-linux-gnu'));
  } catch {
    return [];
  }
};

/**
 * Per browser: the variable that overrides where it is, the places to look, the Debian packages that bring it and,
 * for Chromium, Playwright's own installer (which downloads, where the network allows it).
 */
export const BROWSERS = {
  chromium: {
    label: 'Chromium',
    env: 'PARLEY_CHROMIUM',
    paths: () => {
      const paths = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
      try {
        paths.push(chromium.executablePath());
      } catch {}
      return paths;
    },
    apt: ['chromium', 'fonts-dejavu-core'],
    playwright: 'chromium',
  },
  firefox: {
    label: 'Firefox',
    env: 'PARLEY_FIREFOX',
    paths: () => ['/usr/bin/firefox-esr', '/usr/bin/firefox'],
    apt: ['firefox-esr', 'fonts-dejavu-core'],
  },
  webkit: {
    label: 'WebKitGTK WebDriver (WebKitWebDriver)',
    env: 'PARLEY_WEBKIT_DRIVER',
    paths: () => ['/usr/bin/WebKitWebDriver'],
    apt: ['webkit2gtk-driver', 'fonts-dejavu-core'],
  },
  // MiniBrowser has no headless mode: WebKit runs on a virtual X display.
  xvfb: { label: 'Xvfb', env: 'PARLEY_XVFB', paths: () => ['/usr/bin/Xvfb'], apt: ['xvfb'] },
  miniBrowser: {
    label: 'WebKitGTK MiniBrowser',
    env: 'PARLEY_MINIBROWSER',
    paths: () => multiarch().flatMap((d) => ['4.1', '4.0'].map((v) => `/usr/lib/${d}/webkit2gtk-${v}/MiniBrowser`)),
    apt: ['webkit2gtk-driver'],
  },
};

/** What each engine of the cross-engine suite needs on the machine. */
export const ENGINE_NEEDS = { chromium: ['chromium'], firefox: ['firefox'], webkit: ['webkit', 'miniBrowser', 'xvfb'] };

/** The path of a browser binary, or undefined. */
export function locate(name, exists = existsSync) {
  const spec = BROWSERS[name];
  return [process.env[spec.env], ...spec.paths()].find((p) => !!p && exists(p));
}

export function installHint(name) {
  const spec = BROWSERS[name];
  const pw = spec.playwright ? ` or \`npx playwright install ${spec.playwright}\`` : '';
  return `\`sudo apt-get install ${spec.apt.join(' ')}\` (Debian/Ubuntu)${pw}, or point ${spec.env} at one`;
}

/** The path of a browser binary; throws with the command that installs it when there is none. */
export function findBrowser(name) {
  const found = locate(name);
  if (!found)
    throw new Error(`No ${BROWSERS[name].label} found for the end-to-end tests. Install it: ${installHint(name)}.`);
  return found;
}

const defaults = {
  exists: existsSync,
  run: (cmd, args) =>
    spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0,
  isRoot: process.getuid?.() === 0,
  hasApt: existsSync('/usr/bin/apt-get'),
  log: (line) => console.log(line),
};

/**
 * Makes sure the browsers are there: each missing one is installed with Debian's packages when we run as root (as CI
 * does), else with Playwright's installer where there is one; every step is said. Throws, with the exact command to
 * run, only when neither works.
 */
export function ensureBrowsers(names, deps = {}) {
  const d = { ...defaults, ...deps };
  const missing = () => names.filter((n) => !locate(n, d.exists));
  let todo = missing();
  if (todo.length === 0) return;
  if (d.isRoot && d.hasApt) {
    const packages = [...new Set(todo.flatMap((n) => BROWSERS[n].apt))];
    d.log(
      `Not found: ${todo.map((n) => BROWSERS[n].label).join(', ')}. Installing Debian's ${packages.join(' ')} with apt-get (running as root)…`,
    );
    if (
      !(
        d.run('apt-get', ['update', '-qq']) &&
        d.run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages])
      )
    )
      d.log('apt-get could not install them.');
    todo = missing();
  }
  for (const name of todo.filter((n) => BROWSERS[n].playwright)) {
    d.log(
      `Not found: ${BROWSERS[name].label}. Trying Playwright's installer: npx playwright install ${BROWSERS[name].playwright}…`,
    );
    if (!d.run('npx', ['playwright', 'install', BROWSERS[name].playwright])) d.log("Playwright's installer failed.");
  }
  todo = missing();
  if (todo.length > 0)
    throw new Error(
      `The end-to-end tests need ${todo.map((n) => BROWSERS[n].label).join(', ')}, and they could not be installed here. Install: ${todo.map(installHint).join('; ')}.`,
    );
}

/** The engines the cross-engine suite runs: all three, or those named in PARLEY_ENGINES (comma-separated). */
export function engineNames(list = process.env.PARLEY_ENGINES) {
  const all = Object.keys(ENGINE_NEEDS);
  if (!list) return all;
  const names = list.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length) throw new Error(`PARLEY_ENGINES: unknown ${unknown.join(', ')} (known: ${all.join(', ')})`);
  return names;
}
