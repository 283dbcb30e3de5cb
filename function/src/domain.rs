//! The write decisions (upsert, delete) and the commands the router hands to the store.
//! No HTTP, no AWS here.

use sessions_core::{Cursor, SessionId, Timestamp, UpsertBody, WorkspaceId, user_uuid};
use uuid::Uuid;

/// The authenticated caller, as API Gateway's IAM authorizer (or the local verifier) names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub arn: String,
    pub user_uuid: Uuid,
}

impl Caller {
    pub fn from_arn(arn: &str) -> Self {
        Caller {
            arn: arn.to_owned(),
            user_uuid: user_uuid(arn),
        }
    }
}

/// How a `PUT` treats an existing row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Create, or overwrite title/summary/finished_at if the caller owns the row and is newer.
    Upsert,
    /// `If-None-Match: *`: create, or leave an existing row untouched.
    CreateOnly,
}

/// Why a write was refused; each leaves the row untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    NotOwner,
    Stale,
    AlreadyExists,
    /// A delete found no row, or only the tombstone of a deleted one.
    Absent,
}

/// What the store holds of a row that matters to the decision.
#[derive(Debug, Clone, Copy)]
pub struct Existing<'a> {
    pub user_uuid: &'a str,
    pub observed_at: &'a str,
    /// The row is a tombstone: its owner deleted it (see `DeleteCommand`).
    pub deleted: bool,
}

/// The rule the store's conditional write enforces atomically. The store evaluates it in one
/// request; this function names the outcome when that condition fails, and is the reference
/// for tests.
///
/// A tombstone counts as an existing row: create-only is refused (412), another caller is
/// refused (403), and an owner's write is refused as stale unless it is newer than the delete,
/// in which case it records the session again as a new row.
pub fn decide(
    existing: Option<Existing<'_>>,
    caller: &Caller,
    observed_at: &Timestamp,
    mode: WriteMode,
) -> Result<(), Rejection> {
    let Some(row) = existing else {
        return Ok(());
    };
    if mode == WriteMode::CreateOnly {
        return Err(Rejection::AlreadyExists);
    }
    if row.user_uuid != caller.user_uuid.to_string() {
        return Err(Rejection::NotOwner);
    }
    // Fixed-width UTC timestamps compare as strings.
    if row.observed_at >= observed_at.to_string().as_str() {
        return Err(Rejection::Stale);
    }
    Ok(())
}

/// The rule of a delete: only a live row, and only by its owner. A tombstone answers as
/// absent, whoever asks, so a second delete is a 404 like the first one of a missing row.
pub fn decide_delete(existing: Option<Existing<'_>>, caller: &Caller) -> Result<(), Rejection> {
    match existing {
        None => Err(Rejection::Absent),
        Some(row) if row.deleted => Err(Rejection::Absent),
        Some(row) if row.user_uuid != caller.user_uuid.to_string() => Err(Rejection::NotOwner),
        Some(_) => Ok(()),
    }
}

/// One upsert, with everything the store needs to write it in a single request.
#[derive(Debug, Clone)]
pub struct UpsertCommand {
    pub workspace: WorkspaceId,
    pub session_id: SessionId,
    pub fields: UpsertBody,
    pub caller: Caller,
    pub mode: WriteMode,
    /// Used only if the row is created.
    pub new_uuid: Uuid,
    pub now: Timestamp,
}

impl UpsertCommand {
    /// The `created_at` a row gets if this write creates it: when its first action happened
    /// (`observed_at`), not when the request arrived, so a delayed delivery from the outbox
    /// keeps the session's true start. Later writes never change it.
    pub fn created_at(&self) -> Timestamp {
        self.fields.observed_at
    }
}

/// One delete. The store replaces the row by a tombstone in one conditional write: the key,
/// `user_uuid` (so only the owner can ever write the session again), `deleted_at` and
/// `updated_at` (both `now`: the change feed lists the delete), and `observed_at`
/// (`DeleteCommand::observed_at`). No title, no summary, no `created_at`: the sparse listing
/// indexes drop it, `GET` answers 404, and nothing of its text is left.
///
/// Why a tombstone and not a plain DeleteItem: an upsert the owner's outbox queued before the
/// delete may arrive after it. Against a missing row it would create the session again; against
/// the tombstone's `observed_at` it is stale (409), which the outbox takes as superseded and
/// drops. A write the owner makes after the delete (a later hook of the same session) is newer,
/// and records the session again.
#[derive(Debug, Clone)]
pub struct DeleteCommand {
    pub workspace: WorkspaceId,
    pub session_id: SessionId,
    pub caller: Caller,
    /// When the person acted, on their clock (`cargo-ai` sends it); `None` from clients that
    /// do not (curl).
    pub client_observed_at: Option<Timestamp>,
    pub now: Timestamp,
}

impl DeleteCommand {
    /// The tombstone's `observed_at`: the later of the client's and the server's clock.
    /// The client's covers what its own outbox queued before the delete (those writes carry
    /// earlier readings of the same clock, however far that clock is from the server's); the
    /// server's covers a client that sends none, and a client whose clock runs behind. A write
    /// must be newer than both to bring the session back.
    pub fn observed_at(&self) -> Timestamp {
        self.client_observed_at
            .map_or(self.now, |client| client.max(self.now))
    }
}

