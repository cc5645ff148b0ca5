// @vitest-environment node
// One contract, every file storage (issue 16): the local directory and PostgreSQL (shared by several gateways). The
// PostgreSQL half needs PARLEY_TEST_DATABASE_URL and is skipped, with the reason, without it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresStorage } from '../../../demo/server/attachments/pg-storage';
import { type FileStorage, openLocalStorage } from '../../../demo/server/attachments/storage';
import { openPostgresStore } from '../../../demo/server/store/postgres/store';
import type { Message } from '../../../src/protocol';
import { DATABASE_URL, databaseUnavailable } from '../../support/cluster';
import { AGENTS, call, type Fixture, startGateway } from '../../support/in-process-gateway';

interface Backend {
  unavailable?: string;
  /** Opens one more storage on the same place: another process's view. */
  open(): Promise<FileStorage>;
  fresh(): Promise<void>;
  dispose(): Promise<void>;
}

function localBackend(): Backend {
  let dir = '';
  return {
    async fresh() {
      dir = await mkdtemp(join(tmpdir(), 'parley-files-'));
    },
    open: () => openLocalStorage(join(dir, 'uploads'), join(dir, 'file-url.secret')),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

function postgresBackend(unavailable: string | undefined): Backend {
  let schema = '';
  return {
    ...(unavailable ? { unavailable } : {}),
    async fresh() {
      schema = `parley_files_${randomBytes(4).toString('hex')}`;
      // The store's migrations create the tables.
      const store = await openPostgresStore({ url: DATABASE_URL!, schema });
      await store.close();
    },
    open: async () => openPostgresStorage({ url: DATABASE_URL!, schema }),
    async dispose() {
      const db = new pg.Client({ connectionString: DATABASE_URL });
      await db.connect();
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.end();
    },
  };
}

const pgUnavailable = await databaseUnavailable();
const backends: [string, Backend][] = [
  ['local directory', localBackend()],
  ['PostgreSQL', postgresBackend(pgUnavailable)],
];

async function readAll(storage: FileStorage, key: string): Promise<Buffer | undefined> {
  const found = await storage.read(key);
  if (!found) return undefined;
  const parts: Buffer[] = [];
  for await (const part of found.stream) parts.push(part as Buffer);
  const bytes = Buffer.concat(parts);
  expect(found.size).toBe(bytes.length);
  return bytes;
}

describe.each(backends)('file storage: %s', (_name, backend) => {
  const opened: FileStorage[] = [];
  const open = async () => {
    const storage = await backend.open();
    opened.push(storage);
    return storage;
  };
  beforeEach(async (context) => {
    if (backend.unavailable) return context.skip(backend.unavailable);
    await backend.fresh();
  });
  afterEach(async () => {
    if (backend.unavailable) return;
    for (const storage of opened.splice(0)) await storage.close();
    await backend.dispose();
  });

  it('stores buffers and streams (several chunks), shows them to another instance, and removes them', async () => {
    const one = await open();
    const two = await open();
    const big = randomBytes(600 * 1024 + 17);
    // Odd-sized pieces, so chunk boundaries never line up with the writer's.
    const pieces = [big.subarray(0, 1000), big.subarray(1000, 300_001), big.subarray(300_001)];
    expect(await one.write('aaaa-1111', Readable.from(pieces))).toBe(big.length);
    expect(await one.write('aaaa-1111.thumb', Buffer.from('thumb'))).toBe(5);
    expect((await readAll(two, 'aaaa-1111'))!.equals(big)).toBe(true);
    expect((await readAll(two, 'aaaa-1111.thumb'))!.toString()).toBe('thumb');
    await one.write('aaaa-1111', Buffer.from('replaced'));
    expect((await readAll(two, 'aaaa-1111'))!.toString()).toBe('replaced');
    await two.remove('aaaa-1111');
    await two.remove('aaaa-1111');
    expect(await one.read('aaaa-1111')).toBeUndefined();
    expect(await one.read('never-written')).toBeUndefined();
  });

  it('refuses keys that are not the gateway’s own (paths, dots)', async () => {
    const storage = await open();
    for (const key of ['../x', 'a/b', '.secret', '', 'x'.repeat(65)]) {
      await expect(storage.write(key, Buffer.from('x')), key).rejects.toThrow(/invalid storage key/);
      await expect(storage.read(key), key).rejects.toThrow(/invalid storage key/);
    }
  });

  it('gives every instance the same URL secret, created once', async () => {
    const [one, two] = await Promise.all([open(), open()]);
    const [a, b] = await Promise.all([one.secret(), two.secret()]);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b).toBe(a);
  });
});

describe('two gateways sharing PostgreSQL storage', () => {
  const schema = `parley_files_${randomBytes(4).toString('hex')}`;
  let one: Fixture | undefined;
  let two: Fixture | undefined;
  beforeEach((context) => {
    if (pgUnavailable) context.skip(pgUnavailable);
  });
  afterEach(async () => {
    await one?.stop();
    await two?.stop();
    if (pgUnavailable) return;
    const db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
  });

  it('serves a file uploaded through one gateway from the other, with URLs either one signed', async () => {
    const shared = { databaseUrl: DATABASE_URL!, dbSchema: schema, uploadStorage: 'postgres' as const };
    one = await startGateway(shared);
    two = await startGateway(shared);
    const visitor = await one.chatting();
    const form = new FormData();
    form.append('file', new Blob(['%PDF-1.4\n%%EOF\n']), 'shared.pdf');
    const res = await fetch(`${one.url}/uploads`, {
      method: 'POST',
      headers: { 'Parley-Session': visitor.welcome.session! },
      body: form,
    });
    const { attachment } = await res.json();
    const sent = await call(visitor.socket, 'send', {
      clientId: 'shared-file',
      text: '',
      attachments: [attachment.id],
    });
    expect(sent.ok).toBe(true);
    const agent: Socket = (await two.agent(AGENTS[1]!.token)).socket;
    const opened = await call(agent, 'open', { conversationId: visitor.conversationId });
    const fromTwo = (opened.messages as Message[]).at(-1)!.attachments![0]!.url;
    for (const [base, url] of [
      [one.url, fromTwo],
      [two.url, sent.message.attachments[0].url],
    ]) {
      const download = await fetch(base + url);
      expect(download.status).toBe(200);
      expect(await download.text()).toBe('%PDF-1.4\n%%EOF\n');
    }
  });
});
