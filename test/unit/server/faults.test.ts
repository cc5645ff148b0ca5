// @vitest-environment node
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../demo/server/log';
import type { Message } from '../../../src/protocol';
import { call, collect, type Fixture, settle, startGateway } from '../../support/in-process-gateway';
import { bundleForNode, root, runNode } from '../../support/processes.mjs';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.stop();
  fx = undefined;
});

describe('database faults', () => {
  it('answers storage_error while another connection holds the write lock, keeps serving, and accepts the retry', async () => {
    const lines: string[] = [];
    fx = await startGateway({ dbBusyTimeoutMs: 100, logger: createLogger('info', (line) => lines.push(line)) });
    const agent = await fx.agent();
    const atAgent = collect<Message>(agent.socket, 'message');
    const { socket, welcome } = await fx.visitor();
    const before = await call(socket, 'send', { clientId: 'before-lock-1', text: 'before' });
    expect(before.ok).toBe(true);

    // A real SQLite fault: a second connection (a backup tool, a stray sqlite3 shell) holds the write lock.
    const locker = new Database(fx.dbPath);
    locker.exec('BEGIN EXCLUSIVE');
    try {
      const started = performance.now();
      const failed = await call(socket, 'send', { clientId: 'during-lock-1', text: 'my order number is 1234' });
      expect(failed).toEqual({ ok: false, code: 'storage_error', message: 'could not store; retry later' });
      // Refused after the busy timeout, not the default five seconds.
      expect(performance.now() - started).toBeLessThan(1000);
      expect((await call(socket, 'read', { seq: 1 })).code).toBe('storage_error');

      // Reads still work, for the visitor and for agents, and so does the health check.
      expect(await call(socket, 'history', { afterSeq: 0 })).toMatchObject({ ok: true, messages: [{ seq: 1 }] });
      const list = await call(agent.socket, 'list', {});
      expect(list.conversations[0].lastSeq).toBe(1);
      expect((await fetch(`${fx.url}/healthz`)).status).toBe(200);
      // A handshake that must write (a new session) is refused with the same code, not left hanging.
      expect((await fx.refused('/visitor', { auth: { v: 1, site: 'acme' } })).data?.code).toBe('storage_error');
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }

    // The widget keeps the message in its outbox and retries with the same client id: stored once, in order.
    const retried = await call(socket, 'send', { clientId: 'during-lock-1', text: 'my order number is 1234' });
    expect(retried).toMatchObject({ ok: true, duplicate: false, message: { seq: 2 } });
    const again = await call(socket, 'send', { clientId: 'during-lock-1', text: 'my order number is 1234' });
    expect(again).toMatchObject({ ok: true, duplicate: true, message: { seq: 2 } });
    await settle(agent.socket);
    expect(atAgent.map((m) => m.seq)).toEqual([1, 2]);
    const back = await fx.visitor({ session: welcome.session! });
    expect(back.welcome.messages.map((m) => m.text)).toEqual(['before', 'my order number is 1234']);

    // Logged with context, and without the message or the session.
    const failures = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'storage failed');
    expect(failures[0]).toMatchObject({
      level: 'error',
      event: 'send',
      err: { type: 'StoreError', message: 'database is locked', cause: { code: 'SQLITE_BUSY' } },
    });
    expect(failures[0].socket).toEqual(expect.any(String));
    const all = lines.join('\n');
    expect(all).not.toContain('1234');
    expect(all).not.toContain(welcome.session);
  });

  it('turns an unexpected handler error into an internal ack logged with context; the connection stays up', async () => {
    const lines: string[] = [];
    fx = await startGateway({ logger: createLogger('info', (line) => lines.push(line)) });
    const { socket } = await fx.visitor();
    const store = fx.gateway.store;
    const original = store.markVisitorRead;
    store.markVisitorRead = () => {
      throw new TypeError('cannot read properties of undefined');
    };
    expect(await call(socket, 'read', { seq: 1 })).toEqual({ ok: false, code: 'internal', message: 'internal error' });
    store.markVisitorRead = original;
    expect(socket.connected).toBe(true);
    expect(await call(socket, 'read', { seq: 1 })).toEqual({ ok: true });
    const entry = lines.map((line) => JSON.parse(line)).find((e) => e.msg === 'handler failed');
    expect(entry).toMatchObject({
      level: 'error',
      event: 'read',
      socket: expect.any(String),
      err: { type: 'TypeError', message: 'cannot read properties of undefined', stack: expect.stringContaining('at ') },
    });
  });
});

describe('process guards', () => {
  /** Runs `body` in a child process that installed the gateway's guards first; resolves when the child exits. */
  async function runGuarded(body: string): Promise<{ code: number | null; stdout: string; entries: unknown[] }> {
    const dir = await mkdtemp(join(tmpdir(), 'parley-guards-'));
    try {
      await mkdir(join(dir, 'src'));
      const entry = join(dir, 'src', 'entry.ts');
      await writeFile(
        entry,
        `import { installProcessGuards } from ${JSON.stringify(join(root, 'demo/server/guards.ts'))};
         import { createLogger } from ${JSON.stringify(join(root, 'demo/server/log.ts'))};
         installProcessGuards(createLogger('info'));
         // Had the guards let it live, this would print and exit 0.
         setTimeout(() => { console.log('still serving'); process.exit(0); }, 3000);
         ${body}`,
      );
      const child = runNode({ script: await bundleForNode(entry, join(dir, 'entry.mjs'), dir), cwd: dir });
      const { code } = await child.exited;
      const entries = child
        .stderr()
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
      return { code, stdout: child.stdout(), entries };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it.each([
    {
      what: 'log an uncaught exception with its context, then exit 1 for a supervisor to restart the gateway',
      script: "setTimeout(() => { throw new RangeError('thrown from a timer'); }, 5);",
      origin: 'uncaughtException',
      err: { type: 'RangeError', message: 'thrown from a timer', stack: expect.any(String) },
    },
    {
      what: 'treat an unhandled rejection as Node does by default: logged as uncaught, then exit 1',
      script: "setTimeout(() => { Promise.reject(new Error('nobody handles this')); }, 5);",
      origin: 'unhandledRejection',
      err: { type: 'Error', message: 'nobody handles this' },
    },
  ])('$what', async ({ script, origin, err }) => {
    const { code, stdout, entries } = await runGuarded(script);
    expect(code).toBe(1);
    expect(stdout).not.toContain('still serving');
    expect(entries).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'uncaught exception',
        origin,
        exiting: true,
        err: expect.objectContaining(err),
      }),
    ]);
  });
});
