// @vitest-environment node
// The gateway as its own process (main.ts, configured by environment), killed with SIGKILL while an email is queued:
// the email is sent exactly once by the next process.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, VisitorWelcome } from '../../../src/protocol';
import { call, nextEvent, sleep } from '../../support/in-process-gateway';
import { type Mailbox, sendRaw, startMailbox } from '../../support/mailbox';
import { bundleGateway, runNode } from '../../support/processes.mjs';

const TOKEN = 'ana-token-0123456789-abcd';

describe('email queue through kill -9', () => {
  let dir = '';
  let entry = '';
  let box: Mailbox;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-mail-'));
    entry = await bundleGateway(dir);
    box = await startMailbox();
  }, 60_000);
  afterAll(async () => {
    await box?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = () =>
    runNode({
      script: entry,
      cwd: dir,
      inheritEnv: false,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        PARLEY_DB: join(dir, 'data', 'p.db'),
        PARLEY_AGENTS: `Ana:${TOKEN}`,
        PARLEY_SMTP_URL: box.url,
        PARLEY_MAIL_FROM: 'Acme <support@acme.example>',
        PARLEY_EMAIL_DELAY_S: '3',
        PARLEY_INBOUND_DOMAIN: 'reply.acme.example',
        PARLEY_INBOUND_SMTP_PORT: '0',
      },
    });

  it('sends an email queued before a SIGKILL exactly once after the restart, and takes the reply in', async () => {
    const first = run();
    const [, url] = await first.waitFor(/listening on (http:\S+)/);
    await first.waitFor(
      /^Email: follow-ups after 3 s through smtp:\/\/127\.0\.0\.1:\d+\/?; replies by SMTP on port \d+$/m,
    );
    const visitor = io(`${url}/visitor`, { auth: { v: 1, site: 'acme' }, transports: ['websocket'], forceNew: true });
    await nextEvent<VisitorWelcome>(visitor, 'welcome');
    const sent = await call(visitor, 'send', { clientId: 'visitor-0001', text: 'Do you ship to Oslo?' });
    expect(await call(visitor, 'email', { email: 'grace@example.com' })).toEqual({ ok: true });
    visitor.close();
    const agent = io(`${url}/agent`, { auth: { token: TOKEN }, transports: ['websocket'], forceNew: true });
    await nextEvent(agent, 'welcome');
    const ack = await call(agent, 'send', {
      conversationId: sent.message.conversationId,
      clientId: 'agent-0001',
      text: 'Yes, in two days.',
    });
    expect(ack.ok).toBe(true);
    agent.close();
    // Killed while the follow-up waits for its delay: it is only in the database.
    first.child.kill('SIGKILL');
    await first.exited;
    expect(box.received).toHaveLength(0);

    const second = run();
    const [, url2] = await second.waitFor(/listening on (http:\S+)/);
    const [, port] = await second.waitFor(/replies by SMTP on port (\d+)/);
    const mail = await box.next(undefined, 20_000);
    expect(mail.text).toContain('Yes, in two days.');
    await sleep(2500);
    expect(box.received).toHaveLength(1);

    const watcher = io(`${url2}/agent`, { auth: { token: TOKEN }, transports: ['websocket'], forceNew: true });
    await nextEvent(watcher, 'welcome');
    const arrived = nextEvent<Message>(watcher, 'message', (m) => m.author === 'visitor', 10_000);
    const to = mail.replyTo!.value[0]!.address!;
    const raw = `From: grace@example.com\r\nTo: ${to}\r\nSubject: Re\r\nMessage-ID: <r1@example.com>\r\n\r\nPerfect.\r\n\r\nOn Mon, Acme wrote:\r\n> Yes, in two days.\r\n`;
    await sendRaw(Number(port), { from: 'grace@example.com', to, raw });
    expect(await arrived).toMatchObject({ text: 'Perfect.', conversationId: sent.message.conversationId });
    watcher.close();
    await second.stop();
  }, 60_000);
});
