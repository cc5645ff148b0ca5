// @vitest-environment node
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../demo/server/log';
import type { ErrorCode, Message } from '../../../src/protocol';
import { AGENTS, call, collect, type Fixture, nextEvent, settle, startGateway } from '../../support/in-process-gateway';

/**
 * Protocol fuzzing: thousands of random and malformed events on both namespaces (random names, payloads with
 * `__proto__` and `constructor` keys, wrong types, missing fields, huge numbers and strings, binary attachments, near
 * misses of valid payloads), malformed Socket.IO packets, and random handshakes. Then: the gateway is alive, every
 * refusal was a documented code and never `internal` or `storage_error`, nothing was logged as an error, the database
 * is consistent and holds exactly the messages that were acknowledged or broadcast, and legitimate clients still work.
 *
 * Rate limits are off here so that every event reaches validation; they have their own tests.
 */

const EXPECTED_REFUSALS: ErrorCode[] = [
  'invalid_payload',
  'unknown_event',
  'message_too_long',
  'not_found',
  'unknown_agent',
];
const VISITOR_EVENTS = ['send', 'history', 'typing', 'read', 'page'];
const AGENT_EVENTS = [
  'list',
  'open',
  'send',
  'typing',
  'read',
  'setStatus',
  'presence',
  'assign',
  'note',
  'search',
  'cannedList',
  'cannedSave',
  'cannedDelete',
  'context',
];
const FIELDS = [
  'conversationId',
  'clientId',
  'text',
  'seq',
  'afterSeq',
  'typing',
  'status',
  'url',
  'title',
  'limit',
  'agent',
  'view',
];
const NASTY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'then', 'toJSON'];
/** socket.io-client refuses to emit these; the raw-packet phase sends them. */
const RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);
const ODD_EVENT_NAMES = [
  ...NASTY_KEYS,
  'error',
  'message',
  'welcome',
  'join',
  'leave',
  '',
  ' send',
  'SEND',
  'send\u0000',
];

let fx: Fixture;
let errors: unknown[];
let realConversations: string[];

beforeAll(async () => {
  errors = [];
  const logger = createLogger('warn', (line) => {
    const entry = JSON.parse(line);
    if (entry.level === 'error') errors.push(entry);
  });
  fx = await startGateway({
    logger,
    limits: {
      socket: false,
      session: false,
      ip: false,
      connectionsPerIp: 0,
      handshakesPerSecond: 0,
      handshakesPerIp: false,
      agentAuthFailures: false,
    },
  });
});
afterAll(async () => {
  await fx.stop();
});

/** Binary attachments in a value: Socket.IO closes a connection sending more than 10 in one event (phase 2 does). */
function attachments(value: unknown, depth = 0): number {
  if (value instanceof Uint8Array) return 1;
  if (depth > 20 || !value || typeof value !== 'object') return 0;
  return Object.values(value).reduce((n: number, v) => n + attachments(v, depth + 1), 0);
}

/** Rough size of a value once serialised, to stay under the payload limit (its own test covers going over it). */
function size(value: unknown, depth = 0): number {
  if (depth > 20) return Number.POSITIVE_INFINITY;
  if (typeof value === 'string') return value.length * 3;
  if (value instanceof Uint8Array) return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + size(v, depth + 1), 2);
  if (value && typeof value === 'object') {
    return Object.keys(value).reduce(
      (n, k) => n + k.length + size((value as Record<string, unknown>)[k], depth + 1),
      2,
    );
  }
  return 24;
}

