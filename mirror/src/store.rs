//! Writing to the mirror: batches of changes from the API applied in any order and any number
//! of times with the same result, the sync cursor, and pruning to the window.

use std::str::FromStr;

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use sessions_core::{Session, Timestamp};

use crate::error::{MirrorError, Result};
use crate::search::session_tags;
use crate::{Mirror, person_name};

/// How many days of sessions a mirror keeps unless configured (`mirror_days`).
pub const DEFAULT_MIRROR_DAYS: u32 = 365;

/// One change from the API's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The session as the API returns it, facts included.
    Live(Session),
    /// The session was deleted at `updated_at` (the server's time).
    Deleted {
        session_id: String,
        updated_at: String,
    },
}

/// What a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Sessions inserted or replaced.
    pub written: usize,
    /// Sessions removed by a tombstone.
    pub deleted: usize,
    /// Changes older than what the mirror holds, left out.
    pub skipped: usize,
}

const CURSOR: &str = "cursor";
const LAST_SYNC: &str = "last_sync";

/// The oldest creation time a mirror of `days` days keeps, seen at `now`.
pub fn prune_cutoff(now: Timestamp, days: u32) -> Timestamp {
    now.plus_seconds(-i64::from(days) * 86_400)
}

impl Mirror {
    /// Applies a batch in one transaction. A session is replaced only by a copy with a newer
    /// or equal `updated_at`, and a tombstone beats every copy up to its time, so a batch
    /// applied twice, or batches applied out of order, leave the same mirror.
    pub fn apply(&mut self, changes: impl IntoIterator<Item = Change>) -> Result<Applied> {
        let path = self.path.clone();
        let fail = |e| MirrorError::sqlite(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let mut applied = Applied::default();
        for change in changes {
            match change {
                Change::Live(session) => {
                    if write_live(&tx, &session).map_err(fail)? {
                        applied.written += 1;
                    } else {
                        applied.skipped += 1;
                    }
                }
                Change::Deleted {
                    session_id,
                    updated_at,
                } => {
                    let removed = write_tombstone(&tx, &session_id, &updated_at).map_err(fail)?;
                    applied.deleted += removed;
                }
            }
        }
        tx.commit().map_err(fail)?;
        Ok(applied)
    }

    /// Where the next sync starts: the server's time the last one reached.
    pub fn cursor(&self) -> Result<Option<Timestamp>> {
        self.meta_time(CURSOR)
    }

    /// When the mirror last met the API (the local clock), to say how old its answers are.
    pub fn last_sync(&self) -> Result<Option<Timestamp>> {
        self.meta_time(LAST_SYNC)
    }

    /// Records a finished sync: the server's time it reached and when it happened.
    pub fn set_cursor(&mut self, cursor: Timestamp, synced_at: Timestamp) -> Result<()> {
        let path = self.path.clone();
        let fail = |e| MirrorError::sqlite(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        for (key, value) in [(CURSOR, cursor), (LAST_SYNC, synced_at)] {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value.to_string()],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)
    }

    /// Drops the sessions created before `older_than` (and tombstones older than it), the
    /// mirror's window; the table keeps them. Returns how many sessions went.
    pub fn prune(&mut self, older_than: Timestamp) -> Result<usize> {
        let path = self.path.clone();
        let fail = |e| MirrorError::sqlite(&path, e);
        let cutoff = older_than.to_string();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let pruned = tx
            .execute("DELETE FROM sessions WHERE created_at < ?1", [&cutoff])
            .map_err(fail)?;
        tx.execute("DELETE FROM tombstones WHERE deleted_at < ?1", [&cutoff])
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(pruned)
    }

    fn meta_time(&self, key: &str) -> Result<Option<Timestamp>> {
        let value: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.fail())?;
        // Only this module writes these; a value that does not parse counts as never synced,
        // which costs a full sync and loses nothing.
        Ok(value.and_then(|v| Timestamp::from_str(&v).ok()))
    }
}

/// Inserts or replaces the session unless the mirror holds a newer copy or a tombstone at
/// least as new. Returns whether it was written.
fn write_live(tx: &Transaction, session: &Session) -> rusqlite::Result<bool> {
    let deleted_at: Option<String> = tx
        .query_row(
            "SELECT deleted_at FROM tombstones WHERE session_id = ?1",
            [&session.session_id],
            |r| r.get(0),
        )
        .optional()?;
    match deleted_at {
        Some(deleted_at) if deleted_at >= session.updated_at => return Ok(false),
        // Written again after its deletion: it lives again.
        Some(_) => {
            tx.execute(
                "DELETE FROM tombstones WHERE session_id = ?1",
                [&session.session_id],
            )?;
        }
        None => {}
    }
    let facts = serde_json::to_string(&session.facts)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let written = tx.execute(
        "INSERT INTO sessions (session_id, uuid, user_uuid, workspace_uuid, title, summary,
             created_at, finished_at, updated_at, user_arn, person, repo, branch, facts, tags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (session_id) DO UPDATE SET
             uuid = excluded.uuid, user_uuid = excluded.user_uuid,
             workspace_uuid = excluded.workspace_uuid, title = excluded.title,
             summary = excluded.summary, created_at = excluded.created_at,
             finished_at = excluded.finished_at, updated_at = excluded.updated_at,
             user_arn = excluded.user_arn, person = excluded.person, repo = excluded.repo,
             branch = excluded.branch, facts = excluded.facts, tags = excluded.tags
         WHERE excluded.updated_at >= sessions.updated_at",
        params![
            session.session_id,
            session.uuid,
            session.user_uuid,
            session.workspace_uuid,
            session.title,
            session.summary,
            session.created_at,
            session.finished_at,
            session.updated_at,
            session.user_arn,
            person_name(&session.user_arn),
            session.facts.repo,
            session.facts.branch,
            facts,
            session_tags(&session.user_arn, session.facts.repo.as_deref()),
        ],
    )?;
    Ok(written > 0)
}

/// Removes the session if the mirror's copy is not newer than the deletion, and remembers the
/// deletion. Returns how many rows went (0 or 1).
fn write_tombstone(
    tx: &Transaction,
    session_id: &str,
    deleted_at: &str,
) -> rusqlite::Result<usize> {
    tx.execute(
        "INSERT INTO tombstones (session_id, deleted_at) VALUES (?1, ?2)
         ON CONFLICT (session_id) DO UPDATE SET deleted_at = excluded.deleted_at
         WHERE excluded.deleted_at > tombstones.deleted_at",
        params![session_id, deleted_at],
    )?;
    tx.execute(
        "DELETE FROM sessions WHERE session_id = ?1 AND updated_at <= ?2",
        params![session_id, deleted_at],
    )
}
