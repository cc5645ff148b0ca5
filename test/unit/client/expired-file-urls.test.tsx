// @vitest-environment happy-dom
// A widget or console tab open past the signed URLs' expiry (`PARLEY_FILE_URL_TTL_MINUTES`): clicking a file's link or a
// thumbnail failing to load asks the gateway for fresh URLs (`POST /files/<id>/urls`, token in a header) and uses them.
import { render } from 'preact';
import { afterEach, expect, it } from 'vitest';
import { AttachmentList } from '../../../demo/console/components/attachments';
import { saveToken } from '../../../demo/console/session';
import { MessageFiles } from '../../../src/attachments/widget-ui';
import type { Attachment, SendResult } from '../../../src/protocol';
import { AGENTS, call, type Fixture, startGateway } from '../../support/in-process-gateway';

let gateway: Fixture | undefined;
afterEach(async () => {
  render(null, document.body);
  await gateway?.stop();
});

interface Sent {
  file: Attachment;
  conversationId: string;
  session: string;
}

/** The files of a message as the console shows them, and as the widget does (its links absolute, to the gateway). */
const renderers = {
  console: (sent: Sent) => <AttachmentList files={[sent.file]} conversationId={sent.conversationId} />,
  widget: (sent: Sent) => <MessageFiles files={[sent.file]} gateway={gateway!.url} session={() => sent.session} />,
};

async function sentFile(fx: Fixture, name: string, bytes: Blob, beforeSend = () => {}): Promise<Sent> {
  const visitor = await fx.chatting();
  const form = new FormData();
  form.append('file', new File([bytes], name, { type: bytes.type }));
  const res = await fetch(`${fx.url}/uploads`, {
    method: 'POST',
    headers: { 'Parley-Session': visitor.welcome.session! },
    body: form,
  });
  const body = (await res.json()) as { attachment: { id: string } };
  if (!body.attachment) throw new Error(JSON.stringify(body));
  const { attachment } = body;
  beforeSend();
  const ack = await call<{ ok: true } & SendResult>(visitor.socket, 'send', {
    clientId: `file-${name.length}-0000`,
    text: '',
    attachments: [attachment.id],
  });
  return {
    file: ack.message.attachments![0]!,
    conversationId: visitor.conversationId,
    session: visitor.welcome.session!,
  };
}

it.each(Object.keys(renderers) as (keyof typeof renderers)[])(
  '%s: re-signs an expired link on click, then follows the fresh one',
  async (which) => {
    // The file was sent two hours ago: the URL the tab holds has expired.
    let shift = 0;
    gateway = await startGateway({ attachmentClock: () => Date.now() + shift });
    (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(gateway.url);
    saveToken(AGENTS[0]!.token);
    const sent = await sentFile(gateway, 'notes.txt', new Blob(['hello'], { type: 'text/plain' }), () => {
      shift = -2 * 60 * 60 * 1000;
    });
    shift = 0;
    render(renderers[which](sent), document.body);
    const link = document.querySelector<HTMLAnchorElement>('a.chip')!;
    expect((await fetch(link.href)).status).toBe(403);
    // Stands for the browser following the link: records where a click the component did not hold back goes. On the
    // same element, registered after the component's own listener, so it runs after it.
    const followed: string[] = [];
    link.addEventListener('click', (e) => {
      if (!e.defaultPrevented) followed.push(link.href);
      e.preventDefault();
    });
    link.click();
    await expect.poll(() => followed.length, { timeout: 5000 }).toBe(1);
    expect(followed[0]).not.toBe(gateway.url + sent.file.url);
    const res = await fetch(followed[0]!);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello');
  },
);

it.each(Object.keys(renderers) as (keyof typeof renderers)[])(
  '%s: re-signs a thumbnail that fails to load',
  async (which) => {
    const clock = { now: Date.now() };
    gateway = await startGateway({ attachmentClock: () => clock.now });
    (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(gateway.url);
    saveToken(AGENTS[0]!.token);
    const png = await (await import('sharp'))
      .default({ create: { width: 8, height: 8, channels: 3, background: '#0c0' } })
      .png()
      .toBuffer();
    const sent = await sentFile(gateway, 'dot.png', new Blob([new Uint8Array(png)], { type: 'image/png' }));
    const { file } = sent;
    clock.now += 2 * 60 * 60 * 1000;
    render(renderers[which](sent), document.body);
    const img = document.querySelector('img')!;
    img.dispatchEvent(new Event('error'));
    const before = img.getAttribute('src');
    await expect.poll(() => img.getAttribute('src'), { timeout: 5000 }).not.toBe(before);
    const thumb = await fetch(new URL(img.getAttribute('src')!, gateway.url));
    expect(thumb.status).toBe(200);
    expect(new URL(img.closest('a')!.href).pathname).toBe(`/files/${file.id}/file`);
    expect(img.closest('a')!.getAttribute('href')).not.toMatch(new RegExp(`${file.url.replace(/[?]/g, '\\?')}$`));
  },
);
