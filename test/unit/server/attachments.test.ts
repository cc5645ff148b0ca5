// @vitest-environment node
// Attachments (issue 16) against a real in-process gateway: uploads over HTTP with the token in a header, the claim
// by a message, signed downloads and their headers, refusals, and the sweep.
import { request } from 'node:http';
import Database from 'better-sqlite3';
import contentDisposition from 'content-disposition';
import sharp from 'sharp';
import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message, SendResult, UploadedFile } from '../../../src/protocol';
import { AGENTS, call, type Fixture, nextEvent, startGateway } from '../../support/in-process-gateway';

let fx: Fixture;
let clock: { now: number };
beforeEach(async () => {
  clock = { now: Date.now() };
  fx = await startGateway({ maxUploadBytes: 1024 * 1024, attachmentClock: () => clock.now });
});
afterEach(async () => {
  await fx.stop();
});

type Answer = { status: number; body: { ok: boolean; code?: string; attachment?: UploadedFile } };

async function upload(headers: Record<string, string>, bytes: Buffer | string, name: string, type = 'x/y') {
  const form = new FormData();
  form.append('file', new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)], { type }), name);
  const res = await fetch(`${fx.url}/uploads`, { method: 'POST', headers, body: form });
  return { status: res.status, body: await res.json() } as Answer;
}

async function visitorUpload(session: string, bytes: Buffer | string, name: string) {
  return upload({ 'Parley-Session': session }, bytes, name);
}

/** A 64 x 48 PNG carrying EXIF with GPS position and a script appended after its last chunk. */
async function hostilePng(): Promise<Buffer> {
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c00' } })
    .png()
    .withExif({ IFD0: { ImageDescription: 'secret-exif-marker' }, IFD3: { GPSLatitudeRef: 'N' } })
    .toBuffer();
  return Buffer.concat([png, Buffer.from('<script>window.canary=1</script>')]);
}

const PDF = '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n';

async function sendWith(socket: Socket, ids: string[], clientId: string, text = '') {
  return call<({ ok: true } & SendResult) | { ok: false; code: string }>(socket, 'send', {
    clientId,
    text,
    attachments: ids,
  });
}

