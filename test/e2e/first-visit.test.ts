import type { BrowserContextOptions, Locator } from 'playwright';
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AGENTS, connectAgent } from '../support/gateway';
import { type HostSite, hostPage, startHostSite } from '../support/host-site';
import { Visitor } from '../support/pages';
import { e2e } from '../support/suite';

// Defects a new visitor hits (issue 17), each proven in Chromium against the real gateway.

const TALL = '<h1>Host page</h1><div style="height: 3000px"></div>';
const pages = {
  '/chat.html': hostPage({ gateway: '{{GATEWAY}}', site: 'visits', greeting: 'Hi! How can we help?' }, '', TALL),
};
let allowed: HostSite;
let refused: HostSite;
beforeAll(async () => {
  allowed = await startHostSite(pages);
  refused = await startHostSite(pages);
});
const t = e2e({ gateway: () => ({ env: { PARLEY_ORIGINS: allowed.url } }) });
beforeAll(() => {
  allowed.gateway = refused.gateway = t.gateway.url;
});
afterAll(() => Promise.all([allowed?.close(), refused?.close()]));

const agents: Socket[] = [];
afterEach(() => {
  for (const a of agents.splice(0)) a.close();
});

/** An agent speaking the protocol directly. */
async function agentSocket(name: keyof typeof AGENTS = 'Ana'): Promise<Socket> {
  const socket = await connectAgent(t.gateway.url, AGENTS[name]);
  agents.push(socket);
  return socket;
}

/** The id of the conversation whose last message is `text`. */
async function conversationOf(agent: Socket, text: string): Promise<string> {
  const { conversations } = await agent.emitWithAck('list', {});
  const c = conversations.find((c: { lastMessage?: { text: string } }) => c.lastMessage?.text === text);
  if (!c) throw new Error(`no conversation ends with ${text}`);
  return c.id;
}

async function visit(options: BrowserContextOptions = {}, site = allowed): Promise<Visitor> {
  const ctx = await t.context({ viewport: { width: 1000, height: 700 }, ...options });
  const page = await ctx.newPage();
  await page.goto(`${site.url}/chat.html`);
  await page.locator('parley-chat [part="launcher"]').click();
  const visitor = new Visitor(page);
  await visitor.composer.waitFor();
  return visitor;
}

/** Whether the element is wholly inside the visible part of the message list. */
const inView = (el: Locator) =>
  el.evaluate((node) => {
    const list = node.closest('[part="messages"]')!.getBoundingClientRect();
    const r = node.getBoundingClientRect();
    return r.top >= list.top - 1 && r.bottom <= list.bottom + 1;
  });

