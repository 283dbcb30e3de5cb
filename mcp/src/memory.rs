//! A team log held in memory, for the unit tests and the protocol test's fixture server: the
//! same filters as the mirror, with plain word matching in place of its ranked search.

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
}

impl MemoryLog {
    pub fn new(sessions: Vec<Session>, freshness: Freshness) -> MemoryLog {
        MemoryLog {
            sessions,
            freshness,
            fail: None,
        }
    }

    fn readable(&self) -> Result<(), LogError> {
        self.fail
            .as_ref()
            .map_or(Ok(()), |why| Err(LogError::new(why)))
    }

    /// The sessions a query may see, newest first: not the excluded one, in the repository.
    fn visible(
        &self,
        exclude: Option<&SessionId>,
        repo: Option<&str>,
    ) -> Result<Vec<&Session>, LogError> {
        self.readable()?;
        let mut sessions: Vec<&Session> = self
            .sessions
            .iter()
            .filter(|s| exclude.is_none_or(|id| id.as_str() != s.session_id))
            .filter(|s| repo.is_none_or(|r| repo_matches(s.facts.repo.as_deref(), r)))
            .collect();
        sessions.sort_by(|a, b| b.created_at.cmp(&a.created_at));
        Ok(sessions)
    }
}

impl TeamLog for MemoryLog {
    /// Every word of the query must appear; the newest matches first.
    fn search(&self, query: &SearchQuery) -> Result<Vec<Hit>, LogError> {
        let terms: Vec<String> = query
            .text
            .split_whitespace()
            .map(|t| {
                t.trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase()
            })
            .filter(|t| !t.is_empty())
            .collect();
        let since = query.since.map(|t| t.to_string());
        Ok(self
            .visible(query.exclude_session_id.as_ref(), query.repo.as_deref())?
            .into_iter()
            .filter(|s| {
                let person = query.person.as_deref();
                person.is_none_or(|p| person_matches(&s.user_arn, p))
            })
            .filter(|s| since.as_ref().is_none_or(|t| s.created_at >= *t))
            .filter(|s| {
                let text = searchable(s);
                !terms.is_empty() && terms.iter().all(|t| text.contains(t.as_str()))
            })
            .take(query.limit)
            .map(|s| Hit {
                session: s.clone(),
                snippet: snippet(&s.summary, &terms, query.marks),
            })
            .collect())
    }

    fn get(&self, session_id: &SessionId) -> Result<Option<Session>, LogError> {
        Ok(self
            .visible(None, None)?
            .into_iter()
            .find(|s| s.session_id == session_id.as_str())
            .cloned())
    }

    fn recent(&self, query: &RecentQuery) -> Result<Vec<Session>, LogError> {
        let branch = query.branch.as_deref();
        Ok(self
            .visible(query.exclude_session_id.as_ref(), query.repo.as_deref())?
            .into_iter()
            .filter(|s| branch.is_none_or(|b| s.facts.branch.as_deref() == Some(b)))
            .take(query.limit)
            .cloned()
            .collect())
    }

    fn freshness(&self) -> Result<Freshness, LogError> {
        self.readable()?;
        Ok(self.freshness.clone())
    }
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
