//! Sessions in memory, with DynamoDB's semantics: the same upsert and delete decisions (not
//! owner, stale, create-only, absent), tombstones, only the facts a write carries, newest-first
//! listing by `created_at` with the same filters (`mine`, user, repo, branch), the change feed
//! by `updated_at`, and the same cursors. For fast tests of the router's logic; DynamoDB Local
//! remains the proof that the real store agrees.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use sessions_core::wire::{Change, ChangePage, Deleted, Tombstone};
use sessions_core::{Session, SessionId, SessionPage, WorkspaceId};

use super::cursor::{Listing, Position};
use super::{SessionStore, StoreError, Upserted};
use crate::domain::{
    ChangeQuery, DeleteCommand, Existing, ListQuery, UpsertCommand, decide, decide_delete,
};

/// A stored row: its owner, the `observed_at` of its latest write, and the session, which a
/// delete takes away (leaving the tombstone, with the server's time of the delete).
#[derive(Debug, Clone)]
struct Row {
    user_uuid: String,
    observed_at: String,
    session: Option<Session>,
    deleted_at: Option<String>,
}

impl Row {
    fn existing(&self) -> Existing<'_> {
        Existing {
            user_uuid: &self.user_uuid,
            observed_at: &self.observed_at,
            deleted: self.session.is_none(),
        }
    }

    /// The row as the change feed lists it. A tombstone's `updated_at` is its `deleted_at`:
    /// the delete is its last write.
    fn change(&self, workspace_uuid: &str, session_id: &str) -> Option<Change> {
        match (&self.session, &self.deleted_at) {
            (Some(session), _) => Some(Change::Session(session.clone())),
            (None, Some(deleted_at)) => Some(Change::Deleted(Tombstone {
                workspace_uuid: workspace_uuid.to_owned(),
                session_id: session_id.to_owned(),
                deleted_at: deleted_at.clone(),
                updated_at: deleted_at.clone(),
                deleted: Deleted,
            })),
            (None, None) => None,
        }
    }
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
        "repo" => session.facts.repo.as_deref(),
        _ => None,
    }
}

/// Whether `session` passes the listing's filters (each one DynamoDB's index or filter).
fn matches(session: &Session, q: &ListQuery, user: Option<&str>) -> bool {
    let equal =
        |wanted: Option<&str>, stored: Option<&str>| wanted.is_none_or(|w| stored == Some(w));
    equal(user, Some(&session.user_uuid))
        && equal(q.filter.repo.as_deref(), session.facts.repo.as_deref())
        && equal(q.filter.branch.as_deref(), session.facts.branch.as_deref())
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
            existing.map(Row::existing),
            &cmd.caller,
            &cmd.fields.observed_at,
            cmd.mode,
        )
        .map_err(StoreError::Rejected)?;
        let body = &cmd.fields;
        let now = cmd.now.to_string();
        let live = existing.and_then(|row| row.session.as_ref());
        let session = match live {
            Some(stored) => {
                // Only the facts this write carries replace the stored ones.
                let mut facts = stored.facts.clone();
                facts.overlay(&body.facts);
                Session {
                    title: body.title.to_string(),
                    summary: body.summary.to_string(),
                    finished_at: body.finished_at.map(|t| t.to_string()),
                    updated_at: now,
                    facts,
                    ..stored.clone()
                }
            }
            // New, or recorded again after a delete: a new row.
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
                facts: body.facts.clone(),
            },
        };
        let created = live.is_none();
        let row = Row {
            user_uuid: session.user_uuid.clone(),
            observed_at: body.observed_at.to_string(),
            session: Some(session.clone()),
            deleted_at: None,
        };
        rows.insert(key, row);
        Ok(Upserted { session, created })
    }

    async fn delete(&self, cmd: &DeleteCommand) -> Result<(), StoreError> {
        let mut rows = self.rows();
        let key = (cmd.workspace.to_string(), cmd.session_id.to_string());
        let row = rows.get_mut(&key);
        decide_delete(row.as_deref().map(Row::existing), &cmd.caller)
            .map_err(StoreError::Rejected)?;
        if let Some(row) = row {
            row.session = None;
            row.observed_at = cmd.observed_at().to_string();
            row.deleted_at = Some(cmd.now.to_string());
        }
        Ok(())
    }

    async fn get(
        &self,
        workspace: &WorkspaceId,
        session_id: &SessionId,
    ) -> Result<Option<Session>, StoreError> {
        let key = (workspace.to_string(), session_id.to_string());
        Ok(self.rows().get(&key).and_then(|row| row.session.clone()))
    }

    /// As DynamoDB pages: a full page always carries a cursor (even if nothing follows, the
    /// next page is then empty), a short page never does.
    async fn list(&self, q: &ListQuery) -> Result<SessionPage, StoreError> {
        let workspace = q.workspace.to_string();
        let user = q.user_uuid();
        let listing = Listing::new(&workspace, user.as_deref(), q.filter.repo.as_deref());
        let start = q
            .cursor
            .as_ref()
            .map(|c| listing.decode(c.as_str()))
            .transpose()?;
        let mut sessions: Vec<Session> = self
            .rows()
            .values()
            .filter_map(|row| row.session.as_ref())
            .filter(|s| s.workspace_uuid == workspace && matches(s, q, user.as_deref()))
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
    /// As DynamoDB pages, but without its 1 MB bound: a page ends at `limit`, and a full page
    /// always carries a cursor; without a `limit`, one page holds every change.
    async fn changes(&self, q: &ChangeQuery) -> Result<ChangePage, StoreError> {
        let workspace = q.workspace.to_string();
        let since = q.since.to_string();
        let listing = Listing::changes(&workspace);
        let start = q
            .cursor
            .as_ref()
            .map(|c| listing.decode_from(c.as_str(), &since))
            .transpose()?;
        let after_start = |change: &Change| {
            start.as_ref().is_none_or(|position| {
                let at = |name: &str| position.get(name).map_or("", String::as_str);
                (change.updated_at(), change.session_id()) > (at("updated_at"), at("session_id"))
            })
        };
        let mut changes: Vec<Change> = self
            .rows()
            .iter()
            .filter(|((ws, _), _)| *ws == workspace)
            .filter_map(|((ws, id), row)| row.change(ws, id))
            .filter(|change| change.updated_at() >= since.as_str() && after_start(change))
            .collect();
        changes.sort_by(|a, b| {
            (a.updated_at(), a.session_id()).cmp(&(b.updated_at(), b.session_id()))
        });
        let limit = q.limit as usize;
        changes.truncate(limit);
        let next_cursor = match changes.last() {
            Some(last) if changes.len() == limit => Some(listing.encode(|name| match name {
                "workspace_uuid" => Some(workspace.as_str()),
                "session_id" => Some(last.session_id()),
                "updated_at" => Some(last.updated_at()),
                _ => None,
            })),
            _ => None,
        };
        Ok(ChangePage {
            changes,
            next_cursor,
            server_time: q.now,
        })
    }
}
