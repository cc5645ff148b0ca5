// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { boot } from '../../../src/loader/boot';
import { parseConfig } from '../../../src/loader/config';
import type { App, AppModule } from '../../../src/loader/host';
import type { ParleyApi } from '../../../src/loader/mount';
import { persistedKey } from '../../../src/loader/persisted';
import { IDLE_TIMEOUT_MS } from '../../../src/loader/schedule';

// The script tag's start-up (src/loader/boot.ts): the API at once, the launcher only after `load` and an idle period,
// built over several tasks. Fake timers and a fake requestIdleCallback make every step explicit; no wall-clock timing.

/** The two functions, optional: happy-dom has neither, like WebKit. */
type IdleWindow = {
  requestIdleCallback?: (fn: () => void, o?: { timeout: number }) => number;
  cancelIdleCallback?: (id: number) => void;
};
const w = window as unknown as IdleWindow;

function fakeApp() {
  const app: App = {
    send: vi.fn(async () => {}),
    identify: vi.fn(),
    shutdown: vi.fn(async () => {}),
    destroy: vi.fn(),
  };
  const load = vi.fn(async (): Promise<AppModule> => ({ start: async () => app }));
  return { app, load };
}

const readConfig = () => parseConfig({ site: 'boot' }, { scriptSrc: 'https://chat.example.com/parley.js' });
const widget = () => document.querySelector('parley-chat');

/** Pretends the page is still loading until `finishLoading()`. */
function pageLoading() {
  Object.defineProperty(document, 'readyState', { value: 'loading', configurable: true });
  return () => {
    Object.defineProperty(document, 'readyState', { value: 'complete', configurable: true });
    window.dispatchEvent(new Event('load'));
  };
}

/** A controllable requestIdleCallback: `idle()` runs what was requested. */
function fakeIdle() {
  const requests: { fn: () => void; timeout?: number }[] = [];
  w.requestIdleCallback = (fn, o) => requests.push({ fn, timeout: o?.timeout });
  w.cancelIdleCallback = (id) => requests.splice(id - 1, 1);
  const idle = () => {
    for (const r of requests.splice(0)) r.fn();
  };
  return { requests, idle };
}

let api: ParleyApi | undefined;
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  api?.destroy();
  api = undefined;
  vi.useRealTimers();
  delete w.requestIdleCallback;
  delete w.cancelIdleCallback;
  Reflect.deleteProperty(document, 'readyState');
  localStorage.clear();
});

describe('boot', () => {
  it('mounts only after load and an idle period, over several tasks', () => {
    const finishLoading = pageLoading();
    const { requests, idle } = fakeIdle();
    api = boot(readConfig, fakeApp().load);
    vi.runAllTimers();
    expect(requests).toHaveLength(0);
    expect(widget()).toBeNull();

    finishLoading();
    expect(requests).toEqual([{ fn: expect.any(Function), timeout: IDLE_TIMEOUT_MS }]);
    vi.runAllTimers();
    expect(widget()).toBeNull();

    idle();
    // The launcher is built in steps, each a task of its own: none of it happens inside the idle callback.
    expect(widget()).toBeNull();
    vi.runAllTimers();
    expect(widget()?.shadowRoot?.querySelector('button.launcher')).not.toBeNull();
  });

  it('falls back to a timer after load where requestIdleCallback is missing (WebKit)', () => {
    const finishLoading = pageLoading();
    api = boot(readConfig, fakeApp().load);
    vi.runAllTimers();
    expect(widget()).toBeNull();
    finishLoading();
    vi.runAllTimers();
    expect(widget()).not.toBeNull();
  });

  it('mounts when the page had already loaded when the script ran', () => {
    const { idle } = fakeIdle();
    api = boot(readConfig, fakeApp().load);
    idle();
    vi.runAllTimers();
    expect(widget()).not.toBeNull();
  });

  it('keeps API calls made before the mount and replays them in order on the widget', async () => {
    localStorage.setItem(persistedKey('boot'), JSON.stringify({ unread: 2 }));
    const { idle } = fakeIdle();
    const { app, load } = fakeApp();
    api = boot(readConfig, load);
    const seen: string[] = [];
    api.on('open', () => seen.push('open'));
    api.on('ready', () => seen.push('ready'));
    const off = api.on('close', () => seen.push('close: unsubscribed, must not be called'));
    off();
    api.open();
    api.close();
    api.open();
    let sent = false;
    const sending = api.send('before mount').then(() => {
      sent = true;
    });
    expect(api.unreadCount()).toBe(2);
    await Promise.resolve();
    expect(load).not.toHaveBeenCalled();
    expect(sent).toBe(false);

    idle();
    vi.runAllTimers();
    await vi.waitFor(() => expect(sent).toBe(true));
    await sending;
    expect(app.send).toHaveBeenCalledWith('before mount');
    expect(seen).toEqual(['open', 'open', 'ready']);
    expect(widget()?.shadowRoot?.querySelector('button.launcher')?.getAttribute('aria-expanded')).toBe('true');
    // After the mount, calls go straight to the widget.
    api.close();
    expect(widget()?.shadowRoot?.querySelector('button.launcher')?.getAttribute('aria-expanded')).toBe('false');
  });

  it('destroy() before the mount cancels it and rejects the calls still waiting', async () => {
    const { requests, idle } = fakeIdle();
    const { load } = fakeApp();
    api = boot(readConfig, load);
    const sending = api.send('never sent');
    api.destroy();
    await expect(sending).rejects.toThrow(/destroyed before the chat started/);
    idle();
    vi.runAllTimers();
    expect(requests).toHaveLength(0);
    expect(widget()).toBeNull();
    expect(load).not.toHaveBeenCalled();
    api = undefined;
  });
});
