import type { Browser, Page } from 'playwright';
import { describe, expect, it } from 'vitest';
import { e2e } from '../support/suite';

const t = e2e();

/** The demo page (accent #4f46e5), with the launcher shown. */
async function demo(options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
  const ctx = await t.context({ viewport: { width: 1000, height: 760 }, ...options });
  const p = await ctx.newPage();
  await p.goto(`${t.gateway.url}/`);
  await p.locator('parley-chat [part="launcher"]').waitFor();
  return p;
}

describe('looks', () => {
  it('the launcher brightens on hover and darkens when pressed, and moves only without prefers-reduced-motion', async () => {
    for (const reducedMotion of ['no-preference', 'reduce'] as const) {
      const p = await demo({ reducedMotion });
      const launcher = p.locator('parley-chat [part="launcher"]');
      const look = () => launcher.evaluate((el) => [getComputedStyle(el).transform, getComputedStyle(el).filter]);
      const moves = reducedMotion === 'no-preference';
      expect(await look()).toEqual(['none', 'none']);
      await launcher.hover();
      await expect.poll(look).toEqual([moves ? 'matrix(1.06, 0, 0, 1.06, 0, 0)' : 'none', 'brightness(1.1)']);
      await p.mouse.down();
      await expect.poll(look).toEqual([moves ? 'matrix(0.94, 0, 0, 0.94, 0, 0)' : 'none', 'brightness(0.9)']);
      await p.mouse.up();
    }
  });

  it('draws the focus ring in the accent, or in the accent’s text colour where the accent would not stand out', async () => {
    // Indigo has 6.3:1 on the light panel but 2.6:1 on the dark one, where the ring turns white.
    for (const [colorScheme, ring] of [
      ['light', 'rgb(79, 70, 229)'],
      ['dark', 'rgb(255, 255, 255)'],
    ] as const) {
      const p = await demo({ colorScheme });
      await p.locator('parley-chat [part="launcher"]').click();
      const composer = p.locator('parley-chat [part="panel"] textarea');
      await expect
        .poll(() => composer.evaluate((el) => [el.matches(':focus-visible'), getComputedStyle(el).outlineColor]))
        .toEqual([true, ring]);
    }
  });
});
