// @vitest-environment node
import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentPresence, ConversationSummary, Message, SendResult, VisitorPresence } from '../../../src/protocol';
import { AGENTS, call, collect, type Fixture, nextEvent, settle, startGateway } from '../../support/in-process-gateway';

let fx: Fixture;
beforeEach(async () => {
  fx = await startGateway();
});
afterEach(async () => {
  await fx.stop();
});

async function visitorSend(socket: Socket, text: string, clientId: string) {
  const ack = await call<{ ok: true } & SendResult>(socket, 'send', { clientId, text });
  expect(ack.ok, JSON.stringify(ack)).toBe(true);
  return ack.message;
}

describe('agent handshake', () => {
  it('refuses a bad or missing token with unauthorized', async () => {
    const bad = await fx.refused('/agent', { auth: { token: 'ana-secret-token-012345678X' } });
    expect(bad.data?.code).toBe('unauthorized');
    const missing = await fx.refused('/agent', { auth: {} });
    expect(missing.data?.code).toBe('unauthorized');
  });

  it('welcomes an agent by name with everyone’s presence', async () => {
    const { welcome } = await fx.agent(AGENTS[1]!.token);
    expect(welcome).toEqual({
      name: 'Ben',
      agents: [
        { name: 'Ana', status: 'offline' },
        { name: 'Ben', status: 'online' },
      ],
    });
  });
});

