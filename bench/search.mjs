// Search timing (issue 14): the agent's `search` event, round trip from a socket.io client to the real gateway
// (dist/server/main.js) and back, over 100,000 stored messages, on SQLite and, when a PostgreSQL server is given
// (PARLEY_BENCH_DATABASE_URL or PARLEY_TEST_DATABASE_URL), on PostgreSQL. The gateway migrates an empty database,
// stops, the messages are bulk-inserted underneath it (SQLite's triggers and PostgreSQL's indexes index them as any
// append would), then it starts again and every query runs `runs` times, one at a time, after a warm-up.
//
//   node bench/search.mjs [--quick]   prints the report's section (the full run writes it into BENCHMARKS.md)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { io } from 'socket.io-client';
import { AGENTS, startGateway } from './gateway.mjs';
import { killAll } from './proc.mjs';

/** The goal: a search answered in under 50 ms (95th percentile of round trips). */
export const SEARCH_GOAL_MS = 50;

/** What is searched for, and what each query exercises. */
const QUERIES = [
  { label: 'rare word (1 message)', query: 'zebra4711' },
  { label: 'common word (~10% of messages)', query: 'order' },
  { label: 'word prefix', query: 'ord' },
  { label: 'two words', query: 'order parcel' },
  { label: 'visitor email (substring)', query: 'user0512@' },
  { label: 'inside a word (substring)', query: 'ebra47' },
  { label: 'no match', query: 'qqqxxyyzz' },
];

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'do', 'gu', 'fi', 'be', 'ho', 'ja'];

/** Deterministic text: 8 to 20 words from a vocabulary of a few thousand, `order` in one message of ten. */
function messageText(i) {
  const words = [];
  let x = (i * 2654435761) >>> 0;
  const n = 8 + (x % 13);
  for (let k = 0; k < n; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    words.push(SYLLABLES[x % 16] + SYLLABLES[(x >>> 4) % 16] + SYLLABLES[(x >>> 8) % 16]);
  }
  if (i % 10 === 0) words.splice(3, 0, 'order');
  if (i % 37 === 0) words.push('parcel');
  if (i === 54_321) words.push('zebra4711');
  return words.join(' ');
}

/** Rows of `conversations` conversations with `messages` messages between them, newest last. */
function* rows({ messages, conversations }) {
  const perConversation = Math.ceil(messages / conversations);
  for (let c = 0; c < conversations; c++) {
    const id = `c${String(c).padStart(6, '0')}`;
    const visitor = {
      id: `v${c}`,
      conversation: id,
      name: `User ${c}`,
      email: `user${String(c).padStart(4, '0')}@example.com`,
    };
    const texts = [];
    for (let s = 1; s <= perConversation && c * perConversation + s <= messages; s++)
      texts.push(messageText(c * perConversation + s));
    yield { visitor, texts };
  }
}

function seedSqlite(dbPath, size) {
  const db = new Database(dbPath);
  const visitor = db.prepare(
    'INSERT INTO visitors (id, site, name, email, verified, created_at, conversation_id) VALUES (?, ?, ?, ?, 1, 0, ?)',
  );
  const conversation = db.prepare(
    'INSERT INTO conversations (id, visitor_id, site, last_seq, last_activity_at, created_at) VALUES (?, ?, ?, ?, ?, 0)',
  );
  const message = db.prepare(
    "INSERT INTO messages (id, conversation_id, seq, author, text, created_at) VALUES (?, ?, ?, 'visitor', ?, ?)",
  );
  let at = 1_000;
  db.transaction(() => {
    for (const { visitor: v, texts } of rows(size)) {
      visitor.run(v.id, 'acme', v.name, v.email, v.conversation);
      conversation.run(v.conversation, v.id, 'acme', texts.length, at + texts.length);
      for (const [i, text] of texts.entries())
        message.run(`${v.conversation}-${i + 1}`, v.conversation, i + 1, text, ++at);
    }
  })();
  db.close();
}

async function seedPostgres(client, size) {
  let at = 1_000;
  for (const { visitor: v, texts } of rows(size)) {
    await client.query(
      'INSERT INTO visitors (id, site, name, email, verified, created_at, conversation_id) VALUES ($1, $2, $3, $4, true, 0, $5)',
      [v.id, 'acme', v.name, v.email, v.conversation],
    );
    await client.query(
      'INSERT INTO conversations (id, visitor_id, site, last_seq, last_activity_at, created_at) VALUES ($1, $2, $3, $4, $5, 0)',
      [v.conversation, v.id, 'acme', texts.length, at + texts.length],
    );
    await client.query(
      `INSERT INTO messages (id, conversation_id, seq, author, text, created_at)
       SELECT $1 || '-' || n, $1, n, 'visitor', t, $3::bigint + n FROM unnest($2::text[]) WITH ORDINALITY AS m(t, n)`,
      [v.conversation, texts, at],
    );
    at += texts.length;
  }
  await client.query('ANALYZE');
}

