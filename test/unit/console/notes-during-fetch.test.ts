// @vitest-environment happy-dom
// The console against a real gateway: notes (and system lines) stored while the open conversation's timeline is being
// fetched show once each, whether the live `note` event comes before or after the `open` reply that also holds them.
import { afterEach, expect, it } from 'vitest';
import { type Controller, createController } from '../../../demo/console/controller';
import { AGENTS, call, type Fixture, startGateway } from '../../support/in-process-gateway';

let gateway: Fixture | undefined;
let controller: Controller | undefined;

afterEach(async () => {
  controller?.destroy();
  await gateway?.stop();
});

it('merges notes by id across the fetch reply and live events, none lost or doubled', async () => {
  gateway = await startGateway();
  const visitor = await gateway.chatting({}, 'hello');
  const other = await gateway.agent(AGENTS[1]!.token);
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(gateway.url);
  controller = createController(AGENTS[0]!.token, { onUnauthorized: () => {} });
  const { state } = controller;
  controller.start();
  await expect.poll(() => state.get().connection, { timeout: 5000 }).toBe('connected');
  const id = visitor.conversationId;
  const texts = () => state.get().threads[id]?.notes.map((n) => n.text ?? n.kind);
  // Notes from another agent land while the console's fetches are in flight: some before the reply is computed
  // (the reply holds them and so does a live event), some after (only the live event).
  const writes: Promise<unknown>[] = [];
  for (let round = 0; round < 5; round++) {
    controller.select(round % 2 ? null : id);
    void controller.load(id);
    writes.push(call(other.socket, 'note', { conversationId: id, clientId: `note-${round}-0000`, text: `n${round}` }));
  }
  controller.select(id);
  await Promise.all(writes);
  await controller.load(id);
  await expect.poll(() => texts()?.length, { timeout: 5000 }).toBe(5);
  expect(texts()).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
});
