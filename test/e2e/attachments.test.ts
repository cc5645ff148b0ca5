// Attachments (issue 16) in real Chromium against the real gateway process: the console's file chooser, thumbnails
// under the console's CSP, and a hostile file opened in the browser running nothing.
import sharp from 'sharp';
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import type { Message, UploadResult, VisitorWelcome } from '../../src/protocol';
import { openAgent } from '../support/pages';
import { e2e } from '../support/suite';

const t = e2e();
const PDF = '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n';

/** A visitor as a Socket.IO client that sent `text` first, so its conversation is in the console's list. */
async function chattingVisitor(text: string): Promise<{ socket: Socket; session: string }> {
  const socket = io(`${t.gateway.url}/visitor`, { auth: { v: 1, site: 'acme' }, transports: ['websocket'] });
  const welcome = await new Promise<VisitorWelcome>((resolve) => socket.once('welcome', resolve));
  const ack = await socket.emitWithAck('send', { clientId: `first-${Date.now()}`, text });
  expect(ack.ok).toBe(true);
  return { socket, session: welcome.session! };
}

async function visitorUpload(session: string, bytes: Buffer | string, name: string): Promise<UploadResult> {
  const form = new FormData();
  form.append('file', new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)]), name);
  const res = await fetch(`${t.gateway.url}/uploads`, {
    method: 'POST',
    headers: { 'Parley-Session': session },
    body: form,
  });
  expect(res.status).toBe(201);
  return (await res.json()) as UploadResult;
}

describe('attachments in the console', () => {
  it('an agent attaches a PDF with the file chooser; the visitor receives it and downloads it', async () => {
    const visitor = await chattingVisitor('Invoice please');
    const agent = await openAgent(await t.context(), t.gateway.url, 'Ana');
    await agent.open('Invoice please');
    await agent.page.getByLabel('Attach a file').setInputFiles({
      name: 'invoice.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from(PDF),
    });
    await agent.page.getByRole('list', { name: 'Files to send' }).getByText('invoice.pdf').waitFor();
    const got = new Promise<Message>((resolve) => visitor.socket.on('message', resolve));
    await agent.reply.fill('Here it is');
    await expect.poll(() => agent.page.getByRole('button', { name: 'Send' }).isEnabled()).toBe(true);
    await agent.reply.press('Enter');
    const message = await got;
    expect(message).toMatchObject({
      text: 'Here it is',
      attachments: [{ name: 'invoice.pdf', type: 'application/pdf' }],
    });
    const res = await fetch(t.gateway.url + message.attachments![0]!.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename=invoice.pdf');
    expect(await res.text()).toBe(PDF);
    // The agent's own copy shows as a chip with name and size.
    await agent.log.getByRole('link', { name: /invoice\.pdf/ }).waitFor();
    visitor.socket.close();
  });

  it('shows a visitor’s PNG as a thumbnail that loads under the console’s CSP and links to the full image', async () => {
    const visitor = await chattingVisitor('Damaged parcel');
    const png = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#0a0' } })
      .png()
      .toBuffer();
    const { attachment } = await visitorUpload(visitor.session, png, 'parcel.png');
    expect(
      (
        await visitor.socket.emitWithAck('send', {
          clientId: 'with-a-photo',
          text: 'Photo',
          attachments: [attachment.id],
        })
      ).ok,
    ).toBe(true);
    const agent = await openAgent(await t.context(), t.gateway.url, 'Ana');
    await agent.open('Photo');
    const thumb = agent.log.getByRole('img', { name: 'parcel.png' });
    await thumb.waitFor();
    // Reserved before loading: 320 x 240 from the stored size.
    expect(await thumb.evaluate((img: HTMLImageElement) => [img.width, img.height])).toEqual([320, 240]);
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(320);
    const href = await thumb.locator('xpath=..').getAttribute('href');
    expect(href).toMatch(/^\/files\/[0-9a-f-]+\/file\?exp=\d+&sig=/);
    visitor.socket.close();
  });

  it('a file with a script, opened in the browser from the gateway, runs nothing (canary)', async () => {
    const visitor = await chattingVisitor('Log attached');
    const script = "<script>parent.postMessage('canary','*');fetch('/canary')</script>";
    const { attachment } = await visitorUpload(visitor.session, `<!doctype html>${script}`, 'log.txt');
    const ack = await visitor.socket.emitWithAck('send', {
      clientId: 'with-a-script',
      text: '',
      attachments: [attachment.id],
    });
    const url = t.gateway.url + ack.message.attachments[0].url;
    const page = await (await t.context({ acceptDownloads: true })).newPage();
    const canaries: string[] = [];
    page.on('request', (req) => {
      if (req.url().includes('/canary')) canaries.push(req.url());
    });
    await page.goto(`${t.gateway.url}/agent`);
    const result = await page.evaluate(async (src) => {
      let message = '';
      window.addEventListener('message', (e) => {
        message = String(e.data);
      });
      const frame = document.createElement('iframe');
      frame.src = src;
      document.body.append(frame);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return message;
    }, url);
    expect(result).toBe('');
    expect(canaries).toEqual([]);
    visitor.socket.close();
  });
});
