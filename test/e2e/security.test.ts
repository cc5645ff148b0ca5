import type { Browser, BrowserContext, Locator, Page } from 'playwright';
import { io } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS, type Message } from '../../src/protocol';
import { launchBrowser } from '../support/browser';
import { connectAgent, type RunningGateway, removeDb, startGateway } from '../support/gateway';
import { startHostSite } from '../support/host-site';
import { openAgent, openVisitor, type Visitor } from '../support/pages';

/**
 * The widget and the agent console render message content as text only, whatever either side sends; the widget
 * offers no postMessage API and leaks nothing of the session to the host page; and the gateway's limits reach the
 * visitor as clear, non-lossy behaviour. Real gateway process, real Chromium.
 */

let browser: Browser;
const gateways: RunningGateway[] = [];
let contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  contexts = [];
  for (const gateway of gateways.splice(0)) {
    await gateway.stop();
    removeDb(gateway);
  }
});

async function gateway(env: Record<string, string> = {}): Promise<RunningGateway> {
  const gw = await startGateway({ env });
  gateways.push(gw);
  return gw;
}

/** A browser context whose pages carry the canary: any payload that runs bumps `__pwned` or sets `data-pwned`. */
async function context(): Promise<BrowserContext> {
  const ctx = await browser.newContext();
  contexts.push(ctx);
  await ctx.addInitScript(() => {
    (window as unknown as { __pwned: number }).__pwned = 0;
  });
  return ctx;
}

const RUN = 'window.__pwned++;document.body.dataset.pwned=1';
/** Every payload would run `RUN` if any part of it reached the DOM as markup or a link. */
const PAYLOADS = [
  `<script>${RUN}</script>`,
  `<img src=x onerror="${RUN}">`,
  `"><img src=x onerror=${RUN}>`,
  `<svg onload="${RUN}"></svg>`,
  `<svg><script>${RUN}</script></svg>`,
  `<iframe srcdoc="<script>parent.__pwned++</script>"></iframe>`,
  `<iframe src="javascript:parent.__pwned++"></iframe>`,
  `<a href="javascript:${RUN}">click me</a>`,
  `javascript:${RUN}`,
  `JaVaScRiPt:${RUN}`,
  `[click me](javascript:${RUN})`,
  `[docs](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX19wd25lZCsrPC9zY3JpcHQ+)`,
  `data:text/html,<script>${RUN}</script>`,
  `![x](https://ok.example/x.png" onerror="${RUN})`,
  `<details open ontoggle="${RUN}">`,
  `<input autofocus onfocus="${RUN}">`,
  `<body onload="${RUN}">`,
  `<a href="https://ok.example/" onmouseover="${RUN}">hover me</a>`,
  `<math><mtext><table><mglyph><style><img src=x onerror="${RUN}">`,
  `<style>@import 'https://evil.example/x.css';*{background:url("javascript:${RUN}")}</style>`,
  `&lt;img src=x onerror=${RUN}&gt;`,
  `{{constructor.constructor('${RUN}')()}}`,
  `https://ok.example/?q=<img src=x onerror=${RUN}>`,
  `mailto:a@ok.example?subject="><svg onload=${RUN}>`,
];
const MARKUP =
  'img, script, svg, iframe, object, embed, style, link, meta, base, form, input, math, details, video, audio';

