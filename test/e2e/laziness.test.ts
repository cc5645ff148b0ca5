import type { BrowserContext, Page } from 'playwright';
import { describe, expect, it } from 'vitest';
import { e2e } from '../support/suite';

const t = e2e();

/** Records WebSockets, requests, IndexedDB opens and timers scheduled after the load event. */
async function watchedPage(ctx: BrowserContext) {
  await ctx.addInitScript(() => {
    const w = window as unknown as { idbOpens: string[]; timersAfterLoad: number; loaded: boolean };
    w.idbOpens = [];
    w.timersAfterLoad = 0;
    w.loaded = false;
    const open = IDBFactory.prototype.open;
    IDBFactory.prototype.open = function (name: string, version?: number) {
      w.idbOpens.push(name);
      return open.call(this, name, version);
    };
    for (const name of ['setTimeout', 'setInterval', 'requestAnimationFrame', 'requestIdleCallback'] as const) {
      const original = window[name] as (...a: unknown[]) => number;
      (window as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        if (w.loaded) w.timersAfterLoad++;
        return original.apply(window, args);
      };
    }
    // Counted from just after load: start-up work is allowed, lingering work is not.
    addEventListener('load', () => setTimeout(() => (w.loaded = true), 100));
  });
  const page = await ctx.newPage();
  const sockets: string[] = [];
  const requests: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  return { page, sockets, requests };
}

const probe = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as { idbOpens: string[]; timersAfterLoad: number };
    return { idbOpens: w.idbOpens, timersAfterLoad: w.timersAfterLoad };
  });

describe('zero cost for visitors who never chat', () => {
  it('a first-time visitor who never opens the chat gets no socket, no IndexedDB, no chunk and no timers', async () => {
    const ctx = await t.context();
    const { page, sockets, requests } = await watchedPage(ctx);
    await page.goto(`${t.gateway.url}/`);
    await page.waitForLoadState('load');
    await page.locator('parley-chat [part="launcher"]').waitFor();
    await page.waitForTimeout(3000);
    expect(sockets).toEqual([]);
    expect(requests.filter((r) => r.startsWith('/chunks/'))).toEqual([]);
    expect(await probe(page)).toEqual({ idbOpens: [], timersAfterLoad: 0 });

    // The same page, once the visitor opens the chat: now it connects and opens its own database.
    await page.locator('parley-chat [part="launcher"]').click();
    await page.locator('parley-chat [part="panel"] textarea').waitFor();
    await expect.poll(() => sockets.length).toBe(1);
    expect((await probe(page)).idbOpens).toEqual(['parley-demo']);
  });

  it('a returning visitor with a conversation reconnects after load, so the badge shows replies', async () => {
    const ctx = await t.context();
    const first = await ctx.newPage();
    await first.goto(`${t.gateway.url}/`);
    await first.locator('parley-chat [part="launcher"]').click();
    await first.locator('parley-chat [part="panel"] textarea').fill('I was here before');
    await first.locator('parley-chat [part="panel"] textarea').press('Enter');
    await first.locator('parley-chat li.visitor.sent').waitFor();
    await first.close();

    const { page, sockets } = await watchedPage(ctx);
    let loadedAt = 0;
    page.on('load', () => {
      loadedAt = Date.now();
    });
    let connectedAt = 0;
    page.on('websocket', () => {
      connectedAt = Date.now();
    });
    await page.goto(`${t.gateway.url}/`);
    await expect.poll(() => sockets.length, { timeout: 10_000 }).toBe(1);
    expect(connectedAt).toBeGreaterThanOrEqual(loadedAt);
    expect(loadedAt).toBeGreaterThan(0);
  });
});
