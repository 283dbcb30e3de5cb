//! The tools' arguments as Claude sends them, and their reading into log queries: every rule
//! checked here, every refusal a sentence that says how to call the tool instead.

use rmcp::schemars::{self, JsonSchema};
use serde::Deserialize;
use sessions_core::facts::check_repo;
use sessions_core::text::clip;
use sessions_core::{SessionId, Timestamp};

use crate::log::{RecentQuery, SearchQuery};

/// The most results one answer lists: enough to find earlier work, small enough to read.
pub const MAX_LIMIT: usize = 20;
pub const DEFAULT_LIMIT: usize = 10;
const QUERY_MAX_CHARS: usize = 500;
const NAME_MAX_CHARS: usize = 256;

/// Where a snippet's matched terms start and end in an answer.
pub const MARKS: (&str, &str) = ("[", "]");

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    // Descriptions as one line each: doc comments would carry their line breaks into the schema.
    #[schemars(
        description = "Words to look for in teammates' session titles and summaries: a feature, a bug, an error message, a file or function name. \"Quotes\" for a phrase, prefix* for a prefix."
    )]
    pub query: String,
    /// Only this repository: host/owner/name or owner/name (e.g. acme/api).
    pub repo: Option<String>,
    /// Only this teammate: their user name or e-mail, or its start (e.g. alice).
    pub person: Option<String>,
    #[schemars(
        description = "Only sessions since then: a duration back from now (30m, 12h, 7d, 2w) or a date (2026-11-01)."
    )]
    pub since: Option<String>,
    /// How many results, 1-20 (default 10).
    #[schemars(range(min = 1, max = 20))]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// The session's id, as search_sessions or recent_sessions list it.
    pub session_id: String,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecentArgs {
    #[schemars(
        description = "Only this repository: host/owner/name or owner/name. Default: the repository Claude is working in."
    )]
    pub repo: Option<String>,
    /// Only this branch (exact name).
    pub branch: Option<String>,
    /// How many sessions, 1-20 (default 10).
    #[schemars(range(min = 1, max = 20))]
    pub limit: Option<u32>,
}

/// Who is asking: fixed when the server starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// The Claude Code session the server serves (`CLAUDE_CODE_SESSION_ID`): never an answer.
    pub session_id: Option<SessionId>,
    /// The repository of the directory the server runs in (`host/owner/name`), the default
    /// of `recent_sessions`.
    pub repo: Option<String>,
}

impl Caller {
    /// A caller from what the server was started with. A session id that is not one (Claude
    /// Code's are UUIDs) can name no row of the log, so there is nothing to exclude.
    pub fn new(session_id: Option<&str>, repo: Option<String>) -> Caller {
        let session_id = session_id.and_then(|raw| match SessionId::parse(raw) {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::warn!("ignoring the calling session id: {}", e.message);
                None
            }
        });
        Caller { session_id, repo }
    }

    /// Whether `session_id` is the calling session's own.
    pub fn is_self(&self, session_id: &str) -> bool {
        self.session_id
            .as_ref()
            .is_some_and(|own| own.as_str() == session_id)
    }
}

impl SearchArgs {
    pub fn query(self, caller: &Caller, now: &Timestamp) -> Result<SearchQuery, String> {
        let text = self.query.trim();
        if text.is_empty() {
            return Err("query is empty; pass the words to look for, like {\"query\": \"flaky login test\"}".to_owned());
        }
        if text.chars().count() > QUERY_MAX_CHARS {
            return Err(format!(
                "query is longer than {QUERY_MAX_CHARS} characters; pass a few distinctive words"
            ));
        }
        Ok(SearchQuery {
            text: text.to_owned(),
            repo: repo(self.repo)?,
            person: name("person", self.person)?,
            since: self.since.map(|s| since(&s, now)).transpose()?,
            limit: limit(self.limit)?,
            exclude_session_id: caller.session_id.clone(),
            marks: MARKS,
        })
    }
}

