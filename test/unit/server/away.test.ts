// @vitest-environment node

import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createAvailabilityAnnouncer } from '../../../demo/server/availability';
import { parseHours } from '../../../demo/server/business-hours';
import type { Availability, ConversationSummary } from '../../../src/protocol';
import { call, type Fixture, nextEvent, settle, startGateway } from '../../support/in-process-gateway';

const SECRET = 'acme-secret-0123456789-0123456789-abcdef';
const allWeek = ['00:00-24:00'];
const ALWAYS_OPEN = parseHours({
  '*': {
    timeZone: 'UTC',
    weekly: { mon: allWeek, tue: allWeek, wed: allWeek, thu: allWeek, fri: allWeek, sat: allWeek, sun: allWeek },
  },
});
const NEVER_OPEN = parseHours({ closedsite: { timeZone: 'Europe/Paris', weekly: {} } });

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.stop();
  fx = undefined;
});

describe('availability pushed to visitors', () => {
  it('welcomes with the site availability and announces changes as agents come and go', async () => {
    fx = await startGateway({ hours: ALWAYS_OPEN });
    const { socket, welcome } = await fx.visitor();
    expect(welcome.availability).toEqual({ state: 'closed' });
    const online = nextEvent<Availability>(socket, 'availability', (a) => a.state === 'online');
    const agent = await fx.agent();
    expect(await online).toEqual({ state: 'online' });
    const away = nextEvent<Availability>(socket, 'availability');
    await call(agent.socket, 'presence', { status: 'away' });
    expect(await away).toEqual({ state: 'away' });
  });

  it('keeps a site outside its hours closed whoever is away, per site', async () => {
    fx = await startGateway({ hours: NEVER_OPEN });
    const agent = await fx.agent();
    await call(agent.socket, 'presence', { status: 'away' });
    const closed = await fx.visitor({ site: 'closedsite' });
    expect(closed.welcome.availability).toEqual({ state: 'closed' });
    const other = await fx.visitor({ site: 'other' });
    expect(other.welcome.availability).toEqual({ state: 'away' });
    // An online agent answers whatever the hours say.
    const online = nextEvent<Availability>(closed.socket, 'availability');
    await call(agent.socket, 'presence', { status: 'online' });
    expect(await online).toEqual({ state: 'online' });
  });

  it('announces an opening on its timer, and only changes', () => {
    let now = Date.parse('2026-11-30T07:59:00Z'); // Monday 08:59 in Paris
    const sent: [string, Availability][] = [];
    const announcer = createAvailabilityAnnouncer({
      presence: () => ({ agents: 'away' }),
      hours: parseHours({ acme: { timeZone: 'Europe/Paris', weekly: { mon: ['09:00-18:00'] } } }),
      sites: () => ['acme'],
      emit: (site, value) => sent.push([site, value]),
      now: () => now,
      tickMs: 60_000,
    });
    try {
      announcer.announce();
      announcer.announce();
      now += 60_000;
      announcer.announce();
      expect(sent).toEqual([
        ['acme', { state: 'closed', opensAt: Date.parse('2026-11-30T08:00:00Z') }],
        ['acme', { state: 'away' }],
      ]);
    } finally {
      announcer.stop();
    }
  });
});

describe('email capture', () => {
  it('stores a valid address on the visitor, shows it to agents, and is known on the next visit', async () => {
    fx = await startGateway();
    const agent = await fx.agent();
    const chat = await fx.chatting();
    expect(chat.welcome.emailKnown).toBeUndefined();
    const summary = nextEvent<ConversationSummary>(agent.socket, 'conversation', (c) => c.visitor.email !== undefined);
    expect(await call(chat.socket, 'email', { email: ' grace@example.com ' })).toEqual({ ok: true });
    expect((await summary).visitor.email).toBe('grace@example.com');
    chat.socket.close();
    const again = await fx.visitor({ session: chat.welcome.session! });
    expect(again.welcome.emailKnown).toBe(true);
  });

  it('refuses malformed addresses and changes nothing', async () => {
    fx = await startGateway();
    const chat = await fx.chatting();
    for (const email of [
      'nope',
      'a@b',
      'a b@example.com',
      'a@example.com\r\nBcc: x@y.z',
      'x,y@example.com',
      `${'a'.repeat(250)}@example.com`,
      42,
    ]) {
      const ack = await call(chat.socket, 'email', { email });
      expect(ack, String(email)).toMatchObject({ ok: false, code: 'invalid_payload' });
    }
    const stored = await fx.gateway.store.getConversation(chat.conversationId);
    expect(stored?.visitor.email).toBeUndefined();
  });

  it('never overwrites a verified user address, and tells the widget it is known', async () => {
    fx = await startGateway({ siteSecrets: { acme: SECRET } });
    const token = await new SignJWT({ email: 'user@example.com' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
    const { socket, welcome } = await fx.visitor({ site: 'acme', userToken: token });
    expect(welcome.emailKnown).toBe(true);
    await call(socket, 'send', { clientId: 'client-0001', text: 'hi' });
    expect(await call(socket, 'email', { email: 'other@example.com' })).toEqual({ ok: true });
    await settle(socket);
    const [summary] = await fx.gateway.store.listConversations();
    expect(summary?.visitor.email).toBe('user@example.com');
  });
});

describe('an agent asking for the address', () => {
  it('tells the visitor tabs to ask, unless the address is known, and refuses unknown conversations', async () => {
    fx = await startGateway();
    const chat = await fx.chatting();
    const agent = await fx.agent();
    const asked = nextEvent(chat.socket, 'askEmail');
    expect(await call(agent.socket, 'askEmail', { conversationId: chat.conversationId })).toEqual({ ok: true });
    await asked;
    expect(await call(agent.socket, 'askEmail', { conversationId: 'nope' })).toMatchObject({ code: 'not_found' });
    await call(chat.socket, 'email', { email: 'grace@example.com' });
    let again = false;
    chat.socket.on('askEmail', () => {
      again = true;
    });
    await call(agent.socket, 'askEmail', { conversationId: chat.conversationId });
    await settle(chat.socket);
    expect(again).toBe(false);
  });
});
