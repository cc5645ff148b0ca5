import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Builder, Key, type WebDriver, type WebElement } from 'selenium-webdriver';
import { findBrowser } from '../browsers.mjs';
import { type Engine, type EnginePage, IN_WIDGET } from './types';

/**
 * WebKitGTK (Safari's engine) through Debian's WebKitWebDriver and MiniBrowser, on a private Xvfb display: MiniBrowser
 * has no headless mode. We start WebKitWebDriver ourselves and hand selenium-webdriver its URL, so selenium never
 * looks for (or downloads) a driver. Every page is its own WebDriver session: a fresh, ephemeral profile.
 */
export const webkit: Engine = {
  name: 'webkit',
  async launch() {
    const miniBrowser = findBrowser('miniBrowser');
    const xvfb = spawn(findBrowser('xvfb'), ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    const display = await firstLine(xvfb, 3, 'Xvfb');
    const port = await freePort();
    const driver = spawn(findBrowser('webkit'), [`--port=${port}`, '--host=127.0.0.1'], {
      env: { ...process.env, DISPLAY: `:${display}` },
      stdio: 'ignore',
    });
    const server = `http://127.0.0.1:${port}`;
    await until(() => fetch(`${server}/status`).then((r) => r.ok), 'WebKitWebDriver did not answer within 15 s');
    return {
      async newPage() {
        const session = await new Builder()
          .usingServer(server)
          .withCapabilities({
            browserName: 'MiniBrowser',
            'webkitgtk:browserOptions': { binary: miniBrowser, args: ['--automation'] },
          })
          .build();
        return wrap(session);
      },
      async close() {
        driver.kill();
        xvfb.kill();
      },
    };
  },
};

function wrap(session: WebDriver): EnginePage {
  const el = async (selector: string) => {
    const found = (await session.executeScript(`return (${IN_WIDGET})(arguments[0])`, selector)) as WebElement | null;
    if (!found) throw new Error(`no ${selector} in the widget`);
    return found;
  };
  return {
    goto: (url) => session.get(url),
    reload: () => session.navigate().refresh(),
    async evaluate(fn, arg) {
      // WebDriver classic has no promises: the async form hands back the settled result, or the error to rethrow.
      const result = (await session.executeAsyncScript(
        `const done = arguments[arguments.length - 1];
         Promise.resolve().then(() => (${fn})(arguments[0]))
           .then((value) => done({ value }), (e) => done({ error: String(e && e.stack || e) }));`,
        arg,
      )) as { value?: never; error?: string };
      if (result.error) throw new Error(result.error);
      return result.value as never;
    },
    click: async (selector) => (await el(selector)).click(),
    async type(selector, text) {
      const [first = '', ...lines] = text.split('\n');
      const field = await el(selector);
      await field.sendKeys(first);
      // One call per chord: WebKitWebDriver does not release Shift at a NULL key within one call.
      for (const line of lines) {
        await field.sendKeys(Key.SHIFT, Key.ENTER);
        await field.sendKeys(line);
      }
    },
    pressEnter: async (selector) => (await el(selector)).sendKeys(Key.ENTER),
    nativeErrors: () => [],
    close: () => session.quit(),
  };
}

function firstLine(child: ChildProcess, fd: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    child.stdio[fd]?.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

async function until(check: () => Promise<boolean>, message: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((r) => setTimeout(r, 100));
  }
}
