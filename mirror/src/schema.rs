//! The mirror's tables and search index, and the numbers that say a file holds them.

use rusqlite::Connection;

/// `PRAGMA application_id`: marks the file as a mirror ("SESS"), so another program's
/// database is never mistaken for one.
pub const APPLICATION_ID: i64 = 0x5345_5353;

/// `PRAGMA user_version`. Raise it with any change below: a file of another version is
/// emptied and filled again by the next sync (it is only a copy of the API's rows).
pub const VERSION: i64 = 1;

/// The FTS5 tokenizer: English stems ("retries" finds "retry"), and case and accents folded.
pub const TOKENIZER: &str = "porter unicode61 remove_diacritics 2";

/// Rows of 0.5 to 5 KiB (a summary and its facts) fill 16 KiB pages with less left over
/// than 4 KiB ones: a tenth less on disk.
const PAGE_SIZE: u32 = 16_384;

const TABLES: &str = "
-- One row per live session. The columns searched and filtered on are columns; the facts
-- ride along as the JSON the API sent. `id` is what the search index refers to; `tags` are
-- the search filters as words (see search.rs).
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    user_arn TEXT NOT NULL,
    repo TEXT,
    branch TEXT,
    person TEXT NOT NULL,
    tags TEXT NOT NULL,
    uuid TEXT NOT NULL,
    user_uuid TEXT NOT NULL,
    workspace_uuid TEXT NOT NULL,
    finished_at TEXT,
    title TEXT NOT NULL,
    -- The long texts last: filters read the columns before them without reading these.
    summary TEXT NOT NULL,
    facts TEXT NOT NULL
);
CREATE INDEX sessions_by_created ON sessions (created_at);
CREATE INDEX sessions_by_person ON sessions (user_arn, created_at);
CREATE INDEX sessions_by_repo ON sessions (repo, created_at);
CREATE INDEX sessions_by_update ON sessions (updated_at);

-- Deleted sessions, remembered so that an older live copy arriving later stays deleted.
CREATE TABLE tombstones (
    session_id TEXT PRIMARY KEY,
    deleted_at TEXT NOT NULL
) WITHOUT ROWID;

-- The sync cursor and when the mirror last met the API.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
";

/// The index reads its text from `sessions` (external content), so the text is stored once;
/// the triggers keep the two in step.
const SEARCH_INDEX: &str = "
CREATE TRIGGER sessions_indexed AFTER INSERT ON sessions BEGIN
    INSERT INTO sessions_fts (rowid, title, summary, repo, branch, person, tags)
    VALUES (new.id, new.title, new.summary, new.repo, new.branch, new.person, new.tags);
END;
CREATE TRIGGER sessions_unindexed AFTER DELETE ON sessions BEGIN
    INSERT INTO sessions_fts (sessions_fts, rowid, title, summary, repo, branch, person, tags)
    VALUES ('delete', old.id, old.title, old.summary, old.repo, old.branch, old.person, old.tags);
END;
CREATE TRIGGER sessions_reindexed AFTER UPDATE ON sessions BEGIN
    INSERT INTO sessions_fts (sessions_fts, rowid, title, summary, repo, branch, person, tags)
    VALUES ('delete', old.id, old.title, old.summary, old.repo, old.branch, old.person, old.tags);
    INSERT INTO sessions_fts (rowid, title, summary, repo, branch, person, tags)
    VALUES (new.id, new.title, new.summary, new.repo, new.branch, new.person, new.tags);
END;
";

/// Creates everything in one transaction, which also stamps the file as a mirror of this
/// version: a crash halfway leaves an empty file, never half a schema.
pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    let fts = format!(
        "CREATE VIRTUAL TABLE sessions_fts USING fts5(
            title, summary, repo, branch, person, tags,
            content = 'sessions', content_rowid = 'id',
            tokenize = '{TOKENIZER}'
        );"
    );
    conn.execute_batch(&format!(
        "PRAGMA page_size = {PAGE_SIZE};
         BEGIN IMMEDIATE;
         {TABLES}
         {fts}
         {SEARCH_INDEX}
         PRAGMA application_id = {APPLICATION_ID};
         PRAGMA user_version = {VERSION};
         COMMIT;"
    ))
}