/** What the canary saw, and what markup exists, on a page (widget: inside its shadow root). */
async function inspect(page: Page) {
  return page.evaluate((markup) => {
    const shadow = document.querySelector('parley-chat')?.shadowRoot;
    const count = (root: ParentNode | null | undefined) => root?.querySelectorAll(markup).length ?? 0;
    const tags = (root: ParentNode | null | undefined) => {
      const out: Record<string, number> = {};
      for (const el of root?.querySelectorAll(markup) ?? []) out[el.localName] = (out[el.localName] ?? 0) + 1;
      return out;
    };
    const log = shadow?.querySelector('[role="log"]') ?? document.querySelector('[role="log"][aria-label="Messages"]');
    const list = document.querySelector('[aria-label="Conversations"]');
    const links = [...(log?.querySelectorAll('a') ?? []), ...(list?.querySelectorAll('a') ?? [])].map((a) => ({
      href: a.getAttribute('href') ?? '',
      rel: a.getAttribute('rel') ?? '',
      target: a.getAttribute('target') ?? '',
    }));
    return {
      pwned: (window as unknown as { __pwned: number }).__pwned,
      dataset: document.body.dataset.pwned ?? null,
      inLog: count(log),
      inList: count(list),
      /** Elements of those kinds per tag, in the page and (prefixed) in the widget's shadow root. */
      tags: {
        ...tags(document),
        ...Object.fromEntries(Object.entries(tags(shadow)).map(([k, n]) => [`shadow ${k}`, n])),
      },
      links,
    };
  }, MARKUP);
}

function expectSafeLinks(links: { href: string; rel: string; target: string }[]) {
  for (const link of links) {
    expect(new URL(link.href).protocol, link.href).toMatch(/^(https?|mailto):$/);
    expect(link.rel.split(' ').sort()).toEqual(['noopener', 'noreferrer']);
    expect(link.target).toBe('_blank');
  }
}

/** Hovers and focuses every message (a payload may wait for an event). */
/** Hovers and focuses every element a person could reach; hidden ones (a closed <details>) get the focus event only. */
async function poke(items: Locator) {
  for (const item of await items.all()) {
    if (await item.isVisible()) await item.hover();
    await item.dispatchEvent('focus');
  }
}

