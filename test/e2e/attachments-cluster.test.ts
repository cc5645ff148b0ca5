// Attachments (issue 16) on the shared storage with two real gateway processes: a file uploaded through one process
// is served by the other, and a download URL signed by either verifies on both, because the bytes and the signing
// secret live in PostgreSQL (PARLEY_UPLOAD_STORAGE=postgres). In-process gateways share one Node process (and could
// share state by accident); separate OS processes prove nothing but the database and Redis is shared.
// Needs PARLEY_TEST_DATABASE_URL and PARLEY_TEST_REDIS_URL; skipped, with the reason printed, without them.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationSummary, Message, UploadedFile, VisitorWelcome } from '../../src/protocol';
import { clusterUnavailable, DATABASE_URL, REDIS_URL } from '../support/cluster';
import { connectAgent, type RunningGateway, startGateway } from '../support/gateway';

const reason = await clusterUnavailable();
if (reason) console.warn(`attachments across gateway processes skipped: ${reason}`);

const PDF = `%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n% ${randomBytes(16).toString('hex')}\n%%EOF\n`;

describe.skipIf(reason !== undefined)('attachments on the shared storage across two gateway processes', () => {
  const schema = `parley_attc_${randomBytes(4).toString('hex')}`;
  const env = {
    DATABASE_URL: DATABASE_URL ?? '',
    PARLEY_DB_SCHEMA: schema,
    REDIS_URL: REDIS_URL ?? '',
    PARLEY_REDIS_PREFIX: `parley-attc-${randomBytes(4).toString('hex')}`,
    PARLEY_UPLOAD_STORAGE: 'postgres',
    PARLEY_LOG_LEVEL: 'warn',
  };
  const gateways: RunningGateway[] = [];
  const sockets: Socket[] = [];
  let a: RunningGateway;
  let b: RunningGateway;

  beforeAll(async () => {
    // One after the other: the first creates the schema and the secret, the second finds them.
    a = await startGateway({ env });
    gateways.push(a);
    b = await startGateway({ env });
    gateways.push(b);
  }, 60_000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all(gateways.map((g) => g.stop()));
    const db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
  }, 60_000);

  async function visitorOn(gateway: RunningGateway): Promise<{ socket: Socket; welcome: VisitorWelcome }> {
    const socket = io(`${gateway.url}/visitor`, {
      auth: { v: 1, site: 'demo' },
      transports: ['websocket'],
      forceNew: true,
    });
    sockets.push(socket);
    const welcome = await new Promise<VisitorWelcome>((resolve, reject) => {
      socket.once('welcome', resolve);
      socket.once('connect_error', reject);
    });
    return { socket, welcome };
  }

  const bytesOf = async (gateway: RunningGateway, url: string) => {
    const res = await fetch(gateway.url + url);
    return { status: res.status, body: res.status === 200 ? await res.text() : '' };
  };

  it('a file uploaded through A is served by B, and URLs signed by either process verify on the other', async () => {
    const agent = await connectAgent(b.url);
    sockets.push(agent);
    const visitor = await visitorOn(a);
    const opening = await visitor.socket.timeout(10_000).emitWithAck('send', { clientId: 'attc-open', text: 'hi' });
    expect(opening.ok).toBe(true);
    const conversationId: string = opening.message.conversationId;

    const form = new FormData();
    form.append('file', new Blob([PDF], { type: 'application/pdf' }), 'invoice.pdf');
    const res = await fetch(`${a.url}/uploads`, {
      method: 'POST',
      headers: { 'Parley-Session': visitor.welcome.session! },
      body: form,
    });
    expect(res.status).toBe(201);
    const { attachment } = (await res.json()) as { attachment: UploadedFile };

    // The agent on B gets the message through Redis; wait for it rather than for a fixed time.
    const seenOnB = new Promise<Message>((resolve) =>
      agent.on('message', (m: Message) => m.clientId === 'attc-file' && resolve(m)),
    );
    const ack = await visitor.socket
      .timeout(10_000)
      .emitWithAck('send', { clientId: 'attc-file', text: '', attachments: [attachment.id] });
    expect(ack.ok).toBe(true);
    const signedByA = (ack.message as Message).attachments![0]!.url;
    const onB = await seenOnB;
    expect(onB.attachments).toMatchObject([{ id: attachment.id, name: 'invoice.pdf', type: 'application/pdf' }]);

    expect(await bytesOf(b, onB.attachments![0]!.url)).toEqual({ status: 200, body: PDF });
    expect(await bytesOf(b, signedByA)).toEqual({ status: 200, body: PDF });

    // History opened on B mints URLs with B's signer; A serves them too.
    const opened = await agent.timeout(10_000).emitWithAck('open', { conversationId });
    const fromHistory = (opened.messages as Message[]).find((m) => m.clientId === 'attc-file')!;
    const signedByB = fromHistory.attachments![0]!.url;
    expect(await bytesOf(a, signedByB)).toEqual({ status: 200, body: PDF });

    // The list built from PostgreSQL previews the files-only message by its file.
    const { conversations } = await agent.timeout(10_000).emitWithAck('list', {});
    const summary = (conversations as ConversationSummary[]).find((c) => c.id === conversationId)!;
    expect(summary.lastMessage?.files).toEqual({ count: 1, name: 'invoice.pdf' });

    // Verification is real on B: an altered signature is refused there.
    const forged = new URL(signedByA, b.url);
    const sig = forged.searchParams.get('sig')!;
    forged.searchParams.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    expect((await fetch(forged)).status).toBe(403);
  }, 60_000);
});
