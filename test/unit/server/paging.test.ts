// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LIMITS, type Message } from '../../../src/protocol';
import { call, type Fixture, startGateway } from '../../support/in-process-gateway';

/**
 * Clients that read get every page of a long conversation, a page at a time, over either transport, and a burst of
 * page requests is answered in full (the send buffer's turns and caps only ever refuse clients that do not read).
 */

let fx: Fixture;
beforeEach(async () => {
  fx = await startGateway();
});
afterEach(async () => {
  await fx.stop();
});

/** 60 messages of 4,000 characters, mostly emoji (~8 KB of JSON each): about two pages. */
const TEXT = '🦜🎉🙂😀'.repeat(LIMITS.messageLength / 8);
const TOTAL = 60;

async function longConversation(conversationId: string): Promise<void> {
  for (let i = 0; i < TOTAL; i++) {
    await fx.gateway.store.appendMessage(conversationId, { author: 'agent', agentName: 'Ana', text: TEXT });
  }
}

describe.each(['websocket', 'polling'] as const)('over %s', (transport) => {
  it('pages through a long history by bytes: welcome, then history until `more` is false', async () => {
    const first = await fx.chatting();
    await longConversation(first.conversationId);
    const { socket, welcome } = await fx.visitor({ session: first.welcome.session! }, { transports: [transport] });
    expect(welcome.more).toBe(true);
    const seqs = welcome.messages.map((m) => m.seq);
    let more = welcome.more;
    while (more) {
      const page = await call<{ ok: true; messages: Message[]; more: boolean }>(socket, 'history', {
        afterSeq: seqs.at(-1),
      });
      expect(page.ok).toBe(true);
      expect(Buffer.byteLength(JSON.stringify(page.messages))).toBeLessThanOrEqual(LIMITS.pageBytes);
      seqs.push(...page.messages.map((m) => m.seq));
      more = page.more;
    }
    // The visitor's opening message, then the long ones.
    expect(seqs).toEqual(Array.from({ length: TOTAL + 1 }, (_, i) => i + 1));
    expect(socket.connected).toBe(true);
  });
});

it('answers a burst of page requests from a client that reads, every one of them', async () => {
  const { socket, conversationId } = await fx.chatting();
  await longConversation(conversationId);
  const pages = await Promise.all(
    Array.from({ length: 12 }, () => call<{ ok: boolean; messages: Message[] }>(socket, 'history', { afterSeq: 0 })),
  );
  expect(pages.map((page) => page.ok)).toEqual(Array(12).fill(true));
  expect(pages.every((page) => page.messages.length === pages[0]!.messages.length)).toBe(true);
  expect(pages[0]!.messages.length).toBeLessThan(TOTAL);
});
