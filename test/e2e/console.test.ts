import type { Page } from 'playwright';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol';
import { axeViolations } from '../support/axe';
import { AGENTS, connectAgent, startGateway } from '../support/gateway';
import { openAgent, openVisitor } from '../support/pages';
import { e2e } from '../support/suite';

const t = e2e({ gatewayPerTest: true });
const context = (options?: Parameters<typeof t.context>[0]) => t.context(options);

/** Every message of the gateway's only conversation, read over a fresh agent socket. */
async function stored(url: string): Promise<string[]> {
  const agent = await connectAgent(url);
  try {
    const list = await agent.timeout(5000).emitWithAck('list', { status: 'all' });
    const id = list.conversations[0].id;
    const opened = await agent.timeout(5000).emitWithAck('open', { conversationId: id });
    return opened.messages.map((m: Message) => m.text);
  } finally {
    agent.close();
  }
}

/** The keys of the console's IndexedDB outbox (replies and drafts). */
function outboxKeys(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('parley-console');
        // Opening a database that does not exist would create it empty, without the console's store: undo that.
        open.onupgradeneeded = () => open.transaction?.abort();
        open.onblocked = () => resolve([]);
        open.onerror = () => (open.error?.name === 'AbortError' ? resolve([]) : reject(open.error));
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('replies')) return resolve([]);
          const req = db.transaction('replies').objectStore('replies').getAllKeys();
          req.onsuccess = () => resolve(req.result.map(String));
          req.onerror = () => reject(req.error);
        };
      }),
  );
}

