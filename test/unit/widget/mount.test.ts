// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../src/loader/config';
import type { App, AppModule, Host } from '../../../src/loader/host';
import { mount, type ParleyApi } from '../../../src/loader/mount';
import { persistedKey } from '../../../src/loader/persisted';

function fakeApp() {
  const started: Host[] = [];
  const app: App = {
    send: vi.fn(async () => {}),
    identify: vi.fn(),
    shutdown: vi.fn(async () => {}),
    destroy: vi.fn(),
  };
  const load = vi.fn(
    async (): Promise<AppModule> => ({
      async start(host) {
        started.push(host);
        return app;
      },
    }),
  );
  return { load, started, app };
}

const config = (attrs: Record<string, string> = {}) =>
  parseConfig({ site: 'unit', ...attrs }, { scriptSrc: 'https://chat.example.com/parley.js' });

let api: ParleyApi | undefined;
afterEach(() => {
  api?.destroy();
  api = undefined;
  localStorage.clear();
});

const launcher = () =>
  document.querySelector('parley-chat')?.shadowRoot?.querySelector('button.launcher') as HTMLButtonElement;

describe('mount', () => {
  it('appends one <parley-chat> with an open shadow root and a named launcher, and loads nothing else', () => {
    const { load } = fakeApp();
    api = mount(config(), load);
    const els = document.querySelectorAll('parley-chat');
    expect(els).toHaveLength(1);
    expect(els[0]?.shadowRoot?.mode).toBe('open');
    expect(launcher().getAttribute('aria-label')).toBe('Open chat');
    expect(launcher().getAttribute('part')).toBe('launcher');
    expect(load).not.toHaveBeenCalled();
  });

  it('gives one widget when mounted twice', () => {
    const { load } = fakeApp();
    api = mount(config(), load);
    expect(mount(config(), load)).toBe(api);
    expect(document.querySelectorAll('parley-chat')).toHaveLength(1);
  });

  it('opens on click: loads the app once, emits open/close, and updates the launcher', async () => {
    const { load, started } = fakeApp();
    api = mount(config(), load);
    const events: string[] = [];
    api.on('open', () => events.push('open'));
    const off = api.on('close', () => events.push('close'));
    launcher().click();
    await vi.waitFor(() => expect(started).toHaveLength(1));
    expect(launcher().getAttribute('aria-expanded')).toBe('true');
    expect(launcher().getAttribute('aria-label')).toBe('Close chat');
    api.toggle();
    off();
    api.open();
    api.close();
    expect(events).toEqual(['open', 'close', 'open']);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('shows the persisted unread count on the badge and in the launcher name', () => {
    localStorage.setItem(persistedKey('unit'), JSON.stringify({ unread: 3 }));
    api = mount(config(), fakeApp().load);
    const badge = document.querySelector('parley-chat')!.shadowRoot!.querySelector('[part=badge]') as HTMLElement;
    expect(badge.hidden).toBe(false);
    expect(badge.textContent).toBe('3');
    expect(launcher().getAttribute('aria-label')).toBe('Open chat (3 unread)');
    expect(api.unreadCount()).toBe(3);
  });

  it('reports unread changes from the app through the event and the badge', async () => {
    const { load, started } = fakeApp();
    api = mount(config(), load);
    const counts: number[] = [];
    api.on('unread', ({ count }) => counts.push(count));
    api.open();
    await vi.waitFor(() => expect(started).toHaveLength(1));
    started[0]!.setUnread(2);
    started[0]!.setUnread(2);
    started[0]!.setUnread(0);
    expect(counts).toEqual([2, 0]);
    expect(JSON.parse(localStorage.getItem(persistedKey('unit'))!).unread).toBe(0);
  });

  it('keeps working when a page listener throws', () => {
    api = mount(config(), fakeApp().load);
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const seen: string[] = [];
    api.on('open', () => {
      throw new Error('host page bug');
    });
    api.on('open', () => seen.push('second listener ran'));
    api.open();
    expect(seen).toEqual(['second listener ran']);
    expect(err).toHaveBeenCalled();
  });

  it('hides the launcher with data-launcher="false" but still opens from the API', async () => {
    const { load, started } = fakeApp();
    api = mount(config({ launcher: 'false' }), load);
    expect(launcher().hidden).toBe(true);
    api.open();
    await vi.waitFor(() => expect(started).toHaveLength(1));
  });

  it('does not throw when the app cannot be loaded, and tries again on the next open', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const load = vi.fn(async (): Promise<AppModule> => {
      throw new TypeError('Failed to fetch dynamically imported module');
    });
    api = mount(config(), load);
    api.open();
    await vi.waitFor(() => expect(warn).toHaveBeenCalled());
    api.close();
    api.open();
    await vi.waitFor(() => expect(load).toHaveBeenCalledTimes(2));
    await expect(api.send('hi')).rejects.toThrow(/could not be loaded/);
  });

  it('tries again when the panel fails to start (e.g. its language chunk), without an unhandled rejection', async () => {
    const { load, started } = fakeApp();
    const real = await load();
    load.mockClear();
    let attempts = 0;
    const flaky = vi.fn(
      async (): Promise<AppModule> => ({
        async start(host) {
          attempts += 1;
          if (attempts === 1) throw new TypeError('Failed to fetch dynamically imported module: panel-en.js');
          return real.start(host);
        },
      }),
    );
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    warn.mockClear();
    try {
      api = mount(config(), flaky);
      api.open();
      const warned = () =>
        expect(warn).toHaveBeenCalledWith(
          '[parley] could not load the chat:',
          expect.objectContaining({ message: expect.stringContaining('panel-en.js') }),
        );
      await vi.waitFor(warned, { timeout: 5000 });
      api.close();
      api.open();
      await vi.waitFor(() => expect(started).toHaveLength(1), { timeout: 5000 });
      await new Promise((r) => setTimeout(r, 0));
      expect(unhandled).toEqual([]);
      expect(flaky).toHaveBeenCalledTimes(2);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      warn.mockRestore();
    }
  });

  it('destroy() removes the element, the app and the listeners', async () => {
    const { load, started, app } = fakeApp();
    api = mount(config(), load);
    const seen: string[] = [];
    api.on('open', () => seen.push('open'));
    api.open();
    await vi.waitFor(() => expect(started).toHaveLength(1));
    api.destroy();
    expect(document.querySelector('parley-chat')).toBeNull();
    expect(app.destroy).toHaveBeenCalledTimes(1);
    api.open();
    expect(seen).toEqual(['open']);
    api = undefined;
  });

  it('reconnects a returning visitor when the browser is idle after load', async () => {
    localStorage.setItem(persistedKey('unit'), JSON.stringify({ session: 'tok' }));
    const { load, started } = fakeApp();
    api = mount(config(), load);
    expect(load).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(started).toHaveLength(1), { timeout: 4000 });
  });
});
