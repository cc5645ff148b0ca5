// @vitest-environment happy-dom
import { render } from 'preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Chat, ChatState } from '../../../src/app/chat';
import { OutboxFullError } from '../../../src/app/outbox';
import { Panel } from '../../../src/app/ui/panel';
import { parseConfig } from '../../../src/loader/config';
import type { Host } from '../../../src/loader/host';
import { strings as de } from '../../../src/locales/de/panel';
import { strings as en } from '../../../src/locales/en/panel';
import type { Strings } from '../../../src/locales/types';

const state: ChatState = {
  status: 'online',
  backOnline: false,
  presence: 'online',
  conversation: 'open',
  messages: [1, 2, 3].map((seq) => ({
    id: `m${seq}`,
    conversationId: 'c1',
    seq,
    author: 'agent' as const,
    agentName: 'Ana',
    text: `reply ${seq}`,
    createdAt: Date.UTC(2026, 10, 29, 17, seq),
  })),
  pending: [],
  typing: [],
  notice: null,
  refused: false,
  durable: true,
  agentReadSeq: 0,
};

let container: HTMLElement | undefined;

function renderPanel(strings: Strings, locale: string, send: Chat['send'], n = 0) {
  const chat = {
    getState: () => ({ ...state, typing: n ? ['Ana'] : [] }),
    subscribe: () => () => {},
    typing: () => {},
    retry: () => {},
    send,
  } as unknown as Chat;
  const host = {
    config: parseConfig({ site: 'unit', locale }),
    lang: locale,
    isOpen: () => true,
    setOpen: () => {},
    onOpenChange: () => () => {},
  } as unknown as Host;
  container ??= document.body.appendChild(document.createElement('div'));
  render(<Panel host={host} chat={chat} strings={strings} />, container);
  return container;
}

afterEach(() => {
  if (container) render(null, container);
  container?.remove();
  container = undefined;
  vi.restoreAllMocks();
});

describe('panel defects (issue 13, defect 4)', () => {
  it('says that the outbox is full in the visitor’s language, and keeps the text', async () => {
    const root = renderPanel(de, 'de', () => Promise.reject(new OutboxFullError()));
    const input = root.querySelector('textarea')!;
    input.value = 'Hallo';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => setTimeout(r));
    root.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await vi.waitFor(() => expect(root.querySelector('[role="alert"]')?.textContent).toBe(de.outboxFull));
    expect(de.outboxFull).not.toBe(en.outboxFull);
    expect(root.querySelector('textarea')!.value).toBe('Hallo');
  });

  it('builds its time and list formatters once, not on every render', () => {
    const built = { time: 0, list: 0 };
    const { DateTimeFormat, ListFormat } = Intl;
    // Counting subclasses: the formatters must still work, as the panel formats every message's time and the typists.
    Intl.DateTimeFormat = class extends DateTimeFormat {
      constructor(...args: ConstructorParameters<typeof DateTimeFormat>) {
        super(...args);
        built.time++;
      }
    } as typeof DateTimeFormat;
    // Intl.ListFormat is read-only in TypeScript's lib, not in the engines.
    Object.assign(Intl, {
      ListFormat: class extends ListFormat {
        constructor(...args: ConstructorParameters<typeof ListFormat>) {
          super(...args);
          built.list++;
        }
      },
    });
    try {
      // Someone is typing in every render, so a panel that built its list formatter per render would build 4.
      for (let i = 0; i < 4; i++) renderPanel(en, 'en', async () => {}, 1);
    } finally {
      Object.assign(Intl, { DateTimeFormat, ListFormat });
    }
    expect(container!.querySelectorAll('li[part="message"] time, li[part="message"] .meta').length).toBeGreaterThan(0);
    expect(container!.querySelector('[part="typing"]')?.textContent).toContain('Ana');
    expect(built).toEqual({ time: 1, list: 1 });
  });
});
