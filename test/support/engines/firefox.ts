import puppeteer, { type ElementHandle, type Page } from 'puppeteer-core';
import { findBrowser } from '../browsers.mjs';
import { type Engine, type EnginePage, IN_WIDGET } from './types';

/**
 * Stock Firefox (Debian's firefox-esr) through puppeteer-core over WebDriver BiDi. Playwright's `moz-firefox` channel
 * cannot drive it: it sends `emulation.setMediaFeaturesOverride`, which Firefox ESR does not implement.
 */
export const firefox: Engine = {
  name: 'firefox',
  async launch() {
    const browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: findBrowser('firefox'),
      headless: true,
    });
    return {
      async newPage() {
        const ctx = await browser.createBrowserContext();
        const page = await ctx.newPage();
        return Object.assign(wrap(page), { close: () => ctx.close() });
      },
      close: () => browser.close(),
    };
  },
};

function wrap(page: Page): EnginePage {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e instanceof Error ? e.message : String(e)));
  const el = async (selector: string) => {
    const handle = (await page.evaluateHandle(IN_WIDGET, selector)).asElement() as ElementHandle<Element> | null;
    if (!handle) throw new Error(`no ${selector} in the widget`);
    return handle;
  };
  return {
    goto: async (url) => void (await page.goto(url)),
    reload: async () => void (await page.reload()),
    evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
    click: async (selector) => (await el(selector)).click(),
    async type(selector, text) {
      const [first = '', ...lines] = text.split('\n');
      const field = await el(selector);
      await field.type(first);
      for (const line of lines) {
        await page.keyboard.down('Shift');
        await page.keyboard.press('Enter');
        await page.keyboard.up('Shift');
        await field.type(line);
      }
    },
    pressEnter: async (selector) => (await el(selector)).press('Enter'),
    nativeErrors: () => errors,
    close: () => page.close(),
  };
}
