// @vitest-environment happy-dom
// The details pane's earlier conversations: each is labelled by its last message the way the list previews it, so a
// message with files only reads "📎 name", not the visitor's name or an empty line.
import { render } from 'preact';
import { afterEach, describe, expect, it } from 'vitest';
import { VisitorContextPanel } from '../../../demo/console/components/visitor-context';
import type { ConsoleTools } from '../../../demo/console/console-tools';
import type { ConversationSummary, LastMessage } from '../../../src/protocol';

const summary = (id: string, lastMessage?: LastMessage): ConversationSummary => ({
  id,
  site: 'acme',
  status: 'resolved',
  visitor: { id: 'v1', label: 'Visitor 7', name: 'Grace Hopper', verified: false, online: false },
  lastMessage,
  lastSeq: 1,
  lastActivityAt: Date.UTC(2026, 10, 29),
  unread: 0,
});

afterEach(() => render(null, document.body));

describe('the visitor-context panel', () => {
  it('previews a files-only last message as the list does, and a text one by its text', async () => {
    const earlier = [
      summary('c-files', { author: 'visitor', text: '', files: { count: 1, name: 'invoice.pdf' } }),
      summary('c-many', { author: 'visitor', text: '  ', files: { count: 3, name: 'a.png' } }),
      summary('c-text', { author: 'visitor', text: 'Where is my\norder?' }),
    ];
    const tools = { context: async () => ({ ok: true, earlier, pages: [] }) } as unknown as ConsoleTools;
    render(
      <VisitorContextPanel c={summary('c-now')} tools={tools} now={Date.UTC(2026, 10, 30)} onOpen={() => {}} />,
      document.body,
    );
    await expect.poll(() => document.querySelectorAll('.context-list__open').length).toBe(3);
    const labels = [...document.querySelectorAll('.context-list__open')].map((b) => b.textContent);
    expect(labels).toEqual(['📎 invoice.pdf', '📎 3 files', 'Where is my order?']);
  });
});