describe('message content is text, both ways', () => {
  it('runs none of the payloads: visitor → console and agent → widget', async () => {
    const gw = await gateway();
    const dialogs: string[] = [];
    const visitor = await openVisitor(await context(), gw.url);
    const agent = await openAgent(await context(), gw.url, 'Ana');
    for (const page of [visitor.page, agent.page]) page.on('dialog', (d) => dialogs.push(d.message()));
    // One at a time: the composer ignores Enter while it is still storing the previous message.
    const type = async (text: string) => {
      await visitor.send(text);
      await expect.poll(() => visitor.composer.inputValue()).toBe('');
    };
    await type('xss suite: start');
    await visitor.waitSent(1);
    await agent.conversations.first().getByRole('button').first().click();
    await agent.log.getByText('xss suite: start').waitFor();
    const widgetBefore = await inspect(visitor.page);
    const consoleBefore = await inspect(agent.page);

    // Visitor → agent console.
    for (const payload of PAYLOADS) await type(payload);
    await visitor.waitSent(PAYLOADS.length + 1);
    await expect.poll(async () => (await agent.messages()).length, { timeout: 15_000 }).toBe(PAYLOADS.length + 1);
    const inConsole = await agent.messages();
    for (const [i, payload] of PAYLOADS.entries()) expect(inConsole[i + 1]).toContain(payload);

    // Agent console → widget.
    for (const payload of PAYLOADS) {
      await agent.send(payload);
      await expect.poll(() => agent.reply.inputValue()).toBe('');
    }
    await expect.poll(async () => (await visitor.bubbles()).length, { timeout: 15_000 }).toBe(2 * PAYLOADS.length + 1);
    expect(await visitor.bubbles()).toEqual(['xss suite: start', ...PAYLOADS, ...PAYLOADS]);

    await poke(visitor.log.locator('li'));
    await poke(agent.log.getByRole('listitem'));
    await visitor.page.waitForTimeout(300);

    for (const [page, before] of [
      [visitor.page, widgetBefore],
      [agent.page, consoleBefore],
    ] as const) {
      const after = await inspect(page);
      expect(after.pwned).toBe(0);
      expect(after.dataset).toBeNull();
      // No element of any of those kinds inside a message log or the conversation list, and none anywhere that
      // was not there before (the widget and the console have their own SVG icons).
      expect(after.inLog).toBe(0);
      expect(after.inList).toBe(0);
      expect(after.tags).toEqual(before.tags);
      expect(page.frames()).toHaveLength(1);
      expectSafeLinks(after.links);
      expect(after.links.some((l) => /^(javascript|data):/i.test(l.href))).toBe(false);
    }
    // Links exist (several payloads hold http(s) or mailto URLs), and every one passed the protocol allowlist.
    expect((await inspect(visitor.page)).links.length).toBeGreaterThan(0);
    expect(dialogs).toEqual([]);

    // Control: the same payloads parsed as HTML on a page with the same canary do run. The test would see a leak.
    const control = await visitor.page.context().newPage();
    await control.setContent('<body><div id="sink"></div></body>');
    await control.evaluate((all) => {
      const sink = document.getElementById('sink')!;
      for (const payload of all) sink.insertAdjacentHTML('beforeend', payload);
    }, PAYLOADS);
    await expect
      .poll(() => control.evaluate(() => (window as unknown as { __pwned: number }).__pwned))
      .toBeGreaterThan(2);
    await control.close();
  });

  it('shows a hostile page title and URL from a visitor as text in the console', async () => {
    const gw = await gateway();
    const hostile = io(`${gw.url}/visitor`, {
      auth: {
        v: 1,
        site: 'demo',
        page: {
          url: `https://shop.example/?q=<svg/onload=${encodeURIComponent(RUN)}>`,
          title: `<img src=x onerror="${RUN}">`,
        },
        locale: 'en',
      },
      transports: ['websocket'],
      forceNew: true,
    });
    await new Promise((resolve) => hostile.once('welcome', resolve));
    await hostile.emitWithAck('send', { clientId: 'hostile-meta-1', text: 'hostile page' });
    // A `javascript:` page URL is refused by the gateway before any console sees it.
    const refused = await hostile.emitWithAck('page', { url: `javascript:${RUN}`, title: 'x' });
    expect(refused).toMatchObject({ ok: false, code: 'invalid_payload' });

    const agent = await openAgent(await context(), gw.url, 'Ana');
    await agent.open('hostile page');
    const details = agent.page.getByRole('complementary', { name: 'Visitor details' });
    await details.getByText(`<img src=x onerror="${RUN}">`).first().waitFor();
    await poke(details.locator('*'));
    const after = await inspect(agent.page);
    expect(after.pwned).toBe(0);
    expect(after.dataset).toBeNull();
    // The shared canned replies' editor (a <details> with a form) is the console's own markup, not the visitor's.
    const visitorMarkup = await details
      .locator(MARKUP)
      .evaluateAll((els) => els.filter((el) => !el.closest('.canned-manager')).map((el) => el.localName));
    expect(visitorMarkup).toEqual([]);
    expect(after.inList).toBe(0);
    const hrefs = await details.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    for (const href of hrefs) expect(href).toMatch(/^https?:/);
    hostile.close();
  });
});

