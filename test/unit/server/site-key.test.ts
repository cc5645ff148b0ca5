// One site-key rule for the widget and the gateway: a key the gateway accepts in PARLEY_SITE_SECRETS must reach it
// unchanged from data-site, and a key the widget refuses must be refused by the gateway too.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSiteSecrets } from '../../../demo/server/config';
import { parse, VisitorAuthSchema } from '../../../demo/server/validate';
import { parseConfig } from '../../../src/loader/config';

const SECRET = 'x'.repeat(32);
const widgetSite = (site: string) => parseConfig({ site }, { scriptSrc: 'https://chat.example/parley.js' }).site;
const gatewayTakes = (site: string) => parse(VisitorAuthSchema, { v: 1, site }).ok;
const secretsTake = (site: string) => {
  try {
    return parseSiteSecrets(`${site}:${SECRET}`).has(site);
  } catch {
    return false;
  }
};

afterEach(() => vi.restoreAllMocks());

describe('site keys', () => {
  it.each(['acme', 'acme.shop', 'Shop_2-eu', 'a', 'x'.repeat(64)])('%s is accepted everywhere', (site) => {
    expect(widgetSite(site)).toBe(site);
    expect(gatewayTakes(site)).toBe(true);
    expect(secretsTake(site)).toBe(true);
  });

  it.each(['.hidden', '-x', 'a:b', 'acme shop', 'café', 'x'.repeat(65)])('%s is refused everywhere', (site) => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(widgetSite(site)).toBe('default');
    expect(gatewayTakes(site)).toBe(false);
    expect(secretsTake(site)).toBe(false);
  });
});
