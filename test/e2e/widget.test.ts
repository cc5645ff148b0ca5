import type { BrowserContextOptions } from 'playwright';
import { describe, expect, it } from 'vitest';
import { AGENTS, connectAgent } from '../support/gateway';
import { openAgent, openVisitor } from '../support/pages';
import { e2e } from '../support/suite';

const t = e2e({ gatewayPerTest: true });
const context = (options: BrowserContextOptions = {}) => t.context(options);

/** An agent speaking the protocol directly, for tests about the widget alone. */
const agentSocket = (name: keyof typeof AGENTS = 'Ana') => connectAgent(t.gateway.url, AGENTS[name]);

describe('widget', () => {
  it('shows agent presence: online, away, and away when no agent is connected', async () => {
    const visitor = await openVisitor(await context(), t.gateway.url);
    const header = visitor.panel.locator('[part="header"]');
    await header.getByText("Away. Leave a message and we'll reply soon").waitFor();
    const agent = await openAgent(await context(), t.gateway.url, 'Ana');
    // An online agent is named, with their avatar.
    await header.getByText('Ana usually replies in a few minutes').waitFor();
    expect(await header.locator('.av').getAttribute('data-i')).toBe('A');
    await agent.page.getByLabel('My status').selectOption('away');
    await header.getByText('Usually replies in a few minutes', { exact: true }).waitFor();
    expect(await header.locator('.av').count()).toBe(0);
    await agent.page.close();
    await header.getByText("Away. Leave a message and we'll reply soon").waitFor();
  });

  it('counts unread agent replies on the badge while closed, keeps the count across a reload, and clears it on open', async () => {
    const ctx = await context();
    const visitor = await openVisitor(ctx, t.gateway.url);
    await visitor.send('Question');
    await visitor.waitSent(1);
    await visitor.page.getByRole('button', { name: 'Close chat' }).first().click();

    const agent = await agentSocket();
    const { conversations } = await agent.emitWithAck('list', {});
    for (const [i, text] of ['One', 'Two'].entries())
      await agent.emitWithAck('send', { conversationId: conversations[0].id, clientId: `reply-${i}-abcdef`, text });

    const launcher = visitor.page.locator('parley-chat [part="launcher"]');
    await expect.poll(() => launcher.getAttribute('aria-label')).toBe('Open chat (2 unread)');
    expect(await visitor.page.locator('parley-chat [part="badge"]').textContent()).toBe('2');
    expect(
      await visitor.page.evaluate(() =>
        (window as unknown as { Parley: { unreadCount(): number } }).Parley.unreadCount(),
      ),
    ).toBe(2);

    await visitor.page.reload();
    await expect.poll(() => launcher.getAttribute('aria-label')).toBe('Open chat (2 unread)');
    await launcher.click();
    await visitor.log.getByText('Two').waitFor();
    await expect.poll(() => visitor.page.locator('parley-chat [part="badge"]').isHidden()).toBe(true);
    agent.close();
  });

  it('shows the visitor’s page, language and browser to the agent', async () => {
    const visitor = await openVisitor(await context({ locale: 'de-DE' }), t.gateway.url);
    // The browser's language picks the widget's.
    expect(await visitor.composer.getAttribute('aria-label')).toBe('Nachricht');
    await visitor.send('Hallo');
    await visitor.waitSent(1);
    const agent = await openAgent(await context(), t.gateway.url, 'Ana');
    await agent.open('Hallo');
    const details = agent.page.getByRole('complementary', { name: 'Visitor details' });
    await details.getByText(`${t.gateway.url}/`).first().waitFor();
    expect(await details.textContent()).toMatch(/Chrom/);
  });

  it('renders message content as text, and only http(s)/mailto links', async () => {
    const visitor = await openVisitor(await context(), t.gateway.url);
    await visitor.send('hi');
    await visitor.waitSent(1);
    const agent = await agentSocket();
    const { conversations } = await agent.emitWithAck('list', {});
    const payload = '<img src=x onerror="document.body.dataset.pwned=1"> javascript:alert(1) https://ok.example/x';
    await agent.emitWithAck('send', { conversationId: conversations[0].id, clientId: 'xss-check-1', text: payload });
    await visitor.log.getByText('javascript:alert(1)', { exact: false }).waitFor();
    expect((await visitor.bubbles()).at(-1)).toBe(payload);
    const links = await visitor.log
      .getByRole('link')
      .evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.getAttribute('rel'), a.getAttribute('target')]));
    expect(links).toEqual([['https://ok.example/x', 'noopener noreferrer', '_blank']]);
    expect(await visitor.page.evaluate(() => document.body.dataset.pwned)).toBeUndefined();
    expect(await visitor.log.locator('img').count()).toBe(0);
    agent.close();
  });

  it('keeps the visitor’s place when they scroll up, and offers a way down to new messages', async () => {
    const visitor = await openVisitor(await context({ viewport: { width: 1000, height: 700 } }), t.gateway.url);
    await visitor.send('start');
    await visitor.waitSent(1);
    const agent = await agentSocket();
    const { conversations } = await agent.emitWithAck('list', {});
    const id = conversations[0].id;
    for (let i = 0; i < 15; i++)
      await agent.emitWithAck('send', { conversationId: id, clientId: `fill-${i}-abcdef`, text: `Filler ${i}` });
    await visitor.log.getByText('Filler 14').waitFor();
    const scroller = visitor.panel.locator('[part="messages"]');
    await scroller.evaluate((el) => {
      el.scrollTop = 0;
    });
    await agent.emitWithAck('send', { conversationId: id, clientId: 'late-one-abcdef', text: 'A late reply' });
    await visitor.log.getByText('A late reply').waitFor();
    const jump = visitor.panel.getByRole('button', { name: /New messages/ });
    await jump.waitFor();
    expect(await scroller.evaluate((el) => el.scrollTop)).toBe(0);
    await jump.click();
    await expect
      .poll(() => scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight))
      .toBeLessThan(2);
    agent.close();
  });

  it('fills the screen on a phone, and Escape closes it with focus back on the launcher', async () => {
    const visitor = await openVisitor(await context({ viewport: { width: 375, height: 667 } }), t.gateway.url);
    await visitor.panel.evaluate((el) => Promise.all(el.getAnimations().map((a) => a.finished)));
    expect(await visitor.panel.boundingBox()).toEqual({ x: 0, y: 0, width: 375, height: 667 });
    await visitor.composer.press('Escape');
    await visitor.panel.waitFor({ state: 'hidden' });
    const focused = await visitor.page.evaluate(
      () => document.querySelector('parley-chat')?.shadowRoot?.activeElement?.getAttribute('part') ?? null,
    );
    expect(focused).toBe('launcher');
  });

  it('keeps a message over the length limit in the composer with a clear error', async () => {
    const visitor = await openVisitor(await context(), t.gateway.url);
    const long = 'x'.repeat(4001);
    await visitor.composer.fill(long);
    await visitor.composer.press('Enter');
    await visitor.panel.getByRole('alert').getByText('Messages can be at most 4000 characters.').waitFor();
    expect(await visitor.composer.inputValue()).toBe(long);
    expect(await visitor.bubbles()).toEqual([]);
  });
});
