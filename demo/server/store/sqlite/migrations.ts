import type Database from 'better-sqlite3';

/**
 * Numbered schema migrations; entry `i` moves the schema from version `i` to `i + 1` (kept in `PRAGMA user_version`).
 * Append only: a released migration is never edited, because databases in the field already ran it.
 */
export const MIGRATIONS: readonly string[] = [
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
    verified    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
  );

  CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    visitor_id    TEXT NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX sessions_visitor ON sessions(visitor_id);

  CREATE TABLE conversations (
    id                TEXT PRIMARY KEY,
    visitor_id        TEXT NOT NULL UNIQUE REFERENCES visitors(id) ON DELETE CASCADE,
    site              TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    last_seq          INTEGER NOT NULL DEFAULT 0,
    last_activity_at  INTEGER NOT NULL,
    agent_read_seq    INTEGER NOT NULL DEFAULT 0,
    visitor_read_seq  INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL
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
    created_at       INTEGER NOT NULL,
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
  // No conversation without a message: a visitor reserves its conversation's id, and the row is created by the first
  // message. Existing conversations keep their ids; the empty ones a handshake used to create are deleted (their
  // visitors keep the id, so a later first message recreates the same conversation). Sessions are swept by last use.
  `
  ALTER TABLE visitors ADD COLUMN conversation_id TEXT;
  UPDATE visitors SET conversation_id = coalesce(
    (SELECT c.id FROM conversations c WHERE c.visitor_id = visitors.id), lower(hex(randomblob(16))));
  CREATE UNIQUE INDEX visitors_conversation ON visitors(conversation_id);
  DELETE FROM conversations WHERE last_seq = 0;
  CREATE INDEX sessions_last_seen ON sessions(last_seen_at);
  `,
  // Ownership and the agent-only timeline (issue 14): a conversation's assignee, and notes and system lines that are
  // not messages (they take no seq; `after_seq` places them in the thread). Events have no client id, so the unique
  // key (NULLs distinct) only makes agents' notes idempotent.
  `
  ALTER TABLE conversations ADD COLUMN assignee TEXT;
  ALTER TABLE conversations ADD COLUMN assigned_at INTEGER;
  CREATE INDEX conversations_assignee ON conversations(assignee, status);
  CREATE TABLE notes (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('note', 'event')),
    agent_name       TEXT,
    text             TEXT NOT NULL,
    client_id        TEXT,
    after_seq        INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (conversation_id, agent_name, client_id)
  );
  CREATE INDEX notes_conversation ON notes(conversation_id, after_seq);
  `,
  // Agent console tools (issue 14). Search: an FTS5 index over messages.text (external content, so the text is stored
  // once), kept in sync by triggers and built for the messages already there. It is keyed by the messages' implicit
  // rowid, which VACUUM may renumber: after a VACUUM, run DELETE FROM messages_fts_pending (a later migration's queue)
  // and INSERT INTO messages_fts(messages_fts) VALUES ('rebuild').
  // Canned replies shared by agents; the pages each visitor reported (the newest PAGE_HISTORY kept); and, for a
  // visitor's earlier conversations, the visitor an anonymous visitor's session was moved to by an identification.
  `
  CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, content = 'messages', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2');
  CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
  END;
  CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
  END;
  CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
  END;
  INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

  CREATE TABLE canned_replies (
    id          TEXT PRIMARY KEY,
    shortcut    TEXT NOT NULL UNIQUE,
    text        TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
  );

  CREATE TABLE page_views (
    id          INTEGER PRIMARY KEY,
    visitor_id  TEXT NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    title       TEXT NOT NULL,
    at          INTEGER NOT NULL
  );
  CREATE INDEX page_views_visitor ON page_views(visitor_id, id);

  ALTER TABLE visitors ADD COLUMN merged_into TEXT;
  CREATE INDEX visitors_user ON visitors(user_id) WHERE user_id IS NOT NULL;
  CREATE INDEX visitors_merged_into ON visitors(merged_into) WHERE merged_into IS NOT NULL;
  `,
  // Internal notes are searchable by agents (issue 14): the same FTS5 set-up as the messages'. System lines are indexed
  // too (one trigger, no condition) but never returned: the search reads notes of kind 'note' only.
  `
  CREATE VIRTUAL TABLE notes_fts USING fts5(
    text, content = 'notes', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2');
  CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN
    INSERT INTO notes_fts (rowid, text) VALUES (new.rowid, new.text);
  END;
  CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
  END;
  CREATE TRIGGER notes_fts_update AFTER UPDATE OF text ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO notes_fts (rowid, text) VALUES (new.rowid, new.text);
  END;
  INSERT INTO notes_fts (notes_fts) VALUES ('rebuild');
  `,
  // Attachments (issue 16): one row per uploaded file, pending (message_id NULL) until a message of its uploader
  // claims it. No foreign key to conversations (a visitor uploads before its first message creates the conversation)
  // nor a cascade from messages: the attachment sweep deletes the stored bytes, then the row, of a file whose message
  // or conversation is gone, so no file outlives its row unseen.
  `
  CREATE TABLE attachments (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL,
    owner            TEXT NOT NULL,
    message_id       TEXT,
    name             TEXT NOT NULL,
    type             TEXT NOT NULL,
    size             INTEGER NOT NULL,
    width            INTEGER,
    height           INTEGER,
    thumb            INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL
  );
  CREATE INDEX attachments_message ON attachments(message_id) WHERE message_id IS NOT NULL;
  CREATE INDEX attachments_pending ON attachments(created_at) WHERE message_id IS NULL;
  `,
  // Email (issue 15): a queue of follow-ups and transcripts that a restart or an SMTP outage does not lose. A job is
  // claimed with a lease (lease_until, claim) so that of several processes exactly one sends it, and one that died
  // mid-send gives it back when the lease ends; at most one follow-up per conversation is pending. upto_seq: the last
  // seq a sent follow-up covered. reply_tokens maps the token of a Reply-To address back to its conversation.
  `
  CREATE TABLE mail_jobs (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('followup', 'transcript')),
    conversation_id  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    recipient        TEXT,
    state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'skipped', 'failed')),
    due_at           INTEGER NOT NULL,
    lease_until      INTEGER NOT NULL DEFAULT 0,
    claim            TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    upto_seq         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    done_at          INTEGER
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
    offered_at       INTEGER NOT NULL,
    score            INTEGER CHECK (score BETWEEN 1 AND 5),
    comment          TEXT,
    first_rated_at   INTEGER,
    rated_at         INTEGER
  );
  CREATE INDEX ratings_agent ON ratings(agent_name) WHERE score IS NOT NULL;
  `,
  // Search indexing leaves the append path (issue 18). FTS5 writes a new segment for every transaction that indexes
  // a row, which cost more than the rest of a small append batch; a new message now only queues its rowid, and the
  // store indexes the queue in bulk (a timer, and before every search, so a search still sees every message).
  // A rowid still queued is not in the index: deleting or updating it there would corrupt the external-content index.
  `
  CREATE TABLE messages_fts_pending (id INTEGER PRIMARY KEY);
  DROP TRIGGER messages_fts_insert;
  DROP TRIGGER messages_fts_delete;
  DROP TRIGGER messages_fts_update;
  CREATE TRIGGER messages_fts_queue AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts_pending (id) VALUES (new.rowid);
  END;
  CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text)
      SELECT 'delete', old.rowid, old.text WHERE NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE id = old.rowid);
    DELETE FROM messages_fts_pending WHERE id = old.rowid;
  END;
  CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
    WHEN NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE id = old.rowid) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
  END;
  `,
];

/** Brings the schema up to date in one immediate transaction, so two processes starting together cannot both migrate. */
export function migrate(db: Database.Database): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(`database schema version ${current} is newer than this gateway (${MIGRATIONS.length})`);
    }
    for (let version = current; version < MIGRATIONS.length; version++) db.exec(MIGRATIONS[version]!);
    // PRAGMA does not accept bound parameters; the value is an integer we computed.
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
