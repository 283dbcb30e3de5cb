//! The team log `cargo-ai mcp` answers from: the local mirror, read behind the MCP server's
//! `TeamLog`, with the background sync's last failure for the answers' freshness line.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use sessions_core::{Session, SessionId};
use sessions_mcp::log::{person_matches, repo_matches};
use sessions_mcp::{Freshness, Hit, LogError, RecentQuery, SearchQuery, TeamLog};
use sessions_mirror::{Among, Marks, Mirror, MirrorError};

/// What the background sync last said: whether one has finished yet, and why the latest
/// failed (`None` once one worked). Shared by the sync (writer) and the log (reader).
#[derive(Debug, Default)]
pub struct SyncState {
    last: Mutex<Option<Option<String>>>,
    finished: Condvar,
}

impl SyncState {
    /// A sync finished: `error` is why it failed, `None` if it worked.
    pub fn set(&self, error: Option<String>) {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
        self.finished.notify_all();
    }

    fn error(&self) -> Option<String> {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .flatten()
    }

    /// Waits until the first sync has finished, for at most `wait`.
    fn wait_first(&self, wait: Duration) {
        let last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self
            .finished
            .wait_timeout_while(last, wait, |last| last.is_none());
    }
}

/// How long a read of a mirror that has never synced waits for the first sync: a new
/// teammate's first question should find the team's work, not an empty file. The sync goes
/// on past it; the read then answers from what there is and says it has not synced.
const FIRST_SYNC_WAIT: Duration = Duration::from_secs(5);

/// The mirror of the configured workspace, opened on first use and kept open (a SQLite
/// connection is not `Sync`: one at a time, behind a lock). A read that fails closes it, so
/// the next read opens the file afresh (the sync may have set a damaged one aside).
pub struct MirrorLog {
    source: Result<PathBuf, String>,
    mirror: Mutex<Option<Mirror>>,
    sync: Arc<SyncState>,
}

impl MirrorLog {
    pub fn new(path: PathBuf, sync: Arc<SyncState>) -> MirrorLog {
        MirrorLog {
            source: Ok(path),
            mirror: Mutex::new(None),
            sync,
        }
    }

    /// A log that cannot be read, saying why (no workspace configured, the mirror off): the
    /// server still starts, and each tool answers with the reason and its fix.
    pub fn unavailable(why: String) -> MirrorLog {
        MirrorLog {
            source: Err(why),
            mirror: Mutex::new(None),
            sync: Arc::new(SyncState::default()),
        }
    }

    fn read<T>(&self, read: impl FnOnce(&Mirror) -> Result<T, MirrorError>) -> Result<T, LogError> {
        let path = self.source.as_ref().map_err(LogError::new)?;
        let mut slot = self.mirror.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(Mirror::open(path).map_err(LogError::new)?);
        }
        let mirror = slot.as_ref().ok_or_else(|| LogError::new("no mirror"))?;
        if mirror.last_sync().is_ok_and(|at| at.is_none()) {
            self.sync.wait_first(FIRST_SYNC_WAIT);
        }
        let read = read(mirror);
        if read
            .as_ref()
            .is_err_and(|e| !matches!(e, MirrorError::EmptyQuery))
        {
            *slot = None;
        }
        read.map_err(LogError::new)
    }
}

/// The repositories `wanted` names (itself or those it is the tail of), when it is given.
fn repos_named(mirror: &Mirror, wanted: Option<&str>) -> Result<Option<Vec<String>>, MirrorError> {
    let Some(wanted) = wanted else {
        return Ok(None);
    };
    let mut repos = mirror.repos()?;
    repos.retain(|repo| repo_matches(Some(repo), wanted));
    Ok(Some(repos))
}

impl TeamLog for MirrorLog {
    fn search(&self, query: &SearchQuery) -> Result<Vec<Hit>, LogError> {
        self.read(|mirror| {
            let user_arns = match &query.person {
                Some(person) => {
                    let mut arns = mirror.user_arns()?;
                    arns.retain(|arn| person_matches(arn, person));
                    Some(arns)
                }
                None => None,
            };
            let among = Among {
                user_arns,
                repos: repos_named(mirror, query.repo.as_deref())?,
            };
            let mut search = sessions_mirror::SearchQuery::new(query.text.clone());
            search.since = query.since;
            search.limit = query.limit;
            search.exclude_session_id = query
                .exclude_session_id
                .as_ref()
                .map(|id| id.as_str().to_owned());
            search.marks = Marks {
                start: query.marks.0.to_owned(),
                end: query.marks.1.to_owned(),
            };
            mirror.search_among(&search, &among)
        })
        .map(|hits| {
            hits.into_iter()
                .map(|hit| Hit {
                    session: hit.session,
                    snippet: hit.snippet,
                })
                .collect()
        })
    }

    /// A deleted session is not in the mirror: `None`, as for one never seen.
    fn get(&self, session_id: &SessionId) -> Result<Option<Session>, LogError> {
        self.read(|mirror| mirror.get(session_id.as_str()))
    }

    fn recent(&self, query: &RecentQuery) -> Result<Vec<Session>, LogError> {
        let excluded = |s: &Session| {
            query
                .exclude_session_id
                .as_ref()
                .is_some_and(|id| id.as_str() == s.session_id)
        };
        self.read(|mirror| {
            let branch = query.branch.as_deref();
            // One more than asked: the excluded session may be among them.
            let wanted = query.limit + 1;
            let mut sessions = match repos_named(mirror, query.repo.as_deref())? {
                None => mirror.recent(None, branch, wanted)?,
                Some(repos) => {
                    let mut all = Vec::new();
                    for repo in repos {
                        all.extend(mirror.recent(Some(&repo), branch, wanted)?);
                    }
                    all.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
                    all
                }
            };
            sessions.retain(|s| !excluded(s));
            sessions.truncate(query.limit);
            Ok(sessions)
        })
    }

