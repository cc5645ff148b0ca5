import type { Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterLoadSnippet } from '../support/after-load-snippet.mjs';
import { type HostSite, startHostSite } from '../support/host-site';
import { e2e } from '../support/suite';

// The after-load snippet (README, "Put it on your site"), the alternative to the script tag for Lighthouse-sensitive
// sites: the same parley.js and data-* attributes, inserted after the page's load and first paint. In real Chromium:
// the request starts only then, the loader reads the attributes of a script element it did not come with (inserted by
// script, document already complete), and calls the page made before load, through the snippet's stub, are replayed.

const ATTRS = {
  gateway: '{{GATEWAY}}',
  site: 'after-load',
  title: 'Snippet support',
  greeting: 'Hello from the snippet',
  color: '#0f766e',
  position: 'left',
  locale: 'de',
};
const SNIPPET = afterLoadSnippet('/parley.js', ATTRS);

/** Calls the API before load (the snippet's stub keeps them) and records what the page saw and when. */
const WATCH = `<script>
window.seen = [];
Parley.on('ready', function () { seen.push('ready'); });
Parley.open();
Parley.send('Sent before the widget loaded');
addEventListener('load', function () { seen.push('load'); });
</script>`;

/** When parley.js was requested, against the page's load event and first contentful paint (page clock, ms). */
function timings(p: Page) {
  return p.evaluate(() => {
    const script = performance.getEntriesByType('resource').find((e) => new URL(e.name).pathname === '/parley.js');
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { scriptStart: script?.startTime, loadEnd: nav.loadEventEnd, fcp: fcp?.startTime };
  });
}

let site: HostSite;
beforeAll(async () => {
  const page = (body: string) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>After load</title></head><body><h1>After load</h1>${body}</body></html>`;
  site = await startHostSite({
    '/snippet.html': page(`${SNIPPET}\n${WATCH}`),
    '/plain.html': page(''),
  });
});
const t = e2e({ gateway: () => ({ env: { PARLEY_ORIGINS: site.url } }) });
beforeAll(() => {
  site.gateway = t.gateway.url;
});
afterAll(() => site?.close());

async function newPage(): Promise<Page> {
  const ctx = await t.context({ viewport: { width: 1000, height: 760 } });
  return ctx.newPage();
}

/** The launcher built from ATTRS: German, on the left, in the configured colour. */
async function expectConfiguredLauncher(p: Page) {
  const launcher = p.locator('parley-chat').getByRole('button', { name: 'Chat öffnen' });
  await launcher.waitFor();
  const box = (await launcher.boundingBox())!;
  expect(box.x + box.width).toBeLessThan(500);
  expect(await launcher.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(15, 118, 110)');
}

describe('the after-load snippet', () => {
  it('requests parley.js after load and first paint, with the data-* attributes, and replays calls made before', async () => {
    const p = await newPage();
    await p.goto(`${site.url}/snippet.html`, { waitUntil: 'load' });
    const panel = p.locator('parley-chat [part="panel"]');
    // Parley.open() was called before the script existed: the panel opens once the widget is mounted.
    await panel.waitFor();
    await panel.getByRole('heading', { name: 'Snippet support' }).waitFor();
    await panel.getByText('Hello from the snippet').waitFor();
    await p.locator('parley-chat li.visitor.sent').waitFor();
    expect(await p.locator('parley-chat li.visitor .bubble').allTextContents()).toEqual([
      'Sent before the widget loaded',
    ]);
    expect(await p.evaluate(() => (window as unknown as { seen: string[] }).seen)).toEqual(['load', 'ready']);
    expect(await p.locator('parley-chat').count()).toBe(1);
    await p.getByRole('button', { name: 'Chat schließen' }).first().click();
    await expectConfiguredLauncher(p);

    const { scriptStart, loadEnd, fcp } = await timings(p);
    expect(fcp).toBeGreaterThan(0);
    expect(scriptStart).toBeGreaterThanOrEqual(loadEnd);
    expect(scriptStart).toBeGreaterThanOrEqual(fcp!);
  });

  it('starts at once when inserted after the page has loaded, as a tag manager does', async () => {
    const p = await newPage();
    await p.goto(`${site.url}/plain.html`, { waitUntil: 'load' });
    const code = SNIPPET.replace(/^<script>\n|\n<\/script>$/g, '').replaceAll('{{GATEWAY}}', t.gateway.url);
    await p.addScriptTag({ content: code });
    await expectConfiguredLauncher(p);
  });

  it('still loads the widget when no paint is ever reported (a tab loaded in the background)', async () => {
    const p = await newPage();
    // Paint timing never calls back: only the snippet's one-second fallback can start the widget.
    await p.addInitScript(() => {
      window.PerformanceObserver = class {
        observe() {}
        disconnect() {}
      } as unknown as typeof PerformanceObserver;
    });
    await p.goto(`${site.url}/snippet.html`, { waitUntil: 'load' });
    await p.locator('parley-chat [part="panel"]').waitFor();
    const { scriptStart, loadEnd } = await timings(p);
    expect(scriptStart! - loadEnd).toBeGreaterThanOrEqual(900);
  });
});
