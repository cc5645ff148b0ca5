import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { expect, it } from 'vitest';
import { launchBrowser } from '../support/browser';
import { AGENTS, removeDb, startGateway } from '../support/gateway';

const root = fileURLToPath(new URL('../..', import.meta.url));
// `npm run screenshot` sets PARLEY_SCREENSHOT=docs/widget.png to refresh the README's picture; test runs keep theirs
// under test-results/.
const out = path.resolve(root, process.env.PARLEY_SCREENSHOT ?? 'test-results/widget.png');

it('renders a conversation with an agent reply and the typing bubble (the README screenshot)', async () => {
  const gateway = await startGateway();
  const browser = await launchBrowser();
  const agent = io(`${gateway.url}/agent`, { auth: { token: AGENTS.Ana }, transports: ['websocket'], forceNew: true });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 720 } });
    await page.goto(`${gateway.url}/`);
    await page.getByRole('button', { name: 'Open chat' }).click();
    const composer = page.getByRole('textbox', { name: 'Message' });
    await composer.fill('Hi! My order #1042 has not arrived yet. Can you check?');
    await composer.press('Enter');
    await page.getByText('· Sent').waitFor();

    const { conversations } = await agent.emitWithAck('list', { status: 'open' });
    expect(conversations).toHaveLength(1);
    const conversationId = conversations[0].id;
    const reply = await agent.emitWithAck('send', {
      conversationId,
      clientId: 'screenshot-reply-1',
      text: 'Hi, this is Ana. It left our warehouse yesterday: https://acme.example/track/1042',
    });
    expect(reply.ok).toBe(true);
    await page.getByRole('link', { name: 'https://acme.example/track/1042' }).waitFor();
    agent.emit('typing', { conversationId, typing: true });
    await page.getByText('Ana is typing…').first().waitFor();
    await page.mouse.move(0, 0);
    mkdirSync(path.dirname(out), { recursive: true });
    await page.screenshot({ path: out });
  } finally {
    agent.close();
    await browser.close();
    await gateway.stop();
    removeDb(gateway);
  }
});
