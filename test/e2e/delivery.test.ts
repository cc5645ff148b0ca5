import type { Page } from 'playwright';
import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol';
import { connectAgent, startGateway } from '../support/gateway';
import { hostPage, startHostSite } from '../support/host-site';
import { openVisitor, type Visitor } from '../support/pages';
import { e2e } from '../support/suite';

const t = e2e({ gatewayPerTest: true });
const context = () => t.context();
let agents: Socket[] = [];
afterEach(() => {
  for (const a of agents) a.close();
  agents = [];
});

async function agent(): Promise<Socket> {
  const socket = await connectAgent(t.gateway.url);
  agents.push(socket);
  return socket;
}

/** Every message the gateway stored, in all conversations, as `text` lists per conversation. */
async function stored(): Promise<string[][]> {
  const a = await agent();
  const { conversations } = await a.emitWithAck('list', { status: 'all' });
  const all: string[][] = [];
  for (const c of conversations) {
    const texts: string[] = [];
    let afterSeq = 0;
    for (;;) {
      const page = await a.emitWithAck('open', { conversationId: c.id, afterSeq });
      texts.push(...page.messages.map((m: Message) => m.text));
      if (!page.more) break;
      afterSeq = page.messages.at(-1).seq;
    }
    all.push(texts);
  }
  a.close();
  return all;
}

/** Author and delivery state of each visitor message (its group position, `last`, left out). */
const states = (v: Visitor) =>
  v.log.locator('li.visitor').evaluateAll((els) => els.map((e) => e.className.replace('last', '').trim()));

function sendFromPage(page: Page, texts: string[]): Promise<void> {
  return page.evaluate(async (list) => {
    const parley = (window as unknown as { Parley: { send(t: string): Promise<void> } }).Parley;
    for (const t of list) await parley.send(t);
  }, texts);
}

