//! Ranked search over the mirror: BM25 over title, summary, repository, branch and person,
//! with a snippet whose matched words are marked as the caller asks.

use rusqlite::{OptionalExtension, params_from_iter};
use serde::Serialize;
use sessions_core::{Session, Timestamp};

use crate::Mirror;
use crate::error::Result;
use crate::query::fts_phrases;
use crate::read::{SESSION_COLUMNS, StoredSession};

/// BM25 weights of the indexed columns, in their order (title, summary, repo, branch,
/// person, tags): a word in the title says most about a session, one in its summary more
/// than one in where it ran or who ran it; the filters' tags say nothing.
const WEIGHTS: &str = "10.0, 4.0, 2.0, 2.0, 2.0, 0.0";

/// A query matching more sessions than this ranks the rarer words' matches and this many of
/// the newest (see `Mirror::search`).
pub const WINDOW: usize = 500;

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

/// Alternatives a search is narrowed to (see `Mirror::search_among`). `None` does not
/// narrow; a list keeps the sessions of any one of its values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Among {
    pub user_arns: Option<Vec<String>>,
    pub repos: Option<Vec<String>>,
}

/// One session found, best first. In JSON: the session's fields, then `score` and `snippet`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    #[serde(flatten)]
    pub session: Session,
    /// Higher is better (BM25, weighted by column). The hits' order is the ranking: when a
    /// query matches more than `WINDOW` sessions, the rarer words' matches come first, and
    /// their scores count those words twice.
    pub score: f64,
    /// A short passage of the best-matching column with the matched words marked.
    pub snippet: String,
}

impl Mirror {
    /// The sessions matching `query`, best first. `MirrorError::EmptyQuery` when the text has
    /// no word to look for; any other text is searched for as typed, never a syntax error.
    ///
    /// BM25 over every match when there are at most `WINDOW` of them. Beyond that (a word
    /// in most sessions), ranking them all would take tens of milliseconds per 100,000
    /// sessions, so the search ranks the sessions holding the query's rarer words (those
    /// matching at most `WINDOW` sessions) first, then the `WINDOW` matches most recently
    /// added to the mirror. The person and repository filters narrow the matches before
    /// they are counted; `since` and `exclude_session_id` only drop hits.
    pub fn search(&self, query: &SearchQuery) -> Result<Vec<Hit>> {
        self.search_among(query, &Among::default())
    }

    /// `search`, narrowed further to sessions of any of `among`'s people and repositories:
    /// for filters that name several (a repository's `owner/name` tail, a name's start),
    /// resolved by the caller from `user_arns` and `repos`. An empty list finds nothing.
    pub fn search_among(&self, query: &SearchQuery, among: &Among) -> Result<Vec<Hit>> {
        let phrases = fts_phrases(&query.text)?;
        if [&among.user_arns, &among.repos]
            .iter()
            .any(|list| list.as_ref().is_some_and(Vec::is_empty))
        {
            return Ok(Vec::new());
        }
        let words = phrases.join(" OR ");
        let tags = filter_tags(query, among);
        let restricted = |expression: &str| match &tags {
            Some(tags) => format!("({expression}) AND {tags}"),
            None => expression.to_owned(),
        };
        let limit = query.limit.min(MAX_LIMIT);
        let all = restricted(&words);
        let Some(oldest_recent) = self.nth_newest(&all, WINDOW)? else {
            return self.ranked(query, &all, &words, None, limit);
        };
        // One phrase: it is the whole query, and it matched too many.
        let rare: Vec<&str> = phrases
            .iter()
            .filter(|_| phrases.len() > 1)
            .filter_map(
                |phrase| match self.nth_newest(&restricted(phrase), WINDOW) {
                    Ok(None) => Some(Ok(phrase.as_str())),
                    Ok(Some(_)) => None,
                    Err(e) => Some(Err(e)),
                },
            )
            .collect::<Result<_>>()?;
        let mut hits = if rare.is_empty() {
            Vec::new()
        } else {
            // Every phrase stays in the expression, so more matching words still rank higher
            // (the rare ones, named twice, count twice: they say the most).
            let with_rare = format!("({}) AND ({all})", rare.join(" OR "));
            self.ranked(query, &with_rare, &words, None, limit)?
        };
        if hits.len() >= limit {
            return Ok(hits);
        }
        let recent = self.ranked(query, &all, &words, Some(oldest_recent), limit)?;
        for hit in recent {
            if hits.len() >= limit {
                break;
            }
            if !hits
                .iter()
                .any(|h| h.session.session_id == hit.session.session_id)
            {
                hits.push(hit);
            }
        }
        Ok(hits)
    }