/// `GET .../sessions`: newest first within a workspace, optionally only the caller's.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub workspace: WorkspaceId,
    pub caller: Caller,
    pub mine: bool,
    pub limit: u32,
    pub cursor: Option<Cursor>,
    pub filter: ListFilter,
}

/// Narrowing a listing by the facts people ask about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only sessions in this repository (`host/owner/name`): read from the repo index.
    pub repo: Option<String>,
    pub branch: Option<String>,
    /// Only sessions this IAM ARN created (`mine` is the caller's own).
    pub user_arn: Option<String>,
}

impl ListQuery {
    /// The `user_uuid` of the one user whose sessions are listed, if the listing is one user's.
    pub fn user_uuid(&self) -> Option<String> {
        if self.mine {
            return Some(self.caller.user_uuid.to_string());
        }
        self.filter
            .user_arn
            .as_deref()
            .map(|arn| user_uuid(arn).to_string())
    }
}

/// `GET .../changes`: a workspace's sessions and tombstones by the server's `updated_at`,
/// oldest first, from `since` on.
#[derive(Debug, Clone)]
pub struct ChangeQuery {
    pub workspace: WorkspaceId,
    /// Changes at or after this time (inclusive: a change in the same millisecond as a
    /// client's last one is listed again rather than lost).
    pub since: Timestamp,
    /// At most this many changes (`ChangePage::MAX_LIMIT` when the caller names none); a page
    /// also ends where one read of the index does (1 MB of rows).
    pub limit: u32,
    pub cursor: Option<Cursor>,
    /// The server's clock, read before the store is: the page's `server_time`.
    pub now: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse("t", s).unwrap()
    }

    #[test]
    fn decisions() {
        let alice = Caller::from_arn("arn:aws:iam::000000000000:user/alice");
        let bob = Caller::from_arn("arn:aws:iam::000000000000:user/bob");
        let owner = alice.user_uuid.to_string();
        let row = Existing {
            user_uuid: &owner,
            observed_at: "2026-11-20T09:00:00.000Z",
            deleted: false,
        };
        let later = ts("2026-11-20T09:00:00.001Z");
        let same = ts("2026-11-20T09:00:00.000Z");
        assert_eq!(decide(None, &bob, &same, WriteMode::Upsert), Ok(()));
        assert_eq!(decide(None, &bob, &same, WriteMode::CreateOnly), Ok(()));
        assert_eq!(decide(Some(row), &alice, &later, WriteMode::Upsert), Ok(()));
        assert_eq!(
            decide(Some(row), &alice, &same, WriteMode::Upsert),
            Err(Rejection::Stale)
        );
        assert_eq!(
            decide(Some(row), &bob, &later, WriteMode::Upsert),
            Err(Rejection::NotOwner)
        );
        assert_eq!(
            decide(Some(row), &alice, &later, WriteMode::CreateOnly),
            Err(Rejection::AlreadyExists)
        );
    }

    #[test]
    fn deletes_and_tombstones() {
        let alice = Caller::from_arn("arn:aws:iam::000000000000:user/alice");
        let bob = Caller::from_arn("arn:aws:iam::000000000000:user/bob");
        let owner = alice.user_uuid.to_string();
        let live = Existing {
            user_uuid: &owner,
            observed_at: "2026-11-20T09:00:00.000Z",
            deleted: false,
        };
        let tombstone = Existing {
            deleted: true,
            ..live
        };
        assert_eq!(decide_delete(Some(live), &alice), Ok(()));
        assert_eq!(decide_delete(Some(live), &bob), Err(Rejection::NotOwner));
        assert_eq!(decide_delete(None, &alice), Err(Rejection::Absent));
        assert_eq!(
            decide_delete(Some(tombstone), &alice),
            Err(Rejection::Absent)
        );
        assert_eq!(decide_delete(Some(tombstone), &bob), Err(Rejection::Absent));

        // Writes against a tombstone: only the owner's newer write goes through.
        let later = ts("2026-11-20T09:00:00.001Z");
        let same = ts("2026-11-20T09:00:00.000Z");
        let upsert = |who, at| decide(Some(tombstone), who, at, WriteMode::Upsert);
        assert_eq!(upsert(&alice, &later), Ok(()));
        assert_eq!(upsert(&alice, &same), Err(Rejection::Stale));
        assert_eq!(upsert(&bob, &later), Err(Rejection::NotOwner));
        assert_eq!(
            decide(Some(tombstone), &alice, &later, WriteMode::CreateOnly),
            Err(Rejection::AlreadyExists)
        );
    }

    #[test]
    fn a_tombstone_is_observed_at_the_later_clock() {
        let alice = Caller::from_arn("arn:aws:iam::000000000000:user/alice");
        let now = ts("2026-11-20T09:00:00.000Z");
        let cmd = |client| DeleteCommand {
            workspace: WorkspaceId::parse("0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60").unwrap(),
            session_id: SessionId::parse("s").unwrap(),
            caller: alice.clone(),
            client_observed_at: client,
            now,
        };
        let ahead = ts("2026-11-20T09:01:00.000Z");
        let behind = ts("2026-11-20T08:59:00.000Z");
        assert_eq!(cmd(None).observed_at(), now);
        assert_eq!(cmd(Some(ahead)).observed_at(), ahead);
        assert_eq!(cmd(Some(behind)).observed_at(), now);
    }
}
