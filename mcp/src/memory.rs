//! A team log held in memory, for the unit tests and the protocol test's fixture server: the
//! same filters as the mirror, with plain word matching in place of its ranked search.

use std::sync::Mutex;

use sessions_core::{Session, SessionId};

use crate::log::{
    Freshness, Hit, LogError, RecentQuery, SearchQuery, TeamLog, person_matches, repo_matches,
};

/// Sessions and a freshness, as given; `fail` makes every read fail with that message.
#[derive(Debug, Default)]
pub struct MemoryLog {
    pub sessions: Vec<Session>,
    pub freshness: Freshness,
    pub fail: Option<String>,
    /// Every query the log answered, in order: what the tests look at.
    pub seen: Mutex<Vec<String>>,
}

impl MemoryLog {
    pub fn new(sessions: Vec<Session>, freshness: Freshness) -> MemoryLog {
        MemoryLog {
            sessions,
            freshness,
            ..MemoryLog::default()
        }
    }

    fn read(&self, what: String) -> Result<(), LogError> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(what);
        }
        match &self.fail {
            Some(why) => Err(LogError::new(why)),
            None => Ok(()),
        }
    }
}

impl TeamLog for MemoryLog {
    fn search(&self, query: &SearchQuery) -> Result<Vec<Hit>, LogError> {
        self.read(format!("search {query:?}"))?;
        let terms: Vec<String> = query
            .text
            .split_whitespace()
            .map(|t| {
                t.trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase()
            })
            .filter(|t| !t.is_empty())
            .collect();
        let mut hits: Vec<(usize, Hit)> = self
            .sessions
            .iter()
            .filter(|s| !excluded(s, query.exclude_session_id.as_ref()))
            .filter(|s| {
                query
                    .repo
                    .as_deref()
                    .is_none_or(|r| repo_matches(s.facts.repo.as_deref(), r))
            })
            .filter(|s| {
                query
                    .person
                    .as_deref()
                    .is_none_or(|p| person_matches(&s.user_arn, p))
            })
            .filter(|s| {
                query
                    .since
                    .as_ref()
                    .is_none_or(|since| s.created_at >= since.to_string())
            })
            .filter_map(|s| {
                let text = searchable(s);
                let score = terms.iter().filter(|t| text.contains(t.as_str())).count();
                (score == terms.len() && score > 0).then(|| {
                    let snippet = snippet(&s.summary, &terms, query.marks);
                    (
                        score,
                        Hit {
                            session: s.clone(),
                            snippet,
                        },
                    )
                })
            })
            .collect();
        hits.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(b.1.session.created_at.cmp(&a.1.session.created_at))
        });
        Ok(hits.into_iter().take(query.limit).map(|(_, h)| h).collect())
    }

    fn get(&self, session_id: &SessionId) -> Result<Option<Session>, LogError> {
        self.read(format!("get {session_id}"))?;
        Ok(self
            .sessions
            .iter()
            .find(|s| s.session_id == session_id.as_str())
            .cloned())
    }

    fn recent(&self, query: &RecentQuery) -> Result<Vec<Session>, LogError> {
        self.read(format!("recent {query:?}"))?;
        let mut sessions: Vec<Session> = self
            .sessions
            .iter()
            .filter(|s| !excluded(s, query.exclude_session_id.as_ref()))
            .filter(|s| {
                query
                    .repo
                    .as_deref()
                    .is_none_or(|r| repo_matches(s.facts.repo.as_deref(), r))
            })
            .filter(|s| {
                query
                    .branch
                    .as_deref()
                    .is_none_or(|b| s.facts.branch.as_deref() == Some(b))
            })
            .cloned()
            .collect();
        sessions.sort_by(|a, b| b.created_at.cmp(&a.created_at));
        sessions.truncate(query.limit);
        Ok(sessions)
    }

    fn freshness(&self) -> Result<Freshness, LogError> {
        self.read("freshness".to_owned())?;
        Ok(self.freshness.clone())
    }
}

fn excluded(s: &Session, exclude: Option<&SessionId>) -> bool {
    exclude.is_some_and(|id| id.as_str() == s.session_id)
}

fn searchable(s: &Session) -> String {
    [
        s.title.as_str(),
        s.summary.as_str(),
        s.facts.repo.as_deref().unwrap_or(""),
        s.facts.branch.as_deref().unwrap_or(""),
        s.user_arn.as_str(),
    ]
    .join("\n")
    .to_lowercase()
}

/// The summary's words, each matching term between the marks.
fn snippet(summary: &str, terms: &[String], (open, close): (&str, &str)) -> String {
    summary
        .split_whitespace()
        .map(|word| {
            let bare = word
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase();
            if terms.contains(&bare) {
                format!("{open}{word}{close}")
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A finished session by `who`, as the API returns it; for tests.
#[cfg(test)]
pub(crate) fn session(id: &str, who: &str, created_at: &str, title: &str) -> Session {
    Session {
        uuid: format!("uuid-{id}"),
        session_id: id.to_owned(),
        user_uuid: format!("user-{who}"),
        workspace_uuid: "0b0e7f44-7a8c-4d2e-9d53-3f7a2f1b9c10".to_owned(),
        title: title.to_owned(),
        summary: format!("{title}: done."),
        created_at: created_at.to_owned(),
        finished_at: Some(created_at.to_owned()),
        updated_at: created_at.to_owned(),
        user_arn: format!("arn:aws:iam::123456789012:user/{who}"),
        facts: Box::default(),
    }
}
