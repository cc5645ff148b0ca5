import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { launchBrowser } from './browser';
import { type GatewayOptions, type RunningGateway, removeDb, startGateway } from './gateway';

/**
 * The life cycle every end-to-end file needs: one Chromium for the file, the real gateway (a fresh one for every test,
 * or one for the file), and browser contexts closed after each test. Call it at the top of a test file.
 */
export function e2e(options: { gatewayPerTest?: boolean; gateway?: () => GatewayOptions } = {}) {
  let browser: Browser | undefined;
  let gateway: RunningGateway | undefined;
  let contexts: BrowserContext[] = [];

  const start = async () => {
    gateway = await startGateway(options.gateway?.() ?? {});
  };
  const stop = async () => {
    if (!gateway) return;
    await gateway.stop('SIGKILL');
    removeDb(gateway);
    gateway = undefined;
  };
  const closeContexts = async () => {
    await Promise.all(contexts.map((c) => c.close()));
    contexts = [];
  };

  beforeAll(async () => {
    browser = await launchBrowser();
    if (!options.gatewayPerTest) await start();
  });
  afterAll(async () => {
    await closeContexts();
    await browser?.close();
    await stop();
  });
  if (options.gatewayPerTest) beforeEach(start);
  afterEach(async () => {
    await closeContexts();
    if (options.gatewayPerTest) await stop();
  });

  return {
    get browser(): Browser {
      return browser!;
    },
    get gateway(): RunningGateway {
      return gateway!;
    },
    /** Replaces the running gateway, after a restart. */
    set gateway(next: RunningGateway) {
      gateway = next;
    },
    /** A fresh browser context (its own cookies, storage and IndexedDB: another visitor, or another device). */
    async context(contextOptions: BrowserContextOptions = {}): Promise<BrowserContext> {
      const ctx = await browser!.newContext(contextOptions);
      contexts.push(ctx);
      return ctx;
    },
  };
}
