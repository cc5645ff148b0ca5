// @vitest-environment node
import { tmpdir } from 'node:os';
import { io } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_TOKEN_RULE } from '../../../demo/server/agents';
import { readConfig } from '../../../demo/server/config';
import { createGateway } from '../../../demo/server/gateway';
import { createOriginPolicy } from '../../../demo/server/origins';
import { AGENTS, type Fixture, nextEvent, startGateway } from '../../support/in-process-gateway';

/**
 * Issue 12, parts 4 and 7: the agent namespace accepts only the gateway's own origin and the console origins; failed
 * sign-ins never keep a correct token out; agent tokens have a floor; sites can be bound to origins.
 */

let fx: Fixture;
beforeEach(async () => {
  fx = await startGateway();
});
afterEach(async () => {
  await fx.stop();
});

const own = () => new URL(fx.url).origin;
const ORIGIN_REFUSED = {
  code: 'origin_refused',
  message: 'this origin may not open the agent console; see PARLEY_CONSOLE_ORIGINS',
};

/** An agent socket sending `origin` (undefined: none, as non-browser clients do); resolves once welcomed. */
async function agentFrom(origin: string | undefined, token = AGENTS[0]!.token) {
  const socket = io(`${fx.url}/agent`, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...(origin ? { extraHeaders: { origin } } : {}),
  });
  try {
    return await nextEvent<{ name: string }>(socket, 'welcome');
  } finally {
    socket.close();
  }
}

describe('the agent namespace’s origins', () => {
  it('refuses a handshake from a page on another origin, even with the right token', async () => {
    for (const origin of ['https://evil.example', 'null', `${own()}.evil.example`]) {
      const err = await fx.refused('/agent', { auth: { token: AGENTS[0]!.token }, extraHeaders: { origin } });
      expect(err.data, origin).toEqual(ORIGIN_REFUSED);
    }
    // Long-polling is checked the same way.
    const polling = await fx.refused('/agent', {
      auth: { token: AGENTS[0]!.token },
      transports: ['polling'],
      extraHeaders: { origin: 'https://evil.example' },
    });
    expect(polling.data).toEqual(ORIGIN_REFUSED);
  });

  it('accepts the gateway’s own origin, configured console origins and clients that send no Origin', async () => {
    expect(await agentFrom(own())).toMatchObject({ name: 'Ana' });
    expect(await agentFrom(undefined)).toMatchObject({ name: 'Ana' });
    await fx.restart({ consoleOrigins: ['https://console.example/'], origins: ['https://shop.example'] });
    expect(await agentFrom('https://console.example')).toMatchObject({ name: 'Ana' });
    expect(await agentFrom(own())).toMatchObject({ name: 'Ana' });
    // An origin allowed to embed the widget is not thereby allowed to open the agent namespace.
    const shop = await fx.refused('/agent', {
      auth: { token: AGENTS[0]!.token },
      extraHeaders: { origin: 'https://shop.example' },
    });
    expect(shop.data).toEqual(ORIGIN_REFUSED);
  });

  it('never keeps a correct token out, however many sign-ins failed from the same address', async () => {
    // The default budget: 10 failures, then one every 5 s. Every client here shares the address 127.0.0.1.
    for (let i = 0; i < 15; i++) {
      const err = await fx.refused('/agent', {
        auth: { token: `guess-${i}` },
        extraHeaders: { origin: 'https://evil.example' },
      });
      expect(err.data).toEqual(ORIGIN_REFUSED);
    }
    expect(await agentFrom(own())).toMatchObject({ name: 'Ana' });
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 15; i++) {
      codes.push(
        (await fx.refused('/agent', { auth: { token: `guess-${i}` }, extraHeaders: { origin: own() } })).data?.code,
      );
    }
    expect(codes.slice(0, 10).every((code) => code === 'unauthorized')).toBe(true);
    expect(codes.slice(10)).toEqual(['rate_limited', 'rate_limited', 'rate_limited', 'rate_limited', 'rate_limited']);
    expect(await agentFrom(own())).toMatchObject({ name: 'Ana' });
    expect(await agentFrom(undefined, AGENTS[1]!.token)).toMatchObject({ name: 'Ben' });
  });
});

