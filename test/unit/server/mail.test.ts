// @vitest-environment node
// Email end to end in one process: a real SMTP server on loopback as the visitor's mailbox, the gateway's own SMTP
// listener for replies, and real sockets for the visitor and the agent.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { MailOptions } from '../../../demo/server/mail';
import { stripQuoted } from '../../../demo/server/mail/reply-text';
import type { ConversationSummary, Message } from '../../../src/protocol';
import { call, type Fixture, nextEvent, sleep, startGateway } from '../../support/in-process-gateway';
import { type Mailbox, sendRaw, startMailbox } from '../../support/mailbox';

const DOMAIN = 'reply.acme.example';
const HOOK_TOKEN = 'hook-secret-0123456789abcdef';
const DELAY_MS = 400;

let fx: Fixture | undefined;
let box: Mailbox | undefined;
afterEach(async () => {
  await fx?.stop();
  await box?.close();
  fx = undefined;
  box = undefined;
});

async function setup(extra: Partial<MailOptions> = {}) {
  box = await startMailbox();
  const mail: MailOptions = {
    smtpUrl: box.url,
    from: 'Acme support <support@acme.example>',
    delayMs: DELAY_MS,
    pollMs: 50,
    retryBaseMs: 100,
    inboundDomain: DOMAIN,
    inboundSmtpPort: 0,
    inboundToken: HOOK_TOKEN,
    ...extra,
  };
  fx = await startGateway({ mail });
  return { fx, box };
}

/** A visitor who wrote, left an address and a page, and closed the tab. */
async function leftAddress(f: Fixture, email = 'grace@example.com') {
  const chat = await f.chatting({ page: { url: 'https://shop.example/pricing', title: 'Pricing' } });
  expect(await call(chat.socket, 'email', { email })).toEqual({ ok: true });
  chat.socket.close();
  return chat;
}

async function reply(agent: Socket, conversationId: string, text: string) {
  const ack = await call(agent, 'send', { conversationId, clientId: `agent-${randomBytes(6).toString('hex')}`, text });
  expect(ack.ok, JSON.stringify(ack)).toBe(true);
  return ack.message as Message;
}

function rawReply(to: string, body: string, headers: Record<string, string> = {}) {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return [
    'From: Grace <grace@example.com>\r\n',
    `To: ${to}\r\n`,
    'Subject: Re: your conversation\r\n',
    `Message-ID: <${randomBytes(8).toString('hex')}@example.com>\r\n`,
    ...extra,
    'Content-Type: text/plain; charset=utf-8\r\n\r\n',
    body.replace(/\n/g, '\r\n'),
  ].join('');
}

