import { describe, expect, it } from 'vitest';
import { openAgent, openVisitor } from '../support/pages';
import { e2e } from '../support/suite';

const t = e2e({ gatewayPerTest: true });
const context = () => t.context();

describe('a conversation between a visitor and an agent', () => {
  it('visitor message reaches the console; agent typing and reply reach the widget', async () => {
    const visitor = await openVisitor(await context(), t.gateway.url);
    await visitor.send('Where is my order?');
    await visitor.waitSent(1);

    const agent = await openAgent(await context(), t.gateway.url, 'Ana');
    await agent.open('Where is my order?');
    await expect.poll(() => agent.messages()).toEqual([expect.stringContaining('Where is my order?')]);

    // Typing shows as "<name> is typing…" and disappears at once when the reply arrives.
    await agent.reply.pressSequentially('Let me');
    const typing = visitor.panel.getByText('Ana is typing…');
    await typing.first().waitFor();
    await agent.reply.fill('Let me check: it ships today.');
    await agent.reply.press('Enter');
    await visitor.log.getByText('Let me check: it ships today.').waitFor();
    await expect.poll(() => typing.count()).toBe(0);
    expect(await visitor.bubbles()).toEqual(['Where is my order?', 'Let me check: it ships today.']);
    expect(await visitor.log.locator('li.agent .author').textContent()).toBe('Ana');
  });

  it('agent typing expires after 3 s without a new typing event', async () => {
    const visitor = await openVisitor(await context(), t.gateway.url);
    await visitor.send('Hello?');
    await visitor.waitSent(1);
    const agent = await openAgent(await context(), t.gateway.url, 'Ana');
    await agent.open('Hello?');
    await agent.reply.pressSequentially('x');
    const typing = visitor.panel.getByText('Ana is typing…');
    await typing.first().waitFor();
    const shownAt = Date.now();
    await typing.first().waitFor({ state: 'detached', timeout: 8000 });
    expect(Date.now() - shownAt).toBeGreaterThan(2000);
  });

  it('visitor typing shows in the console and stops when the message arrives', async () => {
    const visitor = await openVisitor(await context(), t.gateway.url);
    await visitor.send('First');
    await visitor.waitSent(1);
    const agent = await openAgent(await context(), t.gateway.url, 'Ana');
    await agent.open('First');
    await visitor.composer.pressSequentially('Second');
    const typing = agent.page.getByText('Visitor is typing…');
    await typing.waitFor();
    await visitor.composer.press('Enter');
    await agent.log.getByText('Second').waitFor();
    await expect.poll(() => typing.count()).toBe(0);
  });

  it('a reload keeps the session and the history', async () => {
    const ctx = await context();
    const visitor = await openVisitor(ctx, t.gateway.url);
    await visitor.send('Before reload');
    await visitor.waitSent(1);
    const agent = await openAgent(await context(), t.gateway.url, 'Ana');
    await agent.open('Before reload');
    await agent.send('Reply before reload');
    await visitor.log.getByText('Reply before reload').waitFor();

    await visitor.page.reload();
    await visitor.page.getByRole('button', { name: /^Open chat/ }).click();
    await expect.poll(() => visitor.bubbles()).toEqual(['Before reload', 'Reply before reload']);
    await agent.page.waitForTimeout(200);
    expect(await agent.conversations.count()).toBe(1);
  });

  it('a gateway restart keeps the history, and the conversation goes on', async () => {
    const ctx = await context();
    const visitor = await openVisitor(ctx, t.gateway.url);
    await visitor.send('Before restart');
    await visitor.waitSent(1);

    await t.gateway.stop();
    t.gateway = await t.gateway.restart();

    const agent = await openAgent(await context(), t.gateway.url, 'Ana');
    await agent.open('Before restart');
    await agent.send('After restart');
    await visitor.log.getByText('After restart').waitFor({ timeout: 15_000 });
    await visitor.send('Still here');
    await agent.log.getByText('Still here').waitFor();

    const fresh = await openVisitor(ctx, t.gateway.url);
    await expect.poll(() => fresh.bubbles()).toEqual(['Before restart', 'After restart', 'Still here']);
  });

  it('two agents see the same messages live', async () => {
    const visitor = await openVisitor(await context(), t.gateway.url);
    await visitor.send('Anyone there?');
    await visitor.waitSent(1);
    const ana = await openAgent(await context(), t.gateway.url, 'Ana');
    const ben = await openAgent(await context(), t.gateway.url, 'Ben');
    await ana.open('Anyone there?');
    await ben.open('Anyone there?');
    await visitor.send('Second question');
    await ana.log.getByText('Second question').waitFor();
    await ben.log.getByText('Second question').waitFor();
    await ana.send('Ana here');
    await ben.log.getByText('Ana here').waitFor();
    expect(await ben.messages()).toHaveLength(3);
  });

  it('a second visitor never sees the first visitor’s messages', async () => {
    const first = await openVisitor(await context(), t.gateway.url);
    await first.send('Secret of visitor one');
    await first.waitSent(1);
    const agent = await openAgent(await context(), t.gateway.url, 'Ana');
    await agent.open('Secret of visitor one');
    await agent.send('Reply for visitor one');
    await first.log.getByText('Reply for visitor one').waitFor();

    const second = await openVisitor(await context(), t.gateway.url);
    await second.send('Hi from visitor two');
    await second.waitSent(1);
    await agent.page.waitForTimeout(300);
    expect(await second.bubbles()).toEqual(['Hi from visitor two']);
    expect(await agent.conversations.count()).toBe(2);
    const text = await second.page.evaluate(() => document.querySelector('parley-chat')?.shadowRoot?.textContent ?? '');
    expect(text).not.toContain('visitor one');
  });
});
