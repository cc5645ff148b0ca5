import type { ConsoleMessage, Page } from 'playwright';
import { launchBrowser } from '../browser';
import type { Engine, EnginePage } from './types';

/** Chromium through Playwright, as the rest of the end-to-end tests drive it. Playwright pierces open shadow roots. */
export const chromium: Engine = {
  name: 'chromium',
  async launch() {
    const browser = await launchBrowser();
    return {
      async newPage() {
        const ctx = await browser.newContext();
        const page = await ctx.newPage();
        return Object.assign(wrap(page), { close: () => ctx.close() });
      },
      close: () => browser.close(),
    };
  },
};

function wrap(page: Page): EnginePage {
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  const el = (selector: string) => page.locator(`parley-chat ${selector}`).first();
  return {
    goto: async (url) => void (await page.goto(url)),
    reload: async () => void (await page.reload()),
    evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
    click: (selector) => el(selector).click(),
    async type(selector, text) {
      const [first = '', ...lines] = text.split('\n');
      await el(selector).pressSequentially(first);
      for (const line of lines) {
        await el(selector).press('Shift+Enter');
        await el(selector).pressSequentially(line);
      }
    },
    pressEnter: (selector) => el(selector).press('Enter'),
    nativeErrors: () => errors,
    close: () => page.close(),
  };
}
