//! Ranked search over the mirror: BM25 over title, summary, repository, branch and person,
//! with a snippet whose matched words are marked as the caller asks.

use rusqlite::params_from_iter;
use serde::Serialize;
use sessions_core::{Session, Timestamp};

use crate::Mirror;
use crate::error::Result;
use crate::query::fts_expression;
use crate::read::{SESSION_COLUMNS, StoredSession};

/// BM25 weights of the indexed columns, in their order (title, summary, repo, branch,
/// person): a word in the title says most about a session, one in its summary more than one
/// in where it ran or who ran it.
const WEIGHTS: &str = "10.0, 4.0, 2.0, 2.0, 2.0";

/// How many tokens of context a snippet holds.
const SNIPPET_TOKENS: u32 = 16;

/// The largest `limit` honoured.
pub const MAX_LIMIT: usize = 1_000;

/// What to put around each matched word in a snippet: e.g. ANSI bold for a terminal, nothing
/// for JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// What the person typed: words, `"quoted phrases"`, `prefix*`.
    pub text: String,
    pub repo: Option<String>,
    pub user_arn: Option<String>,
    /// Only sessions created at or after this time.
    pub since: Option<Timestamp>,
    /// At most this many hits (capped at `MAX_LIMIT`).
    pub limit: usize,
    /// Leave this session out (the one asking, when Claude searches from inside a session).
    pub exclude_session_id: Option<String>,
    pub marks: Marks,
}

impl SearchQuery {
    /// A search for `text` over every session, ten hits, snippets unmarked.
    pub fn new(text: impl Into<String>) -> Self {
        SearchQuery {
            text: text.into(),
            repo: None,
            user_arn: None,
            since: None,
            limit: 10,
            exclude_session_id: None,
            marks: Marks::default(),
        }
    }
}

/// One session found, best first. In JSON: the session's fields, then `score` and `snippet`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    #[serde(flatten)]
    pub session: Session,
    /// Higher is better (BM25, weighted by column); only comparable within one search.
    pub score: f64,
    /// A short passage of the best-matching column with the matched words marked.
    pub snippet: String,
}

impl Mirror {
    /// The sessions matching `query`, best first. `MirrorError::EmptyQuery` when the text has
    /// no word to look for; any other text is searched for as typed, never a syntax error.
    pub fn search(&self, query: &SearchQuery) -> Result<Vec<Hit>> {
        let expression = fts_expression(&query.text)?;
        let mut clauses = Vec::new();
        let mut values = vec![expression];
        let mut when = |clause: &'static str, value: Option<String>| {
            if let Some(value) = value {
                clauses.push(clause);
                values.push(value);
            }
        };
        when("s.repo = ?", query.repo.clone());
        when("s.user_arn = ?", query.user_arn.clone());
        when("s.created_at >= ?", query.since.map(|t| t.to_string()));
        when("s.session_id <> ?", query.exclude_session_id.clone());
        let filters: String = clauses.iter().map(|c| format!(" AND {c}")).collect();
        let limit = query.limit.min(MAX_LIMIT);
        let (start, end) = (values.len() + 1, values.len() + 2);
        values.extend([query.marks.start.clone(), query.marks.end.clone()]);
        // The best rows first, then a snippet for those alone: SQLite would otherwise build
        // one for every match before sorting.
        let sql = format!(
            "WITH best AS (
                 SELECT sessions_fts.rowid AS id, bm25(sessions_fts, {WEIGHTS}) AS rank
                 FROM sessions_fts JOIN sessions s ON s.id = sessions_fts.rowid
                 WHERE sessions_fts MATCH ?1{filters}
                 ORDER BY rank LIMIT {limit}
             )
             SELECT {SESSION_COLUMNS}, -best.rank,
                 snippet(sessions_fts, -1, ?{start}, ?{end}, '…', {SNIPPET_TOKENS})
             FROM best
             JOIN sessions_fts ON sessions_fts.rowid = best.id
             JOIN sessions s ON s.id = best.id
             WHERE sessions_fts MATCH ?1
             ORDER BY best.rank"
        );
        let mut statement = self.conn.prepare(&sql).map_err(self.fail())?;
        let rows = statement
            .query_map(params_from_iter(values), |row| {
                Ok((StoredSession::from_row(row)?, row.get(11)?, row.get(12)?))
            })
            .map_err(self.fail())?;
        rows.map(|row| {
            let (stored, score, snippet) = row.map_err(self.fail())?;
            Ok(Hit {
                session: stored.into_session()?,
                score,
                snippet,
            })
        })
        .collect()
    }
}