    fn freshness(&self) -> Result<Freshness, LogError> {
        let synced_at = self.read(Mirror::last_sync)?;
        Ok(Freshness {
            synced_at,
            sync_error: self.sync.error(),
        })
    }
}

#[cfg(test)]
mod tests {
    use sessions_mirror::Change;

    use super::*;

    fn session(id: &str, arn: &str, repo: &str, updated_at: &str) -> Session {
        serde_json::from_value(serde_json::json!({
            "session_id": id,
            "uuid": "00000000-0000-4000-8000-000000000001",
            "user_uuid": "00000000-0000-4000-8000-000000000002",
            "workspace_uuid": "00000000-0000-4000-8000-000000000003",
            "title": format!("Retry the uploads ({id})"),
            "summary": "Added jittered backoff to the uploader.",
            "created_at": updated_at,
            "updated_at": updated_at,
            "user_arn": arn,
            "repo": repo,
            "branch": "main",
        }))
        .expect("a session")
    }

    fn log() -> (tempfile::TempDir, MirrorLog) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mirror.sqlite3");
        let mut mirror = Mirror::open(&path).unwrap();
        let sso = "arn:aws:sts::1:assumed-role/Dev/Alice@acme.com";
        mirror
            .apply(
                [
                    session(
                        "a-1",
                        sso,
                        "github.com/acme/api",
                        "2026-11-01T10:00:00.000Z",
                    ),
                    session(
                        "a-2",
                        sso,
                        "github.com/acme/web",
                        "2026-11-02T10:00:00.000Z",
                    ),
                    session(
                        "b-1",
                        "arn:aws:iam::1:user/bob",
                        "gitlab.com/acme/api",
                        "2026-11-03T10:00:00.000Z",
                    ),
                    session(
                        "c-1",
                        "arn:aws:iam::1:user/carol",
                        "github.com/other/api",
                        "2026-11-04T10:00:00.000Z",
                    ),
                ]
                .map(Change::Live),
            )
            .unwrap();
        let state = Arc::new(SyncState::default());
        state.set(Some("offline".to_owned()));
        (dir, MirrorLog::new(path, state))
    }

    fn query(text: &str) -> SearchQuery {
        SearchQuery {
            text: text.to_owned(),
            repo: None,
            person: None,
            since: None,
            limit: 10,
            exclude_session_id: None,
            marks: ("[", "]"),
        }
    }

    fn ids(mut ids: Vec<String>) -> Vec<String> {
        ids.sort();
        ids
    }

    #[test]
    fn a_repository_filter_is_the_whole_name_or_its_tail() {
        let (_dir, log) = log();
        let search = |repo: &str| {
            let q = SearchQuery {
                repo: Some(repo.to_owned()),
                ..query("uploads")
            };
            ids(log
                .search(&q)
                .unwrap()
                .into_iter()
                .map(|h| h.session.session_id)
                .collect())
        };
        assert_eq!(search("acme/api"), ["a-1", "b-1"]);
        assert_eq!(search("github.com/acme/api"), ["a-1"]);
        assert!(search("cme/api").is_empty());
        let recent = RecentQuery {
            repo: Some("acme/api".to_owned()),
            branch: None,
            limit: 10,
            exclude_session_id: None,
        };
        let newest_first: Vec<String> = log
            .recent(&recent)
            .unwrap()
            .into_iter()
            .map(|s| s.session_id)
            .collect();
        assert_eq!(newest_first, ["b-1", "a-1"]);
    }

    #[test]
    fn a_person_is_the_start_of_a_name_in_any_case_and_the_caller_is_left_out() {
        let (_dir, log) = log();
        let q = SearchQuery {
            person: Some("ALICE".to_owned()),
            exclude_session_id: Some(SessionId::parse("a-2").unwrap()),
            ..query("uploads")
        };
        let hits = log.search(&q).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].session.session_id, "a-1");
        assert!(hits[0].snippet.contains("[uploads]"), "{}", hits[0].snippet);
        let nobody = SearchQuery {
            person: Some("dave".to_owned()),
            ..query("uploads")
        };
        assert!(log.search(&nobody).unwrap().is_empty());
    }

    #[test]
    fn recent_leaves_the_caller_out_and_still_fills_the_limit() {
        let (_dir, log) = log();
        let q = RecentQuery {
            repo: None,
            branch: Some("main".to_owned()),
            limit: 2,
            exclude_session_id: Some(SessionId::parse("c-1").unwrap()),
        };
        let got: Vec<String> = log
            .recent(&q)
            .unwrap()
            .into_iter()
            .map(|s| s.session_id)
            .collect();
        assert_eq!(got, ["b-1", "a-2"]);
    }

    #[test]
    fn freshness_is_the_mirrors_last_sync_and_the_syncs_last_error() {
        let (_dir, log) = log();
        let fresh = log.freshness().unwrap();
        assert_eq!(fresh.synced_at, None, "never synced");
        assert_eq!(fresh.sync_error.as_deref(), Some("offline"));
        assert_eq!(log.get(&SessionId::parse("zz").unwrap()).unwrap(), None);
    }

    #[test]
    fn an_unavailable_log_says_why_on_every_read() {
        let log = MirrorLog::unavailable("no workspace is set; set CARGO_AI_WORKSPACE".to_owned());
        let e = log.freshness().unwrap_err();
        assert!(e.0.contains("CARGO_AI_WORKSPACE"), "{e}");
    }
}