describe('uploads', () => {
  it('re-encodes a visitor PNG (script and metadata gone), and the agent gets a signed image URL and thumbnail', async () => {
    const visitor = await fx.chatting();
    const agent = await fx.agent();
    const up = await visitorUpload(visitor.welcome.session!, await hostilePng(), 'shot.png');
    expect(up.status).toBe(201);
    expect(up.body.attachment).toMatchObject({ name: 'shot.png', type: 'image/png', width: 64, height: 48 });
    const seen = nextEvent<Message>(agent.socket, 'message', (m) => m.clientId === 'with-image');
    const ack = await sendWith(visitor.socket, [up.body.attachment!.id], 'with-image');
    expect(ack.ok).toBe(true);
    const [file] = (await seen).attachments!;
    expect(file).toMatchObject({ id: up.body.attachment!.id, width: 64, height: 48 });
    const res = await fetch(fx.url + file!.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toBe('inline; filename=shot.png');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.includes('canary')).toBe(false);
    expect(body.includes('secret-exif-marker')).toBe(false);
    expect((await sharp(body).metadata()).exif).toBeUndefined();
    const thumb = await fetch(fx.url + file!.thumbUrl!);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
  });

  it('lets an agent send a PDF that the visitor downloads as an attachment, never inline', async () => {
    const visitor = await fx.chatting();
    const agent = await fx.agent();
    const up = await upload(
      { 'Parley-Agent': AGENTS[0]!.token, 'Parley-Conversation': visitor.conversationId },
      PDF,
      'invoice.pdf',
    );
    expect(up.status).toBe(201);
    expect(up.body.attachment).toMatchObject({ type: 'application/pdf', size: PDF.length });
    const got = nextEvent<Message>(visitor.socket, 'message');
    const ack = await call(agent.socket, 'send', {
      conversationId: visitor.conversationId,
      clientId: 'agent-invoice',
      text: 'Your invoice',
      attachments: [up.body.attachment!.id],
    });
    expect(ack.ok).toBe(true);
    const [file] = (await got).attachments!;
    const res = await fetch(fx.url + file!.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename=invoice.pdf');
    expect(await res.text()).toBe(PDF);
  });

  it.each([
    ['an SVG with a script', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 'x.svg'],
    ['an HTML file renamed .png', '<!doctype html><script>alert(1)</script>', 'x.png'],
    ['a PDF named .png', PDF, 'x.png'],
    ['a PNG named .txt', '\x89PNG\r\n\x1a\n0000', 'x.txt'],
  ])('refuses %s with file_type_refused', async (_label, bytes, name) => {
    const { welcome } = await fx.visitor();
    const up = await visitorUpload(welcome.session!, bytes, name);
    expect(up).toMatchObject({ status: 415, body: { ok: false, code: 'file_type_refused' } });
  });

  it('refuses uploads without a valid header token, and never reads a token from the URL', async () => {
    const { welcome } = await fx.visitor();
    expect((await upload({}, 'hi', 'a.txt')).status).toBe(401);
    expect((await upload({ 'Parley-Session': 'nope' }, 'hi', 'a.txt')).status).toBe(401);
    const form = new FormData();
    form.append('file', new Blob(['hi']), 'a.txt');
    const inUrl = await fetch(`${fx.url}/uploads?session=${welcome.session}`, { method: 'POST', body: form });
    expect(inUrl.status).toBe(401);
    const otherConversation = await upload(
      { 'Parley-Agent': AGENTS[0]!.token, 'Parley-Conversation': 'no-such-conversation' },
      'hi',
      'a.txt',
    );
    expect(otherConversation.status).toBe(404);
  });

  it('refuses a file over the limit while it streams, before the client has sent it all', async () => {
    const { welcome } = await fx.visitor();
    const total = 64 * 1024 * 1024;
    const heapBefore = process.memoryUsage().heapUsed;
    const result = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
      const boundary = 'parleyboundary';
      const req = request(`${fx.url}/uploads`, {
        method: 'POST',
        headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Parley-Session': welcome.session! },
      });
      let sent = 0;
      let answered = false;
      req.on('response', (res) => {
        answered = true;
        res.resume();
        resolve({ status: res.statusCode!, sent });
      });
      req.on('error', (err) => (answered ? undefined : reject(err)));
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (!answered && sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!answered) req.end(`\r\n--${boundary}--\r\n`);
      };
      pump();
    });
    expect(result.status).toBe(413);
    expect(result.sent).toBeLessThan(total / 4);
    // Nothing of the body was kept in memory (allowing for the test's own garbage).
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024);
  });

  it('stores a hostile file name as text: no path, no controls, no bidi override; the header escapes the rest', async () => {
    const visitor = await fx.chatting();
    // Sent raw: a browser's FormData percent-encodes `"` and newlines itself; a hostile client sends them as they
    // are (a newline cannot be inside a header line; a control character and a quoted `\"` can).
    const hostile = '../../etc/résumé a\\"b;c\u0001d\u202Egnp.txt';
    const body = `--b0undary\r\nContent-Disposition: form-data; name="file"; filename="${hostile}"\r\n\r\nplain text\r\n--b0undary--\r\n`;
    const res0 = await fetch(`${fx.url}/uploads`, {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/form-data; boundary=b0undary', 'Parley-Session': visitor.welcome.session! },
      body,
    });
    const up = { status: res0.status, body: (await res0.json()) as Answer['body'] };
    expect(up.status).toBe(201);
    const name = up.body.attachment!.name;
    expect(name).toBe('résumé a"b;c_d_gnp.txt');
    const ack = await sendWith(visitor.socket, [up.body.attachment!.id], 'named-file');
    if (!ack.ok) throw new Error(JSON.stringify(ack));
    const res = await fetch(fx.url + ack.message.attachments![0]!.url);
    const header = res.headers.get('content-disposition')!;
    expect(header).toContain("filename*=UTF-8''");
    expect(contentDisposition.parse(header).parameters.filename).toBe(name);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  });
});

