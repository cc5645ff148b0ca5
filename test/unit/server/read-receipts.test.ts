// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationSummary, Message } from '../../../src/protocol';
import { call, collect, type Fixture, nextEvent, settle, startGateway } from '../../support/in-process-gateway';

let fx: Fixture;
beforeEach(async () => {
  fx = await startGateway();
});
afterEach(async () => {
  await fx.stop();
});

describe('read receipts', () => {
  it('pushes an agent read to every visitor tab, and welcomes later tabs with it', async () => {
    const agent = await fx.agent();
    const tab = await fx.chatting();
    const { conversationId } = tab;
    await call(tab.socket, 'send', { clientId: 'second-message-01', text: 'Anyone?' });
    const seen = nextEvent<{ seq: number }>(tab.socket, 'read');
    expect(await call(agent.socket, 'read', { conversationId, seq: 1 })).toEqual({ ok: true });
    expect(await seen).toEqual({ seq: 1 });

    // Not moving the mark pushes nothing.
    const more = collect<{ seq: number }>(tab.socket, 'read');
    await call(agent.socket, 'read', { conversationId, seq: 1 });
    await settle(tab.socket);
    expect(more).toEqual([]);

    const again = await fx.visitor({ session: tab.welcome.session! });
    expect(again.welcome.agentReadSeq).toBe(1);
  });

  it('tells agents how far the visitor has read their replies', async () => {
    const agent = await fx.agent();
    const tab = await fx.chatting();
    const { conversationId } = tab;
    const reply = await call<{ ok: true; message: Message }>(agent.socket, 'send', {
      conversationId,
      clientId: 'agent-reply-000001',
      text: 'Hello',
    });
    const summary = nextEvent<ConversationSummary>(agent.socket, 'conversation', (c) => c.visitorReadSeq === 2);
    await call(tab.socket, 'read', { seq: reply.message.seq });
    expect(await summary).toMatchObject({ id: conversationId, visitorReadSeq: 2, agentReadSeq: 0 });
    const listed = await call<{ ok: true; conversations: ConversationSummary[] }>(agent.socket, 'list', {});
    expect(listed.conversations[0]).toMatchObject({ visitorReadSeq: 2 });
  });
});