describe('follow-up by email', () => {
  it('emails unseen agent replies once, batched and escaped, with a Reply-To that brings the answer back', async () => {
    const { fx, box } = await setup();
    const chat = await leftAddress(fx);
    const agent = await fx.agent();
    await reply(agent.socket, chat.conversationId, 'Hi Grace, <b>yes</b> we ship to Norway.');
    await reply(agent.socket, chat.conversationId, 'Delivery takes 3 days.');

    const mail = await box.next();
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('grace@example.com');
    expect(mail.text).toContain('Hi Grace, <b>yes</b> we ship to Norway.');
    expect(mail.text).toContain('Delivery takes 3 days.');
    expect(mail.text).toContain('https://shop.example/pricing');
    expect(mail.text).not.toContain('hello'); // the visitor's own message is not a reply
    expect(mail.html).toContain('&lt;b&gt;yes&lt;/b&gt;');
    expect(mail.html).not.toContain('<b>yes</b>');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    const replyTo = mail.replyTo?.value[0]?.address ?? '';
    expect(replyTo).toMatch(new RegExp(`^reply\\+[0-9a-f]{32}@${DOMAIN.replace(/\./g, '\\.')}$`));
    expect(replyTo).not.toContain(chat.conversationId.replace(/-/g, '').slice(0, 8));
    // Batched: both replies went in that one email, and nothing else follows.
    await sleep(DELAY_MS * 3);
    expect(box.received).toHaveLength(1);

    // The visitor answers the email from a mail client, above the quoted history; the conversation was resolved.
    await call(agent.socket, 'setStatus', { conversationId: chat.conversationId, status: 'resolved' });
    const arrived = nextEvent<Message>(agent.socket, 'message', (m) => m.author === 'visitor', 10_000);
    const reopened = nextEvent<ConversationSummary>(agent.socket, 'conversation', (c) => c.status === 'open', 10_000);
    const body = `Great, thanks!\n\nOn Mon, 30 Nov 2026 at 09:00, Acme support <support@acme.example> wrote:\n> Hi Grace, yes we ship to Norway.\n> Delivery takes 3 days.\n`;
    await sendRaw(fx.gateway.inboundSmtpPort!, {
      from: 'grace@example.com',
      to: replyTo,
      raw: rawReply(replyTo, body),
    });
    const message = await arrived;
    expect(message).toMatchObject({ conversationId: chat.conversationId, author: 'visitor', text: 'Great, thanks!' });
    expect((await reopened).id).toBe(chat.conversationId);
  });

  it('sends nothing when the visitor read the replies in the chat meanwhile', async () => {
    const { fx, box } = await setup();
    const chat = await fx.chatting();
    await call(chat.socket, 'email', { email: 'grace@example.com' });
    const agent = await fx.agent();
    const sent = await reply(agent.socket, chat.conversationId, 'Are you still there?');
    await call(chat.socket, 'read', { seq: sent.seq });
    await sleep(DELAY_MS * 4);
    expect(box.received).toHaveLength(0);
  });

  it('keeps the email through an SMTP server refusing for a while, and sends it once it accepts', async () => {
    const { fx, box } = await setup();
    box.refusing = true;
    const chat = await leftAddress(fx);
    const agent = await fx.agent();
    await reply(agent.socket, chat.conversationId, 'Sorry for the wait.');
    for (let i = 0; i < 200 && box.refusals < 2; i++) await sleep(50);
    expect(box.refusals).toBeGreaterThanOrEqual(2);
    box.refusing = false;
    const mail = await box.next();
    expect(mail.text).toContain('Sorry for the wait.');
    await sleep(DELAY_MS * 2);
    expect(box.received).toHaveLength(1);
  });

  it('sends a queued email once after the gateway restarts', async () => {
    const { fx, box } = await setup({ delayMs: 1500 });
    const chat = await leftAddress(fx);
    const agent = await fx.agent();
    await reply(agent.socket, chat.conversationId, 'Queued before the restart.');
    await fx.restart();
    const mail = await box.next();
    expect(mail.text).toContain('Queued before the restart.');
    await sleep(1000);
    expect(box.received).toHaveLength(1);
  });
});

describe('replies by email', () => {
  async function replyAddress() {
    const { fx, box } = await setup();
    const chat = await leftAddress(fx);
    const agent = await fx.agent();
    await reply(agent.socket, chat.conversationId, 'Anything else?');
    const mail = await box.next();
    return { fx, chat, agent, to: mail.replyTo!.value[0]!.address! };
  }

  it('refuses a forged or unknown reply address at RCPT TO, and one of another domain', async () => {
    const { fx } = await replyAddress();
    const port = fx.gateway.inboundSmtpPort!;
    const forged = `reply+${randomBytes(16).toString('hex')}@${DOMAIN}`;
    await expect(sendRaw(port, { from: 'x@example.com', to: forged, raw: rawReply(forged, 'hi') })).rejects.toThrow(
      /550/,
    );
    const elsewhere = 'someone@other.example';
    await expect(
      sendRaw(port, { from: 'x@example.com', to: elsewhere, raw: rawReply(elsewhere, 'hi') }),
    ).rejects.toThrow(/550/);
  });

  it('drops auto-replies and bounces without storing anything', async () => {
    const { fx, chat, to } = await replyAddress();
    const port = fx.gateway.inboundSmtpPort!;
    const before = (await fx.gateway.store.messagesAfter(chat.conversationId, 0)).messages.length;
    await sendRaw(port, {
      from: 'grace@example.com',
      to,
      raw: rawReply(to, 'I am out of office', { 'Auto-Submitted': 'auto-replied' }),
    });
    await sendRaw(port, { from: 'grace@example.com', to, raw: rawReply(to, 'Away', { Precedence: 'bulk' }) });
    await sendRaw(port, { from: '', to, raw: rawReply(to, 'Delivery failed') });
    expect((await fx.gateway.store.messagesAfter(chat.conversationId, 0)).messages).toHaveLength(before);
  });

  it('takes replies from a provider webhook with its token, once per Message-ID, and refuses a bad token', async () => {
    const { fx, chat, to } = await replyAddress();
    const post = (token: string, raw: string) =>
      fetch(`${fx.url}/inbound/email`, {
        method: 'POST',
        headers: { 'X-Parley-Inbound-Token': token, 'Content-Type': 'message/rfc822' },
        body: raw,
      });
    const raw = rawReply(to, 'Sent through the provider\n\n-- \nGrace Hopper\nACME Corp');
    expect((await post('wrong', raw)).status).toBe(401);
    expect((await post(HOOK_TOKEN, raw)).status).toBe(200);
    expect((await post(HOOK_TOKEN, raw)).status).toBe(200);
    const forged = `reply+${'0'.repeat(32)}@${DOMAIN}`;
    expect((await post(HOOK_TOKEN, rawReply(forged, 'hi'))).status).toBe(404);
    const texts = (await fx.gateway.store.messagesAfter(chat.conversationId, 0)).messages.map((m) => m.text);
    expect(texts.filter((t) => t === 'Sent through the provider')).toHaveLength(1);
  });
});