function arbitraries(conversations: string[]) {
  const clientId = fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/);
  const conversationId = fc.oneof(fc.constantFrom(...conversations), fc.uuid(), fc.stringMatching(/^[\w-]{1,64}$/));
  const text = fc.oneof(fc.string({ minLength: 1, maxLength: 80 }), fc.constantFrom('hello', '  padded  '));
  const leaf = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.integer(),
    fc.double(),
    fc.constantFrom(
      -1,
      -0,
      0.5,
      2 ** 53,
      Number.MAX_SAFE_INTEGER + 2,
      1e308,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.MIN_VALUE,
    ),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constantFrom(
      'x'.repeat(4001),
      ' '.repeat(5000),
      'y'.repeat(12_000),
      '\u0000',
      '\uD800',
      '<script>parent.__pwned=1</script>',
      'javascript:alert(1)',
      '../../etc/passwd',
      "'; DROP TABLE messages; --",
      '%s%n%x',
    ),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    clientId,
    conversationId,
  );
  const key = fc.oneof(fc.constantFrom(...NASTY_KEYS, ...FIELDS), fc.string({ maxLength: 12 }));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 5 }),
    ),
  }));
  /** Valid payloads with any field replaced, dropped, or joined by extra keys. */
  const nearMiss = (fields: Record<string, fc.Arbitrary<unknown>>) =>
    fc
      .tuple(
        fc.record(
          Object.fromEntries(
            Object.entries(fields).map(([k, valid]) => [k, fc.oneof({ weight: 3, arbitrary: valid }, value)]),
          ),
          { requiredKeys: [] },
        ),
        fc.dictionary(key, value, { maxKeys: 2 }),
      )
      .map(([payload, extra]) => Object.assign(extra, payload));
  const seq = fc.oneof(fc.nat(5), fc.nat());
  const visitorPayloads: Record<string, fc.Arbitrary<unknown>> = {
    send: nearMiss({ clientId, text }),
    history: nearMiss({ afterSeq: seq }),
    typing: nearMiss({ typing: fc.boolean() }),
    read: nearMiss({ seq }),
    page: nearMiss({ url: fc.webUrl(), title: fc.string({ maxLength: 40 }) }),
  };
  const agentPayloads: Record<string, fc.Arbitrary<unknown>> = {
    list: nearMiss({
      status: fc.constantFrom('open', 'resolved', 'all'),
      limit: fc.integer({ min: 1, max: 500 }),
      view: fc.constantFrom('mine', 'unassigned', 'all'),
    }),
    open: nearMiss({ conversationId, afterSeq: seq }),
    send: nearMiss({ conversationId, clientId, text }),
    typing: nearMiss({ conversationId, typing: fc.boolean() }),
    read: nearMiss({ conversationId, seq }),
    setStatus: nearMiss({ conversationId, status: fc.constantFrom('open', 'resolved') }),
    presence: nearMiss({ status: fc.constantFrom('online', 'away') }),
    assign: nearMiss({ conversationId, agent: fc.constantFrom('Ana', 'Ben', 'Zoe', null) }),
    note: nearMiss({ conversationId, clientId, text }),
    // Full-text syntax must never reach SQLite's MATCH (or PostgreSQL's to_tsquery) as a storage_error.
    search: nearMiss({ query: fc.oneof(text, fc.constantFrom('"', '*', 'NEAR(', 'a OR b', '-x', ':*', '^', '"a"*')) }),
    cannedList: nearMiss({}),
    cannedSave: nearMiss({
      shortcut: fc.constantFrom('hi', 'Hi There', ''),
      text: fc.oneof(text, fc.constant('{{x}}')),
    }),
    cannedDelete: nearMiss({ id: conversationId }),
    context: nearMiss({ conversationId }),
  };
  const event = (names: string[], payloads: Record<string, fc.Arbitrary<unknown>>) =>
    fc.oneof(
      // Known events with near-miss payloads (plus sometimes a second argument).
      {
        weight: 6,
        arbitrary: fc
          .constantFrom(...names)
          .chain((name) =>
            fc.record({ name: fc.constant(name), args: fc.tuple(payloads[name]!, fc.array(value, { maxLength: 1 })) }),
          )
          .map(({ name, args: [payload, more] }) => ({ name, args: [payload, ...more] })),
      },
      // Known events with anything at all, or nothing.
      { weight: 2, arbitrary: fc.record({ name: fc.constantFrom(...names), args: fc.array(value, { maxLength: 3 }) }) },
      // Names that do not exist in the namespace.
      {
        weight: 2,
        arbitrary: fc.record({
          name: fc.oneof(
            fc.constantFrom(...ODD_EVENT_NAMES, ...VISITOR_EVENTS, ...AGENT_EVENTS),
            fc.string({ maxLength: 30 }).filter((name) => !RESERVED.has(name)),
          ),
          args: fc.array(value, { maxLength: 2 }),
        }),
      },
    );
  const withAck = <T extends { name: string; args: unknown[] }>(arb: fc.Arbitrary<T>) =>
    fc
      .tuple(arb, fc.boolean())
      .map(([e, ack]) => ({ ...e, ack }))
      .filter((e) => size(e.args) < 40_000 && attachments(e.args) <= 10);
  const object = value.filter(
    (v): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array),
  );
  return {
    value,
    visitorEvent: withAck(event(VISITOR_EVENTS, visitorPayloads)),
    agentEvent: withAck(event(AGENT_EVENTS, agentPayloads)),
    visitorAuth: fc.oneof(
      object,
      nearMiss({
        v: fc.constant(1),
        site: fc.constantFrom('acme', 'globex', ''),
        session: fc.string({ maxLength: 60 }),
        lastSeq: seq,
        page: fc.record({ url: fc.webUrl(), title: fc.string() }),
        locale: fc.constantFrom('en', 'de-DE', '<x>'),
        userToken: fc.string({ maxLength: 60 }),
      }),
    ),
    agentAuth: fc.oneof(object, nearMiss({ token: fc.oneof(fc.constantFrom(...AGENTS.map((a) => a.token)), value) })),
  };
}