/** Round trips of every query, in ms: p50, p95, max, and the hits the last one returned. */
async function timeQueries(url, runs) {
  const socket = io(`${url}/agent`, { auth: { token: AGENTS[0].token }, transports: ['websocket'], forceNew: true });
  await new Promise((resolve, reject) => {
    socket.once('welcome', resolve);
    socket.once('connect_error', reject);
  });
  try {
    const out = [];
    for (const { label, query } of QUERIES) {
      const times = [];
      let hits = 0;
      for (let i = 0; i < runs + 3; i++) {
        const started = performance.now();
        const ack = await socket.timeout(10_000).emitWithAck('search', { query });
        const took = performance.now() - started;
        if (!ack.ok) throw new Error(`search "${query}" refused: ${ack.code}: ${ack.message}`);
        hits = ack.results.length;
        if (i >= 3) times.push(took);
      }
      times.sort((a, b) => a - b);
      const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
      out.push({ label, query, hits, p50: at(0.5), p95: at(0.95), max: times.at(-1) });
    }
    return out;
  } finally {
    socket.close();
  }
}

/** Migrates an empty database through the gateway, seeds it underneath, then times the queries on a fresh gateway. */
async function measure({ env, dbPath, seed, runs, log, name }) {
  const first = await startGateway({ port: 0, dbPath, env, name: `${name}-migrate` });
  await first.stop('SIGTERM');
  const seededAt = performance.now();
  await seed();
  const seedMs = performance.now() - seededAt;
  log(`search (${name}): seeded in ${(seedMs / 1000).toFixed(1)} s`);
  const gateway = await startGateway({ port: 0, dbPath, env, name });
  try {
    return { seedMs, queries: await timeQueries(gateway.url, runs) };
  } finally {
    await gateway.stop('SIGTERM');
  }
}

async function measureSqlite(size, runs, log) {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-bench-search-'));
  const dbPath = path.join(dir, 'parley.db');
  try {
    return await measure({ env: {}, dbPath, seed: () => seedSqlite(dbPath, size), runs, log, name: 'sqlite' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measurePostgres(databaseUrl, size, runs, log) {
  const schema = `parley_bench_search_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    const env = { DATABASE_URL: databaseUrl, PARLEY_DB_SCHEMA: schema };
    const result = await measure({ env, seed: () => seedPostgres(client, size), runs, log, name: 'postgres' });
    const { rows: trgm } = await client.query("SELECT to_regclass('messages_trgm') IS NOT NULL AS ready");
    return { ...result, trigram: trgm[0]?.ready === true };
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await client.end();
  }
}

/**
 * @param {object} o
 * @param {number} o.messages  messages stored
 * @param {number} o.conversations  conversations they are spread over
 * @param {number} o.runs  timed runs per query
 */
export async function runSearch({ messages, conversations, runs, log = () => {} }) {
  const size = { messages, conversations };
  const loadBefore = loadavg()[0];
  const sqlite = await measureSqlite(size, runs, log);
  const databaseUrl = process.env.PARLEY_BENCH_DATABASE_URL || process.env.PARLEY_TEST_DATABASE_URL;
  const postgres = databaseUrl
    ? await measurePostgres(databaseUrl, size, runs, log)
    : { skipped: 'PARLEY_BENCH_DATABASE_URL not set (nor PARLEY_TEST_DATABASE_URL)' };
  return { messages, conversations, runs, sqlite, postgres, load: [loadBefore, loadavg()[0]] };
}

const ms = (v) => `${v.toFixed(1)} ms`;

/** The report's section (bench/report.mjs), from `runSearch`'s result. */
export function renderSearch(out, s) {
  if (!s || s.error) throw new Error(s?.error ?? 'the search benchmark did not run');
  out.push(
    '### Search',
    '',
    `The agent's \`search\` event over ${s.messages.toLocaleString('en-US')} messages in ${s.conversations.toLocaleString('en-US')} conversations: round trip from a socket.io client to the gateway and back (validation, query, summaries of the hits, snippets), ${s.runs} runs per query after 3 warm-up runs, one at a time. Goal: **p95 under ${SEARCH_GOAL_MS} ms**. Load average (1 min) before / after: ${s.load.map((l) => l.toFixed(1)).join(' / ')} on 2 cores: other work on the machine shows in p95 and max first.`,
    '',
  );
  for (const [name, r] of [
    ['SQLite (FTS5)', s.sqlite],
    ['PostgreSQL (tsvector + pg_trgm)', s.postgres],
  ]) {
    if (r.skipped || r.error) {
      out.push(`${name}: _not measured (${r.skipped ?? r.error})._`, '');
      continue;
    }
    const note = r.trigram === false ? ' — pg_trgm unavailable: words only' : '';
    out.push(`${name}${note}, seeded in ${(r.seedMs / 1000).toFixed(1)} s:`, '');
    out.push('| query | hits | p50 | p95 | max | goal | |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const q of r.queries) {
      const ok = q.p95 < SEARCH_GOAL_MS;
      out.push(
        `| ${q.label}: \`${q.query}\` | ${q.hits} | ${ms(q.p50)} | **${ms(q.p95)}** | ${ms(q.max)} | < ${SEARCH_GOAL_MS} ms | ${ok ? 'pass' : '**miss**'} |`,
      );
    }
    out.push('');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const log = (line) => console.log(`[bench search] ${line}`);
  runSearch({ messages: quick ? 10_000 : 100_000, conversations: quick ? 100 : 1000, runs: quick ? 10 : 30, log })
    .then((result) => {
      const out = [];
      renderSearch(out, result);
      console.log(out.join('\n'));
      process.exit(0);
    })
    .catch((err) => {
      console.error(err);
      killAll();
      process.exit(1);
    });
}
