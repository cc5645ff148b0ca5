import type { Browser, Page } from 'playwright';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations } from '../support/axe';
import { AGENTS } from '../support/gateway';
import { type HostSite, startHostSite } from '../support/host-site';
import { e2e } from '../support/suite';

let site: HostSite;
beforeAll(async () => {
  site = await startHostSite();
});
const t = e2e({ gateway: () => ({ env: { PARLEY_ORIGINS: site.url } }) });
beforeAll(() => {
  site.gateway = t.gateway.url;
});
afterAll(() => site?.close());

async function page(path: string, options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
  const ctx = await t.context({ viewport: { width: 1000, height: 760 }, ...options });
  const p = await ctx.newPage();
  await p.goto(`${site.url}${path}`);
  await p.locator('parley-chat [part="launcher"]').waitFor();
  return p;
}

/** Geometry and the computed styles that make up the widget's look, for every element in its shadow root. */
function widgetLook(p: Page) {
  return p.evaluate(() => {
    const props = [
      'display',
      'position',
      'font-size',
      'font-family',
      'color',
      'background-color',
      'z-index',
      'opacity',
    ];
    const root = document.querySelector('parley-chat')!.shadowRoot!;
    return [...root.querySelectorAll('*')].map((el) => {
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      return [
        el.tagName,
        Math.round(r.x),
        Math.round(r.y),
        Math.round(r.width),
        Math.round(r.height),
        ...props.map((k) => cs.getPropertyValue(k)),
      ].join(' ');
    });
  });
}

async function openPanel(p: Page) {
  await p.locator('parley-chat [part="launcher"]').click();
  await p.locator('parley-chat [part="panel"] textarea').waitFor();
  await p
    .locator('parley-chat [part="panel"]')
    .evaluate((el) => Promise.all(el.getAnimations().map((a) => a.finished)));
}

describe('isolation from the host page', () => {
  it('looks and works the same on a page with hostile global CSS and a max z-index overlay', async () => {
    const plain = await page('/plain.html');
    const hostile = await page('/hostile.html');
    expect(await widgetLook(hostile)).toEqual(await widgetLook(plain));
    for (const p of [plain, hostile]) await openPanel(p);
    expect(await widgetLook(hostile)).toEqual(await widgetLook(plain));
    // The launcher is on top of the overlay: a real click at its centre reaches it.
    const box = (await hostile.locator('parley-chat [part="launcher"]').boundingBox())!;
    await hostile.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await hostile.locator('parley-chat [part="panel"]').waitFor({ state: 'hidden' });
  });

  it('changes nothing on the page outside its own element', async () => {
    const ctx = await t.context({ viewport: { width: 1000, height: 760 } });
    const p = await ctx.newPage();
    // Same page, without the widget: block the script.
    await p.route('**/parley.js', (r) => r.abort());
    await p.goto(`${site.url}/plain.html`);
    const snapshot = (on: Page) =>
      on.evaluate(() => ({
        sheets: document.styleSheets.length,
        bodyChildren: [...document.body.children].map((e) => e.tagName).filter((t) => t !== 'PARLEY-CHAT'),
        content: JSON.stringify(document.getElementById('content')!.getBoundingClientRect()),
        fontSize: getComputedStyle(document.getElementById('page-button')!).fontSize,
        htmlStyle: document.documentElement.getAttribute('style'),
        bodyStyle: document.body.getAttribute('style'),
      }));
    const without = await snapshot(p);
    await p.unroute('**/parley.js');
    const withWidget = await page('/plain.html');
    await openPanel(withWidget);
    const withSnapshot = await snapshot(withWidget);
    expect(withSnapshot).toEqual(without);
    expect(await withWidget.evaluate(() => document.querySelectorAll('parley-chat').length)).toBe(1);
  });
});

