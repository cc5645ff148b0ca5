// @vitest-environment node
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgents, readConfig } from '../../../demo/server/config';
import { createGateway } from '../../../demo/server/gateway';
import { DEFAULT_LIMITS } from '../../../demo/server/limits';
import { createLogger } from '../../../demo/server/log';
import type { VisitorWelcome } from '../../../src/protocol';
import { call, nextEvent, startGateway } from '../../support/in-process-gateway';
import { bundleGateway, runNode } from '../../support/processes.mjs';

describe('configuration', () => {
  it('reads the documented defaults', () => {
    const config = readConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      dbPath: './data/parley.db',
      dbSync: 'normal',
      generatedToken: true,
      agentTokenFile: 'data/agent-token',
      origins: [],
      consoleOrigins: [],
      siteSecrets: new Map(),
      dbBusyTimeoutMs: 1000,
      logLevel: 'info',
      trustProxy: 0,
      limits: DEFAULT_LIMITS,
      maxSocketBufferBytes: 1024 * 1024,
    });
    // Absent: the gateway takes 75% of V8's heap limit.
    expect(config.memoryBudgetBytes).toBeUndefined();
    expect(DEFAULT_LIMITS).toMatchObject({
      socket: { burst: 200, perSecond: 20 },
      session: { burst: 300, perSecond: 30 },
      ip: { burst: 1000, perSecond: 100 },
      connectionsPerIp: 50,
      handshakesPerSecond: 1000,
      handshakesPerIp: { burst: 200, perSecond: 10 },
    });
    expect(config.agents).toHaveLength(1);
    expect(config.agents[0]!.name).toBe('Agent');
    expect(config.agents[0]!.token.length).toBeGreaterThanOrEqual(20);
    expect(readConfig({}).agents[0]!.token).not.toBe(config.agents[0]!.token);
  });

  it('reads every variable', () => {
    const config = readConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      PARLEY_DB: '/tmp/x.db',
      PARLEY_DB_SYNC: 'FULL',
      PARLEY_AGENTS: 'Ana:ana-token-0123456789-abcd, Ben:ben-token:0123456789-abcd',
      PARLEY_ORIGINS: 'https://a.example, acme=https://b.example,',
      PARLEY_CONSOLE_ORIGINS: ' https://console.example',
      PARLEY_SITE_SECRETS: `acme:${'a'.repeat(32)}, shop.example:${'b:c'.repeat(11)}`,
      PARLEY_DB_BUSY_TIMEOUT_MS: '250',
      PARLEY_LOG_LEVEL: 'DEBUG',
      PARLEY_TRUST_PROXY: '2',
      PARLEY_EMPTY_SESSION_TTL_HOURS: '2',
      PARLEY_SESSION_SWEEP_MINUTES: '5',
      PARLEY_MAX_CONNECTIONS_PER_IP: '0',
      PARLEY_HANDSHAKES_PER_SECOND: '2500',
      PARLEY_HANDSHAKES_PER_IP: '40/4',
      PARLEY_MAX_TCP_CONNECTIONS_PER_IP: '64',
      PARLEY_RATE_SOCKET: '50/5',
      PARLEY_RATE_SESSION: 'off',
      PARLEY_RATE_IP: '5000/0.5',
      PARLEY_MAX_SOCKET_BUFFER_KB: '2048',
      PARLEY_MEMORY_BUDGET_MB: '768',
      PARLEY_AGENT_TOKEN_FILE: ' /etc/parley/agent-token ',
      PARLEY_ASSIGN: 'round-robin',
      PARLEY_AGENT_CAPACITY: '3',
      PARLEY_ASSIGN_GRACE_S: '30',
      PARLEY_MAX_UPLOAD_MB: '2.5',
      PARLEY_UPLOADS_DIR: '/tmp/up',
      PARLEY_UPLOAD_STORAGE: 'Postgres',
      PARLEY_UPLOAD_TYPES: 'image/png, application/pdf',
      PARLEY_FILE_URL_SECRET: 's'.repeat(32),
      PARLEY_FILE_URL_TTL_MINUTES: '15',
    });
    expect(config).toEqual({
      port: 0,
      host: '0.0.0.0',
      dbPath: '/tmp/x.db',
      agentTokenFile: '/etc/parley/agent-token',
      dbSync: 'full',
      agents: [
        { name: 'Ana', token: 'ana-token-0123456789-abcd' },
        { name: 'Ben', token: 'ben-token:0123456789-abcd' },
      ],
      generatedToken: false,
      origins: ['https://a.example', 'acme=https://b.example'],
      consoleOrigins: ['https://console.example'],
      siteSecrets: new Map([
        ['acme', 'a'.repeat(32)],
        ['shop.example', 'b:c'.repeat(11)],
      ]),
      dbBusyTimeoutMs: 250,
      logLevel: 'debug',
      trustProxy: 2,
      emptySessionTtlMs: 2 * 60 * 60 * 1000,
      sessionSweepMs: 5 * 60 * 1000,
      limits: {
        ...DEFAULT_LIMITS,
        connectionsPerIp: 0,
        handshakesPerSecond: 2500,
        handshakesPerIp: { burst: 40, perSecond: 4 },
        tcpConnectionsPerIp: 64,
        socket: { burst: 50, perSecond: 5 },
        session: false,
        ip: { burst: 5000, perSecond: 0.5 },
      },
      maxSocketBufferBytes: 2048 * 1024,
      memoryBudgetBytes: 768 * 1024 * 1024,
      assignment: { mode: 'round-robin', capacity: 3, graceMs: 30_000 },
      attachments: {
        maxUploadBytes: 2.5 * 1024 * 1024,
        uploadsDir: '/tmp/up',
        uploadStorage: 'postgres',
        uploadTypes: ['image/png', 'application/pdf'],
        fileUrlSecret: 's'.repeat(32),
        fileUrlTtlMs: 15 * 60 * 1000,
      },
    });
  });

  it('refuses attachment settings that would weaken the allowlist, the secret or the limit', () => {
    expect(() => readConfig({ PARLEY_UPLOAD_TYPES: 'image/svg+xml' })).toThrow(/PARLEY_UPLOAD_TYPES/);
    expect(() => readConfig({ PARLEY_UPLOAD_TYPES: 'text/html' })).toThrow(/PARLEY_UPLOAD_TYPES/);
    expect(() => readConfig({ PARLEY_FILE_URL_SECRET: 'short' })).toThrow(/PARLEY_FILE_URL_SECRET/);
    expect(() => readConfig({ PARLEY_MAX_UPLOAD_MB: '-1' })).toThrow(/PARLEY_MAX_UPLOAD_MB/);
    expect(() => readConfig({ PARLEY_UPLOAD_STORAGE: 's3' })).toThrow(/PARLEY_UPLOAD_STORAGE/);
  });

  it('rejects malformed values with a message that names the variable and never echoes a token', () => {
    for (const bad of ['Ana', 'Ana:', ':hunter2', 'Ana:hunter2,,Ben:x', 'Ana:hunter2,Ana:other']) {
      expect(() => parseAgents(bad), bad).toThrow(/PARLEY_AGENTS/);
      try {
        parseAgents(bad);
      } catch (err) {
        expect((err as Error).message).not.toContain('hunter2');
      }
    }
    expect(() => readConfig({ PORT: 'http' })).toThrow(/PORT/);
    expect(() => readConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => readConfig({ PARLEY_DB_SYNC: 'off' })).toThrow(/PARLEY_DB_SYNC/);
    expect(() => readConfig({ PARLEY_LOG_LEVEL: 'loud' })).toThrow(/PARLEY_LOG_LEVEL/);
    expect(() => readConfig({ PARLEY_TRUST_PROXY: 'yes' })).toThrow(/PARLEY_TRUST_PROXY/);
    expect(() => readConfig({ PARLEY_MAX_CONNECTIONS_PER_IP: '-1' })).toThrow(/PARLEY_MAX_CONNECTIONS_PER_IP/);
    expect(() => readConfig({ PARLEY_HANDSHAKES_PER_SECOND: '1e3' })).toThrow(/PARLEY_HANDSHAKES_PER_SECOND/);
    expect(() => readConfig({ PARLEY_HANDSHAKES_PER_IP: '100' })).toThrow(/PARLEY_HANDSHAKES_PER_IP/);
    expect(readConfig({ PARLEY_HANDSHAKES_PER_IP: 'off' }).limits.handshakesPerIp).toBe(false);
    expect(() => readConfig({ PARLEY_MAX_TCP_CONNECTIONS_PER_IP: 'many' })).toThrow(
      /PARLEY_MAX_TCP_CONNECTIONS_PER_IP/,
    );
    expect(() => readConfig({ PARLEY_DB_BUSY_TIMEOUT_MS: '1.5' })).toThrow(/PARLEY_DB_BUSY_TIMEOUT_MS/);
    // Less than two pages of replies, or not an integer.
    for (const bad of ['511', '0', '1.5e3', '1MB']) {
      expect(() => readConfig({ PARLEY_MAX_SOCKET_BUFFER_KB: bad }), bad).toThrow(/PARLEY_MAX_SOCKET_BUFFER_KB/);
    }
    for (const bad of ['0', '-1', '1.5', '2GB']) {
      expect(() => readConfig({ PARLEY_MEMORY_BUDGET_MB: bad }), bad).toThrow(/PARLEY_MEMORY_BUDGET_MB/);
    }
    for (const bad of ['200', '200/0', '0/5', 'fast', '200/20/2']) {
      expect(() => readConfig({ PARLEY_RATE_SESSION: bad }), bad).toThrow(
        /PARLEY_RATE_SESSION must be BURST\/PER_SECOND/,
      );
    }
  });

  it('refuses invalid gateway options before opening anything', async () => {
    const base = {
      dbPath: ':memory:',
      distDir: tmpdir(),
      agents: [{ name: 'Ana', token: 'ana-token-0123456789-abcd' }],
    };
    await expect(createGateway({ ...base, origins: ['not a url'] })).rejects.toThrow(/invalid origin/);
    await expect(
      createGateway({ ...base, agents: [base.agents[0]!, { name: 'Ana', token: 'ana-token-0123456789-wxyz' }] }),
    ).rejects.toThrow(/twice/);
    await expect(createGateway({ ...base, maxSocketBufferBytes: 64 * 1024 })).rejects.toThrow(/maxSocketBufferBytes/);
  });
});

