import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser';
import { type RunningGateway, removeDb, startGateway } from '../support/gateway';

let gateway: RunningGateway;
let browser: Browser;

beforeAll(async () => {
  [gateway, browser] = await Promise.all([startGateway(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  if (gateway) removeDb(gateway);
});

async function openDemo(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${gateway.url}/`);
  return page;
}

describe('harness: real gateway + real Chromium', () => {
  it('serves the health check', async () => {
    const res = await fetch(`${gateway.url}/healthz`);
    expect(res.status).toBe(200);
    expect((await res.json()).ok).toBe(true);
  });

  it('shows the launcher inside <parley-chat>’s open shadow root and opens the panel', async () => {
    const page = await openDemo();
    const launcher = page.getByRole('button', { name: 'Open chat' });
    await expect.poll(() => launcher.count()).toBe(1);
    const inShadow = await page.evaluate(() => {
      const host = document.querySelector('parley-chat');
      return {
        hosts: document.querySelectorAll('parley-chat').length,
        mode: host?.shadowRoot?.mode,
        launcherInShadow: !!host?.shadowRoot?.querySelector('[part="launcher"]'),
        launcherInLightDom: !!document.querySelector('[part="launcher"]'),
      };
    });
    expect(inShadow).toEqual({ hosts: 1, mode: 'open', launcherInShadow: true, launcherInLightDom: false });

    await launcher.click();
    const dialog = page.getByRole('dialog', { name: 'Acme support' });
    await dialog.waitFor({ state: 'visible' });
    const composer = dialog.getByRole('textbox', { name: 'Message' });
    await expect
      .poll(() => composer.evaluate((el) => el === (el.getRootNode() as ShadowRoot).activeElement))
      .toBe(true);
    const launcherNow = page.locator('parley-chat [part="launcher"]');
    expect(await launcherNow.getAttribute('aria-expanded')).toBe('true');
    expect(await launcherNow.getAttribute('aria-label')).toBe('Close chat');
    await page.close();
  });
});
