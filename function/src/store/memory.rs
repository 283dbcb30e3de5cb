//! Sessions in memory, with DynamoDB's semantics: the same upsert decision (not owner, stale,
//! create-only), newest-first listing by `created_at`, `mine`, and the same cursors. For fast
//! tests of the router's logic; DynamoDB Local remains the proof that the real store agrees.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use sessions_core::{Session, SessionId, SessionPage, WorkspaceId};

use super::cursor::{Listing, Position};
use super::{SessionStore, StoreError, Upserted};
use crate::domain::{Existing, ListQuery, UpsertCommand, decide};

/// A stored row: the session and the `observed_at` of its latest write.
#[derive(Debug, Clone)]
struct Row {
    session: Session,
    observed_at: String,
}

/// Rows by table key (`workspace_uuid`, `session_id`).
#[derive(Debug, Default)]
pub struct MemoryStore {
    rows: Mutex<BTreeMap<(String, String), Row>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn rows(&self) -> MutexGuard<'_, BTreeMap<(String, String), Row>> {
        // A write either happens whole or not at all, so a panicking holder leaves no half-row.
        self.rows.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An attribute of a session by its table name, as the cursor reads it.
fn attribute<'a>(session: &'a Session, name: &str) -> Option<&'a str> {
    match name {
        "workspace_uuid" => Some(&session.workspace_uuid),
        "session_id" => Some(&session.session_id),
        "user_uuid" => Some(&session.user_uuid),
        "created_at" => Some(&session.created_at),
        _ => None,
    }
}

/// A listing's order, newest first: `created_at`, then `session_id` among equals.
fn newest_first(a: &Session, b: &Session) -> std::cmp::Ordering {
    (&b.created_at, &b.session_id).cmp(&(&a.created_at, &a.session_id))
}

/// Whether `session` comes after the cursor's position in the listing's order.
fn after(session: &Session, position: &Position) -> bool {
    let at = |name: &str| position.get(name).map_or("", String::as_str);
    (session.created_at.as_str(), session.session_id.as_str())
        < (at("created_at"), at("session_id"))
}

impl SessionStore for MemoryStore {
    async fn upsert(&self, cmd: &UpsertCommand) -> Result<Upserted, StoreError> {
        let mut rows = self.rows();
        let key = (cmd.workspace.to_string(), cmd.session_id.to_string());
        let existing = rows.get(&key);
        decide(
            existing.map(|row| Existing {
                user_uuid: &row.session.user_uuid,
                observed_at: &row.observed_at,
            }),
            &cmd.caller,
            &cmd.fields.observed_at,
            cmd.mode,
        )
        .map_err(StoreError::Rejected)?;
        let body = &cmd.fields;
        let now = cmd.now.to_string();
        let session = match existing {
            Some(row) => Session {
                title: body.title.to_string(),
                summary: body.summary.to_string(),
                finished_at: body.finished_at.map(|t| t.to_string()),
                updated_at: now,
                ..row.session.clone()
            },
            None => Session {
                uuid: cmd.new_uuid.to_string(),
                session_id: cmd.session_id.to_string(),
                user_uuid: cmd.caller.user_uuid.to_string(),
                workspace_uuid: cmd.workspace.to_string(),
                title: body.title.to_string(),
                summary: body.summary.to_string(),
                created_at: cmd.created_at().to_string(),
                finished_at: body.finished_at.map(|t| t.to_string()),
                updated_at: now,
                user_arn: cmd.caller.arn.clone(),
            },
        };
        let created = existing.is_none();
        let row = Row {
            session: session.clone(),
            observed_at: body.observed_at.to_string(),
        };
        rows.insert(key, row);
        Ok(Upserted { session, created })
    }

    async fn get(
        &self,
        workspace: &WorkspaceId,
        session_id: &SessionId,
    ) -> Result<Option<Session>, StoreError> {
        let key = (workspace.to_string(), session_id.to_string());
        Ok(self.rows().get(&key).map(|row| row.session.clone()))
    }

    /// As DynamoDB pages: a full page always carries a cursor (even if nothing follows, the
    /// next page is then empty), a short page never does.
    async fn list(&self, q: &ListQuery) -> Result<SessionPage, StoreError> {
        let workspace = q.workspace.to_string();
        let me = q.caller.user_uuid.to_string();
        let listing = Listing::new(&workspace, q.mine.then_some(me.as_str()));
        let start = q
            .cursor
            .as_ref()
            .map(|c| listing.decode(c.as_str()))
            .transpose()?;
        let mut sessions: Vec<Session> = self
            .rows()
            .values()
            .map(|row| &row.session)
            .filter(|s| s.workspace_uuid == workspace && (!q.mine || s.user_uuid == me))
            .filter(|s| start.as_ref().is_none_or(|position| after(s, position)))
            .cloned()
            .collect();
        sessions.sort_by(newest_first);
        let limit = q.limit as usize;
        sessions.truncate(limit);
        let next_cursor = match sessions.last() {
            Some(last) if sessions.len() == limit => {
                Some(listing.encode(|name| attribute(last, name)))
            }
            _ => None,
        };
        Ok(SessionPage {
            sessions,
            next_cursor,
        })
    }
}