    /// The rowid of the `n`th newest session matching `expression`, if that many match.
    fn nth_newest(&self, expression: &str, n: usize) -> Result<Option<i64>> {
        self.conn
            .query_row(
                &format!(
                    "SELECT rowid FROM sessions_fts WHERE sessions_fts MATCH ?1
                     ORDER BY rowid DESC LIMIT 1 OFFSET {}",
                    n.saturating_sub(1)
                ),
                [expression],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.fail())
    }

    /// The best `limit` sessions matching `expression` (from rowid `from` on), with snippets
    /// of where `words` matched.
    fn ranked(
        &self,
        query: &SearchQuery,
        expression: &str,
        words: &str,
        from: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        let mut clauses = Vec::new();
        let mut values = vec![expression.to_owned(), words.to_owned()];
        // Numbered: `?2` comes later in the text, so a bare `?` here would be taken for it.
        let mut when = |column: &'static str, value: Option<String>| {
            if let Some(value) = value {
                values.push(value);
                clauses.push(format!("{column} ?{}", values.len()));
            }
        };
        when("s.created_at >=", query.since.map(|t| t.to_string()));
        when("s.session_id <>", query.exclude_session_id.clone());
        let mut filters: String = clauses.iter().map(|c| format!(" AND {c}")).collect();
        // An integer in the text: bound as a parameter it would be text, never equal to one.
        if let Some(id) = from {
            filters.push_str(&format!(" AND sessions_fts.rowid >= {id}"));
        }
        let (start, end) = (values.len() + 1, values.len() + 2);
        values.extend([query.marks.start.clone(), query.marks.end.clone()]);
        // The best rows first, then a snippet for those alone (SQLite would otherwise build
        // one for every match before sorting), of the words only: not of the filters' tags.
        // The rows are read for the filters alone: a read per match is what a search costs.
        let rows = if clauses.is_empty() {
            ""
        } else {
            "JOIN sessions s ON s.id = sessions_fts.rowid"
        };
        let sql = format!(
            "WITH best AS (
                 SELECT sessions_fts.rowid AS id, bm25(sessions_fts, {WEIGHTS}) AS rank
                 FROM sessions_fts {rows}
                 WHERE sessions_fts MATCH ?1{filters}
                 ORDER BY rank LIMIT {limit}
             )
             SELECT {SESSION_COLUMNS}, -best.rank,
                 snippet(sessions_fts, -1, ?{start}, ?{end}, '…', {SNIPPET_TOKENS})
             FROM best
             JOIN sessions_fts ON sessions_fts.rowid = best.id
             JOIN sessions s ON s.id = best.id
             WHERE sessions_fts MATCH ?2
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

/// The words a session's `tags` column holds: its person and repository as opaque tokens,
/// so that a filtered search is one FTS5 expression (the index intersects the lists) rather
/// than a check of every match's row. The column's BM25 weight is 0: tags never rank.
pub(crate) fn session_tags(user_arn: &str, repo: Option<&str>) -> String {
    let mut tags = tag('u', user_arn);
    if let Some(repo) = repo {
        tags.push(' ');
        tags.push_str(&tag('r', repo));
    }
    tags
}

/// `tags:"u…" AND tags:"r…"` for the query's person and repository filters, and
/// `(tags:"u…" OR tags:"u…")` for each list of alternatives.
fn filter_tags(query: &SearchQuery, among: &Among) -> Option<String> {
    let one = |kind: char, value: &str| format!("tags:\"{}\"", tag(kind, value));
    let single = [('u', &query.user_arn), ('r', &query.repo)]
        .into_iter()
        .filter_map(|(kind, value)| value.as_deref().map(|v| one(kind, v)));
    let lists = [('u', &among.user_arns), ('r', &among.repos)]
        .into_iter()
        .filter_map(|(kind, values)| {
            let values = values.as_ref()?;
            let any: Vec<String> = values.iter().map(|v| one(kind, v)).collect();
            Some(format!("({})", any.join(" OR ")))
        });
    let tags: Vec<String> = single.chain(lists).collect();
    (!tags.is_empty()).then(|| tags.join(" AND "))
}

/// A kind letter and a 64-bit FNV-1a hash in decimal: one token to the tokenizer (no stem
/// to take off digits), the same in every version of the program.
fn tag(kind: char, value: &str) -> String {
    let hash = value.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{kind}{hash:020}")
}
