import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostSite, hostPage, startHostSite } from '../support/host-site';
import { e2e } from '../support/suite';

// The script tag mounts the launcher after the page's `load`, when the browser is idle (src/loader/boot.ts), so the
// host page paints first. In real Chromium: the API exists as soon as the script has run, the launcher does not exist
// yet when `load` fires, it appears afterwards, and the widget then works, including a call made before the mount.

/** Records, from the page's own point of view, what existed when `load` fired and when the launcher appeared. */
const WATCH = `<script>
window.startup = {};
addEventListener('load', function () {
  startup.loadAt = performance.now();
  startup.widgetAtLoad = !!document.querySelector('parley-chat');
  startup.apiAtLoad = typeof (window.Parley && window.Parley.open);
  Parley.open();
});
new MutationObserver(function (_, observer) {
  if (!document.querySelector('parley-chat')) return;
  observer.disconnect();
  startup.launcherAt = performance.now();
}).observe(document, { childList: true, subtree: true });
</script>`;

let site: HostSite;
beforeAll(async () => {
  // An image that holds the load event for a while: the script has long run when `load` fires.
  const body = '<h1>Start-up after load</h1><img src="/slow.png" alt="" width="1" height="1">';
  site = await startHostSite({ '/startup.html': hostPage({ gateway: '{{GATEWAY}}', site: 'startup' }, WATCH, body) });
});
const t = e2e({ gateway: () => ({ env: { PARLEY_ORIGINS: site.url } }) });
beforeAll(() => {
  site.gateway = t.gateway.url;
});
afterAll(() => site?.close());

describe('start-up', () => {
  it('shows the launcher after load, keeps a call made before the mount, and the chat works', async () => {
    const ctx = await t.context({ viewport: { width: 1000, height: 760 } });
    const p = await ctx.newPage();
    let scriptDone = false;
    p.on('requestfinished', (r) => {
      if (new URL(r.url()).pathname === '/parley.js') scriptDone = true;
    });
    await p.route('**/slow.png', async (route) => {
      await new Promise((r) => setTimeout(r, 1000));
      await route.fulfill({ status: 404, body: '' });
    });
    await p.goto(`${site.url}/startup.html`, { waitUntil: 'load' });
    expect(scriptDone).toBe(true);
    const launcher = p.locator('parley-chat [part="launcher"]');
    await launcher.waitFor();
    const startup = await p.evaluate(
      () =>
        (
          window as unknown as {
            startup: { widgetAtLoad: boolean; apiAtLoad: string; loadAt: number; launcherAt: number };
          }
        ).startup,
    );
    expect(startup.apiAtLoad).toBe('function');
    expect(startup.widgetAtLoad).toBe(false);
    expect(startup.launcherAt).toBeGreaterThan(startup.loadAt);

    // Parley.open() was called in the page's load listener, before the mount: the panel opened once mounted.
    expect(await launcher.getAttribute('aria-expanded')).toBe('true');
    const composer = p.locator('parley-chat [part="panel"] textarea');
    await composer.fill('Hello after a deferred start');
    await composer.press('Enter');
    await p.locator('parley-chat li.visitor.sent').waitFor();
    expect(await p.locator('parley-chat li.visitor .bubble').allTextContents()).toEqual([
      'Hello after a deferred start',
    ]);
  });
});
