// @vitest-environment node
// The agent console's tools over the wire: search, canned replies, visitor context (issue 14).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readCannedRepliesFile } from '../../../demo/server/console-tools/canned-file';
import { CANNED, type CannedReply, SEARCH, type SearchHit, type VisitorContext } from '../../../src/protocol';
import { AGENTS, call, type Fixture, nextEvent, settle, startGateway } from '../../support/in-process-gateway';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.stop();
  fx = undefined;
});

const FILE_REPLIES: CannedReply[] = [
  { id: 'file-hello', shortcut: 'hello', text: 'Hi {{visitor.name|there}}!', source: 'file' },
];

describe('search', () => {
  it('finds a message and says where it is; bad queries get a clear refusal, never storage_error', async () => {
    fx = await startGateway();
    const visitor = await fx.chatting({}, 'Where is my parcel?');
    await call(visitor.socket, 'send', { clientId: 'second-msg-1', text: 'It was order 4411' });
    const { socket } = await fx.agent();

    const ack = await call<{ ok: true; results: SearchHit[] }>(socket, 'search', { query: 'PARCEL' });
    expect(ack.ok).toBe(true);
    expect(ack.results).toHaveLength(1);
    expect(ack.results[0]).toMatchObject({
      field: 'message',
      seq: 1,
      snippet: 'Where is my parcel?',
      matches: [[12, 18]],
      conversation: { id: visitor.conversationId, visitor: { online: true } },
    });

    for (const [payload, code] of [
      [{ query: '' }, 'invalid_payload'],
      [{ query: '   ' }, 'invalid_payload'],
      [{ query: '"*' }, 'invalid_payload'],
      [{ query: 'x'.repeat(SEARCH.maxQueryLength + 1) }, 'invalid_payload'],
      [{ query: 'parcel', limit: SEARCH.maxLimit + 1 }, 'invalid_payload'],
      [{ query: 42 }, 'invalid_payload'],
    ] as const) {
      const refused = await call(socket, 'search', payload);
      expect(refused, JSON.stringify(payload).slice(0, 60)).toMatchObject({ ok: false, code });
    }
    // Full-text operators are words like any other.
    for (const query of ['parcel" OR "x', 'NEAR(parcel', 'parcel*', '-parcel', 'parcel:*', 'order & 4411']) {
      expect((await call(socket, 'search', { query })).ok, query).toBe(true);
    }
    expect((await call(socket, 'search', { query: 'order & 4411' })).results[0].seq).toBe(2);
  });
});

describe('canned replies', () => {
  it('lists the file’s replies (read-only) and the database’s, and tells every agent about a change', async () => {
    fx = await startGateway({ cannedReplies: FILE_REPLIES });
    const ana = await fx.agent();
    const ben = await fx.agent(AGENTS[1]!.token);
    expect(await call(ana.socket, 'cannedList', {})).toEqual({ ok: true, replies: FILE_REPLIES });

    const announced = nextEvent<{ replies: CannedReply[] }>(ben.socket, 'canned');
    const saved = await call(ana.socket, 'cannedSave', { shortcut: 'refund', text: 'Refunds take {{site}} 5 days.' });
    expect(saved).toMatchObject({ ok: true, reply: { shortcut: 'refund', source: 'db', updatedBy: 'Ana' } });
    expect((await announced).replies.map((r) => r.shortcut)).toEqual(['hello', 'refund']);

    const refusals = [
      { shortcut: 'hello', text: 'taken by the file' },
      { shortcut: 'refund', text: 'taken in the database' },
      { shortcut: 'Bad Shortcut', text: 'x' },
      { shortcut: 'fields', text: 'Hi {{visitor.password}}' },
      { shortcut: 'long', text: 'é'.repeat(CANNED.maxTextBytes / 2 + 1) },
      { shortcut: 'empty', text: '   ' },
      { id: 'file-hello', shortcut: 'hello', text: 'edit the file reply' },
    ];
    for (const payload of refusals) {
      expect(await call(ana.socket, 'cannedSave', payload), payload.shortcut).toMatchObject({
        ok: false,
        code: 'invalid_payload',
      });
    }
    expect(await call(ana.socket, 'cannedDelete', { id: 'file-hello' })).toMatchObject({
      ok: false,
      code: 'invalid_payload',
    });
    expect(await call(ana.socket, 'cannedDelete', { id: 'nope' })).toMatchObject({ ok: false, code: 'not_found' });
    const gone = nextEvent<{ replies: CannedReply[] }>(ben.socket, 'canned');
    expect(await call(ben.socket, 'cannedDelete', { id: saved.reply.id })).toEqual({ ok: true });
    expect((await gone).replies).toEqual(FILE_REPLIES);
  });

  it('reads PARLEY_CANNED_REPLIES and names the entry at fault', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-canned-'));
    try {
      const path = join(dir, 'replies.json');
      await writeFile(path, JSON.stringify([{ shortcut: 'hello', text: 'Hi {{visitor.name|there}}!' }]));
      expect(readCannedRepliesFile(path)).toEqual(FILE_REPLIES);
      await writeFile(
        path,
        JSON.stringify([
          { shortcut: 'ok', text: 'fine' },
          { shortcut: 'x', text: '{{nope}}' },
        ]),
      );
      expect(() => readCannedRepliesFile(path)).toThrow(/entry 2: text: fields must be one of/);
      await writeFile(path, '{"not": "an array"}');
      expect(() => readCannedRepliesFile(path)).toThrow(/JSON array/);
      expect(() => readCannedRepliesFile(join(dir, 'missing.json'))).toThrow(/cannot read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('visitor context', () => {
  it('shows the pages the visitor reported, from the handshake and from page events', async () => {
    fx = await startGateway();
    const visitor = await fx.chatting({ page: { url: 'https://shop.example/', title: 'Home' } });
    expect(await call(visitor.socket, 'page', { url: 'https://shop.example/cart', title: 'Cart' })).toEqual({
      ok: true,
    });
    const { socket } = await fx.agent();
    await settle(socket);
    const context = await call<{ ok: true } & VisitorContext>(socket, 'context', {
      conversationId: visitor.conversationId,
    });
    expect(context.pages.map((p) => p.title)).toEqual(['Cart', 'Home']);
    expect(context.earlier).toEqual([]);
    expect(await call(socket, 'context', { conversationId: 'nope' })).toMatchObject({ ok: false, code: 'not_found' });
  });
});
