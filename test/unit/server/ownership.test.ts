// @vitest-environment node
// Ownership (assign, unassign, views) and internal notes through the gateway, with a raw visitor socket listening to
// every frame: nothing of the agent-only timeline may ever reach it.
import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationSummary, Note } from '../../../src/protocol';
import { AGENTS, call, collect, type Fixture, nextEvent, settle, startGateway } from '../../support/in-process-gateway';

let fx: Fixture;
beforeEach(async () => {
  fx = await startGateway();
});
afterEach(async () => {
  await fx.stop();
});

/** Every Engine.IO frame the socket receives, as text: the strictest place to look for a leak. */
function frames(socket: Socket): string[] {
  const seen: string[] = [];
  socket.io.engine.on('data', (data: unknown) => seen.push(String(data)));
  return seen;
}

async function twoAgentsAndAVisitor() {
  const ana = await fx.agent();
  const ben = await fx.agent(AGENTS[1]!.token);
  const visitor = await fx.chatting({}, 'I need help');
  await settle(ana.socket, ben.socket);
  return { ana, ben, visitor, conversationId: visitor.conversationId };
}

describe('assignment', () => {
  it('assigns, reassigns and unassigns, seen live by every agent with a system line each, never by the visitor', async () => {
    const { ana, ben, visitor, conversationId } = await twoAgentsAndAVisitor();
    const atVisitor = frames(visitor.socket);
    const summariesAtBen = collect<ConversationSummary>(ben.socket, 'conversation');
    const linesAtBen = collect<Note>(ben.socket, 'note');
    const linesAtAna = collect<Note>(ana.socket, 'note');

    const took = await call(ana.socket, 'assign', { conversationId, agent: 'Ana' });
    expect(took).toMatchObject({ ok: true, conversation: { id: conversationId, assignee: 'Ana' } });
    const gave = await call(ana.socket, 'assign', { conversationId, agent: 'Ben' });
    expect(gave.conversation.assignee).toBe('Ben');
    const dropped = await call(ben.socket, 'assign', { conversationId, agent: null });
    expect(dropped.ok).toBe(true);
    expect(dropped.conversation).not.toHaveProperty('assignee');
    // The same owner again changes nothing and records nothing.
    expect((await call(ben.socket, 'assign', { conversationId, agent: null })).ok).toBe(true);
    await settle(ana.socket, ben.socket, visitor.socket);

    expect(summariesAtBen.map((s) => s.assignee ?? null)).toEqual(['Ana', 'Ben', null]);
    const texts = [
      'Ana took this conversation',
      'Ana assigned this conversation to Ben',
      'Ben unassigned this conversation',
    ];
    expect(linesAtBen.map((n) => [n.kind, n.text])).toEqual(texts.map((t) => ['event', t]));
    expect(linesAtAna.map((n) => n.id)).toEqual(linesAtBen.map((n) => n.id));
    expect(linesAtBen.map((n) => n.agentName)).toEqual(['Ana', 'Ana', 'Ben']);

    const opened = await call(ben.socket, 'open', { conversationId });
    expect(opened.notes.map((n: Note) => n.text)).toEqual(texts);
    expect(opened.messages).toHaveLength(1);
    expect(opened.conversation.lastSeq).toBe(1);
    expect(atVisitor.join('\n')).not.toMatch(/assign|took this|"note"/);
  });

  it('refuses an unknown agent, an unknown conversation and a malformed payload, changing nothing', async () => {
    const { ana, conversationId } = await twoAgentsAndAVisitor();
    expect(await call(ana.socket, 'assign', { conversationId, agent: 'Zoe' })).toMatchObject({
      ok: false,
      code: 'unknown_agent',
    });
    expect(await call(ana.socket, 'assign', { conversationId: 'nope', agent: 'Ana' })).toMatchObject({
      ok: false,
      code: 'not_found',
    });
    expect(await call(ana.socket, 'assign', { conversationId, agent: 42 })).toMatchObject({
      ok: false,
      code: 'invalid_payload',
    });
    expect(await call(ana.socket, 'assign', { conversationId })).toMatchObject({ ok: false, code: 'invalid_payload' });
    const opened = await call(ana.socket, 'open', { conversationId });
    expect(opened.conversation).not.toHaveProperty('assignee');
    expect(opened.notes).toEqual([]);
  });

  it('lists the views Mine, Unassigned and All, combined with the status filter', async () => {
    const ana = await fx.agent();
    const ben = await fx.agent(AGENTS[1]!.token);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await fx.chatting({}, `hello ${i}`)).conversationId);
    const [mine, bens, nobodys] = ids as [string, string, string];
    await call(ana.socket, 'assign', { conversationId: mine, agent: 'Ana' });
    await call(ana.socket, 'assign', { conversationId: bens, agent: 'Ben' });
    const list = async (socket: Socket, p: object) =>
      ((await call(socket, 'list', p)).conversations as ConversationSummary[]).map((c) => c.id).sort();
    expect(await list(ana.socket, { view: 'mine' })).toEqual([mine]);
    expect(await list(ben.socket, { view: 'mine' })).toEqual([bens]);
    expect(await list(ana.socket, { view: 'unassigned' })).toEqual([nobodys]);
    expect(await list(ana.socket, { view: 'all' })).toEqual([...ids].sort());
    expect(await list(ana.socket, {})).toEqual([...ids].sort());
    await call(ana.socket, 'setStatus', { conversationId: mine, status: 'resolved' });
    expect(await list(ana.socket, { view: 'mine', status: 'open' })).toEqual([]);
    expect(await list(ana.socket, { view: 'mine', status: 'resolved' })).toEqual([mine]);
    expect(await call(ana.socket, 'list', { view: 'theirs' })).toMatchObject({ ok: false, code: 'invalid_payload' });
  });
});

