// @vitest-environment happy-dom
import { render } from 'preact';
import { afterEach, describe, expect, it } from 'vitest';
import type { Chat, ChatState } from '../../../src/app/chat';
import { Panel } from '../../../src/app/ui/panel';
import { parseConfig } from '../../../src/loader/config';
import type { Host } from '../../../src/loader/host';
import { strings as en } from '../../../src/locales/en/panel';

const visitorMessage = (seq: number) => ({
  id: `m${seq}`,
  conversationId: 'c1',
  seq,
  author: 'visitor' as const,
  text: `question ${seq}`,
  createdAt: Date.UTC(2026, 10, 29, 17, seq),
});

const base: ChatState = {
  status: 'online',
  backOnline: false,
  presence: 'online',
  conversation: 'open',
  messages: [visitorMessage(1), visitorMessage(2), visitorMessage(3)],
  pending: [],
  typing: [],
  notice: null,
  refused: false,
  durable: true,
  agentReadSeq: 0,
};

let container: HTMLElement | undefined;

function renderPanel(state: ChatState): HTMLElement {
  const chat = {
    getState: () => state,
    subscribe: () => () => {},
    typing: () => {},
    retry: () => {},
    send: async () => {},
  } as unknown as Chat;
  const host = {
    config: parseConfig({ site: 'unit', locale: 'en' }),
    lang: 'en',
    isOpen: () => true,
    setOpen: () => {},
    onOpenChange: () => () => {},
  } as unknown as Host;
  // A new panel each time: a panel reads its chat's state when it mounts, then follows its subscription.
  if (container) render(null, container);
  container ??= document.body.appendChild(document.createElement('div'));
  render(<Panel host={host} chat={chat} strings={en} />, container);
  return container;
}

afterEach(() => {
  if (container) render(null, container);
  container?.remove();
  container = undefined;
});

const metas = (el: HTMLElement) =>
  [...el.querySelectorAll('li.visitor')].map((li) => li.querySelector('.meta')?.textContent ?? '');
const polite = (el: HTMLElement) => el.querySelector('[aria-live="polite"]')?.textContent ?? '';

describe('"Seen" read receipts in the widget', () => {
  it('says nothing until an agent read, then "Seen" under the last visitor message read, announced politely', () => {
    let el = renderPanel(base);
    expect(metas(el).some((m) => m.includes('Seen'))).toBe(false);
    expect(polite(el)).toBe('');

    el = renderPanel({ ...base, agentReadSeq: 2 });
    const shown = metas(el);
    expect(shown[1]).toContain('Seen');
    expect(shown[0]).not.toContain('Seen');
    expect(shown[2]).not.toContain('Seen');
    // The last message is not read yet: nothing to announce.
    expect(polite(el)).toBe('');

    el = renderPanel({ ...base, agentReadSeq: 3 });
    expect(metas(el).map((m) => m.includes('Seen'))).toEqual([false, false, true]);
    // Still a sent message for styles and scripts that look for `.sent`.
    expect([...el.querySelectorAll('li.visitor')].map((li) => li.classList.contains('sent'))).toEqual([
      true,
      true,
      true,
    ]);
    expect(polite(el)).toBe('Seen');
  });
});