impl GetArgs {
    pub fn session_id(&self) -> Result<SessionId, String> {
        SessionId::parse(self.session_id.trim()).map_err(|e| {
            format!(
                "{}; pass a session id as search_sessions or recent_sessions list it",
                e.message
            )
        })
    }
}

impl RecentArgs {
    /// The query, defaulting the repository to the caller's.
    pub fn query(self, caller: &Caller) -> Result<RecentQuery, String> {
        Ok(RecentQuery {
            repo: repo(self.repo)?.or_else(|| caller.repo.clone()),
            branch: name("branch", self.branch)?,
            limit: limit(self.limit)?,
            exclude_session_id: caller.session_id.clone(),
        })
    }
}

fn limit(raw: Option<u32>) -> Result<usize, String> {
    match raw.map(|n| n as usize) {
        None => Ok(DEFAULT_LIMIT),
        Some(n @ 1..=MAX_LIMIT) => Ok(n),
        Some(n) => Err(format!(
            "limit {n} is out of range; pass 1-{MAX_LIMIT} (default {DEFAULT_LIMIT})"
        )),
    }
}

fn repo(raw: Option<String>) -> Result<Option<String>, String> {
    let Some(raw) = blank_is_none(raw) else {
        return Ok(None);
    };
    let trimmed = raw.trim_end_matches('/').trim_end_matches(".git");
    check_repo(trimmed)
        .map(|()| Some(trimmed.to_owned()))
        .map_err(|why| format!("repo {:?} {why}", clip(&raw, 80)))
}

fn name(field: &str, raw: Option<String>) -> Result<Option<String>, String> {
    let Some(raw) = blank_is_none(raw) else {
        return Ok(None);
    };
    if raw.chars().count() > NAME_MAX_CHARS || raw.chars().any(char::is_control) {
        return Err(format!(
            "{field} {:?} is not a name; pass a plain name of at most {NAME_MAX_CHARS} characters",
            clip(&raw, 80)
        ));
    }
    Ok(Some(raw))
}