describe('agent tokens', () => {
  const base = { dbPath: ':memory:', distDir: tmpdir() };

  it('refuse to start with a short or low-variety token, naming the agent and never the token', async () => {
    for (const token of ['a', 's3cret', 'x'.repeat(40), 'abcabcabcabcabcabcabcabcabc', 'Weak-but-23-characters!']) {
      // The whole message, so it provably carries no part of the token.
      await expect(createGateway({ ...base, agents: [AGENTS[0]!, { name: 'Weak', token }] }), token).rejects.toThrow(
        /^the token of agent "Weak" is too weak: use at least 24 characters, 10 of them different \(e\.g\. openssl rand -base64 24\)$/,
      );
    }
  });

  it('accept the floor exactly, and the generated default token always', async () => {
    const floor = 'abcdefghij'.padEnd(AGENT_TOKEN_RULE.minLength, 'j');
    const gateway = await createGateway({ ...base, agents: [{ name: 'Ana', token: floor }] });
    await gateway.close();
    for (let i = 0; i < 200; i++) {
      const [agent] = readConfig({}).agents;
      expect(agent!.token).toHaveLength(24);
      expect(new Set(agent!.token).size).toBeGreaterThanOrEqual(AGENT_TOKEN_RULE.minDistinct);
    }
  });
});

describe('sites bound to origins', () => {
  const acme = 'https://acme.example';
  const other = 'https://other.example';

  it('accept a bound site only from its origins, and let a bound origin claim only its sites', async () => {
    await fx.restart({ origins: [`acme=${acme}`, `acme=${acme}:8443`, other] });
    const refused = async (site: string, origin: string) =>
      (await fx.refused('/visitor', { auth: { v: 1, site }, extraHeaders: { origin } })).data;
    const forSite = {
      code: 'origin_refused',
      message: 'this origin may not open a chat for this site; see PARLEY_ORIGINS',
    };
    expect((await fx.visitor({ site: 'acme' }, { extraHeaders: { origin: acme } })).welcome.session).toBeTruthy();
    expect((await fx.visitor({ site: 'acme' }, { extraHeaders: { origin: `${acme}:8443` } })).welcome).toBeTruthy();
    // Another (allowed) origin claiming the bound site.
    expect(await refused('acme', other)).toEqual(forSite);
    // The bound origin claiming another site, or the default one.
    expect(await refused('globex', acme)).toEqual(forSite);
    expect(await refused('', acme)).toEqual(forSite);
    // Plain entries keep their meaning for every site not bound.
    expect((await fx.visitor({ site: 'globex' }, { extraHeaders: { origin: other } })).welcome).toBeTruthy();
    // Origins named nowhere are refused as before.
    expect(await refused('globex', 'https://evil.example')).toEqual({
      code: 'origin_refused',
      message: 'this origin may not open a chat; see PARLEY_ORIGINS',
    });
    // Non-browser clients send no Origin; they cannot borrow a visitor's browser, and could send any header anyway.
    expect((await fx.visitor({ site: 'acme' })).welcome).toBeTruthy();
  });

  it('parse entries strictly, and let long-polling through CORS for every named origin', () => {
    const policy = createOriginPolicy({ origins: [`acme=${acme}/`, `beta=${acme}`, other], consoleOrigins: [other] });
    expect(policy.cors).toEqual([other, acme]);
    const headers = (origin: string) => ({ origin, host: 'chat.example' });
    expect(policy.visitorAllowed(headers(acme), 'beta')).toBe(true);
    expect(policy.visitorAllowed(headers(acme), 'gamma')).toBe(false);
    expect(policy.visitorAllowed(headers(acme))).toBe(true);
    expect(createOriginPolicy({ origins: ['*', `acme=${acme}`] }).visitorAllowed(headers(other), 'acme')).toBe(false);
    expect(createOriginPolicy({ origins: ['*', `acme=${acme}`] }).visitorAllowed(headers(other), 'globex')).toBe(true);
    for (const bad of ['acme=', '=https://a.example', 'ac me=https://a.example', 'acme=*', 'acme=ftp://a.example']) {
      expect(() => createOriginPolicy({ origins: [bad] }), bad).toThrow(/invalid origin/);
    }
    expect(() => createOriginPolicy({ consoleOrigins: ['*'] })).toThrow(/console origins cannot be "\*"/);
  });
});