describe('conversation traffic', () => {
  it('delivers an agent reply to every tab of the visitor and to other agents', async () => {
    const ana = await fx.agent();
    const ben = await fx.agent(AGENTS[1]!.token);
    const tab1 = await fx.chatting();
    const tab2 = await fx.visitor({ session: tab1.welcome.session! });
    const { conversationId } = tab1;
    const atBen = collect<Message>(ben.socket, 'message');

    const [inTab1, inTab2] = [nextEvent<Message>(tab1.socket, 'message'), nextEvent<Message>(tab2.socket, 'message')];
    const ack = await call(ana.socket, 'send', { conversationId, clientId: 'agent-msg-1', text: 'Hi, Ana here' });
    expect(ack).toMatchObject({ ok: true, duplicate: false });
    expect(ack.message).toMatchObject({ seq: 2, author: 'agent', agentName: 'Ana', text: 'Hi, Ana here' });
    expect(await inTab1).toEqual(ack.message);
    expect(await inTab2).toEqual(ack.message);
    await settle(ben.socket);
    expect(atBen).toEqual([ack.message]);

    const dup = await call(ana.socket, 'send', { conversationId, clientId: 'agent-msg-1', text: 'Hi, Ana here' });
    expect(dup).toMatchObject({ ok: true, duplicate: true, message: { id: ack.message.id } });
  });

  it('delivers a visitor message to both agents as one event, the summary being derived from it', async () => {
    const ana = await fx.agent();
    const ben = await fx.agent(AGENTS[1]!.token);
    const visitor = await fx.visitor({ page: { url: 'https://shop.example/cart', title: 'Cart' }, locale: 'de-DE' });
    await settle(ben.socket);
    const summaries = collect<ConversationSummary>(ben.socket, 'conversation');
    const [atAna, atBen] = [nextEvent<Message>(ana.socket, 'message'), nextEvent<Message>(ben.socket, 'message')];
    const sent = await visitorSend(visitor.socket, 'Where is my order?', 'visitor-msg-1');
    expect(await atAna).toEqual(sent);
    expect(await atBen).toEqual(sent);
    const reply = await call(ana.socket, 'send', {
      conversationId: sent.conversationId,
      clientId: 'agent-msg-1',
      text: 'On its way',
    });
    expect(reply.ok).toBe(true);
    await settle(ben.socket);
    // Everything a summary would have changed is in the message (see `conversation` in src/protocol.ts).
    expect(summaries).toEqual([]);
    const opened = await call(ben.socket, 'open', { conversationId: sent.conversationId, afterSeq: 2 });
    expect(opened.messages).toEqual([]);
    expect(opened.conversation).toMatchObject({
      id: sent.conversationId,
      site: 'acme',
      status: 'open',
      lastSeq: 2,
      lastActivityAt: reply.message.createdAt,
      unread: 1,
      lastMessage: { author: 'agent', text: 'On its way' },
      visitor: { online: true, page: { url: 'https://shop.example/cart', title: 'Cart' }, locale: 'de-DE' },
    });
  });

  it('never shows one visitor another visitor’s conversation', async () => {
    const agent = await fx.agent();
    const alice = await fx.visitor();
    const mallory = await fx.visitor();
    const atMallory = collect<Message>(mallory.socket, 'message');
    const typingAtMallory = collect(mallory.socket, 'typing');
    const aliceConv = (await visitorSend(alice.socket, 'my address is secret', 'alice-msg-1')).conversationId;
    await call(agent.socket, 'send', { conversationId: aliceConv, clientId: 'agent-to-alice', text: 'noted' });
    await call(agent.socket, 'typing', { conversationId: aliceConv, typing: true });

    // Visitor events carry no conversation id; the agent-only ones do not exist in this namespace.
    expect(await call(mallory.socket, 'open', { conversationId: aliceConv })).toMatchObject({ code: 'unknown_event' });
    const history = await call(mallory.socket, 'history', { afterSeq: 0 });
    expect(history.messages).toEqual([]);
    // Extra keys are ignored, not honoured.
    await call(mallory.socket, 'send', { clientId: 'mallory-msg-1', text: 'hijack', conversationId: aliceConv });
    await settle(mallory.socket, alice.socket);
    expect(atMallory).toEqual([]);
    expect(typingAtMallory).toEqual([]);
    const aliceHistory = await call(alice.socket, 'history', { afterSeq: 0 });
    expect(aliceHistory.messages.map((m: Message) => m.text)).toEqual(['my address is secret', 'noted']);
  });

  it('opens a conversation with its messages and answers not_found for unknown ids', async () => {
    const agent = await fx.agent();
    const visitor = await fx.visitor();
    const sent = [];
    for (const n of [1, 2, 3]) sent.push(await visitorSend(visitor.socket, `q${n}`, `visitor-msg-${n}`));
    const { conversationId } = sent[0]!;
    const opened = await call(agent.socket, 'open', { conversationId, afterSeq: 1 });
    expect(opened.ok).toBe(true);
    expect(opened.conversation).toMatchObject({ id: conversationId, unread: 3, lastSeq: 3 });
    expect(opened.messages.map((m: Message) => m.text)).toEqual(['q2', 'q3']);
    expect(opened.more).toBe(false);

    for (const [event, payload] of [
      ['open', { conversationId: 'missing-conversation' }],
      ['send', { conversationId: 'missing-conversation', clientId: 'agent-msg-x', text: 'hello?' }],
      ['read', { conversationId: 'missing-conversation', seq: 1 }],
      ['setStatus', { conversationId: 'missing-conversation', status: 'resolved' }],
    ] as const) {
      expect(await call(agent.socket, event, payload)).toMatchObject({ ok: false, code: 'not_found' });
    }
    expect(await call(agent.socket, 'open', { conversationId: '../etc' })).toMatchObject({ code: 'invalid_payload' });
    expect(await call(agent.socket, 'reboot', {})).toMatchObject({ code: 'unknown_event' });
  });

  it('lists conversations by last activity, filtered by status', async () => {
    const agent = await fx.agent();
    const first = await fx.visitor();
    const second = await fx.visitor();
    const older = (await visitorSend(first.socket, 'older', 'first-msg-1')).conversationId;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const newer = (await visitorSend(second.socket, 'newer', 'second-msg-1')).conversationId;
    // A visitor who never wrote is in no list.
    await fx.visitor();
    const all = await call(agent.socket, 'list');
    expect(all.conversations.map((c: ConversationSummary) => c.id)).toEqual([newer, older]);
    await call(agent.socket, 'setStatus', { conversationId: newer, status: 'resolved' });
    const open = await call(agent.socket, 'list', { status: 'open' });
    expect(open.conversations.map((c: ConversationSummary) => c.id)).toEqual([older]);
    const limited = await call(agent.socket, 'list', { status: 'all', limit: 1 });
    expect(limited.conversations).toHaveLength(1);
    expect(await call(agent.socket, 'list', { limit: 0 })).toMatchObject({ code: 'invalid_payload' });
  });

  it('counts unread visitor messages until an agent reads them', async () => {
    const ana = await fx.agent();
    const ben = await fx.agent(AGENTS[1]!.token);
    const visitor = await fx.visitor();
    const { conversationId } = await visitorSend(visitor.socket, 'one', 'visitor-msg-1');
    await visitorSend(visitor.socket, 'two', 'visitor-msg-2');
    await call(ana.socket, 'send', { conversationId, clientId: 'agent-msg-1', text: 'reply' });
    const summary = (await call(ana.socket, 'open', { conversationId })).conversation as ConversationSummary;
    expect(summary.unread).toBe(2);

    const update = nextEvent<ConversationSummary>(ben.socket, 'conversation', (c) => c.unread === 1);
    expect(await call(ana.socket, 'read', { conversationId, seq: 1 })).toEqual({ ok: true });
    expect((await update).id).toBe(conversationId);
    // Past the end is clamped, not stored: a later visitor message is still unread.
    await call(ana.socket, 'read', { conversationId, seq: 999 });
    await visitorSend(visitor.socket, 'three', 'visitor-msg-3');
    const after = (await call(ana.socket, 'open', { conversationId })).conversation as ConversationSummary;
    expect(after.unread).toBe(1);
  });

  it('resolves and reopens, telling the visitor; a visitor message reopens a resolved conversation', async () => {
    const agent = await fx.agent();
    const visitor = await fx.chatting();
    const { conversationId } = visitor;
    const status = nextEvent(visitor.socket, 'status');
    const resolved = await call(agent.socket, 'setStatus', { conversationId, status: 'resolved' });
    expect(resolved).toMatchObject({ ok: true, conversation: { id: conversationId, status: 'resolved' } });
    // Resolved by an agent: the visitor is offered a rating (nothing scored yet).
    expect(await status).toEqual({ status: 'resolved', rating: {} });

    const reopened = nextEvent(visitor.socket, 'status');
    const summary = nextEvent<ConversationSummary>(agent.socket, 'conversation', (c) => c.status === 'open');
    await visitorSend(visitor.socket, 'one more thing', 'visitor-msg-1');
    expect(await reopened).toEqual({ status: 'open' });
    expect((await summary).id).toBe(conversationId);
    const back = await fx.visitor({ session: visitor.welcome.session! });
    expect(back.welcome.status).toBe('open');
  });
});

