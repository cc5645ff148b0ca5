import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright';
import { io } from 'socket.io-client';
import { expect, it } from 'vitest';
import { launchBrowser } from '../support/browser';
import { AGENTS, removeDb, startGateway } from '../support/gateway';

const root = fileURLToPath(new URL('../..', import.meta.url));
// `npm run screenshot` sets PARLEY_SCREENSHOT=docs/widget.png to refresh the README's pictures (the phone and dark
// ones are written next to it); test runs keep theirs under test-results/.
const out = path.resolve(root, process.env.PARLEY_SCREENSHOT ?? 'test-results/widget.png');
const sibling = (suffix: string) => out.replace(/\.png$/, `-${suffix}.png`);

it('renders a conversation with grouped messages, an agent reply and the typing bubble (the README screenshots)', async () => {
  const gateway = await startGateway();
  const browser = await launchBrowser();
  const agent = io(`${gateway.url}/agent`, { auth: { token: AGENTS.Ana }, transports: ['websocket'], forceNew: true });
  try {
    const context = await browser.newContext({ viewport: { width: 900, height: 720 } });
    const page = await context.newPage();
    await page.goto(`${gateway.url}/`);
    await page.getByRole('button', { name: 'Open chat' }).click();
    const composer = page.getByRole('textbox', { name: 'Message' });
    for (const text of ['Hi!', 'My order #1042 has not arrived yet. Can you check?']) {
      await composer.fill(text);
      await composer.press('Enter');
    }
    await page.locator('parley-chat li.visitor.sent').nth(1).waitFor();

    const { conversations } = await agent.emitWithAck('list', { status: 'open' });
    expect(conversations).toHaveLength(1);
    const conversationId = conversations[0].id;
    const replies = [
      'Hi, this is Ana. Let me look.',
      'It left our warehouse yesterday: https://acme.example/track/1042',
    ];
    for (const [i, text] of replies.entries()) {
      const reply = await agent.emitWithAck('send', { conversationId, clientId: `screenshot-reply-${i}`, text });
      expect(reply.ok).toBe(true);
    }
    await page.getByRole('link', { name: 'https://acme.example/track/1042' }).waitFor();
    const typing = async (p: Page) => {
      agent.emit('typing', { conversationId, typing: true });
      await p.getByText('Ana is typing…').first().waitFor();
      await p.mouse.move(0, 0);
      // The panel fades in (0.2 s): on a busy machine the picture could catch it half transparent.
      await p
        .locator('parley-chat [part="panel"]')
        .evaluate((el) => Promise.all(el.getAnimations().map((a) => a.finished)));
    };
    mkdirSync(path.dirname(out), { recursive: true });
    await typing(page);
    await page.screenshot({ path: out });

    // The same conversation in dark mode (data-theme="auto" follows the system).
    await page.emulateMedia({ colorScheme: 'dark' });
    await typing(page);
    await page.screenshot({ path: sibling('dark') });

    // And on a phone, where the panel takes the whole screen.
    const phone = await browser.newContext({
      viewport: { width: 390, height: 760 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      storageState: await context.storageState(),
    });
    const small = await phone.newPage();
    await small.goto(`${gateway.url}/`);
    await small.getByRole('button', { name: 'Open chat' }).click();
    await small.getByRole('link', { name: 'https://acme.example/track/1042' }).waitFor();
    await typing(small);
    await small.screenshot({ path: sibling('phone') });
  } finally {
    agent.close();
    await browser.close();
    await gateway.stop();
    removeDb(gateway);
  }
});