describe('stripQuoted', () => {
  it.each([
    ['Gmail', 'Yes please.\n\nOn Mon, 30 Nov 2026 at 09:00, Acme <a@b.c> wrote:\n> old', 'Yes please.'],
    ['wrapped wrote line', 'Yes.\n\nOn Mon, 30 Nov 2026 at 09:00, Acme support\n<reply+x@y.z> wrote:\n> old', 'Yes.'],
    ['Outlook', 'Fine.\n\n-----Original Message-----\nFrom: Acme\nold', 'Fine.'],
    ['Outlook rule', 'Fine.\n________________________________\nFrom: Acme\nold', 'Fine.'],
    ['French', 'Merci !\n\nLe lun. 30 nov. 2026 à 09:00, Acme <a@b.c> a écrit :\n> old', 'Merci !'],
    ['signature', 'Thanks\n-- \nGrace\nCEO', 'Thanks'],
    ['mobile', 'Ok\n\nSent from my iPhone', 'Ok'],
    ['interleaved quotes', '> question?\nanswer\n> other?\nsecond', 'answer\nsecond'],
  ])('%s', (_name, input, expected) => {
    expect(stripQuoted(input)).toBe(expected);
  });
});

describe('email configuration', () => {
  it('is off without PARLEY_SMTP_URL, and reads every variable with its default', async () => {
    const { readMailConfig } = await import('../../../demo/server/mail/config');
    expect(readMailConfig({})).toBeUndefined();
    const base = { PARLEY_SMTP_URL: 'smtp://u:p@mail.example:587', PARLEY_MAIL_FROM: 'Acme <support@acme.example>' };
    expect(readMailConfig(base)).toEqual({
      smtpUrl: base.PARLEY_SMTP_URL,
      from: base.PARLEY_MAIL_FROM,
      delayMs: 120_000,
      giveUpMs: 48 * 3_600_000,
    });
    expect(
      readMailConfig({
        ...base,
        PARLEY_EMAIL_DELAY_S: '5',
        PARLEY_INBOUND_DOMAIN: 'Reply.Acme.example',
        PARLEY_INBOUND_SMTP_PORT: '2525',
        PARLEY_INBOUND_TOKEN: 'x'.repeat(24),
      }),
    ).toMatchObject({
      delayMs: 5000,
      inboundDomain: 'reply.acme.example',
      inboundSmtpPort: 2525,
      inboundToken: 'x'.repeat(24),
    });
  });

  it('refuses bad values naming the variable, never echoing a secret', async () => {
    const { readMailConfig } = await import('../../../demo/server/mail/config');
    const base = { PARLEY_SMTP_URL: 'smtp://mail.example', PARLEY_MAIL_FROM: 'support@acme.example' };
    expect(() => readMailConfig({ PARLEY_INBOUND_DOMAIN: 'reply.acme.example' })).toThrow(/PARLEY_SMTP_URL is not/);
    expect(() => readMailConfig({ ...base, PARLEY_SMTP_URL: 'http://x' })).toThrow(/^PARLEY_SMTP_URL/);
    expect(() => readMailConfig({ ...base, PARLEY_MAIL_FROM: 'nobody' })).toThrow(/^PARLEY_MAIL_FROM/);
    expect(() => readMailConfig({ ...base, PARLEY_EMAIL_DELAY_S: '-1' })).toThrow(/^PARLEY_EMAIL_DELAY_S/);
    expect(() => readMailConfig({ ...base, PARLEY_INBOUND_SMTP_PORT: '25' })).toThrow(/needs PARLEY_INBOUND_DOMAIN/);
    expect(() =>
      readMailConfig({ ...base, PARLEY_INBOUND_DOMAIN: 'reply.acme.example', PARLEY_INBOUND_TOKEN: 'short-secret' }),
    ).toThrow(/^PARLEY_INBOUND_TOKEN must be at least 24 characters$/);
  });
});

