// @vitest-environment happy-dom
// The console against a real gateway: on `resync` (live events may have been lost between gateway processes) it
// fetches the list and the open conversation again, so what was stored but never broadcast shows, once.
import { afterEach, expect, it } from 'vitest';
import { type Controller, createController } from '../../../demo/console/controller';
import { AGENTS, type Fixture, startGateway } from '../../support/in-process-gateway';

let gateway: Fixture | undefined;
let controller: Controller | undefined;

afterEach(async () => {
  controller?.destroy();
  await gateway?.stop();
});

it('catches up the list and the open conversation on resync', async () => {
  gateway = await startGateway();
  const open = await gateway.chatting({}, 'first');
  const other = await gateway.chatting({}, 'hello');
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(gateway.url);
  controller = createController(AGENTS[0]!.token, { onUnauthorized: () => {} });
  const { state } = controller;
  controller.start();
  controller.select(open.conversationId);
  const texts = () => state.get().threads[open.conversationId]?.messages.map((m) => m.text);
  await expect.poll(texts, { timeout: 5000 }).toEqual(['first']);

  // Stored, never broadcast: what a lost Redis publish leaves behind.
  const { store: db } = gateway.gateway;
  await db.appendMessage(open.conversationId, { author: 'visitor', clientId: 'client-0002', text: 'lost' });
  await db.appendMessage(other.conversationId, {
    author: 'visitor',
    clientId: 'client-0003',
    text: 'elsewhere',
  });
  gateway.gateway.io.of('/agent').emit('resync');

  await expect.poll(texts, { timeout: 5000 }).toEqual(['first', 'lost']);
  await expect
    .poll(() => state.get().conversations[other.conversationId]?.lastMessage?.text, { timeout: 5000 })
    .toBe('elsewhere');
  // Its opening message and the one stored without a broadcast.
  expect(state.get().conversations[other.conversationId]?.unread).toBe(2);
});
