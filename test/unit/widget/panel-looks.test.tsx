// @vitest-environment happy-dom
import { render } from 'preact';
import { afterEach, describe, expect, it } from 'vitest';
import type { Chat, ChatState } from '../../../src/app/chat';
import { hue, initials } from '../../../src/app/ui/avatar';
import { GROUP_GAP_MS, groupEdges } from '../../../src/app/ui/group';
import { Panel, statusTone } from '../../../src/app/ui/panel';
import { parseConfig } from '../../../src/loader/config';
import { themeCss } from '../../../src/loader/element';
import type { Host } from '../../../src/loader/host';
import { strings } from '../../../src/locales/en/panel';
import type { Message } from '../../../src/protocol';

const T0 = Date.UTC(2026, 10, 29, 17, 9);

const base: ChatState = {
  status: 'online',
  backOnline: false,
  presence: 'online',
  conversation: 'open',
  messages: [],
  pending: [],
  typing: [],
  notice: null,
  refused: false,
  durable: true,
  agentReadSeq: 0,
};

let seq = 0;
const msg = (author: 'visitor' | 'agent', text: string, minutes: number, agentName?: string): Message => ({
  id: `m${++seq}`,
  conversationId: 'c1',
  seq,
  author,
  ...(agentName ? { agentName } : {}),
  text,
  createdAt: T0 + minutes * 60_000,
});

let container: HTMLElement | undefined;

/** Renders the real panel over a chat whose state the test sets. */
function renderPanel(state: Partial<ChatState>, attrs: Record<string, string> = {}) {
  const chat = {
    getState: () => ({ ...base, ...state }),
    subscribe: () => () => {},
    typing: () => {},
    retry: () => {},
    send: async () => {},
  } as unknown as Chat;
  const host = {
    config: parseConfig({ site: 'unit', locale: 'en', ...attrs }),
    isOpen: () => true,
    setOpen: () => {},
    onOpenChange: () => () => {},
  } as unknown as Host;
  container = document.createElement('div');
  document.body.append(container);
  render(<Panel host={host} chat={chat} strings={strings} />, container);
  const items = [...container.querySelectorAll('li[part="message"]')];
  return {
    root: container,
    items,
    /** The visible author line of each message ('' when the group's name is above). */
    authors: items.map((li) => li.querySelector('.author')?.textContent ?? ''),
    /** The screen-reader-only author of each message ('' when the visible one says it). */
    hidden: items.map((li) => li.querySelector('.sr')?.textContent ?? ''),
    metas: items.map((li) => li.querySelector('.meta')?.textContent ?? ''),
  };
}

afterEach(() => {
  if (container) render(null, container);
  container?.remove();
});

describe('message groups', () => {
  it('show one name at the top and one time at the bottom of each run by one author', () => {
    const { authors, hidden, metas, items } = renderPanel({
      messages: [
        msg('visitor', 'Hi', 0),
        msg('visitor', 'My order is late', 1),
        msg('agent', 'Hello!', 2, 'Ana'),
        msg('agent', 'Let me check.', 2, 'Ana'),
        msg('agent', 'It ships today.', 3, 'Ana'),
      ],
    });
    // The greeting, then two visitor messages, then three by Ana.
    expect(items.map((li) => li.querySelector('.bubble')?.textContent)).toEqual([
      'Hi! How can we help?',
      'Hi',
      'My order is late',
      'Hello!',
      'Let me check.',
      'It ships today.',
    ]);
    expect(authors).toEqual(['Support', '', '', 'Ana', '', '']);
    // Every message still says who wrote it to a screen reader.
    expect(hidden).toEqual(['', 'You', 'You', '', 'Ana', 'Ana']);
    expect(metas.map(Boolean)).toEqual([false, false, true, false, false, true]);
    expect(metas[5]).toMatch(/^\d{1,2}:\d{2}/);
    expect(items.filter((li) => li.classList.contains('last'))).toHaveLength(3);
    // Every sent message is marked sent, but only the conversation's last one would say so.
    expect(items.filter((li) => li.classList.contains('sent'))).toHaveLength(2);
    expect(metas.filter((m) => m.includes('Sent'))).toEqual([]);
  });

  it('start again after another agent, after a time gap, and keep outbox states visible', () => {
    const { authors, metas } = renderPanel({
      messages: [
        msg('agent', 'One', 0, 'Ana'),
        msg('agent', 'Two', 1, 'Ben'),
        msg('agent', 'Three', 1 + GROUP_GAP_MS / 60_000, 'Ben'),
        msg('visitor', 'Thanks', 20),
      ],
      pending: [
        { clientId: 'p1', text: 'Queued one', createdAt: T0 + 21 * 60_000 },
        { clientId: 'p2', text: 'Queued two', createdAt: T0 + 21 * 60_000 },
      ],
      status: 'offline',
    } as Partial<ChatState>);
    expect(authors).toEqual(['Support', 'Ana', 'Ben', 'Ben', '', '', '']);
    expect(metas[4]).toBe('');
    expect(metas[5]).toBe('Queued');
    expect(metas[6]).toMatch(/^\d{1,2}:\d{2}.* · Queued$/);
  });

  it('say "Sent" under the visitor’s message while it is the last one', () => {
    const { metas } = renderPanel({ messages: [msg('agent', 'Hello', 0, 'Ana'), msg('visitor', 'Hi', 1)] });
    expect(metas.at(-1)).toMatch(/ · Sent$/);
  });

  it('groupEdges marks the first and last message of each group', () => {
    const at = (author: 'visitor' | 'agent', name: string, min: number) => ({ author, name, createdAt: min * 60_000 });
    expect(
      groupEdges([at('agent', 'Ana', 0), at('agent', 'Ana', 4), at('agent', 'Ana', 10), at('visitor', 'You', 10)]).map(
        ({ first, last }) => ({ first, last }),
      ),
    ).toEqual([
      { first: true, last: false },
      { first: false, last: true },
      { first: true, last: true },
      { first: true, last: true },
    ]);
  });
});

