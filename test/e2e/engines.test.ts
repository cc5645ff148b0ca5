import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationSummary, Message } from '../../src/protocol';
import { type EngineBrowser, type EnginePage, selectedEngines, waitFor } from '../support/engines';
import { connectAgent, type RunningGateway, removeDb, startGateway } from '../support/gateway';
import { type HostSite, hostPage, startHostSite } from '../support/host-site';

// The same scenarios in Chromium, Firefox and WebKitGTK: what a visitor does, through real input, in each engine.
// One gateway and one host site serve every engine; each scenario uses its own site id, so conversations never mix.

let site: HostSite;
let gateway: RunningGateway;
let agent: Socket;

beforeAll(async () => {
  site = await startHostSite(
    Object.fromEntries(
      selectedEngines().flatMap((e) =>
        ['lazy', 'chat', 'grow', 'outbox'].map((s) => [`/${e.name}-${s}.html`, page(`${e.name}-${s}`)]),
      ),
    ),
  );
  gateway = await startGateway({ env: { PARLEY_ORIGINS: site.url } });
  site.gateway = gateway.url;
  agent = await connectAgent(gateway.url);
});
afterAll(async () => {
  agent?.close();
  await site?.close();
  await gateway?.stop();
  if (gateway) removeDb(gateway);
});

/** A host page of the site `siteId`, with the watcher (test/e2e/fixtures/watch.js) loaded before the widget. */
function page(siteId: string): string {
  return hostPage({ gateway: '{{GATEWAY}}', site: siteId }, '<script src="/watch.js"></script>');
}

/** The agent's next `event` that matches, within a generous 20 s. */
function nextEvent<T>(event: string, matches: (payload: T) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      agent.off(event, listener);
      reject(new Error(`no matching ${event} event within 20 s`));
    }, 20_000);
    const listener = (payload: T) => {
      if (!matches(payload)) return;
      clearTimeout(timer);
      agent.off(event, listener);
      resolve(payload);
    };
    agent.on(event, listener);
  });
}

async function conversationOf(siteId: string): Promise<ConversationSummary> {
  const { conversations } = await agent.emitWithAck('list', { status: 'all' });
  const mine = (conversations as ConversationSummary[]).filter((c) => c.site === siteId);
  expect(mine).toHaveLength(1);
  return mine[0]!;
}

const LAUNCHER = '[part="launcher"]';
const COMPOSER = '[part="composer"] textarea';

/** In-page probes, run by every engine's `evaluate`. */
const probe = {
  exists: (selector: string) => !!document.querySelector('parley-chat')?.shadowRoot?.querySelector(selector),
  count: (selector: string) => document.querySelector('parley-chat')?.shadowRoot?.querySelectorAll(selector).length,
  countIs: ([selector, n]: [string, number]) =>
    document.querySelector('parley-chat')?.shadowRoot?.querySelectorAll(selector).length === n,
  bubbles: () =>
    [...(document.querySelector('parley-chat')?.shadowRoot?.querySelectorAll('li:not(.system) .bubble') ?? [])].map(
      (b) => b.textContent,
    ),
  watch: () =>
    (window as unknown as { parleyWatch: { errors: string[]; sockets: string[]; idbOpens: string[] } }).parleyWatch,
  requested: (part: string) =>
    performance
      .getEntriesByType('resource')
      .map((r) => new URL(r.name).pathname)
      .filter((p) => p.includes(part)),
  composerHeight: () => {
    const el = document.querySelector('parley-chat')!.shadowRoot!.querySelector('textarea')!;
    return { height: el.offsetHeight, clientHeight: el.clientHeight, scrollHeight: el.scrollHeight, value: el.value };
  },
  /** The composer's height once it shows all its text (nothing scrolled away), else 0. */
  composerFits: () => {
    const el = document.querySelector('parley-chat')!.shadowRoot!.querySelector('textarea')!;
    return el.scrollHeight <= el.clientHeight + 1 ? el.offsetHeight : 0;
  },
  composerIs: (height: number) =>
    document.querySelector('parley-chat')!.shadowRoot!.querySelector('textarea')!.offsetHeight === height,
  hasBubble: (text: string) =>
    [...(document.querySelector('parley-chat')?.shadowRoot?.querySelectorAll('li:not(.system) .bubble') ?? [])].some(
      (b) => b.textContent === text,
    ),
};