/// An empty or blank optional argument is taken as left out: models often send `""`.
fn blank_is_none(raw: Option<String>) -> Option<String> {
    raw.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// `since`: a duration back from `now` (30m, 12h, 7d, 2w) or a date or RFC 3339 date/time.
fn since(raw: &str, now: &Timestamp) -> Result<Timestamp, String> {
    let bad = || {
        format!(
            "since {:?} is neither a duration nor a date; pass 30m, 12h, 7d or 2w, or a date like 2026-11-01",
            clip(raw, 80)
        )
    };
    Timestamp::when(raw, now, false).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse("now", "2026-11-24T12:00:00Z").unwrap()
    }

    fn search(value: serde_json::Value) -> Result<SearchQuery, String> {
        let args: SearchArgs = serde_json::from_value(value).map_err(|e| e.to_string())?;
        args.query(&Caller::new(Some("me-1"), None), &now())
    }

    #[test]
    fn search_defaults_and_excludes_the_caller() {
        let q = search(serde_json::json!({"query": "  flaky test "})).unwrap();
        assert_eq!(q.text, "flaky test");
        assert_eq!(q.limit, DEFAULT_LIMIT);
        assert_eq!(q.repo, None);
        assert_eq!(q.person, None);
        assert_eq!(q.since, None);
        assert_eq!(q.exclude_session_id.unwrap().as_str(), "me-1");
    }

    #[test]
    fn search_reads_every_filter() {
        let q = search(serde_json::json!({
            "query": "login", "repo": "acme/api.git", "person": " alice ",
            "since": "7d", "limit": 20
        }))
        .unwrap();
        assert_eq!(q.repo.as_deref(), Some("acme/api"));
        assert_eq!(q.person.as_deref(), Some("alice"));
        assert_eq!(q.since.unwrap().to_string(), "2026-11-17T12:00:00.000Z");
        assert_eq!(q.limit, 20);
        let blanks =
            search(serde_json::json!({"query": "x", "repo": "", "person": " ", "since": null}))
                .unwrap();
        assert_eq!(
            (blanks.repo, blanks.person, blanks.since),
            (None, None, None)
        );
    }

    #[test]
    fn since_forms() {
        let now = now();
        for (raw, want) in [
            ("30m", "2026-11-24T11:30:00.000Z"),
            ("12h", "2026-11-24T00:00:00.000Z"),
            ("2w", "2026-11-10T12:00:00.000Z"),
            ("2026-11-01", "2026-11-01T00:00:00.000Z"),
            ("2026-11-01T09:00:00+01:00", "2026-11-01T08:00:00.000Z"),
        ] {
            assert_eq!(since(raw, &now).unwrap().to_string(), want, "{raw}");
        }
        for bad in [
            "",
            "7x",
            "-3d",
            "yesterday",
            "d",
            "99999999999999w",
            "2026-13-01",
        ] {
            let e = since(bad, &now).unwrap_err();
            assert!(e.contains("pass 30m, 12h, 7d or 2w"), "{bad}: {e}");
        }
    }

    #[test]
    fn bad_arguments_say_how_to_call_instead() {
        for (args, says) in [
            (serde_json::json!({"query": "  "}), "query is empty"),
            (
                serde_json::json!({"query": "x".repeat(501)}),
                "longer than 500",
            ),
            (serde_json::json!({"query": "x", "limit": 0}), "pass 1-20"),
            (serde_json::json!({"query": "x", "limit": 21}), "pass 1-20"),
            (
                serde_json::json!({"query": "x", "repo": "api"}),
                "host/owner/name",
            ),
            (
                serde_json::json!({"query": "x", "repo": "https://x/y"}),
                "contains ':'",
            ),
            (
                serde_json::json!({"query": "x", "person": "a\u{7}"}),
                "not a name",
            ),
            (
                serde_json::json!({"query": "x", "since": "last week"}),
                "like 2026-11-01",
            ),
        ] {
            let e = search(args.clone()).unwrap_err();
            assert!(e.contains(says), "{args}: {e}");
        }
    }

    #[test]
    fn unknown_or_mistyped_arguments_do_not_parse() {
        for args in [
            serde_json::json!({"query": "x", "repository": "acme/api"}),
            serde_json::json!({"query": 3}),
            serde_json::json!({"query": "x", "limit": -1}),
            serde_json::json!({"query": "x", "limit": "5"}),
            serde_json::json!({}),
        ] {
            assert!(search(args.clone()).is_err(), "{args}");
        }
    }

    #[test]
    fn get_checks_the_session_id() {
        let ok = GetArgs {
            session_id: " abc-1 ".to_owned(),
        };
        assert_eq!(ok.session_id().unwrap().as_str(), "abc-1");
        let bad = GetArgs {
            session_id: "a/b".to_owned(),
        }
        .session_id()
        .unwrap_err();
        assert!(
            bad.contains("contains '/'") && bad.contains("search_sessions"),
            "{bad}"
        );
    }

    #[test]
    fn recent_defaults_to_the_callers_repo() {
        let caller = Caller::new(Some("me-1"), Some("github.com/acme/api".to_owned()));
        let q = RecentArgs::default().query(&caller).unwrap();
        assert_eq!(q.repo.as_deref(), Some("github.com/acme/api"));
        assert_eq!(q.limit, DEFAULT_LIMIT);
        let other = RecentArgs {
            repo: Some("acme/web".to_owned()),
            branch: Some("main".to_owned()),
            limit: Some(3),
        }
        .query(&caller)
        .unwrap();
        assert_eq!(other.repo.as_deref(), Some("acme/web"));
        assert_eq!(other.branch.as_deref(), Some("main"));
        assert_eq!(other.limit, 3);
        let nowhere = RecentArgs::default().query(&Caller::default()).unwrap();
        assert_eq!(nowhere.repo, None);
    }

    #[test]
    fn a_caller_id_that_is_no_session_id_excludes_nothing() {
        assert_eq!(Caller::new(Some("not an id"), None).session_id, None);
        assert!(Caller::new(Some("abc"), None).is_self("abc"));
        assert!(!Caller::new(None, None).is_self("abc"));
    }
}
