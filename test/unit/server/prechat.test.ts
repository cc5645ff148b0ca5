// @vitest-environment node

import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../../demo/server/config';
import { parsePrechat } from '../../../demo/server/prechat';
import type { ConversationSummary } from '../../../src/protocol';
import { call, type Fixture, nextEvent, settle, startGateway } from '../../support/in-process-gateway';

const SECRET = 'acme-secret-0123456789-0123456789-abcdef';
const PRIVACY = 'https://acme.example/privacy';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.stop();
  fx = undefined;
});

describe('PARLEY_PRECHAT', () => {
  it('lists sites with their https: privacy policy URL', () => {
    expect(parsePrechat(` acme = ${PRIVACY} , beta=https://beta.example/p?x=1 ,`)).toEqual({
      acme: PRIVACY,
      beta: 'https://beta.example/p?x=1',
    });
    expect(readConfig({ PARLEY_PRECHAT: `acme=${PRIVACY}` }).prechat).toEqual({ acme: PRIVACY });
    expect(readConfig({}).prechat).toBeUndefined();
  });

  it('refuses entries without a site or an https: URL, naming the variable', () => {
    for (const bad of [
      'acme',
      `=${PRIVACY}`,
      'acme=http://acme.example/privacy',
      'acme=javascript:alert(1)',
      'acme=not a url',
    ]) {
      expect(() => readConfig({ PARLEY_PRECHAT: bad }), bad).toThrow(/PARLEY_PRECHAT/);
    }
  });
});

describe('pre-chat form', () => {
  it('is offered in the welcome of configured sites only, never to verified users', async () => {
    fx = await startGateway({ prechat: { acme: PRIVACY }, siteSecrets: { acme: SECRET } });
    expect((await fx.visitor({ site: 'acme' })).welcome.prechat).toEqual({ privacyUrl: PRIVACY });
    expect((await fx.visitor({ site: 'other' })).welcome.prechat).toBeUndefined();
    const token = await new SignJWT({ name: 'Ada' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
    expect((await fx.visitor({ site: 'acme', userToken: token })).welcome.prechat).toBeUndefined();
  });

  it('stores the name and address with consent, and agents see them', async () => {
    fx = await startGateway({ prechat: { acme: PRIVACY } });
    const agent = await fx.agent();
    const chat = await fx.chatting({ site: 'acme' });
    const summary = nextEvent<ConversationSummary>(agent.socket, 'conversation', (c) => c.visitor.name === 'Grace');
    expect(await call(chat.socket, 'email', { email: 'grace@example.com', name: ' Grace ', consent: true })).toEqual({
      ok: true,
    });
    expect((await summary).visitor).toMatchObject({ name: 'Grace', email: 'grace@example.com' });
  });

  it('refuses a name without consent, and a bad address or name, and stores nothing', async () => {
    fx = await startGateway({ prechat: { acme: PRIVACY } });
    const chat = await fx.chatting({ site: 'acme' });
    expect(await call(chat.socket, 'email', { email: 'grace@example.com', name: 'Grace' })).toMatchObject({
      ok: false,
      code: 'consent_required',
    });
    expect(
      await call(chat.socket, 'email', { email: 'grace@example.com', name: 'Grace', consent: false }),
    ).toMatchObject({ ok: false, code: 'consent_required' });
    for (const payload of [
      { email: 'nope', name: 'Grace', consent: true },
      { email: 'grace@example.com', name: '  ', consent: true },
      { email: 'grace@example.com', name: 'x'.repeat(101), consent: true },
      { email: 'grace@example.com', name: 'Grace', consent: 'yes' },
    ]) {
      expect(await call(chat.socket, 'email', payload), JSON.stringify(payload)).toMatchObject({
        ok: false,
        code: 'invalid_payload',
      });
    }
    await settle(chat.socket);
    const stored = await fx.gateway.store.getConversation(chat.conversationId);
    expect(stored?.visitor.email).toBeUndefined();
    expect(stored?.visitor.name).toBeUndefined();
  });
});