describe('a new visitor', () => {
  it('always sees their own message scrolled into view, and the resolved note, even after the composer grew', async () => {
    const visitor = await visit();
    for (let i = 0; i < 12; i++) await visitor.send(`Short ${i}`);
    await visitor.waitSent(12);
    // 150 characters: the composer grows to several lines while it holds them.
    const long =
      'This is a longer question about my order, which has not arrived yet although it was shipped a week ago. '
        .repeat(2)
        .slice(0, 150);
    await visitor.send(long);
    await visitor.waitSent(13);
    const last = () => visitor.log.locator('li.visitor').last();
    await expect.poll(() => inView(last())).toBe(true);
    for (let i = 0; i < 6; i++) {
      await visitor.send(`Follow-up ${i}`);
      await visitor.waitSent(14 + i);
      await expect.poll(() => inView(last())).toBe(true);
    }
    expect(await visitor.panel.getByRole('button', { name: /New messages/ }).count()).toBe(0);

    const agent = await agentSocket();
    const id = await conversationOf(agent, 'Follow-up 5');
    await agent.emitWithAck('setStatus', { conversationId: id, status: 'resolved' });
    const note = visitor.panel.getByText('This conversation was marked as resolved.', { exact: false });
    await note.waitFor();
    await expect.poll(() => inView(note)).toBe(true);
  });

  it('turns every Enter into a message, in order, however slow the outbox is to write', async () => {
    const ctx = await t.context();
    // A phone's slow IndexedDB: every write transaction completes 150 ms late.
    await ctx.addInitScript(() => {
      const desc = Object.getOwnPropertyDescriptor(IDBTransaction.prototype, 'oncomplete')!;
      Object.defineProperty(IDBTransaction.prototype, 'oncomplete', {
        ...desc,
        set(fn: ((e: Event) => void) | null) {
          desc.set!.call(this, fn && ((e: Event) => setTimeout(() => fn.call(this, e), 150)));
        },
      });
    });
    const page = await ctx.newPage();
    await page.goto(`${allowed.url}/chat.html`);
    await page.locator('parley-chat [part="launcher"]').click();
    const visitor = new Visitor(page);
    const texts = Array.from({ length: 10 }, (_, i) => `Quick ${i}`);
    for (const text of texts) await visitor.send(text);
    await visitor.waitSent(10);
    expect(await visitor.bubbles()).toEqual(texts);
    expect(await visitor.composer.inputValue()).toBe('');
  });

  it('on a refused origin: says so once in plain words, stops retrying, and warns the site owner once', async () => {
    const ctx = await t.context();
    const page = await ctx.newPage();
    await page.clock.install();
    const warnings: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'warning' && m.text().includes('PARLEY_ORIGINS')) warnings.push(m.text());
    });
    let sockets = 0;
    page.on('websocket', () => sockets++);
    await page.goto(`${refused.url}/chat.html`);
    await page.locator('parley-chat [part="launcher"]').click();
    const visitor = new Visitor(page);
    const status = visitor.panel.locator('[part="status"]');
    await expect.poll(() => status.textContent()).toBe("Chat isn't available on this page.");
    await visitor.send('Anyone there?');
    const item = visitor.log.locator('li.visitor');
    await expect.poll(() => item.locator('.meta').textContent()).toMatch(/Not sent$/);
    expect(await item.getByRole('button').count()).toBe(0);

    await page.clock.runFor(120_000);
    await page.waitForTimeout(1000);
    expect(sockets).toBe(1);
    expect(await status.textContent()).toBe("Chat isn't available on this page.");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(refused.url);
  });

  it('lays out message text by its own direction in a right-to-left panel, and mirrors the send arrow', async () => {
    const visitor = await visit({ locale: 'ar-EG' });
    const greeting = visitor.log.locator('li.system .bubble');
    expect(await greeting.textContent()).toBe('Hi! How can we help?');
    expect(await greeting.evaluate((el) => el.matches(':dir(ltr)'))).toBe(true);
    await visitor.send('mixed English and عربي');
    await visitor.send('مرحبا');
    await visitor.waitSent(2);
    const bubbles = visitor.log.locator('li.visitor .bubble');
    expect(await bubbles.nth(0).evaluate((el) => el.matches(':dir(ltr)'))).toBe(true);
    expect(await bubbles.nth(1).evaluate((el) => el.matches(':dir(rtl)'))).toBe(true);
    const arrow = visitor.panel.locator('[part="send"] svg');
    expect(await arrow.evaluate((el) => getComputedStyle(el).transform)).toBe('matrix(-1, 0, 0, 1, 0, 0)');
  });

  it('on a phone: locks the page behind the full-screen panel and restores it exactly, with a 44 px close button', async () => {
    const ctx = await t.context({ viewport: { width: 375, height: 667 } });
    const page = await ctx.newPage();
    await page.goto(`${allowed.url}/chat.html`);
    await page.locator('parley-chat [part="launcher"]').waitFor();
    await page.evaluate(() => {
      document.documentElement.setAttribute('style', 'overflow-y: scroll;');
      window.scrollTo(0, 500);
    });
    await page.locator('parley-chat [part="launcher"]').click();
    const visitor = new Visitor(page);
    await visitor.composer.waitFor();
    const overflow = () =>
      page.evaluate(() => [
        getComputedStyle(document.documentElement).overflowY,
        getComputedStyle(document.body).overflowY,
      ]);
    // The page's root is locked; its visible <body> is left alone (hiding its overflow would shift the page).
    expect(await overflow()).toEqual(['hidden', 'visible']);
    expect(await page.evaluate(() => window.scrollY)).toBe(500);
    const header = visitor.panel.locator('[part="header"]');
    const box = (await header.boundingBox())!;
    await page.mouse.move(box.x + 40, box.y + box.height / 2);
    await page.mouse.wheel(0, 400);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => window.scrollY)).toBe(500);

    const close = visitor.panel.getByRole('button', { name: 'Close chat' });
    const closeBox = (await close.boundingBox())!;
    expect(closeBox.width).toBeGreaterThanOrEqual(44);
    expect(closeBox.height).toBeGreaterThanOrEqual(44);

    await close.click();
    await visitor.panel.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.documentElement.getAttribute('style'))).toBe('overflow-y: scroll;');
    expect(await page.evaluate(() => document.body.getAttribute('style'))).toBe(null);
    expect(await page.evaluate(() => window.scrollY)).toBe(500);

    // A page that scrolls in <body> gets <body> locked too, and back exactly as it was.
    await page.evaluate(() => document.body.setAttribute('style', 'overflow-y: auto; color: navy;'));
    await page.locator('parley-chat [part="launcher"]').click();
    expect(await overflow()).toEqual(['hidden', 'hidden']);
    await close.click();
    expect(await page.evaluate(() => document.body.getAttribute('style'))).toBe('overflow-y: auto; color: navy;');
    expect(await page.evaluate(() => document.documentElement.getAttribute('style'))).toBe('overflow-y: scroll;');
  });

  it('never shows an agent online while disconnected, and shows "Back online" as success', async () => {
    const ctx = await t.context();
    const page = await ctx.newPage();
    await page.goto(`${allowed.url}/chat.html`);
    await page.locator('parley-chat [part="launcher"]').click();
    const visitor = new Visitor(page);
    await agentSocket();
    const header = visitor.panel.locator('[part="header"]');
    // An online agent is named in the header (the looks of issue 17), with the online dot.
    const online = header.getByText('Ana usually replies in a few minutes', { exact: true });
    await online.waitFor();
    expect(await header.locator('.dot.online').count()).toBe(1);
    const status = visitor.panel.locator('[part="status"]');
    const background = () => status.evaluate((el) => getComputedStyle(el).backgroundColor);

    await ctx.setOffline(true);
    await status.getByText("You're offline", { exact: false }).waitFor();
    expect(await online.count()).toBe(0);
    expect(await header.getByText('Online', { exact: true }).count()).toBe(0);
    expect(await header.locator('.dot.online').count()).toBe(0);
    const warning = await background();

    await ctx.setOffline(false);
    await status.getByText('Back online').waitFor();
    expect(await background()).not.toBe(warning);
    expect(await background()).toBe('rgb(220, 252, 231)');
  });

  it('names every agent who is typing', async () => {
    const visitor = await visit();
    await visitor.send('Who is there?');
    await visitor.waitSent(1);
    const [ana, ben] = [await agentSocket('Ana'), await agentSocket('Ben')];
    const id = await conversationOf(ana, 'Who is there?');
    const typing = visitor.panel.locator('[part="typing"]');
    ana.emit('typing', { conversationId: id, typing: true });
    await typing.getByText('Ana is typing…').waitFor();
    ben.emit('typing', { conversationId: id, typing: true });
    await typing.getByText('Ana and Ben are typing…').waitFor();
    ana.emit('typing', { conversationId: id, typing: false });
    await typing.getByText('Ben is typing…').waitFor();
  });
});