describe('the host page', () => {
  it('gets no postMessage API and nothing of the session beyond the public API', async () => {
    const gw = await gateway();
    const ctx = await context();
    await ctx.addInitScript(() => {
      const w = window as unknown as Record<string, unknown[]>;
      w.__messageListeners = [];
      w.__posted = [];
      w.__broadcast = [];
      const add = EventTarget.prototype.addEventListener;
      EventTarget.prototype.addEventListener = function (this: EventTarget, type: string, ...rest: unknown[]) {
        if (type === 'message' && (this === window || this instanceof MessagePort)) w.__messageListeners!.push(type);
        return add.call(this, type, ...(rest as [EventListener]));
      };
      const post = window.postMessage.bind(window);
      window.postMessage = ((...args: unknown[]) => {
        w.__posted!.push(args);
        return (post as (...a: unknown[]) => void)(...args);
      }) as typeof window.postMessage;
      // Whatever the widget tells its other tabs, a script of the host page can hear too.
      const channel = new BroadcastChannel('parley:demo');
      channel.onmessage = (e) => w.__broadcast!.push(JSON.stringify(e.data));
    });
    const urls: string[] = [];
    const consoleLines: string[] = [];
    ctx.on('request', (r) => urls.push(r.url()));
    ctx.on('page', (page) => page.on('websocket', (ws) => urls.push(ws.url())));
    ctx.on('console', (m) => consoleLines.push(m.text()));

    const visitor: Visitor = await openVisitor(ctx, gw.url);
    await visitor.send('private question');
    await visitor.waitSent(1);
    const agent = await agentSocket(gw);
    const { conversations } = await agent.emitWithAck('list', {});
    await agent.emitWithAck('send', { conversationId: conversations[0].id, clientId: 'private-reply', text: 'answer' });
    await visitor.log.getByText('answer').waitFor();
    // A second tab of the same visitor, so the tabs talk to each other.
    const tab = await openVisitor(ctx, gw.url);
    await tab.log.getByText('answer').waitFor();
    agent.close();

    const session = await visitor.page.evaluate(() => JSON.parse(localStorage.getItem('parley:demo') ?? '{}').session);
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const seen = await visitor.page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      const shadow = document.querySelector('parley-chat')?.shadowRoot;
      return {
        listeners: w.__messageListeners as unknown[],
        posted: w.__posted as unknown[],
        broadcast: w.__broadcast as string[],
        cookie: document.cookie,
        light: document.documentElement.outerHTML,
        shadow: shadow?.innerHTML ?? '',
        api: Object.keys(w.Parley as object).sort(),
        globals: Object.keys(window).filter((k) => /parley/i.test(k)),
        resources: performance.getEntries().map((e) => e.name),
      };
    });
    expect(seen.listeners).toEqual([]);
    expect(seen.posted).toEqual([]);
    expect(seen.api).toEqual(
      ['close', 'destroy', 'identify', 'on', 'open', 'send', 'shutdown', 'toggle', 'unreadCount', 'version'].sort(),
    );
    expect(seen.globals).toEqual(['Parley']);
    // The session token is nowhere the host page looks but the widget's own storage entry; message text is only
    // in the (open) shadow root and the public API's events, never in URLs, cookies or cross-tab messages.
    for (const place of [
      seen.cookie,
      seen.light,
      JSON.stringify(seen.broadcast),
      JSON.stringify(seen.resources),
      ...urls,
      ...consoleLines,
    ]) {
      expect(place).not.toContain(session);
      expect(place).not.toContain('private question');
    }
    expect(seen.shadow).not.toContain(session);
    expect(seen.broadcast.length).toBeGreaterThan(0);
  });
});

describe('agents and pages on other origins', () => {
  it('a page on another origin, guessing tokens from the agents’ network, cannot keep an agent out', async () => {
    const gw = await gateway();
    const site = await startHostSite({ '/': '<!doctype html><title>elsewhere</title>' });
    try {
      const page = await (await context()).newPage();
      await page.goto(site.url);
      // Socket.IO's wire protocol by hand: Engine.IO open, then a CONNECT to /agent with a guessed token.
      const codes = await page.evaluate(
        async (ws) => {
          const attempt = (token: string) =>
            new Promise<string>((resolve) => {
              const socket = new WebSocket(`${ws}/socket.io/?EIO=4&transport=websocket`);
              socket.onmessage = ({ data }) => {
                const text = String(data);
                if (text.startsWith('0')) socket.send(`40/agent,${JSON.stringify({ token })}`);
                else if (text.startsWith('44/agent,')) {
                  socket.close();
                  resolve(JSON.parse(text.slice('44/agent,'.length)).data.code);
                } else if (text.startsWith('40/agent,')) {
                  socket.close();
                  resolve('connected');
                }
              };
              socket.onerror = () => resolve('transport error');
            });
          const seen: string[] = [];
          for (let i = 0; i < 15; i++) seen.push(await attempt(`guessed-token-${i}-0123456789`));
          return seen;
        },
        gw.url.replace(/^http/, 'ws'),
      );
      expect(codes).toEqual(Array(15).fill('origin_refused'));
      // The agent, on the same address, signs in to the console as usual.
      await openAgent(await context(), gw.url, 'Ana');
    } finally {
      await site.close();
    }
  });
});

