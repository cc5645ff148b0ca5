// @vitest-environment happy-dom
// The console against a real gateway: after a reconnect's catch-up, a filtered view (Mine, Unassigned) lists exactly
// what the gateway's `list` returns for it, so a conversation reassigned while the console was away leaves the view.
import { afterEach, expect, it } from 'vitest';
import { type Controller, createController } from '../../../demo/console/controller';
import { visibleConversations } from '../../../demo/console/state';
import { AGENTS, type Fixture, startGateway } from '../../support/in-process-gateway';

let gateway: Fixture | undefined;
let controller: Controller | undefined;

afterEach(async () => {
  controller?.destroy();
  await gateway?.stop();
});

it('drops a conversation that no longer matches the view after reconnecting', async () => {
  gateway = await startGateway();
  const me = AGENTS[0]!.name;
  const kept = await gateway.chatting({}, 'still mine');
  const moved = await gateway.chatting({}, 'reassigned while away');
  const { store: db } = gateway.gateway;
  for (const c of [kept, moved]) await db.assign(c.conversationId, { to: me, at: Date.now() });
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(gateway.url);
  controller = createController(AGENTS[0]!.token, { onUnauthorized: () => {} });
  const { state } = controller;
  controller.start();
  controller.setView('mine');
  const listed = () => {
    const s = state.get();
    return visibleConversations(s.conversations, s.filter, s.view, s.me).map((c) => c.id);
  };
  await expect
    .poll(() => listed().sort(), { timeout: 5000 })
    .toEqual([kept, moved].map((c) => c.conversationId).sort());

  // Away: the server drops the console's socket; meanwhile the conversation is given to another agent.
  gateway.gateway.io.of('/agent').disconnectSockets();
  await expect.poll(() => state.get().connection, { timeout: 5000 }).toBe('reconnecting');
  await db.assign(moved.conversationId, { to: AGENTS[1]!.name, at: Date.now() });

  await expect.poll(() => state.get().connection, { timeout: 10_000 }).toBe('connected');
  await expect.poll(() => state.get().listLoading, { timeout: 5000 }).toBe(false);
  await expect.poll(listed, { timeout: 5000 }).toEqual([kept.conversationId]);
});