describe('gateway lifecycle', () => {
  it('closes idempotently: disconnects sockets, then closes the store', async () => {
    const fx = await startGateway();
    const { socket } = await fx.visitor();
    const ack = await call(socket, 'send', { clientId: 'before-close', text: 'kept' });
    expect(ack.ok).toBe(true);
    const disconnected = nextEvent(socket, 'disconnect');
    await Promise.all([fx.gateway.close(), fx.gateway.close()]);
    // Not 'io server disconnect': that reason tells socket.io-client never to reconnect, and after a restart it must.
    expect(await disconnected).toBe('transport close');
    await expect(fx.gateway.store.listConversations()).rejects.toThrow();
    expect(fx.gateway.server.listening).toBe(false);
    await fx.restart();
    const agent = await fx.agent();
    const opened = await call(agent.socket, 'open', { conversationId: (await fx.chatting()).conversationId });
    expect(opened.ok).toBe(true);
    const list = await call(agent.socket, 'list', {});
    expect(list.conversations.some((c: { lastMessage?: { text: string } }) => c.lastMessage?.text === 'kept')).toBe(
      true,
    );
    await fx.stop();
  });

  it('refuses the default namespace', async () => {
    const fx = await startGateway();
    const socket = io(fx.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    const err = await new Promise<Error>((resolve) => socket.on('connect_error', resolve));
    expect(err.message).toMatch(/visitor|agent/);
    socket.close();
    await fx.stop();
  });

  it('never logs tokens or message text', async () => {
    const lines: string[] = [];
    const fx = await startGateway({ logger: createLogger('debug', (line) => lines.push(line)) });
    const { socket, welcome } = await fx.visitor();
    await call(socket, 'send', { clientId: 'secret-msg-1', text: 'my card is 4111' });
    await fx.refused('/agent', { auth: { token: 'guessed-token-xyz' } });
    await fx.gateway.store.close();
    await call(socket, 'send', { clientId: 'secret-msg-2', text: 'my pin is 9876' });
    await fx.stop();
    const all = lines.join('\n');
    expect(lines.length).toBeGreaterThan(2);
    expect(all).toContain('storage failed');
    for (const secret of [welcome.session!, '4111', '9876', 'guessed-token-xyz', 'ana-secret-token']) {
      expect(all).not.toContain(secret);
    }
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('level');
  });
});

describe('main.ts, bundled as the build ships it', () => {
  let dir: string;
  let entry: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-main-'));
    entry = await bundleGateway(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** main.ts with `env` only (no variable of this process leaks in), on a free port and a database in `dir`. */
  const run = (env: Record<string, string>) =>
    runNode({
      script: entry,
      cwd: dir,
      inheritEnv: false,
      env: { PATH: process.env.PATH ?? '', PORT: '0', PARLEY_DB: join(dir, 'data', 'p.db'), ...env },
    });
  const exitCode = async (gw: ReturnType<typeof run>) => (await gw.exited).code;

  it('prints the URL and a generated token, serves /healthz and exits 0 on SIGTERM', async () => {
    const gw = run({});
    const [, url] = await gw.waitFor(/^Parley gateway listening on (http:\/\/127\.0\.0\.1:\d+)$/m);
    const [, token] = await gw.waitFor(/\/agent \(sign in with the token (\S+) /);
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toMatchObject({ ok: true });
    const agent = io(`${url}/agent`, {
      auth: { token },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    expect(await nextEvent(agent, 'welcome')).toMatchObject({ name: 'Agent' });
    agent.close();
    gw.child.kill('SIGTERM');
    expect(await exitCode(gw)).toBe(0);
  });

  it('keeps the generated token beside the database (mode 0600), so a restart signs no one out', async () => {
    const env = { PARLEY_DB: join(dir, 'kept', 'p.db') };
    const first = run(env);
    const [, token] = await first.waitFor(/\/agent \(sign in with the token (\S+) /);
    first.child.kill('SIGTERM');
    expect(await exitCode(first)).toBe(0);
    const file = join(dir, 'kept', 'agent-token');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(token);

    const second = run(env);
    const [, url] = await second.waitFor(/listening on (http:\S+)/);
    const [, again] = await second.waitFor(/\/agent \(sign in with the token (\S+) /);
    expect(again).toBe(token);
    const agent = io(`${url}/agent`, {
      auth: { token },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    expect(await nextEvent(agent, 'welcome')).toMatchObject({ name: 'Agent' });
    agent.close();
    second.child.kill('SIGTERM');
    await second.exited;

    // A token file others may read is refused, naming the file and not its content.
    await chmod(file, 0o644);
    const third = run(env);
    expect(await exitCode(third)).toBe(1);
    expect(third.output()).toContain('readable by other users');
    expect(third.output()).not.toContain(token);
  });

  it('keeps every acknowledged message through kill -9', async () => {
    const env = { PARLEY_AGENTS: 'Ana:ana-token-0123456789-abcd', PARLEY_DB: join(dir, 'crash', 'p.db') };
    const first = run(env);
    const [, url] = await first.waitFor(/listening on (http:\S+)/);
    const visitor = io(`${url}/visitor`, { auth: { v: 1, site: 'acme' }, transports: ['websocket'], forceNew: true });
    const welcome = await nextEvent<VisitorWelcome>(visitor, 'welcome');
    const acks = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(visitor, 'send', { clientId: `crash-msg-${i}`, text: `n${i}` })),
    );
    expect(acks.every((a) => a.ok)).toBe(true);
    first.child.kill('SIGKILL');
    await first.exited;
    visitor.close();

    const second = run(env);
    const [, url2] = await second.waitFor(/listening on (http:\S+)/);
    const back = io(`${url2}/visitor`, {
      auth: { v: 1, site: 'acme', session: welcome.session, lastSeq: 0 },
      transports: ['websocket'],
      forceNew: true,
    });
    const again = await nextEvent<VisitorWelcome>(back, 'welcome');
    expect(again.conversationId).toBe(acks[0].message.conversationId);
    expect(again.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    back.close();
    second.child.kill('SIGTERM');
    expect(await exitCode(second)).toBe(0);
  });

  it('names PARLEY_AGENTS and exits 1 when it is malformed', async () => {
    const gw = run({ PARLEY_AGENTS: 'Ana-without-token' });
    expect(await exitCode(gw)).toBe(1);
    expect(gw.output()).toMatch(/PARLEY_AGENTS entry 1 is malformed/);
    const named = run({ PARLEY_AGENTS: 'Ana:hunter2-hunter3-0123456789' });
    await named.waitFor(/sign in with a token from PARLEY_AGENTS/);
    expect(named.output()).not.toContain('hunter2-hunter3');
    // main.ts installs its signal handlers just after printing that line: an answered request shows it got past them.
    const [, url] = await named.waitFor(/listening on (http:\S+)/);
    await fetch(`${url}/healthz`);
    named.child.kill('SIGINT');
    expect(await exitCode(named)).toBe(0);
  });

  it('refuses to start with a weak agent token, naming the agent and not the token', async () => {
    const gw = run({ PARLEY_AGENTS: 'Ana:ana-token-0123456789-abcd,Weak:hunter2' });
    expect(await exitCode(gw)).toBe(1);
    expect(gw.output()).toMatch(/cannot start: the token of agent "Weak" is too weak: use at least 24 characters/);
    expect(gw.output()).not.toContain('hunter2');
  });
});
