// Issue 15 end to end: the built gateway as its own process, Chromium, a real SMTP server on loopback as the visitor's
// mailbox, and the gateway's own SMTP listener for replies.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Rating } from '../../src/protocol';
import { connectAgent } from '../support/gateway';
import { call } from '../support/in-process-gateway';
import { sendRaw, startMailbox } from '../support/mailbox';
import { openAgent, openVisitor } from '../support/pages';
import { e2e } from '../support/suite';

const DOMAIN = 'reply.acme.example';
const box = await startMailbox();
afterAll(() => box.close());

const t = e2e({
  gateway: () => ({
    env: {
      PARLEY_SMTP_URL: box.url,
      PARLEY_MAIL_FROM: 'Acme support <support@acme.example>',
      PARLEY_EMAIL_DELAY_S: '2',
      PARLEY_INBOUND_DOMAIN: DOMAIN,
      PARLEY_INBOUND_SMTP_PORT: '0',
    },
  }),
});

const inboundPort = () => Number(/replies by SMTP on port (\d+)/.exec(t.gateway.output())?.[1]);

describe('when nobody is there', () => {
  it('asks for an email, emails the unseen reply once, and takes the emailed answer back to the console', async () => {
    const visitor = await openVisitor(await t.context(), t.gateway.url);
    const email = visitor.panel.getByRole('textbox', { name: 'Email' });
    await email.waitFor();
    // Never blocking: the message goes whether or not an address was left.
    await visitor.send('Do you ship to Oslo?');
    await visitor.waitSent(1);
    await email.fill('not an address');
    await visitor.panel.getByRole('button', { name: 'Save' }).click();
    await visitor.panel
      .getByRole('alert')
      .getByText(/name@example\.com/)
      .waitFor();
    await email.fill('grace@example.com');
    await visitor.panel.getByRole('button', { name: 'Save' }).click();
    await visitor.panel.getByText("Thanks! We'll email you if you've left.").waitFor();
    await visitor.page.close();

    const agent = await openAgent(await t.context(), t.gateway.url, 'Ana');
    await agent.open('Do you ship to Oslo?');
    await agent.send('Yes, in two days.');
    const mail = await box.next(undefined, 20_000);
    expect(mail.text).toContain('Yes, in two days.');
    expect(box.received).toHaveLength(1);
    const to = mail.replyTo?.value[0]?.address ?? '';
    expect(to).toMatch(/^reply\+[0-9a-f]{32}@reply\.acme\.example$/);

    const raw = [
      'From: Grace <grace@example.com>',
      `To: ${to}`,
      'Subject: Re: your conversation',
      `Message-ID: <${randomBytes(6).toString('hex')}@example.com>`,
      '',
      'Perfect, thanks.',
      '',
      'On Mon, 30 Nov 2026 at 09:00, Acme support <support@acme.example> wrote:',
      '> Yes, in two days.',
      '',
    ].join('\r\n');
    await sendRaw(inboundPort(), { from: 'grace@example.com', to, raw });
    await expect
      .poll(() => agent.messages(), { timeout: 10_000 })
      .toEqual([
        expect.stringContaining('Do you ship to Oslo?'),
        expect.stringContaining('Yes, in two days.'),
        expect.stringContaining('Perfect, thanks.'),
      ]);
    expect((await agent.messages()).join('\n')).not.toContain('wrote:');

    const forged = `reply+${randomBytes(16).toString('hex')}@${DOMAIN}`;
    await expect(sendRaw(inboundPort(), { from: 'x@example.com', to: forged, raw })).rejects.toThrow(/550/);
    expect(box.received).toHaveLength(1);
  });

  it('offers a rating after an agent resolves, and agents see it', async () => {
    const visitor = await openVisitor(await t.context(), t.gateway.url);
    await visitor.send('Thanks for the help');
    await visitor.waitSent(1);
    const console_ = await openAgent(await t.context(), t.gateway.url, 'Ben');
    await console_.open('Thanks for the help');
    const agent = await connectAgent(t.gateway.url);
    try {
      const { conversations } = await call(agent, 'list', {});
      const conversation = conversations.find((c: { lastMessage?: { text: string } }) =>
        c.lastMessage?.text.includes('Thanks for the help'),
      );
      await call(agent, 'setStatus', { conversationId: conversation.id, status: 'resolved' });
      const group = visitor.panel.getByRole('group', { name: 'Rate this conversation' });
      await group.waitFor();
      await group.getByRole('button', { name: '4 of 5' }).click();
      await visitor.panel.getByRole('textbox', { name: 'Comment (optional)' }).fill('Quick and kind');
      await visitor.panel.getByRole('button', { name: 'Send rating' }).click();
      await visitor.panel.getByText('Thanks for your rating!').waitFor();
      const opened = await call(agent, 'open', { conversationId: conversation.id });
      expect(opened.rating as Rating).toMatchObject({ score: 4, comment: 'Quick and kind', agentName: 'Ana' });
      // The console shows it on the conversation, live, and in the per-agent averages.
      await console_.page.getByText('Rated 4/5 for Ana · “Quick and kind”').waitFor();
      await console_.page.getByRole('list', { name: 'Satisfaction' }).getByText('Ana: 4.0/5 (1)').waitFor();
    } finally {
      agent.close();
    }
  });
});