/** A refused or accepted ack must be well formed; returns the stored message of an accepted send. */
function checkAck(ack: unknown, event: string): Message | undefined {
  expect(ack, event).toBeTypeOf('object');
  const a = ack as { ok: unknown; code?: unknown; message?: unknown };
  expect(typeof a.ok, JSON.stringify(ack)).toBe('boolean');
  if (a.ok === false) {
    expect(EXPECTED_REFUSALS, JSON.stringify(ack)).toContain(a.code);
    expect(typeof a.message).toBe('string');
    expect((a.message as string).length).toBeGreaterThan(0);
    expect((a.message as string).length).toBeLessThan(300);
    return undefined;
  }
  return event === 'send' ? (ack as { message: Message }).message : undefined;
}

function client(namespace: string, auth: unknown): Socket {
  return io(`${fx.url}${namespace}`, {
    auth: auth as Record<string, unknown>,
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
}

async function connected(socket: Socket): Promise<Socket> {
  await nextEvent(socket, 'welcome', () => true, 5000);
  return socket;
}

describe('protocol fuzzing', () => {
  it('survives thousands of random events, malformed packets and handshakes with its data and clients intact', async () => {
    const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
    // Legitimate clients, connected throughout.
    const alice = await fx.chatting();
    const bob = await fx.chatting();
    const monitor = await fx.agent(AGENTS[1]!.token);
    const broadcast = collect<Message>(monitor.socket, 'message');
    realConversations = [alice.conversationId, bob.conversationId];
    const arb = arbitraries(realConversations);

    // 1. Events on both namespaces, in batches sent without waiting, from two visitors and one agent.
    const attackers = {
      visitors: [
        await connected(client('/visitor', { v: 1, site: 'acme' })),
        await connected(client('/visitor', { v: 1, site: 'acme' })),
      ],
      agent: await connected(client('/agent', { token: AGENTS[0]!.token })),
    };
    const accepted = new Map<string, Message>();
    // Their first messages, which created their conversations, were acknowledged.
    for (const v of [alice, bob]) accepted.set(v.opening.id, v.opening);
    let events = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            arb.visitorEvent.map((e) => ({ ...e, ns: 'visitor' as const })),
            arb.agentEvent.map((e) => ({ ...e, ns: 'agent' as const })),
          ),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        fc.nat(1),
        async (batch, which) => {
          const pending: Promise<void>[] = [];
          for (const e of batch) {
            const socket = e.ns === 'agent' ? attackers.agent : attackers.visitors[which]!;
            events++;
            if (!e.ack) {
              socket.emit(e.name, ...e.args);
              continue;
            }
            pending.push(
              socket
                .timeout(5000)
                .emitWithAck(e.name, ...e.args)
                .then((ack: unknown) => {
                  const message = checkAck(ack, e.name);
                  if (message) accepted.set(message.id, message);
                }),
            );
          }
          await Promise.all(pending);
          expect(attackers.agent.connected && attackers.visitors.every((s) => s.connected)).toBe(true);
        },
      ),
      { numRuns: 500, endOnFailure: true },
    );
    expect(events).toBeGreaterThan(2000);

    // 2. Malformed Socket.IO packets written straight onto the connection. A packet the parser cannot read costs
    // the sender its connection, nothing more.
    const packet = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ maxLength: 60 }).map((s) => `2/visitor,${s}`),
      fc.string({ maxLength: 60 }).map((s) => `2/visitor,["send",${s}`),
      fc.nat(60).map((n) => `2/visitor,["send",${'['.repeat(n * 100)}`),
      // Deep but well-formed nesting, with an ack id so the gateway must answer it.
      fc.nat(15_000).map((n) => `2/visitor,7["send",${'['.repeat(n)}${']'.repeat(n)}]`),
      fc.nat(5_000).map((n) => `2/visitor,8["history",${'{"a":'.repeat(n)}1${'}'.repeat(n)}]`),
      fc.constantFrom(
        '2/visitor,["__proto__",{"__proto__":{"polluted":true}}]',
        '2/visitor,["constructor",{"prototype":{"polluted":true}}]',
        '2/visitor,99999999999999999999999["send",{"clientId":"raw-packet-01","text":"x"}]',
        '2/visitor,-1["history",{"afterSeq":0}]',
        '5/visitor,1-["send",{"_placeholder":true,"num":99}]',
        '5/visitor,999999999-["send",{"_placeholder":true,"num":0}]',
        '511-/visitor,["send",{"_placeholder":true,"num":0}]',
        '51-/visitor,["send",{"_placeholder":true,"num":"__proto__"}]',
        '4/visitor,{"message":"spoofed"}',
        '3/visitor,0[{"ok":true}]',
        '0/agent,{"token":{"$gt":""}}',
        '0/visitor,{"v":1,"site":"acme","session":{"toString":1}}',
        '0/nope,{}',
        '1/visitor,',
        '9',
        '',
      ),
    );
    let raw = await connected(client('/visitor', { v: 1, site: 'acme' }));
    let closedByGateway = 0;
    for (const p of fc.sample(packet, 400)) {
      raw.io.engine.send(p);
      // A probe tells whether the connection survived: its ack, or the disconnect. A client that disconnected its
      // own namespace ('1/visitor,') gets no answer at all; it keeps a bare connection, counted against its address.
      const outcome = await Promise.race([
        raw
          .timeout(300)
          .emitWithAck('history', { afterSeq: 0 })
          .then((ack: unknown) => {
            expect(ack).toMatchObject({ ok: true });
            return 'alive';
          }),
        new Promise<string>((resolve) => raw.once('disconnect', () => resolve('closed'))),
      ]).catch(() => 'closed');
      if (outcome === 'closed') {
        closedByGateway++;
        raw.close();
        raw = await connected(client('/visitor', { v: 1, site: 'acme' }));
      }
    }
    raw.close();
    expect(closedByGateway).toBeGreaterThan(0);

    // 3. Handshakes with random auth on both namespaces: a welcome, or a refusal with a documented code.
    const handshakes = [
      ...fc.sample(arb.visitorAuth, 120).map((auth) => ['/visitor', auth] as const),
      ...fc.sample(arb.agentAuth, 120).map((auth) => ['/agent', auth] as const),
    ];
    for (let i = 0; i < handshakes.length; i += 20) {
      await Promise.all(
        handshakes.slice(i, i + 20).map(async ([namespace, auth]) => {
          const socket = client(namespace, auth);
          const outcome = await new Promise<{ code?: string; welcomed?: true }>((resolve) => {
            setTimeout(() => resolve({ code: 'no answer within 5 s' }), 5000);
            socket.once('disconnect', (reason) => resolve({ code: `closed: ${reason}` }));
            socket.once('welcome', () => resolve({ welcomed: true }));
            socket.once('connect_error', (err: Error & { data?: { code?: string } }) =>
              resolve({ code: err.data?.code }),
            );
          });
          socket.close();
          if (!outcome.welcomed) {
            // A near-miss of a valid visitor auth may carry another protocol version.
            expect(['invalid_payload', 'unauthorized', 'version_unsupported'], JSON.stringify(auth)).toContain(
              outcome.code,
            );
          }
        }),
      );
    }

    // The gateway is alive and nothing went wrong inside it.
    for (const socket of [...attackers.visitors, attackers.agent]) socket.close();
    const health = await fetch(`${fx.url}/healthz`);
    expect(await health.json()).toMatchObject({ ok: true });
    expect(errors).toEqual([]);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // Legitimate clients still work, both ways, and a newcomer can connect.
    const fromAlice = await call(alice.socket, 'send', { clientId: 'after-fuzz-01', text: 'still there?' });
    expect(fromAlice).toMatchObject({ ok: true, duplicate: false });
    const reply = nextEvent<Message>(alice.socket, 'message', (m) => m.clientId === 'after-fuzz-02');
    const fromAgent = await call(monitor.socket, 'send', {
      conversationId: alice.conversationId,
      clientId: 'after-fuzz-02',
      text: 'yes',
    });
    expect(fromAgent.ok).toBe(true);
    expect((await reply).text).toBe('yes');
    const newcomer = await fx.visitor();
    expect(await call(newcomer.socket, 'history', { afterSeq: 0 })).toEqual({ ok: true, messages: [], more: false });
    await settle(monitor.socket);
    accepted.set(fromAlice.message.id, fromAlice.message);
    accepted.set(fromAgent.message.id, fromAgent.message);
    for (const m of broadcast) accepted.set(m.id, m);

    // The database is consistent, and holds exactly the messages that were acknowledged or broadcast.
    const db = new Database(fx.dbPath, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      const conversations = db
        .prepare(
          `SELECT c.id, c.status, c.last_seq, c.agent_read_seq, c.visitor_read_seq,
                  count(m.id) AS n, coalesce(min(m.seq), 0) AS lo, coalesce(max(m.seq), 0) AS hi
             FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id GROUP BY c.id`,
        )
        .all() as {
        id: string;
        status: string;
        last_seq: number;
        agent_read_seq: number;
        visitor_read_seq: number;
        n: number;
        lo: number;
        hi: number;
      }[];
      for (const c of conversations) {
        expect(['open', 'resolved']).toContain(c.status);
        // Gap-free sequence numbers from 1.
        expect([c.n, c.hi, c.lo], c.id).toEqual([c.last_seq, c.last_seq, c.last_seq === 0 ? 0 : 1]);
        expect(c.agent_read_seq).toBeGreaterThanOrEqual(0);
        expect(c.agent_read_seq).toBeLessThanOrEqual(c.last_seq);
        expect(c.visitor_read_seq).toBeGreaterThanOrEqual(0);
        expect(c.visitor_read_seq).toBeLessThanOrEqual(c.last_seq);
      }
      const messages = db
        .prepare('SELECT id, conversation_id, seq, author, agent_name, client_id, text FROM messages')
        .all() as {
        id: string;
        conversation_id: string;
        seq: number;
        author: string;
        agent_name: string | null;
        client_id: string;
        text: string;
      }[];
      expect(messages.length).toBeGreaterThan(50);
      for (const m of messages) {
        expect(['visitor', 'agent']).toContain(m.author);
        if (m.author === 'agent') expect(AGENTS.map((a) => a.name)).toContain(m.agent_name);
        expect(m.client_id).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
        expect(m.text.length).toBeGreaterThan(0);
        expect(m.text.length).toBeLessThanOrEqual(4000);
        expect(m.text).toBe(m.text.trim());
        expect(accepted.get(m.id), `message ${m.id} was stored without an ack or broadcast`).toMatchObject({
          conversationId: m.conversation_id,
          seq: m.seq,
          text: m.text,
        });
      }
      expect(new Set(messages.map((m) => m.id))).toEqual(new Set(accepted.keys()));
    } finally {
      db.close();
    }
  }, 90_000); // thousands of round trips: 10-20 s on a quiet 2-core machine, more under a parallel test load
});