describe('internal notes never leave the agent side', () => {
  async function withNote() {
    const setup = await twoAgentsAndAVisitor();
    const { ana, ben, visitor, conversationId } = setup;
    const atVisitor = frames(visitor.socket);
    const visitorEvents: string[] = [];
    visitor.socket.onAny((event: string) => visitorEvents.push(event));
    const atBen = nextEvent<Note>(ben.socket, 'note');
    const ack = await call(ana.socket, 'note', {
      conversationId,
      clientId: 'note-secret-1',
      text: 'SECRET refund approved',
    });
    expect(ack).toMatchObject({ ok: true, duplicate: false, note: { kind: 'note', agentName: 'Ana', afterSeq: 1 } });
    expect(await atBen).toEqual(ack.note);
    await settle(visitor.socket, ana.socket, ben.socket);
    return { ...setup, atVisitor, visitorEvents, note: ack.note as Note };
  }

  it('not to the live visitor socket (any frame), nor as typing', async () => {
    const { ana, visitor, conversationId, atVisitor, visitorEvents } = await withNote();
    expect(atVisitor.join('\n')).not.toContain('SECRET');
    expect(visitorEvents).toEqual([]);
    // The frames are really watched: a reply sent now shows up in them.
    await call(ana.socket, 'send', { conversationId, clientId: 'reply-public-1', text: 'PUBLIC reply' });
    await settle(visitor.socket);
    expect(atVisitor.join('\n')).toContain('PUBLIC reply');
    expect(visitorEvents).toEqual(['message']);
  });

  it('not in a new tab’s welcome, nor in history', async () => {
    const { visitor } = await withNote();
    const tab = await fx.visitor({ session: visitor.welcome.session! });
    expect(JSON.stringify(tab.welcome)).not.toContain('SECRET');
    expect(tab.welcome.messages.map((m) => m.text)).toEqual(['I need help']);
    const history = await call(visitor.socket, 'history', { afterSeq: 0 });
    expect(JSON.stringify(history)).not.toContain('SECRET');
    expect(history.messages).toHaveLength(1);
  });

  it('not in unread counts, previews or seqs: the next visitor message is seq 2', async () => {
    const { ana, visitor, conversationId } = await withNote();
    const listed = (await call(ana.socket, 'list', {})).conversations as ConversationSummary[];
    const summary = listed.find((c) => c.id === conversationId)!;
    expect(summary).toMatchObject({ lastSeq: 1, unread: 1, lastMessage: { author: 'visitor', text: 'I need help' } });
    const next = await call(visitor.socket, 'send', { clientId: 'visitor-2nd', text: 'still there?' });
    expect(next.message.seq).toBe(2);
  });

  it('is idempotent per clientId, refuses an unknown conversation, and comes back with open in thread order', async () => {
    const { ana, ben, visitor, conversationId, note } = await withNote();
    const again = await call(ana.socket, 'note', {
      conversationId,
      clientId: 'note-secret-1',
      text: 'SECRET refund approved',
    });
    expect(again).toEqual({ ok: true, duplicate: true, note });
    expect(
      await call(ana.socket, 'note', { conversationId: 'nope', clientId: 'note-secret-2', text: 'x' }),
    ).toMatchObject({ ok: false, code: 'not_found' });
    expect(await call(ana.socket, 'note', { conversationId, clientId: 'note-secret-3', text: '   ' })).toMatchObject({
      ok: false,
      code: 'invalid_payload',
    });
    await call(visitor.socket, 'send', { clientId: 'visitor-2nd', text: 'second' });
    const later = await call(ben.socket, 'note', { conversationId, clientId: 'note-ben-1', text: 'after the second' });
    expect(later.note.afterSeq).toBe(2);
    const opened = await call(ben.socket, 'open', { conversationId });
    expect(opened.notes.map((n: Note) => n.id)).toEqual([note.id, later.note.id]);
    // A catch-up from seq 2 carries only what is placed from there on.
    const caughtUp = await call(ben.socket, 'open', { conversationId, afterSeq: 2 });
    expect(caughtUp.notes.map((n: Note) => n.id)).toEqual([later.note.id]);
  });
});

describe('notes in paged history', () => {
  it('each page of open carries the notes placed within it, so paging through shows every note once', async () => {
    const { ana, conversationId } = await twoAgentsAndAVisitor();
    const { store } = fx.gateway;
    const noteAt = async (clientId: string) =>
      (await call(ana.socket, 'note', { conversationId, clientId, text: clientId })).note as Note;
    const first = await noteAt('note-at-0001');
    for (let i = 2; i <= 250; i++) {
      await store.appendMessage(conversationId, { author: 'visitor', text: `message ${i}` });
      if (i === 200 || i === 201) await noteAt(`note-at-0${i}`);
    }
    const last = await noteAt('note-at-0250');
    const page1 = await call(ana.socket, 'open', { conversationId });
    expect(page1.more).toBe(true);
    const end1 = page1.messages.at(-1).seq as number;
    expect(end1).toBe(200);
    // The note after seq 200 belongs to the next page, which starts there.
    expect(page1.notes.map((n: Note) => n.text)).toEqual([first.text]);
    const page2 = await call(ana.socket, 'open', { conversationId, afterSeq: end1 });
    expect(page2.more).toBe(false);
    expect(page2.notes.map((n: Note) => n.text)).toEqual(['note-at-0200', 'note-at-0201', last.text]);
  });
});
