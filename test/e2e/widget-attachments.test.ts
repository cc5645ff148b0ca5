// Attachments in the widget (issue 16), in real Chromium against the real gateway process: the file chooser, the
// agent receiving the image, and a file chosen while the gateway is unreachable delivered once after a reload.
import sharp from 'sharp';
import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol';
import { connectAgent, startGateway } from '../support/gateway';
import { hostPage, startHostSite } from '../support/host-site';
import { openVisitor } from '../support/pages';
import { e2e } from '../support/suite';

const t = e2e({ gatewayPerTest: true });
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

/** Every stored message of every conversation, as the agents see them. */
async function storedMessages(): Promise<Message[]> {
  const a = await agent();
  const { conversations } = await a.emitWithAck('list', { status: 'all' });
  const all: Message[] = [];
  for (const c of conversations) all.push(...(await a.emitWithAck('open', { conversationId: c.id })).messages);
  return all;
}

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#36c' } })
    .png()
    .toBuffer();

describe('attachments in the widget', () => {
  it('the visitor attaches a PNG with the file chooser; the agent gets the image and the widget shows it', async () => {
    const visitor = await openVisitor(await t.context(), t.gateway.url);
    const a = await agent();
    const seen = new Promise<Message>((resolve) => a.on('message', (m: Message) => m.attachments && resolve(m)));
    await visitor.panel.getByLabel('Attach a file').setInputFiles({
      name: 'screenshot.png',
      mimeType: 'image/png',
      buffer: await png(640, 480),
    });
    // The preview (lazy chunk) names the file, with a Remove button.
    await visitor.panel.getByRole('button', { name: 'Remove screenshot.png' }).waitFor();
    await visitor.send('The error');
    const message = await seen;
    expect(message).toMatchObject({
      text: 'The error',
      attachments: [{ name: 'screenshot.png', type: 'image/png', width: 640, height: 480 }],
    });
    const image = await fetch(t.gateway.url + message.attachments![0]!.url);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    const thumb = visitor.log.getByRole('img', { name: 'screenshot.png' });
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(320);
  });

  it('a file chosen while the gateway is unreachable survives a reload and is delivered once', async () => {
    const site = await startHostSite({ '/': hostPage({ gateway: t.gateway.url, site: 'acme' }) });
    await t.gateway.stop();
    t.gateway = await startGateway({
      port: t.gateway.port,
      dbPath: t.gateway.dbPath,
      env: { PARLEY_ORIGINS: site.url },
    });
    try {
      const ctx = await t.context();
      const visitor = await openVisitor(ctx, site.url);
      await visitor.send('one');
      await visitor.waitSent(1);
      await t.gateway.stop();
      await visitor.panel.getByLabel('Attach a file').setInputFiles({
        name: 'parcel.png',
        mimeType: 'image/png',
        buffer: await png(100, 80),
      });
      await visitor.panel.getByRole('button', { name: 'Remove parcel.png' }).waitFor();
      await visitor.send('photo');
      await visitor.log.locator('li.visitor.queued').waitFor();

      await visitor.page.reload();
      await visitor.page.getByRole('button', { name: /^Open chat/ }).click();
      // Only the outbox is local: the stored history comes back with the gateway.
      await expect.poll(() => visitor.bubbles()).toEqual(['photo']);
      t.gateway = await t.gateway.restart();
      await visitor.waitSent(2);
      const stored = await storedMessages();
      expect(stored.map((m) => m.text)).toEqual(['one', 'photo']);
      expect(stored[1]!.attachments).toMatchObject([{ name: 'parcel.png', width: 100, height: 80 }]);
      // Delivered once: a reconnect or another reload sends nothing more.
      await visitor.page.reload();
      await visitor.page.getByRole('button', { name: /^Open chat/ }).click();
      await expect.poll(() => visitor.bubbles()).toEqual(['one', 'photo']);
      expect((await storedMessages()).length).toBe(2);
    } finally {
      await site.close();
    }
  });
});