describe('upload guards', () => {
  it('answers the CORS preflight for allowed origins only', async () => {
    await fx.restart({ origins: ['https://shop.example'] });
    const preflight = (origin: string) =>
      fetch(`${fx.url}/uploads`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      });
    const allowed = await preflight('https://shop.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('parley-session');
    const refused = await preflight('https://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('limits uploads per session: a burst of 20, then rate_limited', async () => {
    const { welcome } = await fx.visitor();
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await visitorUpload(welcome.session!, 'x', 'a.txt')).status);
    expect(statuses.slice(0, 20).every((s) => s === 201)).toBe(true);
    expect(statuses[20]).toBe(429);
    // Another session is not held back by this one.
    const other = await fx.visitor();
    expect((await visitorUpload(other.welcome.session!, 'x', 'a.txt')).status).toBe(201);
  });
});

describe('claims', () => {
  it('accepts only pending uploads of the sender: not another visitor’s, not twice; a refused send stores nothing', async () => {
    const a = await fx.chatting();
    const b = await fx.chatting();
    const up = await visitorUpload(a.welcome.session!, 'a file', 'a.txt');
    const id = up.body.attachment!.id;
    expect(await sendWith(b.socket, [id], 'steal-it', 'mine now')).toMatchObject({
      ok: false,
      code: 'attachment_invalid',
    });
    const bHistory = await call(b.socket, 'history', { afterSeq: 0 });
    expect(bHistory.messages).toHaveLength(1);
    const first = await sendWith(a.socket, [id], 'claim-one');
    expect(first.ok, JSON.stringify(first)).toBe(true);
    // The same send again (an outbox retry) returns the original message, files included.
    const repeat = await sendWith(a.socket, [id], 'claim-one');
    expect(repeat).toMatchObject({ ok: true, duplicate: true, message: { attachments: [{ id }] } });
    expect(await sendWith(a.socket, [id], 'claim-two', 'again')).toMatchObject({ code: 'attachment_invalid' });
  });

  it('never puts one conversation’s file URLs in another conversation’s history, welcome or events', async () => {
    const a = await fx.chatting();
    const up = await visitorUpload(a.welcome.session!, 'a file', 'a.txt');
    const b = await fx.chatting();
    const bEvents: Message[] = [];
    b.socket.on('message', (m: Message) => bEvents.push(m));
    await sendWith(a.socket, [up.body.attachment!.id], 'a-file-sent');
    const again = await fx.visitor({ session: b.welcome.session! });
    const history = await call(b.socket, 'history', { afterSeq: 0 });
    const seenByB = JSON.stringify([bEvents, again.welcome, history]);
    expect(seenByB).not.toContain(up.body.attachment!.id);
    const aHistory = await call(a.socket, 'history', { afterSeq: 0 });
    expect(JSON.stringify(aHistory)).toContain(up.body.attachment!.id);
  });
});

