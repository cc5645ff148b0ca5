import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { openAgent, openVisitor } from '../support/pages';
import { e2e } from '../support/suite';

const root = fileURLToPath(new URL('../..', import.meta.url));
// `npm run screenshot` sets PARLEY_CONSOLE_SCREENSHOT=docs/console.png for the README; test runs keep theirs under
// test-results/.
const out = path.resolve(root, process.env.PARLEY_CONSOLE_SCREENSHOT ?? 'test-results/console.png');

const t = e2e();

it('renders the console with a conversation open, a read receipt and a draft (the README screenshot)', async () => {
  const visitor = await openVisitor(await t.context(), t.gateway.url);
  for (const text of ['Hi!', 'My order #1042 has not arrived yet. Can you check?']) await visitor.send(text);
  await visitor.waitSent(2);
  const ctx = await t.context({ viewport: { width: 1280, height: 760 } });
  const agent = await openAgent(ctx, t.gateway.url, 'Ana');
  await agent.open('#1042');
  await agent.send('Hi, this is Ana. Let me look.');
  // The visitor's panel is open and in view, so the widget reads the reply: the console shows "Seen".
  await agent.log.getByText('Seen by the visitor').waitFor();
  await agent.reply.fill('It left our warehouse yesterday: https://acme.example/track/1042');
  mkdirSync(path.dirname(out), { recursive: true });
  await agent.page.mouse.move(0, 0);
  await agent.page.screenshot({ path: out });
});
