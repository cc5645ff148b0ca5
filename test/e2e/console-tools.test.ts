// The agent console's tools in real Chromium: search among 10,000 messages jumping to the hit, a `/` canned reply
// filled with the visitor's name, and the visitor's earlier conversations and visited pages in the details pane.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../demo/server/store/sqlite/store';
import type { Store } from '../../demo/server/store/types';
import { axeViolations } from '../support/axe';
import { openAgent } from '../support/pages';
import { e2e } from '../support/suite';

const dir = mkdtempSync(path.join(tmpdir(), 'parley-e2e-tools-'));
const dbPath = path.join(dir, 'parley.db');
const repliesPath = path.join(dir, 'replies.json');
writeFileSync(repliesPath, JSON.stringify([{ shortcut: 'bye', text: 'Bye {{visitor.name|for now}}!' }]));

const CONVERSATIONS = 100;
const PER_CONVERSATION = 100;
/** The needle: one message among 10,000, in the middle of its conversation. */
const NEEDLE = { conversation: 37, seq: 50, text: 'The parcel with tracking code zebra4711 never arrived' };

/** 10,000 messages through the store (so the search index is built as in production), before the gateway starts. */
async function seed(store: Store): Promise<void> {
  for (let c = 0; c < CONVERSATIONS; c++) {
    const session = await store.createSession({ tokenHash: `seed-${c}`, site: 'acme', meta: {}, now: 1_000 + c });
    for (let seq = 1; seq <= PER_CONVERSATION; seq++) {
      const needle = c === NEEDLE.conversation && seq === NEEDLE.seq;
      const text = needle ? NEEDLE.text : `Question ${seq} about order ${c * PER_CONVERSATION + seq}`;
      await store.appendMessage(session.conversationId, {
        author: seq % 2 ? 'visitor' : 'agent',
        agentName: 'Ana',
        text,
      });
    }
  }
  // Kim, a verified user, chatted on the shop site before and now on acme, where she visited two pages.
  const user = { id: 'kim-1', name: 'Kim Lee', email: 'kim@example.com' };
  const shop = await store.createUserSession({ tokenHash: 'kim-shop', site: 'shop', meta: {}, now: 2_000, user });
  await store.appendMessage(shop.session.conversationId, { author: 'visitor', text: 'My old question about returns' });
  const acme = await store.createUserSession({ tokenHash: 'kim-acme', site: 'acme', meta: {}, now: Date.now(), user });
  await store.recordPageView(acme.session.visitorId, { url: 'https://acme.example/', title: 'Acme home' }, Date.now());
  await store.recordPageView(
    acme.session.visitorId,
    { url: 'https://acme.example/pricing', title: 'Pricing' },
    Date.now(),
  );
  await store.appendMessage(acme.session.conversationId, { author: 'visitor', text: 'Kim here, a pricing question' });
  await store.saveCannedReply({
    shortcut: 'greet',
    text: 'Hi {{visitor.name|there}}, how can I help?',
    agentName: 'Ana',
    now: 1,
  });
}

const store = openSqliteStore({ path: dbPath });
await seed(store);
await store.close();

/** axe-core's violations in the tools' parts of the console, as `rule: targets`. */
const t = e2e({ gateway: () => ({ dbPath, env: { PARLEY_CANNED_REPLIES: repliesPath } }) });
const desktop = () => t.context({ viewport: { width: 1280, height: 800 } });

describe('agent console tools', () => {
  it('search finds one message among 10,000 and opening it jumps to that message', async () => {
    const agent = await openAgent(await desktop(), t.gateway.url, 'Ana');
    const box = agent.page.getByRole('searchbox', { name: 'Search conversations' });
    await box.fill('zebra47');
    const results = agent.page.getByRole('list', { name: 'Search results' });
    const hit = results.getByRole('button');
    await expect.poll(() => hit.count()).toBe(1);
    expect(await hit.locator('mark').allTextContents()).toEqual(['zebra47']);
    expect(await hit.textContent()).toContain(NEEDLE.text);

    expect(await axeViolations(agent.page, ['.search'])).toEqual([]);

    await hit.click();
    const found = agent.log.locator(`[data-seq="${NEEDLE.seq}"]`);
    await expect.poll(() => found.getAttribute('data-found')).toBe('');
    expect(await found.textContent()).toContain(NEEDLE.text);
    // Scrolled into view inside the log (not left at the bottom, where seq 100 is), and focused.
    const [logBox, itemBox] = [await agent.log.boundingBox(), await found.boundingBox()];
    expect(itemBox!.y).toBeGreaterThanOrEqual(logBox!.y - 1);
    expect(itemBox!.y + itemBox!.height).toBeLessThanOrEqual(logBox!.y + logBox!.height + 1);
    expect(await found.evaluate((el) => el === document.activeElement)).toBe(true);

    // Full-text syntax is just text: an error ack would show as "Search failed: …". Each answer differs from the
    // one before, so the poll cannot read a stale status.
    const status = agent.page.locator('.search__status');
    await box.fill('NEAR("zebra47" AND');
    await expect.poll(() => status.textContent()).toBe('No results');
    await box.fill('zebra47*"');
    await expect.poll(() => status.textContent()).toBe('1 result');
  });

  it('a / canned reply is inserted with the visitor’s name; the details pane shows earlier conversations and pages', async () => {
    const agent = await openAgent(await desktop(), t.gateway.url, 'Ana');
    await agent.open('Kim here, a pricing question');

    await agent.reply.pressSequentially('/gr');
    const list = agent.page.getByRole('listbox', { name: 'Canned replies' });
    await list.waitFor();
    expect(await list.getByRole('option').allTextContents()).toEqual([expect.stringContaining('/greet')]);
    expect(await axeViolations(agent.page, ['.composer', '.context-list', '.canned-manager'])).toEqual([]);
    await agent.reply.press('Enter');
    await expect.poll(() => agent.reply.inputValue()).toBe('Hi Kim Lee, how can I help?');
    await expect.poll(() => list.count()).toBe(0);

    // The file's reply is there too, filtered as typed, chosen with the arrow keys.
    await agent.reply.fill('');
    await agent.reply.pressSequentially('/');
    await expect.poll(() => list.getByRole('option').count()).toBe(2);
    const options = list.getByRole('option');
    expect(await options.allTextContents()).toEqual([
      expect.stringMatching(/^\/bye/),
      expect.stringMatching(/^\/greet/),
    ]);
    await agent.reply.press('ArrowDown');
    expect(await agent.reply.getAttribute('aria-activedescendant')).toBe(await options.nth(1).getAttribute('id'));
    expect(await options.nth(1).getAttribute('aria-selected')).toBe('true');
    await agent.reply.press('ArrowUp');
    await agent.reply.press('Tab');
    await expect.poll(() => agent.reply.inputValue()).toBe('Bye Kim Lee!');

    const details = agent.page.getByRole('complementary', { name: 'Visitor details' });
    const earlier = details.getByRole('list', { name: 'Earlier conversations' });
    await expect.poll(() => earlier.textContent()).toContain('My old question about returns');
    expect(await earlier.textContent()).toContain('shop');
    const pages = details.getByRole('list', { name: 'Pages visited' });
    expect(await pages.getByRole('link').allTextContents()).toEqual(['Pricing', 'Acme home']);
  });
});