describe('console: durable agent replies', () => {
  it('a reply sent while the gateway is down is shown queued, survives a reload and is delivered once, in order', async () => {
    const visitor = await openVisitor(await context(), t.gateway.url);
    await visitor.send('Need help');
    await visitor.waitSent(1);
    const agent = await openAgent(await context(), t.gateway.url, 'Ana');
    await agent.open('Need help');

    await t.gateway.stop();
    await agent.send('Queued while down');
    await agent.send('Second queued');
    const queued = agent.log.locator('.msg--queued');
    await expect.poll(() => queued.count()).toBe(2);
    expect(await queued.first().textContent()).toContain('Queued: sent when the gateway is reachable');
    await expect.poll(() => agent.reply.inputValue()).toBe('');
    expect((await outboxKeys(agent.page)).filter((k) => k.startsWith('reply:'))).toHaveLength(2);

    // A reload before the console can reach the gateway again: the replies are in IndexedDB, not in the page. The
    // page itself comes from the gateway, so the gateway is back but the page's WebSockets are refused until later.
    let refuse = true;
    await agent.page.routeWebSocket(/\/socket\.io\//, (ws) => (refuse ? ws.close() : ws.connectToServer()));
    t.gateway = await t.gateway.restart();
    await agent.page.reload();
    await agent.page.getByRole('list', { name: 'Conversations' }).waitFor();
    await agent.page.getByText('Connecting…').waitFor();
    expect(await stored(t.gateway.url)).toEqual(['Need help']);
    refuse = false;

    await visitor.log.getByText('Second queued').waitFor({ timeout: 30_000 });
    expect(await visitor.bubbles()).toEqual(['Need help', 'Queued while down', 'Second queued']);
    await agent.log.getByText('Second queued').waitFor();
    await expect.poll(() => queued.count()).toBe(0);
    await expect.poll(() => outboxKeys(agent.page)).toEqual([]);
    // A reconnect more does not send them again.
    await agent.page.reload();
    await agent.log.getByText('Second queued').waitFor();
    expect(await stored(t.gateway.url)).toEqual(['Need help', 'Queued while down', 'Second queued']);
  });
});

describe('console: sign-in', () => {
  it('says the agents changed when a working token is refused after a restart, and keeps the half-typed reply', async () => {
    const visitor = await openVisitor(await context(), t.gateway.url);
    await visitor.send('Hello there');
    await visitor.waitSent(1);
    const agent = await openAgent(await context(), t.gateway.url, 'Ana');
    await agent.open('Hello there');
    await agent.reply.fill('Half-typed answer');
    await expect.poll(() => outboxKeys(agent.page)).toEqual([expect.stringMatching(/^draft:Ana\n/)]);

    const fresh = 'ana-new-token-9876543210-zyxw';
    await t.gateway.stop();
    t.gateway = await startGateway({
      port: t.gateway.port,
      dbPath: t.gateway.dbPath,
      env: { PARLEY_AGENTS: `Ana:${fresh}` },
    });
    const alert = agent.page.getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toBe("This gateway's agents changed; sign in again with a current token.");

    await agent.page.getByLabel('Agent token').fill(fresh);
    await agent.page.getByRole('button', { name: 'Sign in' }).click();
    await agent.log.getByText('Hello there').waitFor();
    await expect.poll(() => agent.reply.inputValue()).toBe('Half-typed answer');
  });

  it('a first sign-in with a wrong token says so, and the form has a username field for password managers', async () => {
    const page = await (await context()).newPage();
    const warnings: string[] = [];
    page.on('console', (m) => warnings.push(m.text()));
    await page.goto(`${t.gateway.url}/agent`);
    await page.getByLabel('Agent token').fill(`${AGENTS.Ana}-wrong`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('That agent token was not accepted. Check it and sign in again.');
    expect(await page.locator('input[autocomplete="username"]').count()).toBe(1);
    expect(warnings.filter((w) => w.includes('Password forms should have'))).toEqual([]);
  });
});

/**
 * Records every `new Notification(…)` and `Notification.requestPermission()` in `window.__alerts`, and lets the test
 * put the page in the background: headless Chromium reports every page as visible, whichever is in front, so
 * `document.visibilityState`/`hidden` are overridden and `visibilitychange` fired as a real tab switch would.
 */
function spyOnAlerts() {
  const w = window as unknown as {
    __alerts: { title: string; tag?: string; body?: string }[];
    __asked: number;
    __setHidden(h: boolean): void;
  };
  w.__alerts = [];
  w.__asked = 0;
  // The chime (src/client/chime.ts) is two notes, an oscillator each: two oscillators make one chime.
  const chimes = { count: 0 };
  (w as unknown as { __chimes: typeof chimes }).__chimes = chimes;
  const createOscillator = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function (this: AudioContext) {
    chimes.count++;
    return createOscillator.call(this);
  };
  const Real = window.Notification;
  class Spy extends Real {
    constructor(title: string, options?: NotificationOptions) {
      w.__alerts.push({ title, tag: options?.tag, body: options?.body });
      super(title, options);
    }
    static override requestPermission(): Promise<NotificationPermission> {
      w.__asked++;
      return Real.requestPermission();
    }
  }
  window.Notification = Spy;
  let hidden = false;
  Object.defineProperty(Document.prototype, 'visibilityState', { get: () => (hidden ? 'hidden' : 'visible') });
  Object.defineProperty(Document.prototype, 'hidden', { get: () => hidden });
  w.__setHidden = (h) => {
    hidden = h;
    document.dispatchEvent(new Event('visibilitychange'));
  };
}

const alertsOf = (page: Page) =>
  page.evaluate(() => (window as unknown as { __alerts: { title: string; tag?: string }[] }).__alerts);
const chimesOf = (page: Page) =>
  page.evaluate(() => (window as unknown as { __chimes: { count: number } }).__chimes.count / 2);
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((h) => (window as unknown as { __setHidden(h: boolean): void }).__setHidden(h), hidden);

describe('console: notifications', () => {
  it('notifies once across background tabs, one tag per conversation, and not while the agent reads it', async () => {
    const agentCtx = await context();
    await agentCtx.grantPermissions(['notifications'], { origin: t.gateway.url });
    await agentCtx.addInitScript(spyOnAlerts);
    const a = await openAgent(agentCtx, t.gateway.url, 'Ana');
    const b = await openAgent(agentCtx, t.gateway.url, 'Ana');
    // Browsers let a page play sound only after a gesture in it: a click in each tab.
    for (const tab of [a, b]) await tab.page.locator('.topbar').click({ position: { x: 5, y: 5 } });
    await Promise.all([setHidden(a.page, true), setHidden(b.page, true)]);
    const all = async () => [...(await alertsOf(a.page)), ...(await alertsOf(b.page))];
    const chimes = async () => (await chimesOf(a.page)) + (await chimesOf(b.page));

    const visitor = await openVisitor(await context(), t.gateway.url);
    await visitor.send('First question');
    await expect.poll(all).toHaveLength(1);
    const [first] = await all();
    expect(first!.title).toMatch(/^New conversation: Visitor /);
    const row = a.conversations.filter({ hasText: 'First question' });
    const id = await row.getAttribute('data-conversation-id');
    expect(first!.tag).toBe(id);
    // One chime for the event, in one of the two tabs.
    expect(await chimes()).toBe(1);

    await visitor.send('Second question');
    await expect.poll(all).toHaveLength(2);
    expect((await all()).map((n) => n.tag)).toEqual([id, id]);
    // The title and the favicon count the unread messages.
    await expect.poll(() => a.page.title()).toBe('(2) Parley — agent console');
    expect(decodeURIComponent((await a.page.locator('link[rel="icon"]').getAttribute('href')) ?? '')).toContain(
      '>2</text>',
    );

    // Tab a comes to the front with the conversation open: tab b, still behind, stays quiet.
    await setHidden(a.page, false);
    await a.open('Second question');
    await visitor.send('Third question');
    await a.log.getByText('Third question').waitFor();
    await b.conversations.filter({ hasText: 'Third question' }).waitFor();
    const chimed = await chimes();
    await a.page.waitForTimeout(500);
    expect(await all()).toHaveLength(2);
    // Tab b heard the message too, but the agent is reading it in tab a: no chime either.
    expect(await chimes()).toBe(chimed);
  });

  it('asks for the permission only from its button, never on load', async () => {
    const ctx = await context();
    await ctx.addInitScript(spyOnAlerts);
    const agent = await openAgent(ctx, t.gateway.url, 'Ana');
    await agent.page.getByText('Notifications', { exact: true }).click();
    const allow = agent.page.getByRole('button', { name: 'Allow desktop notifications' });
    await allow.waitFor();
    const asked = () => agent.page.evaluate(() => (window as unknown as { __asked: number }).__asked);
    expect(await asked()).toBe(0);
    await allow.click();
    await expect.poll(asked).toBe(1);
  });
});

describe('console: phone width', () => {
  it('at 390 px: list, conversation and details are separate views with a way back, and the name stays', async () => {
    const visitor = await openVisitor(await context(), t.gateway.url);
    await visitor.send('Order 1234 never arrived');
    await visitor.waitSent(1);
    const ctx = await context({ viewport: { width: 390, height: 844 } });
    const agent = await openAgent(ctx, t.gateway.url, 'Ana');
    const { page } = agent;
    const list = page.getByRole('list', { name: 'Conversations' });
    const noSideScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= innerWidth);
    expect(await noSideScroll()).toBe(true);

    await agent.open('Order 1234');
    await list.waitFor({ state: 'hidden' });
    const title = page.locator('#conversation-title');
    expect(await title.textContent()).toMatch(/^Visitor [0-9a-f]{4}$/);
    // The whole name is shown, not an ellipsis: nothing of it is cut off.
    expect(await title.evaluate((el) => el.scrollWidth <= el.clientWidth && el.clientWidth > 60)).toBe(true);
    expect(await agent.reply.isVisible()).toBe(true);
    expect(await noSideScroll()).toBe(true);

    await page.getByRole('button', { name: 'Details' }).click();
    const details = page.getByRole('complementary', { name: 'Visitor details' });
    await details.waitFor();
    expect(await details.evaluate((el) => el.getBoundingClientRect().width)).toBe(390);
    await page.getByRole('button', { name: 'Back to the conversation' }).click();
    await details.waitFor({ state: 'hidden' });
    expect(await agent.reply.isVisible()).toBe(true);

    await page.getByRole('button', { name: 'Conversations' }).click();
    await list.waitFor();
    expect(await agent.reply.count()).toBe(0);
  });
});

describe('read receipts', () => {
  it('"Seen" appears in the widget once the agent opens the conversation, not before', async () => {
    const visitor = await openVisitor(await context(), t.gateway.url);
    await visitor.send('Is anyone reading this?');
    await visitor.waitSent(1);
    const agent = await openAgent(await context(), t.gateway.url, 'Ana');
    await agent.conversations.filter({ hasText: 'Is anyone reading this?' }).waitFor();
    const seen = visitor.log.locator('li.visitor .meta', { hasText: 'Seen' });
    // Listed is not read: only opening the conversation (in a visible tab) reads it.
    await visitor.page.waitForTimeout(300);
    expect(await seen.count()).toBe(0);

    await agent.open('Is anyone reading this?');
    await seen.waitFor();
    // Announced politely to screen readers.
    await expect.poll(() => visitor.panel.locator('[aria-live="polite"]').textContent()).toBe('Seen');

    // And the agent sees that the visitor read the reply.
    await agent.send('Yes, Ana here.');
    await agent.log.getByText('Seen by the visitor').waitFor();
  });
});

describe('console: accessibility of the additions', () => {
  it('has no axe-core violations with a receipt, a queued reply, the notification settings and the phone views', async () => {
    const visitor = await openVisitor(await context(), t.gateway.url);
    await visitor.send('Checking the colours');
    await visitor.waitSent(1);
    // The console's own CSP forbids the inline axe script; the console's code runs the same either way.
    const ctx = await context({ bypassCSP: true, viewport: { width: 390, height: 844 } });
    const agent = await openAgent(ctx, t.gateway.url, 'Ana');
    await agent.open('Checking the colours');
    await agent.send('Read me');
    await agent.log.getByText('Seen by the visitor').waitFor();
    await t.gateway.stop();
    await agent.send('Queued for later');
    await agent.log.locator('.msg--queued').waitFor();
    await agent.page.getByText('Notifications', { exact: true }).click();
    for (const colorScheme of ['light', 'dark'] as const) {
      await agent.page.emulateMedia({ colorScheme });
      expect(await axeViolations(agent.page)).toEqual([]);
    }
    // Escape closes the settings, as a menu.
    await agent.page.keyboard.press('Escape');
    await agent.page.getByText('Sound', { exact: true }).waitFor({ state: 'hidden' });
    await agent.page.getByRole('button', { name: 'Details' }).click();
    await agent.page.getByRole('button', { name: 'Back to the conversation' }).waitFor();
    expect(await axeViolations(agent.page)).toEqual([]);
  });
});
