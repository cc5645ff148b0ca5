// @vitest-environment node

import { afterEach, describe, expect, it } from 'vitest';
import type { Rating, RatingOffer } from '../../../src/protocol';
import { AGENTS, call, type Fixture, nextEvent, startGateway } from '../../support/in-process-gateway';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.stop();
  fx = undefined;
});

describe('satisfaction ratings', () => {
  it('is offered when an agent resolves, shown to agents, changeable, and averaged per agent', async () => {
    fx = await startGateway();
    const chat = await fx.chatting();
    const ana = await fx.agent();
    const ben = await fx.agent(AGENTS[1]!.token);
    // Not resolved: nothing to rate.
    expect(await call(chat.socket, 'rate', { score: 5 })).toMatchObject({ ok: false, code: 'not_found' });

    const offered = nextEvent<{ status: string; rating?: RatingOffer }>(chat.socket, 'status');
    await call(ana.socket, 'setStatus', { conversationId: chat.conversationId, status: 'resolved' });
    expect(await offered).toEqual({ status: 'resolved', rating: {} });

    const seen = nextEvent<{ conversationId: string; rating: Rating }>(ben.socket, 'rating');
    const first = await call(chat.socket, 'rate', { score: 2, comment: ' too slow ' });
    expect(first).toMatchObject({
      ok: true,
      rating: { score: 2, comment: 'too slow', changeableUntil: expect.any(Number) },
    });
    expect(await seen).toMatchObject({ conversationId: chat.conversationId, rating: { score: 2, agentName: 'Ana' } });
    expect(await call(chat.socket, 'rate', { score: 4 })).toMatchObject({ ok: true, rating: { score: 4 } });
    const opened = await call(ben.socket, 'open', { conversationId: chat.conversationId });
    expect(opened.rating).toMatchObject({ score: 4, agentName: 'Ana' });
    expect(opened.rating.comment).toBeUndefined();

    // A returning visitor is offered its rating again while it may change.
    chat.socket.close();
    const again = await fx.visitor({ session: chat.welcome.session! });
    expect(again.welcome.rating).toMatchObject({ score: 4 });

    const other = await fx.chatting();
    await call(ben.socket, 'setStatus', { conversationId: other.conversationId, status: 'resolved' });
    await call(other.socket, 'rate', { score: 5 });
    expect(await call(ana.socket, 'ratings', {})).toEqual({
      ok: true,
      agents: [
        { name: 'Ana', average: 4, count: 1 },
        { name: 'Ben', average: 5, count: 1 },
      ],
    });
  });

  it('refuses scores outside 1 to 5 and over-long comments', async () => {
    fx = await startGateway();
    const chat = await fx.chatting();
    for (const payload of [
      { score: 0 },
      { score: 6 },
      { score: 2.5 },
      { score: '5' },
      { score: 3, comment: 'x'.repeat(1001) },
    ]) {
      expect(await call(chat.socket, 'rate', payload), JSON.stringify(payload).slice(0, 40)).toMatchObject({
        ok: false,
        code: 'invalid_payload',
      });
    }
  });
});
