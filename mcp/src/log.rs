//! What the MCP server answers from: a small blocking interface to the team's session log,
//! which the local mirror implements and the tests fake in memory.

use std::fmt;

use sessions_core::{Session, SessionId, Timestamp};

/// The team's session log as the server reads it.
///
/// Every method blocks (the mirror reads SQLite on disk), so the server never calls one on an
/// async thread: each tool call runs its reads inside `tokio::task::spawn_blocking`. Answers
/// hold what the API returns to this user (redacted text, one workspace, no deleted rows).
pub trait TeamLog: Send + Sync + 'static {
    /// The sessions that best match `query.text`, best first, at most `query.limit`.
    fn search(&self, query: &SearchQuery) -> Result<Vec<Hit>, LogError>;

    /// One session by id, or `None` when the log does not hold it.
    fn get(&self, session_id: &SessionId) -> Result<Option<Session>, LogError>;

    /// The latest sessions, newest first (by `created_at`), at most `query.limit`.
    fn recent(&self, query: &RecentQuery) -> Result<Vec<Session>, LogError>;

    /// How current the log is: when it last matched the API, and why the latest sync failed.
    fn freshness(&self) -> Result<Freshness, LogError>;
}

/// A ranked search. Filters left `None` do not filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// What to look for, as a person or Claude writes it (words, "a phrase", prefix*).
    pub text: String,
    /// A repository as `host/owner/name`, or a tail of it (`owner/name`): a session matches
    /// when its repo is this or ends with `/` and this.
    pub repo: Option<String>,
    /// A teammate: matches the last part of the session's user ARN (a user name or SSO
    /// e-mail), case-insensitively, whole or as its start (`alice` finds `alice@acme.com`).
    pub person: Option<String>,
    /// Only sessions created at or after this instant.
    pub since: Option<Timestamp>,
    pub limit: usize,
    /// Never returned: the session that asks.
    pub exclude_session_id: Option<SessionId>,
    /// What to put around each matched term in a hit's snippet.
    pub marks: (&'static str, &'static str),
}

/// The latest work. Filters left `None` do not filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentQuery {
    /// As in [`SearchQuery::repo`].
    pub repo: Option<String>,
    /// A branch name, exactly.
    pub branch: Option<String>,
    pub limit: usize,
    /// Never returned: the session that asks.
    pub exclude_session_id: Option<SessionId>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub session: Session,
    /// A short passage of the title or summary around the match, matched terms between the
    /// query's marks.
    pub snippet: String,
}

/// How current the log is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Freshness {
    /// When the log last matched the API; `None`: never synced.
    pub synced_at: Option<Timestamp>,
    /// Why the latest sync failed (offline, expired credentials...); `None` when it worked.
    pub sync_error: Option<String>,
}

/// The log could not be read; the message says why, for Claude and the person to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogError(pub String);

impl LogError {
    pub fn new(message: impl fmt::Display) -> Self {
        LogError(message.to_string())
    }
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LogError {}

/// Whether a session's repo is `wanted` or ends with `/wanted`: the one reading of the repo
/// filter, for implementations of [`TeamLog`] to share.
pub fn repo_matches(session_repo: Option<&str>, wanted: &str) -> bool {
    session_repo.is_some_and(|repo| {
        repo == wanted
            || repo
                .strip_suffix(wanted)
                .is_some_and(|head| head.ends_with('/'))
    })
}

/// Whether the user ARN names `person`, as [`SearchQuery::person`] says.
pub fn person_matches(user_arn: &str, person: &str) -> bool {
    let name = short_name(user_arn);
    name.len() >= person.len()
        && name.is_char_boundary(person.len())
        && name[..person.len()].eq_ignore_ascii_case(person)
}

/// The last part of a user ARN: a user name or SSO e-mail, how teammates know each other.
pub fn short_name(user_arn: &str) -> &str {
    user_arn.rsplit('/').next().unwrap_or(user_arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repo_matches_whole_or_by_its_tail() {
        let repo = Some("github.com/acme/api");
        assert!(repo_matches(repo, "github.com/acme/api"));
        assert!(repo_matches(repo, "acme/api"));
        assert!(!repo_matches(repo, "me/api"));
        assert!(!repo_matches(repo, "acme/ap"));
        assert!(!repo_matches(None, "acme/api"));
    }

    #[test]
    fn a_person_matches_the_arn_name_or_its_start() {
        let sso = "arn:aws:sts::123456789012:assumed-role/Dev/Alice@acme.com";
        assert!(person_matches(sso, "alice"));
        assert!(person_matches(sso, "alice@acme.com"));
        assert!(!person_matches(sso, "bob"));
        assert!(!person_matches(sso, "Dev"));
        assert!(person_matches("arn:aws:iam::1:user/bob", "BOB"));
        assert!(!person_matches("arn:aws:iam::1:user/bo", "bob"));
        // A multi-byte name cut mid-character is no match, never a panic.
        assert!(!person_matches("arn:aws:iam::1:user/é", "x"));
    }
}
