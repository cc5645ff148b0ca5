import type { ClientBase } from 'pg';
import { StoreError } from '../types';

/**
 * Numbered schema migrations for PostgreSQL; entry `i` moves the schema from version `i` to `i + 1`, and version `n`
 * is the same schema as SQLite's `PRAGMA user_version = n` (see `sqlite/migrations.ts`): same tables, columns,
 * constraints and indexes, with Postgres types (TEXT, BIGINT for millisecond timestamps, INTEGER for seqs, BOOLEAN
 * for flags).
 * Each applied version is recorded in `schema_migrations`.
 * Append only: a released migration is never edited, because databases in the field already ran it.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE visitors (
    id          TEXT PRIMARY KEY,
    site        TEXT NOT NULL,
    page_url    TEXT,
    page_title  TEXT,
    locale      TEXT,
    user_agent  TEXT,
    name        TEXT,
    email       TEXT,
    verified    BOOLEAN NOT NULL DEFAULT false,
    created_at  BIGINT NOT NULL
  );

  CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    visitor_id    TEXT NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL
  );
  CREATE INDEX sessions_visitor ON sessions(visitor_id);

  CREATE TABLE conversations (
    id                TEXT PRIMARY KEY,
    visitor_id        TEXT NOT NULL UNIQUE REFERENCES visitors(id) ON DELETE CASCADE,
    site              TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    last_seq          INTEGER NOT NULL DEFAULT 0,
    last_activity_at  BIGINT NOT NULL,
    agent_read_seq    INTEGER NOT NULL DEFAULT 0,
    visitor_read_seq  INTEGER NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL
  );
  CREATE INDEX conversations_activity ON conversations(last_activity_at DESC);
  CREATE INDEX conversations_status_activity ON conversations(status, last_activity_at DESC);

  CREATE TABLE messages (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL,
    author           TEXT NOT NULL CHECK (author IN ('visitor', 'agent', 'system')),
    agent_name       TEXT,
    client_id        TEXT,
    text             TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, author, client_id)
  );
  `,
  // Identity verification: a visitor may be linked to one user of its site, and a user to at most one visitor per
  // site, so the conversation follows the user across devices. NULL (anonymous) is allowed on any number of rows.
  `
  ALTER TABLE visitors ADD COLUMN user_id TEXT;
  CREATE UNIQUE INDEX visitors_site_user ON visitors(site, user_id) WHERE user_id IS NOT NULL;
  `,
  // See SQLite's migration 3: conversations are created by their first message; visitors reserve the id.
  `
  ALTER TABLE visitors ADD COLUMN conversation_id TEXT;
  UPDATE visitors v SET conversation_id = coalesce(
    (SELECT c.id FROM conversations c WHERE c.visitor_id = v.id), md5(random()::text || v.id));
  ALTER TABLE visitors ALTER COLUMN conversation_id SET NOT NULL;
  CREATE UNIQUE INDEX visitors_conversation ON visitors(conversation_id);
  DELETE FROM conversations WHERE last_seq = 0;
  CREATE INDEX sessions_last_seen ON sessions(last_seen_at);
  `,
  // See SQLite's migration for ownership and the agent-only timeline (issue 14).
  `
  ALTER TABLE conversations ADD COLUMN assignee TEXT;
  ALTER TABLE conversations ADD COLUMN assigned_at BIGINT;
  CREATE INDEX conversations_assignee ON conversations(assignee, status);
  CREATE TABLE notes (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('note', 'event')),
    agent_name       TEXT,
    text             TEXT NOT NULL,
    client_id        TEXT,
    after_seq        INTEGER NOT NULL,
    created_at       BIGINT NOT NULL,
    UNIQUE (conversation_id, agent_name, client_id)
  );
  CREATE INDEX notes_conversation ON notes(conversation_id, after_seq);
  `,
  // See SQLite's migration for the console tools. Search: a stored tsvector column (generated, so appends do not
  // change; rechecking a match reads it instead of parsing the text again) with a GIN index for words, a pg_trgm GIN
  // index for substrings, and an index on created_at for newest-first walks when a word is common. pg_trgm is a trusted
  // extension (PostgreSQL 13+): the database's owner may create it. It is created once per database, in `public`,
  // under an advisory lock (schemas migrating together); where it cannot be (no contrib package, not the owner, an
  // older server) the trigram indexes are left out and search matches words only (see `trigramReady` in the store).
  `
  ALTER TABLE messages ADD COLUMN text_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED;
  CREATE INDEX messages_fts ON messages USING gin (text_tsv);
  CREATE INDEX messages_created ON messages (created_at);
  DO $$
  DECLARE ns text;
  BEGIN
    PERFORM pg_advisory_xact_lock(${0x50524c59}, 14);
    BEGIN
      CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
    EXCEPTION WHEN OTHERS THEN
      RAISE NOTICE 'pg_trgm unavailable (%): search matches words only', SQLERRM;
    END;
    SELECT extnamespace::regnamespace::text INTO ns FROM pg_extension WHERE extname = 'pg_trgm';
    IF ns IS NOT NULL THEN
      EXECUTE format('CREATE INDEX messages_trgm ON messages USING gin (text %I.gin_trgm_ops)', ns);
    END IF;
  END $$;

  CREATE TABLE canned_replies (
    id          TEXT PRIMARY KEY,
    shortcut    TEXT NOT NULL UNIQUE,
    text        TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
  );

  CREATE TABLE page_views (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    visitor_id  TEXT NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    title       TEXT NOT NULL,
    at          BIGINT NOT NULL
  );
  CREATE INDEX page_views_visitor ON page_views(visitor_id, id);

  ALTER TABLE visitors ADD COLUMN merged_into TEXT;
  CREATE INDEX visitors_user ON visitors(user_id) WHERE user_id IS NOT NULL;
  CREATE INDEX visitors_merged_into ON visitors(merged_into) WHERE merged_into IS NOT NULL;
  `,
  // Internal notes are searchable by agents (issue 14): words, as for messages (no trigram index: notes are few).
  `
  ALTER TABLE notes ADD COLUMN text_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED;
  CREATE INDEX notes_fts ON notes USING gin (text_tsv);
  `,
  // Attachments (issue 16): see SQLite's migration 4. Plus the shared storage of several gateway processes: file
  // bytes in 256 KiB BYTEA chunks (`attachment_chunks`, see attachments/pg-storage.ts) and the URL-signing secret
  // every process must agree on (`parley_settings`).
  `
  CREATE TABLE attachments (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL,
    owner            TEXT NOT NULL,
    message_id       TEXT,
    name             TEXT NOT NULL,
    type             TEXT NOT NULL,
    size             BIGINT NOT NULL,
    width            INTEGER,
    height           INTEGER,
    thumb            BOOLEAN NOT NULL DEFAULT false,
    created_at       BIGINT NOT NULL
  );
  CREATE INDEX attachments_message ON attachments(message_id) WHERE message_id IS NOT NULL;
  CREATE INDEX attachments_pending ON attachments(created_at) WHERE message_id IS NULL;
  CREATE TABLE attachment_chunks (
    key   TEXT NOT NULL,
    n     INTEGER NOT NULL,
    data  BYTEA NOT NULL,
    PRIMARY KEY (key, n)
  );
  CREATE TABLE parley_settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
  );
  `,
  // See SQLite's email migration (issue 15): the email queue and reply tokens.
  `
  CREATE TABLE mail_jobs (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('followup', 'transcript')),
    conversation_id  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    recipient        TEXT,
    state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'skipped', 'failed')),
    due_at           BIGINT   NOT NULL,
    lease_until      BIGINT   NOT NULL DEFAULT 0,
    claim            TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    upto_seq         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       BIGINT   NOT NULL,
    done_at          BIGINT  
  );
  CREATE UNIQUE INDEX mail_jobs_one_followup ON mail_jobs(conversation_id) WHERE kind = 'followup' AND state = 'pending';
  CREATE INDEX mail_jobs_due ON mail_jobs(due_at) WHERE state = 'pending';
  CREATE INDEX mail_jobs_conversation ON mail_jobs(conversation_id, kind, state);
  CREATE TABLE reply_tokens (
    token            TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL UNIQUE REFERENCES conversations(id) ON DELETE CASCADE
  );
  `,
  // Satisfaction (issue 15): one rating per conversation, offered when an agent resolves it (agent_name: who did),
  // scored 1 to 5 by the visitor, changeable for a day after the first score (first_rated_at).
  `
  CREATE TABLE ratings (
    conversation_id  TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    agent_name       TEXT NOT NULL,
    offered_at       BIGINT NOT NULL,
    score            INTEGER CHECK (score BETWEEN 1 AND 5),
    comment          TEXT,
    first_rated_at   BIGINT,
    rated_at         BIGINT
  );
  CREATE INDEX ratings_agent ON ratings(agent_name) WHERE score IS NOT NULL;
  `,
  // SQLite's migration of the same number moves search indexing off the append path. Here the GIN indexes already
  // do: with `fastupdate` (the default) an insert only appends to the index's pending list, merged in bulk later. No
  // change; the entry keeps the two stores' schema versions in step, release by release.
  'SELECT 1',
];

/** First key of the advisory lock taken while migrating ('PRLY'); the second is a hash of the schema's name. */
const LOCK_KEY = 0x50524c59;