describe.each(selectedEngines())('in $name', (engine) => {
  let browser: EngineBrowser;
  let pages: EnginePage[] = [];

  beforeAll(async () => {
    browser = await engine.launch();
  });
  afterAll(() => browser?.close());
  afterEach(async () => {
    await Promise.all(pages.map((p) => p.close().catch(() => {})));
    pages = [];
  });

  async function visit(path: string): Promise<EnginePage> {
    const p = await browser.newPage();
    pages.push(p);
    await p.goto(`${site.url}${path}`);
    await waitFor(p, 'the launcher', probe.exists, LAUNCHER);
    return p;
  }

  async function openPanel(p: EnginePage): Promise<void> {
    await p.click(LAUNCHER);
    await waitFor(p, 'the composer', probe.exists, COMPOSER);
  }

  async function send(p: EnginePage, text: string): Promise<void> {
    await p.type(COMPOSER, text);
    await p.pressEnter(COMPOSER);
  }

  /** Console errors and uncaught exceptions, from the engine where it reports them and from the page's watcher. */
  async function errors(p: EnginePage, except?: string): Promise<string[]> {
    const all = [...p.nativeErrors(), ...(await p.evaluate(probe.watch)).errors];
    return except ? all.filter((e) => !e.includes(except)) : all;
  }

  it('costs a visitor who never opens the chat no socket, IndexedDB or chunk; opening loads them', async () => {
    const p = await visit(`/${engine.name}-lazy.html`);
    await waitFor(p, 'the load event', () => document.readyState === 'complete');
    // Absence can only be seen over time: give a lazy loader every chance to misbehave.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await p.evaluate(probe.watch)).toMatchObject({ sockets: [], idbOpens: [] });
    expect(await p.evaluate(probe.requested, '/chunks/')).toEqual([]);
    expect(await p.evaluate(probe.requested, '/socket.io/')).toEqual([]);

    await openPanel(p);
    await waitFor(
      p,
      'a socket',
      () => (window as unknown as { parleyWatch: { sockets: string[] } }).parleyWatch.sockets.length > 0,
    );
    expect((await p.evaluate(probe.requested, '/chunks/')).length).toBeGreaterThan(0);
    expect((await p.evaluate(probe.watch)).idbOpens).toContain(`parley-${engine.name}-lazy`);
    expect(await errors(p)).toEqual([]);
  });

  it('holds a conversation: the message reaches the agent, typing shows both ways, the reply arrives', async () => {
    const siteId = `${engine.name}-chat`;
    const p = await visit(`/${siteId}.html`);
    await openPanel(p);
    await send(p, `Hello from ${engine.name}`);
    await waitFor(p, 'the message to be sent', probe.exists, 'li.visitor.sent');
    const conversation = await conversationOf(siteId);

    const visitorTyping = nextEvent<{ conversationId: string; author: string; typing: boolean }>(
      'typing',
      (t) => t.conversationId === conversation.id && t.author === 'visitor',
    ).then((t) => t.typing);
    await p.type(COMPOSER, 'and');
    expect(await visitorTyping).toBe(true);

    agent.emit('typing', { conversationId: conversation.id, typing: true });
    const typing = await waitFor(p, 'the typing bubble', () =>
      document.querySelector('parley-chat')?.shadowRoot?.querySelector('[part="typing"]')?.textContent?.trim(),
    );
    expect(typing).toContain('Ana');
    const sent = await agent.emitWithAck('send', {
      conversationId: conversation.id,
      clientId: `${engine.name}-reply`,
      text: 'Hello, how can I help?',
    });
    expect(sent.ok).toBe(true);
    await waitFor(p, 'the reply without the typing bubble', () => {
      const root = document.querySelector('parley-chat')!.shadowRoot!;
      return !root.querySelector('[part="typing"]') && root.textContent!.includes('Hello, how can I help?');
    });
    expect(await p.evaluate(probe.bubbles)).toEqual([`Hello from ${engine.name}`, 'Hello, how can I help?']);
    expect(await errors(p)).toEqual([]);
  });

  it('grows the composer with its text and shrinks it back after sending', async () => {
    const p = await visit(`/${engine.name}-grow.html`);
    await openPanel(p);
    const oneLine = await p.evaluate(probe.composerHeight);
    await p.type(COMPOSER, 'one\ntwo\nthree\nfour');
    expect((await p.evaluate(probe.composerHeight)).value).toBe('one\ntwo\nthree\nfour');
    // Four short lines fit under the composer's maximum height: all of them show, none scrolls away.
    const fourLines = await waitFor(p, 'the composer to show all four lines', probe.composerFits).catch(async (e) => {
      throw new Error(
        `${e.message}; one line ${JSON.stringify(oneLine)}, now ${JSON.stringify(await p.evaluate(probe.composerHeight))}`,
      );
    });
    expect(fourLines).toBeGreaterThan(oneLine.height * 1.8);
    await p.pressEnter(COMPOSER);
    await waitFor(p, 'the message to be sent', probe.exists, 'li.visitor.sent');
    await waitFor(p, 'the composer to shrink back', probe.composerIs, oneLine.height);
    expect(await errors(p)).toEqual([]);
  });

  it('keeps messages written while the gateway is down across a reload and delivers them exactly once', async () => {
    const siteId = `${engine.name}-outbox`;
    await gateway.stop();
    try {
      const p = await visit(`/${siteId}.html`);
      await openPanel(p);
      await send(p, 'written offline');
      await waitFor(p, 'the first message queued', probe.count, 'li.visitor.queued');
      await send(p, 'still offline');
      await waitFor(p, 'both messages queued', probe.countIs, ['li.visitor.queued', 2]);

      await p.reload();
      await waitFor(p, 'the launcher after the reload', probe.exists, LAUNCHER);
      await openPanel(p);
      await waitFor(p, 'the queued messages after the reload', probe.countIs, ['li.visitor.queued', 2]);
      expect(await p.evaluate(probe.bubbles)).toEqual(['written offline', 'still offline']);
    } finally {
      gateway = await gateway.restart();
      agent.close();
      agent = await connectAgent(gateway.url);
    }
    const p = pages.at(-1)!;
    await waitFor(p, 'both messages sent', probe.countIs, ['li.visitor.sent', 2], 30_000);
    const conversation = await conversationOf(siteId);
    const { messages } = await agent.emitWithAck('open', { conversationId: conversation.id });
    expect((messages as Message[]).map((m) => m.text)).toEqual(['written offline', 'still offline']);
    expect(await p.evaluate(probe.bubbles)).toEqual(['written offline', 'still offline']);
    // The only errors allowed are the engine's own reports of the gateway being unreachable.
    expect(await errors(p, `127.0.0.1:${gateway.port}`)).toEqual([]);
  });

  it('works on a page with a strict Content-Security-Policy, styled and without a violation', async () => {
    const p = await visit('/csp.html');
    await openPanel(p);
    expect(
      await p.evaluate(
        () =>
          getComputedStyle(document.querySelector('parley-chat')!.shadowRoot!.querySelector('[part="panel"]')!)
            .position,
      ),
    ).toBe('fixed');
    await send(p, `Strict CSP in ${engine.name}`);
    await waitFor(p, 'the message to be sent', probe.exists, 'li.visitor.sent');
    const { conversations } = await agent.emitWithAck('list', { status: 'all' });
    const mine = (conversations as ConversationSummary[]).find(
      (c) => c.lastMessage?.text === `Strict CSP in ${engine.name}`,
    );
    await agent.emitWithAck('send', {
      conversationId: mine!.id,
      clientId: `${engine.name}-csp`,
      text: 'Delivered under CSP',
    });
    await waitFor(p, 'the reply', probe.hasBubble, 'Delivered under CSP');
    expect(await p.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    expect(await errors(p)).toEqual([]);
  });
});