describe('strict Content-Security-Policy', () => {
  it('works without a single violation: no inline styles or scripts, no eval', async () => {
    const p = await page('/csp.html');
    await openPanel(p);
    const composer = p.locator('parley-chat [part="panel"] textarea');
    await composer.fill('Hello under a strict CSP');
    await composer.press('Enter');
    await p.locator('parley-chat li.visitor.sent').waitFor();
    const agent = io(`${t.gateway.url}/agent`, {
      auth: { token: AGENTS.Ana },
      transports: ['websocket'],
      forceNew: true,
    });
    const { conversations } = await agent.emitWithAck('list', { status: 'all' });
    const mine = conversations.find(
      (c: { lastMessage?: { text: string } }) => c.lastMessage?.text === 'Hello under a strict CSP',
    );
    await agent.emitWithAck('send', { conversationId: mine.id, clientId: 'csp-reply-1', text: 'Styled and delivered' });
    agent.close();
    await p.locator('parley-chat .bubble').getByText('Styled and delivered').waitFor();
    // The panel really is styled (constructable stylesheets apply under style-src 'self').
    expect(await p.locator('parley-chat [part="panel"]').evaluate((el) => getComputedStyle(el).position)).toBe('fixed');
    expect(await p.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
  });
});

describe('embedding', () => {
  it('gives one widget when the script is included twice', async () => {
    const p = await page('/double.html');
    await p.waitForLoadState('load');
    await p.waitForTimeout(200);
    expect(await p.evaluate(() => document.querySelectorAll('parley-chat').length)).toBe(1);
    await openPanel(p);
    expect(await p.locator('parley-chat [part="panel"]').count()).toBe(1);
  });

  it('gives one widget when both copies run before <body> exists', async () => {
    const ctx = await t.context({ viewport: { width: 1000, height: 760 } });
    const p = await ctx.newPage();
    let release!: () => void;
    const bothRan = new Promise<void>((resolve) => {
      release = resolve;
      setTimeout(resolve, 10_000);
    });
    // Hold the parser in <head> until both copies of parley.js have been fetched and run.
    await p.route('**/slow-blocking.js', async (route) => {
      await bothRan;
      await route.fulfill({ contentType: 'text/javascript', body: '/* slow */' });
    });
    let fetched = 0;
    p.on('requestfinished', (r) => {
      if (new URL(r.url()).pathname === '/parley.js' && ++fetched === 2) setTimeout(release, 300);
    });
    await p.goto(`${site.url}/double-head.html`);
    await p.locator('parley-chat [part="launcher"]').waitFor();
    await p.waitForTimeout(200);
    expect(fetched).toBe(2);
    expect(await p.evaluate(() => document.querySelectorAll('parley-chat').length)).toBe(1);
  });

  it('replays calls the page queued before the script loaded', async () => {
    const p = await page('/queue.html');
    await p.locator('parley-chat li.visitor.sent').waitFor();
    expect(await p.locator('parley-chat li.visitor .bubble').allTextContents()).toEqual([
      'sent before the script loaded',
    ]);
    expect(await p.evaluate(() => (window as unknown as { seen: string[] }).seen)).toEqual(['open', 'ready']);
    expect(
      await p.evaluate(() => typeof (window as unknown as { Parley: { unreadCount(): number } }).Parley.unreadCount()),
    ).toBe('number');
  });

  it('lays the panel out right to left in Arabic, with Arabic strings', async () => {
    const p = await page('/rtl.html');
    await openPanel(p);
    const frame = p.locator('parley-chat .frame');
    expect(await frame.getAttribute('dir')).toBe('rtl');
    expect(await frame.getAttribute('lang')).toBe('ar');
    expect(await p.locator('parley-chat [part="launcher"]').getAttribute('aria-label')).toBe('إغلاق الدردشة');
    const composer = p.locator('parley-chat [part="panel"] textarea');
    expect(await composer.getAttribute('aria-label')).toBe('رسالة');
    await composer.fill('مرحبا');
    await composer.press('Enter');
    // Once stored: the pending bubble becomes the sent one, and a box read in between could be of a detached node.
    const bubble = p.locator('parley-chat li.visitor.sent .bubble');
    await bubble.waitFor();
    // The visitor's own messages sit at the inline end: the left, in a right-to-left panel.
    const panelBox = (await p.locator('parley-chat [part="panel"]').boundingBox())!;
    const bubbleBox = (await bubble.boundingBox())!;
    expect(bubbleBox.x - panelBox.x).toBeLessThan(panelBox.x + panelBox.width - (bubbleBox.x + bubbleBox.width));
  });
});

describe('accessibility', () => {
  it('has no axe-core violations, closed and open, light and dark, with an agent’s group and avatar', async () => {
    const agent = io(`${t.gateway.url}/agent`, {
      auth: { token: AGENTS.Ana },
      transports: ['websocket'],
      forceNew: true,
    });
    try {
      for (const colorScheme of ['light', 'dark'] as const) {
        const p = await page('/plain.html', { colorScheme });
        expect(await axeViolations(p, ['parley-chat'])).toEqual([]);
        await openPanel(p);
        const composer = p.locator('parley-chat [part="panel"] textarea');
        const text = `A message to check the contrast of bubbles (${colorScheme})`;
        await composer.fill(text);
        await composer.press('Enter');
        await p.locator('parley-chat li.visitor.sent').waitFor();
        const { conversations } = await agent.emitWithAck('list', { status: 'all' });
        const mine = conversations.find((c: { lastMessage?: { text: string } }) => c.lastMessage?.text === text);
        await agent.emitWithAck('send', { conversationId: mine.id, clientId: `axe-${colorScheme}`, text: 'Hello!' });
        await p.locator('parley-chat li.agent .author .av').waitFor();
        await p.locator('parley-chat header').getByText('Ana usually replies in a few minutes').waitFor();
        expect(await axeViolations(p, ['parley-chat'])).toEqual([]);
      }
    } finally {
      agent.close();
    }
  });

  it('is usable from the keyboard alone', async () => {
    const p = await page('/plain.html');
    const active = () =>
      p.evaluate(() => {
        const a = document.activeElement;
        return a?.tagName === 'PARLEY-CHAT'
          ? `widget:${a.shadowRoot?.activeElement?.getAttribute('part') ?? a.shadowRoot?.activeElement?.tagName}`
          : a?.id || a?.tagName;
      });
    await p.keyboard.press('Tab');
    expect(await active()).toBe('page-button');
    await p.keyboard.press('Tab');
    expect(await active()).toBe('widget:launcher');
    await p.keyboard.press('Enter');
    await expect.poll(active).toBe('widget:TEXTAREA');
    await p.keyboard.type('Typed with the keyboard');
    await p.keyboard.press('Enter');
    await p.locator('parley-chat li.visitor.sent').waitFor();
    await p.keyboard.press('Escape');
    await expect.poll(active).toBe('widget:launcher');
  });

  it('keeps the typing dots visible but still under prefers-reduced-motion', async () => {
    const p = await page('/plain.html', { reducedMotion: 'reduce' });
    await openPanel(p);
    const composer = p.locator('parley-chat [part="panel"] textarea');
    await composer.fill('hello');
    await composer.press('Enter');
    await p.locator('parley-chat li.visitor.sent').waitFor();
    const agent = io(`${t.gateway.url}/agent`, {
      auth: { token: AGENTS.Ana },
      transports: ['websocket'],
      forceNew: true,
    });
    await new Promise((r) => agent.once('welcome', r));
    const { conversations } = await agent.emitWithAck('list', { status: 'all' });
    agent.emit('typing', { conversationId: conversations[0].id, typing: true });
    const typing = p.locator('parley-chat [part="typing"]');
    await typing.waitFor();
    const dots = await typing
      .locator('.dots i')
      .evaluateAll((els) =>
        els.map((e) => [
          getComputedStyle(e).animationName,
          getComputedStyle(e).opacity,
          e.getBoundingClientRect().width,
        ]),
      );
    agent.close();
    expect(dots).toHaveLength(3);
    for (const [name, opacity, width] of dots) {
      expect(name).toBe('none');
      expect(Number(opacity)).toBeGreaterThan(0);
      expect(width).toBeGreaterThan(0);
    }
  });
});