/**
 * Brings the schema of `client`'s search path up to date in one transaction, holding a transaction-level advisory lock
 * so two gateway processes starting together cannot both migrate: the second waits, then finds nothing left to do.
 * With `schema`, that schema is created first when missing (the connection's search path must name it).
 * Rejects with `StoreError` when the database's schema is newer than this code. Returns the schema's version.
 */
export async function migratePostgres(
  client: ClientBase,
  options: { schema?: string; now?: number; migrations?: readonly string[] } = {},
): Promise<number> {
  const migrations = options.migrations ?? PG_MIGRATIONS;
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext(coalesce($2::text, current_schema(), '')))", [
      LOCK_KEY,
      options.schema ?? null,
    ]);
    if (options.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version     INTEGER PRIMARY KEY,
         applied_at  BIGINT NOT NULL
       )`,
    );
    const { rows } = await client.query<{ version: number }>(
      'SELECT coalesce(max(version), 0)::int AS version FROM schema_migrations',
    );
    const current = rows[0]?.version ?? 0;
    if (current > migrations.length) {
      throw new StoreError(`database schema version ${current} is newer than this gateway (${migrations.length})`);
    }
    const appliedAt = options.now ?? Date.now();
    for (let version = current; version < migrations.length; version++) {
      await client.query(migrations[version]!);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
        version + 1,
        appliedAt,
      ]);
    }
    await client.query('COMMIT');
    return migrations.length;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/**
 * A schema name as an SQL identifier. Only plain lower-case names are accepted: quoting never has to escape anything,
 * and the name means the same quoted here and unquoted in a `search_path` (which folds to lower case).
 */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new StoreError(`invalid schema name: ${JSON.stringify(name)}`);
  return `"${name}"`;
}