describe('avatars', () => {
  it('derive up to two initials from the name', () => {
    expect(initials('Ana')).toBe('A');
    expect(initials('ana lima')).toBe('AL');
    expect(initials('  Jean  Paul Sartre ')).toBe('JP');
    expect(initials('Émile')).toBe('É');
    expect(initials('𝒜lice Wu')).toBe('𝒜W');
  });

  it('keep one colour per name', () => {
    expect(hue('Ana')).toBe(hue('Ana'));
    expect(hue('Ana')).not.toBe(hue('Ben'));
    expect(hue('Ana')).toBeGreaterThanOrEqual(0);
    expect(hue('Ana')).toBeLessThan(360);
  });

  it('show on the agent’s group, drawn from data-i so the author text stays the name', () => {
    const { root } = renderPanel({ messages: [msg('agent', 'Hello', 0, 'Ana Lima')] });
    const av = root.querySelector('li.agent .author .av') as HTMLElement;
    expect(av.dataset.i).toBe('AL');
    expect(av.getAttribute('aria-hidden')).toBe('true');
    expect(av.style.background).toContain('hsl');
  });
});

describe('avatar pictures', () => {
  it('replace the initials of the agents the gateway has one for, in the group and the header', () => {
    const { root } = renderPanel({
      agent: 'Ana',
      avatars: { Ana: 'https://cdn.example.com/ana.png' },
      messages: [msg('agent', 'Hello', 0, 'Ana'), msg('agent', 'Hi', 1, 'Ben')],
    });
    const pictures = [...root.querySelectorAll('img.av')];
    expect(
      pictures.map((img) => [img.closest('header, li')!.tagName, img.getAttribute('src'), img.getAttribute('alt')]),
    ).toEqual([
      ['HEADER', 'https://cdn.example.com/ana.png', ''],
      ['LI', 'https://cdn.example.com/ana.png', ''],
    ]);
    expect((root.querySelector('li.agent:nth-child(3) .av') as HTMLElement).dataset.i).toBe('B');
  });
});

describe('header', () => {
  it('names an online agent with their avatar', () => {
    const { root } = renderPanel({ presence: 'online', agent: 'Ana' });
    const header = root.querySelector('header')!;
    expect(header.textContent).toContain('Ana usually replies in a few minutes');
    expect((header.querySelector('.av') as HTMLElement).dataset.i).toBe('A');
  });

  it('falls back to the presence line without an online agent', () => {
    for (const [presence, line] of [
      ['online', 'Online'],
      ['away', 'Usually replies in a few minutes'],
      ['offline', "Away. Leave a message and we'll reply soon"],
    ] as const) {
      const { root } = renderPanel({ presence, agent: presence === 'online' ? undefined : 'Ana' });
      expect(root.querySelector('header')!.textContent).toContain(line);
      expect(root.querySelector('header .av')).toBeNull();
      render(null, container!);
    }
  });

  it('signs the greeting with the site’s title', () => {
    const { authors } = renderPanel({}, { title: 'Acme support' });
    expect(authors).toEqual(['Acme support']);
  });
});

describe('status bar tones', () => {
  it('is a warning for trouble, a success when back online, information while connecting', () => {
    expect(statusTone({ ...base, status: 'offline' })).toBe('warning');
    expect(statusTone({ ...base, notice: 'Your previous chat session expired' })).toBe('warning');
    expect(statusTone({ ...base, durable: false })).toBe('warning');
    expect(statusTone({ ...base, backOnline: true })).toBe('success');
    expect(statusTone({ ...base, status: 'connecting' })).toBe('info');
  });

  it('reaches the status element', () => {
    const { root } = renderPanel({ status: 'offline' });
    const status = root.querySelector('[part="status"]')!;
    expect(status.getAttribute('data-tone')).toBe('warning');
    expect(status.hasAttribute('hidden')).toBe(false);
  });
});

describe('focus ring colour', () => {
  const ring = (color: string) => {
    const css = themeCss(parseConfig({ color }), '');
    return [/--parley-focus:([^;}]+)/.exec(css)?.[1], /--parley-focus-dark:([^;}]+)/.exec(css)?.[1]];
  };
  it('is the accent where it has 3:1 contrast with the panel, else the accent’s text colour', () => {
    // Indigo: fine on white, too dark on the dark panel.
    expect(themeCss(parseConfig({ color: '#4f46e5' }), '#ffffff')).toContain(
      '--parley-focus:#4f46e5;--parley-focus-dark:#ffffff',
    );
    // A pale yellow: invisible on white, fine on the dark panel.
    expect(themeCss(parseConfig({ color: '#fde68a' }), '#111827')).toContain(
      '--parley-focus:#111827;--parley-focus-dark:#fde68a',
    );
    expect(ring('#0f766e')[0]).toBe('#0f766e');
  });
});