describe('delivery: exactly once, in order', () => {
  it('queues across offline, a reload and a gateway outage (even before a session exists), then delivers exactly those', async () => {
    // The site serves its page and the widget itself, so it still loads while the gateway is down.
    const site = await startHostSite({ '/': hostPage({ gateway: t.gateway.url, site: 'acme' }) });
    await t.gateway.stop();
    t.gateway = await startGateway({
      port: t.gateway.port,
      dbPath: t.gateway.dbPath,
      env: { PARLEY_ORIGINS: site.url },
    });
    await t.gateway.stop();
    try {
      const ctx = await context();
      const visitor = await openVisitor(ctx, site.url);
      await visitor.send('one');
      await ctx.setOffline(true);
      await visitor.send('two');
      await visitor.send('three');
      await visitor.panel.getByText("You're offline. Messages will be sent when you're back.").waitFor();
      expect(await states(visitor)).toEqual(['visitor queued', 'visitor queued', 'visitor queued']);

      await ctx.setOffline(false);
      await visitor.page.reload();
      await visitor.page.getByRole('button', { name: /^Open chat/ }).click();
      await expect.poll(() => visitor.bubbles()).toEqual(['one', 'two', 'three']);
      expect(await states(visitor)).toEqual(['visitor queued', 'visitor queued', 'visitor queued']);
      const dbs = await visitor.page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
      expect(dbs).toEqual(['parley-acme']);

      t.gateway = await t.gateway.restart();
      await visitor.waitSent(3);
      expect(await stored()).toEqual([['one', 'two', 'three']]);
      expect(await visitor.bubbles()).toEqual(['one', 'two', 'three']);
    } finally {
      await site.close();
    }
  });

  it('delivers queued messages after a reload without the visitor opening the chat again, even with no session yet', async () => {
    const site = await startHostSite({ '/': hostPage({ gateway: t.gateway.url, site: 'acme' }) });
    await t.gateway.stop();
    t.gateway = await startGateway({
      port: t.gateway.port,
      dbPath: t.gateway.dbPath,
      env: { PARLEY_ORIGINS: site.url },
    });
    try {
      await t.gateway.stop();
      const ctx = await context();
      const visitor = await openVisitor(ctx, site.url);
      await visitor.send('written before any session existed');
      await visitor.log.locator('li.visitor.queued').waitFor();
      await visitor.page.reload();
      await visitor.page.getByRole('button', { name: /^Open chat/ }).waitFor();
      t.gateway = await t.gateway.restart();
      // Nobody opens the panel and there is no session yet: the widget loads the chat by itself because the outbox
      // is not empty.
      await expect.poll(stored, { timeout: 20_000 }).toEqual([['written before any session existed']]);
    } finally {
      await site.close();
    }
  });

  it('loses and doubles nothing when the gateway is killed (-9) with messages in flight', async () => {
    const visitor = await openVisitor(await context(), t.gateway.url);
    await visitor.send('hello');
    await visitor.waitSent(1);
    const texts = Array.from({ length: 150 }, (_, i) => `msg ${i}`);
    await sendFromPage(visitor.page, texts);
    await visitor.log.locator('li.visitor.sent').nth(10).waitFor();
    await t.gateway.stop('SIGKILL');
    const sentBeforeKill = await visitor.log.locator('li.visitor.sent').count();
    expect(sentBeforeKill).toBeLessThan(151);

    t.gateway = await t.gateway.restart();
    await visitor.log.locator('li.visitor.sent').nth(150).waitFor({ timeout: 30_000 });
    expect(await stored()).toEqual([['hello', ...texts]]);
    expect(await visitor.bubbles()).toEqual(['hello', ...texts]);
  });

  it('two tabs sending at once: every message once, and both tabs show all of them', async () => {
    const ctx = await context();
    const a = await openVisitor(ctx, t.gateway.url);
    await a.send('from a, first');
    await a.waitSent(1);
    const b = await openVisitor(ctx, t.gateway.url);
    await b.log.getByText('from a, first').waitFor();

    const fromA = Array.from({ length: 10 }, (_, i) => `a${i}`);
    const fromB = Array.from({ length: 10 }, (_, i) => `b${i}`);
    await Promise.all([sendFromPage(a.page, fromA), sendFromPage(b.page, fromB)]);
    await a.waitSent(21);
    await b.waitSent(21);

    const [conversation] = await stored();
    expect(conversation).toHaveLength(21);
    expect(new Set(conversation).size).toBe(21);
    // Each tab's own messages keep their order.
    expect(conversation!.filter((t) => t.startsWith('a'))).toEqual(fromA);
    expect(conversation!.filter((t) => t.startsWith('b'))).toEqual(fromB);
    await expect.poll(() => a.bubbles()).toEqual(['from a, first', ...conversation!.slice(1)]);
    await expect.poll(() => b.bubbles()).toEqual(['from a, first', ...conversation!.slice(1)]);
  });

  it('shows a tab the messages another tab queued while offline', async () => {
    const ctx = await context();
    const a = await openVisitor(ctx, t.gateway.url);
    const b = await openVisitor(ctx, t.gateway.url);
    await ctx.setOffline(true);
    await a.send('queued in a');
    await b.log.getByText('queued in a').waitFor();
    await ctx.setOffline(false);
    await b.waitSent(1);
    expect(await stored()).toEqual([['queued in a']]);
  });

  it('agent replies sent while the visitor is offline are shown once after reconnecting', async () => {
    const ctx = await context();
    const visitor = await openVisitor(ctx, t.gateway.url);
    await visitor.send('hi');
    await visitor.waitSent(1);
    await ctx.setOffline(true);
    await visitor.panel.getByText("You're offline. Messages will be sent when you're back.").waitFor();
    const a = await agent();
    const { conversations } = await a.emitWithAck('list', {});
    for (const [i, text] of ['reply one', 'reply two'].entries())
      expect(
        (await a.emitWithAck('send', { conversationId: conversations[0].id, clientId: `offline-${i}-x`, text })).ok,
      ).toBe(true);
    await visitor.page.waitForTimeout(300);
    expect(await visitor.bubbles()).toEqual(['hi']);
    await ctx.setOffline(false);
    await visitor.log.getByText('reply two').waitFor();
    await visitor.panel.getByText('Back online').waitFor();
    expect(await visitor.bubbles()).toEqual(['hi', 'reply one', 'reply two']);
  });
});