describe('typing and presence', () => {
  it('relays typing both ways and to other agents', async () => {
    const ana = await fx.agent();
    const ben = await fx.agent(AGENTS[1]!.token);
    const visitor = await fx.chatting();
    const { conversationId } = visitor;

    const [atAna, atBen] = [nextEvent(ana.socket, 'typing'), nextEvent(ben.socket, 'typing')];
    expect(await call(visitor.socket, 'typing', { typing: true })).toEqual({ ok: true });
    const seen = await atAna;
    expect(seen).toMatchObject({ conversationId, author: 'visitor', typing: true });
    expect((seen as { who: string }).who).toMatch(/^Visitor [0-9a-f]{4}$/);
    expect(await atBen).toEqual(seen);

    const atVisitor = nextEvent(visitor.socket, 'typing');
    const benSees = nextEvent(ben.socket, 'typing');
    const anaTyping = collect(ana.socket, 'typing');
    await call(ana.socket, 'typing', { conversationId, typing: true });
    expect(await atVisitor).toEqual({ name: 'Ana', typing: true });
    expect(await benSees).toEqual({ conversationId, who: 'Ana', author: 'agent', typing: true });
    await settle(ana.socket);
    expect(anaTyping).toEqual([]);

    // A console closing mid-sentence does not leave the bubble on.
    const stopped = nextEvent(visitor.socket, 'typing');
    ana.socket.close();
    expect(await stopped).toEqual({ name: 'Ana', typing: false });
  });

  it('stops the visitor typing indicator for agents when the visitor leaves', async () => {
    const agent = await fx.agent();
    const visitor = await fx.chatting();
    await call(visitor.socket, 'typing', { typing: true });
    const stopped = nextEvent(agent.socket, 'typing', (t: { typing: boolean }) => !t.typing);
    visitor.socket.close();
    expect(await stopped).toMatchObject({ conversationId: visitor.conversationId, typing: false });
  });

  it('drops typing quietly before the first message: there is no conversation to type into yet', async () => {
    const agent = await fx.agent();
    const typing = collect(agent.socket, 'typing');
    const visitor = await fx.visitor();
    expect(await call(visitor.socket, 'typing', { typing: true })).toEqual({ ok: true });
    await settle(agent.socket, visitor.socket);
    expect(typing).toEqual([]);
    // Another tab's first message creates the conversation: this tab's typing then reaches the agents.
    const tab2 = await fx.visitor({ session: visitor.welcome.session! });
    const { conversationId } = await visitorSend(tab2.socket, 'hello', 'tab2-msg-1');
    const seen = nextEvent(agent.socket, 'typing');
    await call(visitor.socket, 'typing', { typing: true });
    expect(await seen).toMatchObject({ conversationId, author: 'visitor', typing: true });
  });

  it('changes the visitors’ presence aggregate, naming the first online agent, as agents connect, go away and leave', async () => {
    const visitor = await fx.visitor();
    expect(visitor.welcome.presence).toBe('offline');
    expect(visitor.welcome.agent).toBeUndefined();
    const presence = collect<VisitorPresence>(visitor.socket, 'presence');

    let changed = nextEvent(visitor.socket, 'presence');
    const ana = await fx.agent();
    expect(await changed).toEqual({ agents: 'online', agent: 'Ana' });
    expect((await fx.visitor()).welcome).toMatchObject({ presence: 'online', agent: 'Ana' });

    const ben = await fx.agent(AGENTS[1]!.token);
    await settle(visitor.socket);
    expect(presence).toEqual([{ agents: 'online', agent: 'Ana' }]); // Ana comes first in the configuration.
    changed = nextEvent(visitor.socket, 'presence');
    await call(ana.socket, 'presence', { status: 'away' });
    expect(await changed).toEqual({ agents: 'online', agent: 'Ben' }); // Ben is still online.

    changed = nextEvent(visitor.socket, 'presence');
    await call(ben.socket, 'presence', { status: 'away' });
    expect(await changed).toEqual({ agents: 'away' });
    const late = await fx.visitor();
    expect(late.welcome.presence).toBe('away');
    expect(late.welcome.agent).toBeUndefined();

    changed = nextEvent(visitor.socket, 'presence');
    ana.socket.close();
    ben.socket.close();
    expect(await changed).toEqual({ agents: 'offline' });
    await settle(visitor.socket);
    expect(presence.map((p) => p.agent ?? p.agents)).toEqual(['Ana', 'Ben', 'away', 'offline']);
  });

  it('keeps an agent online while one of their consoles is still open', async () => {
    const first = await fx.agent();
    const second = await fx.agent();
    const observer = await fx.agent(AGENTS[1]!.token);
    const rosters = collect<{ agents: AgentPresence[] }>(observer.socket, 'agents');
    first.socket.close();
    await settle(observer.socket);
    expect(rosters).toEqual([]);
    const offline = nextEvent<{ agents: AgentPresence[] }>(observer.socket, 'agents');
    second.socket.close();
    expect((await offline).agents).toContainEqual({ name: 'Ana', status: 'offline' });
  });

  it('reports visitor online, offline and page changes in summaries', async () => {
    const agent = await fx.agent();
    const earlier = await fx.chatting({ page: { url: 'https://shop.example/', title: 'Home' } });
    const gone = nextEvent<ConversationSummary>(agent.socket, 'conversation', (c) => !c.visitor.online);
    earlier.socket.close();
    await gone;
    const online = nextEvent<ConversationSummary>(agent.socket, 'conversation');
    const visitor = await fx.visitor({
      session: earlier.welcome.session!,
      page: { url: 'https://shop.example/', title: 'Home' },
    });
    expect(await online).toMatchObject({
      id: earlier.conversationId,
      visitor: { online: true, page: { url: 'https://shop.example/', title: 'Home' } },
    });

    const moved = nextEvent<ConversationSummary>(agent.socket, 'conversation');
    expect(await call(visitor.socket, 'page', { url: 'https://shop.example/pricing', title: 'Pricing' })).toEqual({
      ok: true,
    });
    expect((await moved).visitor.page).toEqual({ url: 'https://shop.example/pricing', title: 'Pricing' });

    // A second tab closing leaves the visitor online; the last one takes them offline.
    const tab = await fx.visitor({ session: visitor.welcome.session! });
    const updates = collect<ConversationSummary>(agent.socket, 'conversation');
    tab.socket.close();
    await settle(agent.socket, visitor.socket);
    expect(updates).toEqual([]);
    const offline = nextEvent<ConversationSummary>(agent.socket, 'conversation');
    visitor.socket.close();
    expect((await offline).visitor.online).toBe(false);
    const listed = await call(agent.socket, 'list', {});
    expect(listed.conversations[0].visitor).toMatchObject({ online: false, label: expect.stringMatching(/^Visitor /) });
  });
});