/** An agent speaking the protocol directly. */
const agentSocket = (gw: RunningGateway) => connectAgent(gw.url);

describe('limits, as the visitor meets them', () => {
  it('keeps an over-long message in the composer with a clear error, and sends nothing', async () => {
    const gw = await gateway();
    const agent = await agentSocket(gw);
    const received: Message[] = [];
    agent.on('message', (m: Message) => received.push(m));
    const visitor = await openVisitor(await context(), gw.url);
    const long = 'a'.repeat(LIMITS.messageLength + 1);
    await visitor.composer.fill(long);
    await visitor.composer.press('Enter');
    await visitor.panel.getByRole('alert').getByText('Messages can be at most 4000 characters.').waitFor();
    expect(await visitor.composer.inputValue()).toBe(long);
    // The API refuses it too, and nothing reaches the gateway either way.
    const thrown = await visitor.page.evaluate(async (text) => {
      try {
        await (window as unknown as { Parley: { send(t: string): Promise<void> } }).Parley.send(text);
        return 'sent';
      } catch (err) {
        return String(err);
      }
    }, long);
    expect(thrown).toMatch(/longer than 4000/);
    await visitor.composer.fill('a'.repeat(LIMITS.messageLength));
    await visitor.composer.press('Enter');
    await visitor.waitSent(1);
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]!.text).toHaveLength(LIMITS.messageLength);
    agent.close();
  });

  it('slows a burst over the session budget down without losing or reordering a message', async () => {
    const gw = await gateway({ PARLEY_RATE_SESSION: '4/4' });
    const agent = await agentSocket(gw);
    const received: Message[] = [];
    agent.on('message', (m: Message) => received.push(m));
    const visitor = await openVisitor(await context(), gw.url);
    const texts = Array.from({ length: 16 }, (_, i) => `burst ${i + 1}`);
    const started = Date.now();
    await visitor.page.evaluate(async (all) => {
      const parley = (window as unknown as { Parley: { send(t: string): Promise<void> } }).Parley;
      for (const text of all) await parley.send(text);
    }, texts);
    await visitor.waitSent(texts.length);
    await expect.poll(() => received.length, { timeout: 20_000 }).toBe(texts.length);
    // 4 at once, then 4 a second: the last of 16 cannot have been accepted before 3 s (the limit did bite).
    expect(Date.now() - started).toBeGreaterThan(2500);
    expect(received.map((m) => m.text)).toEqual(texts);
    expect(received.map((m) => m.seq)).toEqual(texts.map((_, i) => i + 1));
    expect(await visitor.bubbles()).toEqual(texts);
    agent.close();
  });

  it('over the per-address connection cap, the widget waits quietly and connects once a slot frees', async () => {
    const gw = await gateway({ PARLEY_MAX_CONNECTIONS_PER_IP: '1' });
    const first = await openVisitor(await context(), gw.url);
    await first.send('first tab');
    await first.waitSent(1);
    const second = await openVisitor(await context(), gw.url);
    const status = second.panel.locator('[part="status"]');
    await status.getByText('Connecting…').waitFor();
    await second.page.waitForTimeout(1500);
    // A temporary refusal is not reported as the chat being unavailable.
    expect(await status.textContent()).toBe('Connecting…');
    // The first visitor is not affected.
    await first.send('still fine');
    await first.waitSent(2);
    // When the first visitor leaves, the second gets in by itself.
    await first.page.close();
    await second.send('my turn');
    await second.waitSent(1);
  });
});
