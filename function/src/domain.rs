//! The upsert decision and the commands the router hands to the store. No HTTP, no AWS here.

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
}

/// What the store holds of a row that matters to the decision.
#[derive(Debug, Clone, Copy)]
pub struct Existing<'a> {
    pub user_uuid: &'a str,
    pub observed_at: &'a str,
}

/// The rule the store's conditional write enforces atomically. The store evaluates it in one
/// request; this function names the outcome when that condition fails, and is the reference
/// for tests.
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

/// `GET .../sessions`: newest first within a workspace, optionally only the caller's.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub workspace: WorkspaceId,
    pub caller: Caller,
    pub mine: bool,
    pub limit: u32,
    pub cursor: Option<Cursor>,
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
}