describe('several tabs', () => {
  it('play the new-message sound in one tab only', async () => {
    const ctx = await context();
    // Count the chimes each tab plays: every chime starts two oscillators.
    await ctx.addInitScript(() => {
      const w = window as unknown as { chimes: number; AudioContext: unknown };
      w.chimes = 0;
      const node = () => ({
        connect: () => ({ connect: () => {} }),
        frequency: {},
        gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} },
        start() {},
        stop() {},
      });
      w.AudioContext = class {
        state = 'running';
        currentTime = 0;
        destination = {};
        createOscillator() {
          w.chimes += 0.5;
          return node();
        }
        createGain() {
          return node();
        }
      };
    });
    const a = await openVisitor(ctx, t.gateway.url);
    await a.send('hello');
    await a.waitSent(1);
    const b = await openVisitor(ctx, t.gateway.url);
    for (const v of [a, b]) await v.page.getByRole('button', { name: 'Close chat' }).first().click();

    const ana = await agent();
    const { conversations } = await ana.emitWithAck('list', {});
    for (const [i, text] of ['ding one', 'ding two'].entries())
      await ana.emitWithAck('send', { conversationId: conversations[0].id, clientId: `chime-${i}-abc`, text });
    const launcher = (v: Visitor) => v.page.locator('parley-chat [part="launcher"]');
    for (const v of [a, b])
      await expect.poll(() => launcher(v).getAttribute('aria-label')).toBe('Open chat (2 unread)');
    await a.page.waitForTimeout(300);
    const chimes = await Promise.all(
      [a, b].map((v) => v.page.evaluate(() => (window as unknown as { chimes: number }).chimes)),
    );
    expect(chimes[0]! + chimes[1]!).toBe(2);

    // Reading in one tab clears the badge in the other.
    await launcher(a).click();
    await expect.poll(() => launcher(b).getAttribute('aria-label')).toBe('Open chat');
  });
});

describe('storage and logout', () => {
  it('falls back to memory when IndexedDB fails, says so, and still delivers', async () => {
    const ctx = await context();
    await ctx.addInitScript(() => {
      IDBFactory.prototype.open = () => {
        throw new DOMException('IndexedDB is disabled', 'SecurityError');
      };
    });
    const visitor = await openVisitor(ctx, t.gateway.url);
    await visitor.send('kept in memory');
    await visitor.panel
      .getByText("This browser can't store messages, so unsent ones won't survive a reload.")
      .waitFor();
    await visitor.waitSent(1);
    expect(await stored()).toEqual([['kept in memory']]);
  });

  it('shutdown() forgets the session, the history and the outbox; the next chat is a new conversation', async () => {
    const ctx = await context();
    const visitor = await openVisitor(ctx, t.gateway.url);
    await visitor.send('before logout');
    await visitor.waitSent(1);
    await ctx.setOffline(true);
    await visitor.send('queued at logout');
    await visitor.log.locator('li.visitor.queued').waitFor();

    await visitor.page.evaluate(() =>
      (window as unknown as { Parley: { shutdown(): Promise<void> } }).Parley.shutdown(),
    );
    const left = await visitor.page.evaluate(async () => {
      const outbox = await new Promise<number>((resolve) => {
        const req = indexedDB.open('parley-demo');
        req.onsuccess = () => {
          const count = req.result.transaction('outbox').objectStore('outbox').count();
          count.onsuccess = () => resolve(count.result);
        };
      });
      return { outbox, storage: localStorage.getItem('parley:demo') };
    });
    expect(left.outbox).toBe(0);
    expect(left.storage === null || !JSON.parse(left.storage).session).toBe(true);
    expect(await visitor.bubbles()).toEqual([]);

    await ctx.setOffline(false);
    await visitor.send('after logout');
    await visitor.waitSent(1);
    expect(await stored()).toEqual(expect.arrayContaining([['before logout'], ['after logout']]));
    expect(await stored()).toHaveLength(2);
  });
});
