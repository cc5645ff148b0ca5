import { SignJWT } from 'jose';
import type { Page } from 'playwright';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationSummary, VisitorWelcome } from '../../src/protocol';
import { AGENTS } from '../support/gateway';
import { type HostSite, hostPage, startHostSite } from '../support/host-site';
import { openVisitor, type Visitor } from '../support/pages';
import { e2e } from '../support/suite';

const SECRET = 'a-test-secret-of-at-least-32-characters!';
let site: HostSite;

/** What the site's backend does: sign a short-lived token for its logged-in user. */
function userToken(user: { id: string; name?: string; email?: string }, secret = SECRET) {
  return new SignJWT({ name: user.name, email: user.email })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user.id)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret));
}

const ada = { id: 'user-42', name: 'Ada Lovelace', email: 'ada@example.com' };

beforeAll(async () => {
  site = await startHostSite({
    '/anonymous': hostPage({ site: 'acme', gateway: '{{GATEWAY}}' }),
    '/ada': hostPage({ site: 'acme', gateway: '{{GATEWAY}}', 'user-token': await userToken(ada) }),
    '/forged': hostPage({
      site: 'acme',
      gateway: '{{GATEWAY}}',
      'user-token': await userToken(ada, 'another-secret-that-is-also-32-chars!!'),
    }),
  });
});
const t = e2e({ gateway: () => ({ env: { PARLEY_ORIGINS: site.url, PARLEY_SITE_SECRETS: `acme:${SECRET}` } }) });
beforeAll(() => {
  site.gateway = t.gateway.url;
});
afterAll(() => site?.close());

/** A visitor in a browser of their own (a "device"), on one of the site's pages. */
async function device(path: string): Promise<Visitor> {
  const ctx = await t.context();
  return openVisitor(ctx, site.url, path);
}

async function summaries(): Promise<ConversationSummary[]> {
  const agent = io(`${t.gateway.url}/agent`, {
    auth: { token: AGENTS.Ana },
    transports: ['websocket'],
    forceNew: true,
  });
  const { conversations } = await agent.emitWithAck('list', { status: 'all' });
  agent.close();
  return conversations;
}

const identify = (p: Page, token: string) =>
  p.evaluate((t) => (window as unknown as { Parley: { identify(t: string): void } }).Parley.identify(t), token);

describe('identity verification', () => {
  it('shows agents a verified user, and the conversation follows the user to another device', async () => {
    const laptop = await device('/ada');
    await laptop.send('Hi, from my laptop');
    await laptop.waitSent(1);
    const [conversation] = (await summaries()).filter((c) => c.visitor.verified);
    expect(conversation?.visitor).toMatchObject({ verified: true, name: 'Ada Lovelace', email: 'ada@example.com' });

    const phone = await device('/ada');
    await expect.poll(() => phone.bubbles()).toEqual(['Hi, from my laptop']);
    await phone.send('And now from my phone');
    await laptop.log.getByText('And now from my phone').waitFor();
  });

  it('keeps a visitor with a forged token anonymous, says so, and never shows the user’s conversation', async () => {
    const forged = await device('/forged');
    await forged.panel.getByText("We couldn't verify your account, so this chat is anonymous.").waitFor();
    expect(await forged.bubbles()).toEqual([]);
    await forged.send('Am I Ada?');
    await forged.waitSent(1);
    const mine = (await summaries()).find((c) => c.lastMessage?.text === 'Am I Ada?');
    expect(mine?.visitor.verified).toBe(false);
    expect(mine?.visitor.name).toBeUndefined();
  });

  it('identify() after load moves an anonymous visitor to their account’s conversation; shutdown() forgets it', async () => {
    const visitor = await device('/anonymous');
    await visitor.send('Before logging in');
    await visitor.waitSent(1);
    await identify(visitor.page, await userToken(ada));
    await expect
      .poll(() => visitor.bubbles(), { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['Hi, from my laptop']));
    expect(await visitor.bubbles()).not.toContain('Before logging in');

    await visitor.page.evaluate(() =>
      (window as unknown as { Parley: { shutdown(): Promise<void> } }).Parley.shutdown(),
    );
    await expect.poll(() => visitor.bubbles()).toEqual([]);
    await visitor.page.reload();
    await visitor.page.locator('parley-chat [part="launcher"]').click();
    await visitor.composer.waitFor();
    await visitor.page.waitForTimeout(300);
    expect(await visitor.bubbles()).toEqual([]);
  });

  it('shutdown() ends the session on the gateway: its token opens nothing from another client', async () => {
    const visitor = await device('/ada');
    await visitor.send('Before logging out');
    await visitor.waitSent(1);
    const stored = () =>
      visitor.page.evaluate(
        () => (JSON.parse(localStorage.getItem('parley:acme') ?? '{}') as { session?: string }).session,
      );
    const token = await stored();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await visitor.page.evaluate(() =>
      (window as unknown as { Parley: { shutdown(): Promise<void> } }).Parley.shutdown(),
    );
    // Copied before the logout, the token now gets a fresh anonymous session, even on another client.
    const copy = io(`${t.gateway.url}/visitor`, {
      auth: { v: 1, site: 'acme', session: token, lastSeq: 0 },
      transports: ['websocket'],
      forceNew: true,
    });
    const welcome = await new Promise<VisitorWelcome>((resolve) => copy.once('welcome', resolve));
    copy.close();
    expect(welcome).toMatchObject({ renewed: 'session_unknown', conversationId: null, messages: [] });
    await expect.poll(stored).not.toBe(token);
  });
});
