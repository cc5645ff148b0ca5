import { io, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import type { VisitorWelcome } from '../../src/protocol';
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

  it('the list follows messages alone: preview and unread count, and a conversation older than the list joins it', async () => {
    // One visitor writes first; 100 newer conversations then push it off the console's first page (100 entries).
    const old = await headlessVisitor(t.gateway.url);
    await old.send('Written long ago');
    for (let i = 0; i < 100; i += 20) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => headlessVisitor(t.gateway.url)));
      await Promise.all(batch.map((v, j) => v.send(`Newer conversation ${i + j}`)));
      for (const v of batch) v.socket.close();
    }
    const agent = await openAgent(await context(), t.gateway.url, 'Ana');
    await expect.poll(() => agent.conversations.count()).toBe(100);
    const row = agent.conversations.filter({ has: agent.page.locator(`[id="conv-preview-${old.conversationId}"]`) });
    expect(await row.count()).toBe(0);

    // The gateway sends no summary for a message: the console derives preview and unread count from it, and
    // fetches the summary of a conversation it does not hold.
    await old.send('Back again');
    await expect.poll(() => row.count()).toBe(1);
    await expect.poll(() => row.textContent()).toContain('Back again');
    await expect.poll(() => row.textContent()).toContain('2 unread');
    await old.send('Still here');
    await expect.poll(() => row.textContent()).toContain('Still here');
    await expect.poll(() => row.textContent()).toContain('3 unread');
    await agent.open('Still here');
    await expect.poll(() => row.textContent()).not.toContain('unread');
    // Read while open: a new message is not counted.
    await old.send('One more');
    await agent.log.getByText('One more').waitFor();
    await agent.page.waitForTimeout(300);
    expect(await row.textContent()).not.toContain('unread');
    old.socket.close();
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

/** A visitor without a browser (socket.io-client in this process), for setting up many conversations quickly. */
async function headlessVisitor(
  baseUrl: string,
): Promise<{ socket: Socket; conversationId: string; send(text: string): Promise<void> }> {
  const socket = io(`${baseUrl}/visitor`, { transports: ['websocket'], auth: { v: 1, site: 'demo' } });
  await new Promise<VisitorWelcome>((resolve, reject) => {
    socket.once('welcome', resolve);
    socket.once('connect_error', reject);
  });
  let n = 0;
  // Known from the first message, which creates the conversation.
  let conversationId = '';
  return {
    socket,
    get conversationId() {
      return conversationId;
    },
    async send(text) {
      const ack = await socket.timeout(5000).emitWithAck('send', { clientId: `headless-${++n}`, text });
      expect(ack).toMatchObject({ ok: true });
      conversationId = ack.message.conversationId;
    },
  };
}