describe('signed downloads', () => {
  async function sentFile() {
    const visitor = await fx.chatting();
    const up = await visitorUpload(visitor.welcome.session!, 'secret text', 'a.txt');
    const ack = await sendWith(visitor.socket, [up.body.attachment!.id], 'with-file');
    if (!ack.ok) throw new Error(JSON.stringify(ack));
    return { visitor, url: ack.message.attachments![0]!.url };
  }

  it('answers 403 without a signature, with an altered one, or for another id, and after expiry', async () => {
    const { url } = await sentFile();
    expect((await fetch(fx.url + url)).status).toBe(200);
    const parsed = new URL(fx.url + url);
    const noSig = new URL(parsed);
    noSig.searchParams.delete('sig');
    expect((await fetch(noSig)).status).toBe(403);
    const altered = new URL(parsed);
    const sig = altered.searchParams.get('sig')!;
    altered.searchParams.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    expect((await fetch(altered)).status).toBe(403);
    const later = new URL(parsed);
    later.searchParams.set('exp', String(Number(parsed.searchParams.get('exp')) + 3600));
    expect((await fetch(later)).status).toBe(403);
    const thumbOfText = new URL(parsed);
    thumbOfText.pathname = thumbOfText.pathname.replace(/file$/, 'thumb');
    expect((await fetch(thumbOfText)).status).toBe(403);
    clock.now += 2 * 60 * 60 * 1000;
    const expired = await fetch(parsed);
    expect(expired.status).toBe(403);
    expect(expired.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
  });

  it('re-signs an expired URL for the file’s own visitor or an agent, with the token in a header only', async () => {
    const { visitor, url } = await sentFile();
    const id = url.split('/')[2]!;
    clock.now += 2 * 60 * 60 * 1000;
    expect((await fetch(fx.url + url)).status).toBe(403);
    const resign = (headers: Record<string, string>, which = id) =>
      fetch(`${fx.url}/files/${which}/urls`, { method: 'POST', headers });
    const mine = await resign({ 'Parley-Session': visitor.welcome.session! });
    expect(mine.status).toBe(200);
    const fresh = (await mine.json()) as { ok: true; url: string; thumbUrl?: string };
    expect(fresh).toEqual({ ok: true, url: expect.stringMatching(new RegExp(`^/files/${id}/file\\?exp=\\d+&sig=`)) });
    const download = await fetch(fx.url + fresh.url);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('secret text');
    const agentToken = { 'Parley-Agent': AGENTS[0]!.token };
    expect((await resign({ ...agentToken, 'Parley-Conversation': visitor.conversationId })).status).toBe(200);
    // Not the file's conversation: as if it did not exist.
    const stranger = await fx.chatting();
    const theirs = await resign({ 'Parley-Session': stranger.welcome.session! });
    expect(theirs.status).toBe(404);
    expect(await theirs.json()).toMatchObject({ ok: false, code: 'not_found' });
    expect((await resign({ ...agentToken, 'Parley-Conversation': stranger.conversationId })).status).toBe(404);
    expect((await resign({ 'Parley-Session': visitor.welcome.session! }, 'no-such-file')).status).toBe(404);
    expect((await resign({})).status).toBe(401);
    expect(
      (await fetch(`${fx.url}/files/${id}/urls?session=${visitor.welcome.session}`, { method: 'POST' })).status,
    ).toBe(401);
  });

  it('stops serving a deleted conversation’s files at once, and the sweep deletes their bytes', async () => {
    const { visitor, url } = await sentFile();
    const raw = new Database(fx.dbPath);
    raw.prepare('DELETE FROM conversations WHERE id = ?').run(visitor.conversationId);
    raw.close();
    expect((await fetch(fx.url + url)).status).toBe(404);
    const id = url.split('/')[2]!;
    expect(await fx.gateway.attachments.storage.read(id)).toBeDefined();
    expect(await fx.gateway.attachments.sweep()).toBe(1);
    expect(await fx.gateway.attachments.storage.read(id)).toBeUndefined();
  });

  it('expires pending uploads no message claimed, and deletes their bytes', async () => {
    const { welcome } = await fx.visitor();
    const up = await visitorUpload(welcome.session!, 'never sent', 'a.txt');
    const id = up.body.attachment!.id;
    expect(await fx.gateway.attachments.sweep()).toBe(0);
    clock.now += 2 * 60 * 60 * 1000;
    expect(await fx.gateway.attachments.sweep()).toBe(1);
    expect(await fx.gateway.attachments.storage.read(id)).toBeUndefined();
  });
});
