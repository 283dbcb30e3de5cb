//! Reading sessions back: one by id, listings newest first for `session list` and `report`,
//! recent activity for the MCP server, and the mirror's own status.

use rusqlite::{OptionalExtension, Row, params_from_iter};
use serde::Serialize;
use sessions_core::{Session, Timestamp};

use crate::error::{MirrorError, Result};
use crate::{Mirror, schema};

/// The columns `session_from_row` reads, in its order, from `sessions` aliased `s`.
pub(crate) const SESSION_COLUMNS: &str = "s.session_id, s.uuid, s.user_uuid, s.workspace_uuid, \
     s.title, s.summary, s.created_at, s.finished_at, s.updated_at, s.user_arn, s.facts";

/// Which sessions `list` returns. The window is by `created_at`: `since` included, `until`
/// excluded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub user_arn: Option<String>,
    pub repo: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// None: every session that matches.
    pub limit: Option<usize>,
}

/// What is local, and when it last met the API: for `sync --status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub path: String,
    pub rows: u64,
    pub tombstones: u64,
    /// The database and its write-ahead log.
    pub bytes: u64,
    pub last_sync: Option<Timestamp>,
    pub cursor: Option<Timestamp>,
    pub schema_version: i64,
}

/// A session read from a row: its columns are `SESSION_COLUMNS` starting at index 0.
pub(crate) struct StoredSession {
    session: Session,
    facts: String,
}

impl StoredSession {
    pub(crate) fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(StoredSession {
            session: Session {
                session_id: row.get(0)?,
                uuid: row.get(1)?,
                user_uuid: row.get(2)?,
                workspace_uuid: row.get(3)?,
                title: row.get(4)?,
                summary: row.get(5)?,
                created_at: row.get(6)?,
                finished_at: row.get(7)?,
                updated_at: row.get(8)?,
                user_arn: row.get(9)?,
                facts: Box::default(),
            },
            facts: row.get(10)?,
        })
    }

    pub(crate) fn into_session(self) -> Result<Session> {
        let StoredSession { mut session, facts } = self;
        session.facts = serde_json::from_str(&facts).map_err(|source| MirrorError::BadRow {
            session_id: session.session_id.clone(),
            source,
        })?;
        Ok(session)
    }
}

impl Mirror {
    pub fn get(&self, session_id: &str) -> Result<Option<Session>> {
        self.conn
            .query_row(
                &format!("SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.session_id = ?1"),
                [session_id],
                StoredSession::from_row,
            )
            .optional()
            .map_err(self.fail())?
            .map(StoredSession::into_session)
            .transpose()
    }

    /// The sessions that pass `filter`, newest first by `created_at`.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<Session>> {
        let mut clauses = Vec::new();
        let mut values = Vec::new();
        let mut when = |clause: &'static str, value: Option<String>| {
            if let Some(value) = value {
                clauses.push(clause);
                values.push(value);
            }
        };
        when("s.user_arn = ?", filter.user_arn.clone());
        when("s.repo = ?", filter.repo.clone());
        when("s.created_at >= ?", filter.since.map(|t| t.to_string()));
        when("s.created_at < ?", filter.until.map(|t| t.to_string()));
        self.sessions(
            &clauses,
            values,
            "s.created_at DESC, s.session_id",
            filter.limit,
        )
    }

    /// The sessions last changed most recently, in a repository (and branch) if given.
    pub fn recent(
        &self,
        repo: Option<&str>,
        branch: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Session>> {
        let mut clauses = Vec::new();
        let mut values = Vec::new();
        for (clause, value) in [("s.repo = ?", repo), ("s.branch = ?", branch)] {
            if let Some(value) = value {
                clauses.push(clause);
                values.push(value.to_owned());
            }
        }
        self.sessions(
            &clauses,
            values,
            "s.updated_at DESC, s.session_id",
            Some(limit),
        )
    }

    /// Every user ARN that has a session here, in order: what a filter by a person's name
    /// is resolved against.
    pub fn user_arns(&self) -> Result<Vec<String>> {
        self.distinct("user_arn")
    }

    /// Every repository that has a session here, in order: what a filter by a repository's
    /// `owner/name` is resolved against.
    pub fn repos(&self) -> Result<Vec<String>> {
        self.distinct("repo")
    }

    /// The distinct values of an indexed column, one index seek per value (not a scan of
    /// every row): a team has tens of people and repositories and 100,000 sessions.
    fn distinct(&self, column: &str) -> Result<Vec<String>> {
        let sql = format!(
            "WITH RECURSIVE v(x) AS (
                 SELECT min({column}) FROM sessions
                 UNION ALL
                 SELECT (SELECT min({column}) FROM sessions WHERE {column} > v.x)
                 FROM v WHERE v.x IS NOT NULL
             )
             SELECT x FROM v WHERE x IS NOT NULL"
        );
        let mut statement = self.conn.prepare(&sql).map_err(self.fail())?;
        let rows = statement.query_map([], |r| r.get(0)).map_err(self.fail())?;
        rows.map(|row| row.map_err(self.fail())).collect()
    }

    pub fn status(&self) -> Result<Status> {
        let count = |sql: &str| -> Result<u64> {
            let n: i64 = self
                .conn
                .query_row(sql, [], |r| r.get(0))
                .map_err(self.fail())?;
            Ok(n.unsigned_abs())
        };
        let bytes = [String::new(), "-wal".to_owned()]
            .iter()
            .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", self.path.display())).ok())
            .map(|m| m.len())
            .sum();
        Ok(Status {
            path: self.path.display().to_string(),
            rows: count("SELECT count(*) FROM sessions")?,
            tombstones: count("SELECT count(*) FROM tombstones")?,
            bytes,
            last_sync: self.last_sync()?,
            cursor: self.cursor()?,
            schema_version: schema::VERSION,
        })
    }

    fn sessions(
        &self,
        clauses: &[&str],
        values: Vec<String>,
        order: &str,
        limit: Option<usize>,
    ) -> Result<Vec<Session>> {
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let limit = limit.map_or(String::new(), |n| format!("LIMIT {n}"));
        let sql =
            format!("SELECT {SESSION_COLUMNS} FROM sessions s {filter} ORDER BY {order} {limit}");
        let mut statement = self.conn.prepare(&sql).map_err(self.fail())?;
        let rows = statement
            .query_map(params_from_iter(values), StoredSession::from_row)
            .map_err(self.fail())?;
        rows.map(|row| row.map_err(self.fail())?.into_session())
            .collect()
    }
}
