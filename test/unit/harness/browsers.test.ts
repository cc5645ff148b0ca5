import { describe, expect, it } from 'vitest';
import { engineNames, ensureBrowsers, type InstallDeps } from '../../support/browsers.mjs';

/** A machine where only `present` exists, and where each command in `works` succeeds (and installs `installs`). */
function machine(options: { present?: string[]; isRoot: boolean; works?: string[]; installs?: string[] }) {
  const files = new Set(options.present ?? []);
  const ran: string[] = [];
  const said: string[] = [];
  const deps: InstallDeps = {
    exists: (p) => files.has(p),
    run: (cmd, args) => {
      const line = [cmd, ...args].join(' ');
      ran.push(line);
      const ok = (options.works ?? []).some((w) => line.startsWith(w));
      if (ok && line.includes('install')) for (const f of options.installs ?? []) files.add(f);
      return ok;
    },
    isRoot: options.isRoot,
    hasApt: true,
    log: (l) => said.push(l),
  };
  return { deps, ran, said };
}

describe('the end-to-end harness finds or installs its browsers', () => {
  it('does nothing when the browsers are there', () => {
    const m = machine({ present: ['/usr/bin/chromium', '/usr/bin/firefox-esr'], isRoot: true });
    ensureBrowsers(['chromium', 'firefox'], m.deps);
    expect(m.ran).toEqual([]);
    expect(m.said).toEqual([]);
  });

  it("installs Debian's packages as root, saying so", () => {
    const m = machine({
      present: ['/usr/bin/chromium'],
      isRoot: true,
      works: ['apt-get'],
      installs: ['/usr/bin/firefox-esr', '/usr/bin/WebKitWebDriver', '/usr/bin/Xvfb'],
    });
    ensureBrowsers(['chromium', 'firefox', 'webkit', 'xvfb'], m.deps);
    expect(m.ran).toEqual([
      'apt-get update -qq',
      'apt-get install -y -qq --no-install-recommends firefox-esr fonts-dejavu-core webkit2gtk-driver xvfb',
    ]);
    expect(m.said.join('\n')).toContain(
      "Installing Debian's firefox-esr fonts-dejavu-core webkit2gtk-driver xvfb with apt-get",
    );
  });

  it("falls back to Playwright's installer for Chromium when not root", () => {
    const fromPlaywright = '/fake/ms-playwright/chrome';
    process.env.PARLEY_CHROMIUM = fromPlaywright;
    try {
      const m = machine({ isRoot: false, works: ['npx playwright'], installs: [fromPlaywright] });
      ensureBrowsers(['chromium'], m.deps);
      expect(m.ran).toEqual(['npx playwright install chromium']);
      expect(m.said.join('\n')).toContain("Trying Playwright's installer");
    } finally {
      delete process.env.PARLEY_CHROMIUM;
    }
  });

  it('stops with the exact command when nothing can install it', () => {
    const m = machine({ isRoot: false });
    expect(() => ensureBrowsers(['firefox', 'webkit'], m.deps)).toThrow(
      /could not be installed here\. Install: `sudo apt-get install firefox-esr fonts-dejavu-core` .*`sudo apt-get install webkit2gtk-driver fonts-dejavu-core`/,
    );
    expect(m.ran).toEqual([]);
  });

  it('tells which engines to run from PARLEY_ENGINES, refusing unknown names', () => {
    expect(engineNames(undefined)).toEqual(['chromium', 'firefox', 'webkit']);
    expect(engineNames('webkit, firefox')).toEqual(['webkit', 'firefox']);
    expect(() => engineNames('safari')).toThrow(/unknown safari/);
  });
});