describe('transcripts by email', () => {
  it('goes to the visitor address only, holds the whole conversation, and its limits hold', async () => {
    const { fx, box } = await setup({ transcriptLimits: { perVisitor: 2, perAddress: 3, perSite: 4 } });
    const chat = await fx.chatting({}, 'Where is my order?');
    expect(await call(chat.socket, 'transcript', {})).toMatchObject({ ok: false, code: 'email_required' });
    await call(chat.socket, 'email', { email: 'grace@example.com' });
    const agent = await fx.agent();
    const sent = await reply(agent.socket, chat.conversationId, 'It left <today>.');
    await call(chat.socket, 'read', { seq: sent.seq }); // read: no follow-up, so only transcripts arrive
    expect(await call(chat.socket, 'transcript', {})).toEqual({ ok: true, to: 'grace@example.com' });
    const mail = await box.next((m) => /Transcript/.test(m.subject ?? ''));
    expect(mail.text).toContain('Where is my order?');
    expect(mail.text).toContain('It left <today>.');
    expect(mail.html).toContain('It left &lt;today&gt;.');
    // Per visitor: a second one, then refused.
    expect(await call(chat.socket, 'transcript', {})).toMatchObject({ ok: true });
    expect(await call(chat.socket, 'transcript', {})).toMatchObject({ ok: false, code: 'rate_limited' });
    // Per address: another visitor with the same address gets one more (3 a day), then refused.
    const twin = await fx.chatting();
    await call(twin.socket, 'email', { email: 'grace@example.com' });
    expect(await call(twin.socket, 'transcript', {})).toMatchObject({ ok: true });
    expect(await call(twin.socket, 'transcript', {})).toMatchObject({
      ok: false,
      code: 'rate_limited',
      message: expect.stringMatching(/per address/),
    });
    // Per site: the fourth of the site, to a new address, is the last one.
    const other = await fx.chatting();
    await call(other.socket, 'email', { email: 'ada@example.com' });
    expect(await call(other.socket, 'transcript', {})).toMatchObject({ ok: true });
    expect(await call(other.socket, 'transcript', {})).toMatchObject({
      ok: false,
      code: 'rate_limited',
      message: expect.stringMatching(/this site/),
    });
    await box.next(() => box.received.length >= 4);
    await sleep(500);
    expect(box.received.map((m) => m.to && !Array.isArray(m.to) && m.to.text).sort()).toEqual([
      'ada@example.com',
      'grace@example.com',
      'grace@example.com',
      'grace@example.com',
    ]);
  });
});

describe('internal notes and email', () => {
  it('never puts an internal note in a follow-up or a transcript', async () => {
    const { fx, box } = await setup();
    // The visitor stays connected (and reads nothing), so the same socket asks for the transcript afterwards.
    const chat = await fx.chatting();
    expect(await call(chat.socket, 'email', { email: 'grace@example.com' })).toEqual({ ok: true });
    const agent = await fx.agent();
    const secret = 'NOTE: refund fraud suspected, do not tell the visitor';
    const note = async (text: string) => {
      const ack = await call(agent.socket, 'note', {
        conversationId: chat.conversationId,
        clientId: `note-${randomBytes(6).toString('hex')}`,
        text,
      });
      expect(ack.ok, JSON.stringify(ack)).toBe(true);
    };
    await note(`${secret} (1)`);
    await reply(agent.socket, chat.conversationId, 'We are looking into your order.');
    await note(`${secret} (2)`);

    // The notes are stored with the conversation (agents see them), and the follow-up still leaves them out.
    const opened = await call(agent.socket, 'open', { conversationId: chat.conversationId });
    expect((opened.notes as { text: string }[]).map((n) => n.text)).toEqual([`${secret} (1)`, `${secret} (2)`]);
    const followUp = await box.next();
    expect(followUp.text).toContain('We are looking into your order.');
    expect(followUp.text).not.toContain('refund fraud');
    expect(followUp.html).not.toContain('refund fraud');

    expect(await call(chat.socket, 'transcript', {})).toMatchObject({ ok: true, to: 'grace@example.com' });
    const transcript = await box.next((m) => /Transcript/.test(m.subject ?? ''));
    expect(transcript.text).toContain('We are looking into your order.');
    expect(transcript.text).not.toContain('refund fraud');
    expect(transcript.html).not.toContain('refund fraud');
  });
});
