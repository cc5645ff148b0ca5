// @vitest-environment node
import Database from 'better-sqlite3';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED } from '../../../demo/server/log';
import { AGENTS, call, startGateway } from '../../support/in-process-gateway';

function capture(level: Parameters<typeof createLogger>[0] = 'debug') {
  const lines: string[] = [];
  const logger = createLogger(level, (line) => lines.push(line));
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line)) };
}

describe('logger', () => {
  it('writes one JSON object per line with a level name, an ISO time and the message, from the chosen level up', () => {
    const { logger, lines, entries } = capture('warn');
    logger.debug('hidden');
    logger.info('hidden too');
    logger.warn('disk almost full', { percent: 97 });
    logger.error('disk full');
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    expect(entries()).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'disk almost full', percent: 97, pid: process.pid }),
      expect.objectContaining({ level: 'error', msg: 'disk full' }),
    ]);
    expect(new Date(entries()[0].time).toISOString()).toBe(entries()[0].time);
    const silent = capture('silent');
    silent.logger.error('nothing');
    expect(silent.lines).toEqual([]);
  });

  it('redacts fields named like secrets and values that look like tokens, at any depth, errors included', () => {
    const { logger, lines, entries } = capture();
    const session = 'q7Jc0aZ3mT1xYfP9bK2LwN4sV8dR6gH5eU0iO3pA1zC';
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const hash = 'a'.repeat(64);
    const err = new Error(`session ${session} could not be resumed`);
    logger.error('handshake failed', {
      token: 'hunter2',
      auth: { token: 'agent-token-1' },
      handshake: { auth: { session }, headers: { authorization: 'Bearer abc.def.ghi', cookie: 'sid=1' } },
      payload: { text: 'my card is 4111 1111 1111 1111', body: 'hello', userToken: jwt },
      note: `user presented ${jwt} and Bearer xyz123`,
      sessionHash: hash,
      err,
      conversationId: '0b0e6c52-2f39-4a6e-9a0f-4ad1b3b4c0de',
    });
    const all = lines.join('');
    for (const secret of ['hunter2', 'agent-token-1', session, jwt, 'abc.def.ghi', 'sid=1', '4111', 'hello', hash]) {
      expect(all).not.toContain(secret);
    }
    expect(all).not.toContain('xyz123');
    const [entry] = entries();
    expect(entry).toMatchObject({
      token: REDACTED,
      auth: REDACTED,
      handshake: { auth: REDACTED, headers: { authorization: REDACTED, cookie: REDACTED } },
      payload: { text: REDACTED, body: REDACTED, userToken: REDACTED },
      sessionHash: REDACTED,
      err: { type: 'Error', message: `session ${REDACTED} could not be resumed` },
      // Ids stay readable: they are what makes a log line useful.
      conversationId: '0b0e6c52-2f39-4a6e-9a0f-4ad1b3b4c0de',
    });
    expect(entry.err.stack).toContain('log.test.ts');
  });

  it('logs hostile field values as plain data: __proto__ keys, cycles of depth, huge strings', () => {
    const { logger, entries } = capture();
    const deep: Record<string, unknown> = {};
    let cursor = deep;
    for (let i = 0; i < 50; i++) {
      cursor.next = {};
      cursor = cursor.next as Record<string, unknown>;
    }
    logger.info('odd', {
      ...JSON.parse('{"__proto__": {"polluted": true}}'),
      deep,
      big: 'x '.repeat(50_000),
      n: 10n,
    });
    const [entry] = entries();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(entry, '__proto__')).toBe(true);
    expect(JSON.stringify(entry.deep)).toContain('[nested]');
    expect(entry.big.length).toBeLessThanOrEqual(4001);
    expect(entry.n).toBe('10');
  });
});

describe('gateway logs', () => {
  it('never contain message bodies, session tokens, user tokens, agent tokens or site secrets', async () => {
    const secret = 's'.repeat(40);
    const { logger, lines } = capture();
    const fx = await startGateway({ logger, siteSecrets: { acme: secret }, dbBusyTimeoutMs: 50 });
    const userToken = await new SignJWT({ sub: 'user-7', name: 'Ada' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
    const forged = `${userToken.slice(0, -4)}AAAA`;
    const { socket, welcome } = await fx.visitor({ userToken });
    await fx.visitor({ userToken: forged });
    await fx.visitor({ session: 'forged-session-token-value' });
    await call(socket, 'send', { clientId: 'secret-msg-1', text: 'password is swordfish' });
    await fx.refused('/agent', { auth: { token: 'guessed-agent-token' } });
    const agent = await fx.agent();
    await call(agent.socket, 'send', {
      conversationId: welcome.conversationId,
      clientId: 'agent-msg-1',
      text: 'your code is 424242',
    });
    const locker = new Database(fx.dbPath);
    locker.exec('BEGIN EXCLUSIVE');
    await call(socket, 'send', { clientId: 'secret-msg-2', text: 'pin 9876' });
    locker.exec('ROLLBACK');
    locker.close();
    await fx.gateway.store.close();
    await call(socket, 'send', { clientId: 'secret-msg-3', text: 'mother maiden name Smith' });
    await fx.stop();

    const all = lines.join('');
    expect(all).toContain('storage failed');
    expect(all).toContain('user token refused');
    expect(all).toContain('agent sign-in refused');
    for (const leaked of [
      welcome.session!,
      userToken,
      forged,
      secret,
      'forged-session-token-value',
      'guessed-agent-token',
      AGENTS[0]!.token,
      'swordfish',
      '424242',
      '9876',
      'Smith',
    ]) {
      expect(all).not.toContain(leaked);
    }
  });
});
