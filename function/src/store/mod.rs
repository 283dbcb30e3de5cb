//! Where sessions live. The router talks to this trait; `dynamo` is DynamoDB, `memory` the
//! same semantics in memory for fast tests.

mod cursor;
pub mod dynamo;
mod facts;
pub mod memory;
pub mod table;

use std::future::Future;

use sessions_core::wire::ChangePage;
use sessions_core::{Session, SessionId, SessionPage, WorkspaceId};

use crate::domain::{ChangeQuery, DeleteCommand, ListQuery, Rejection, UpsertCommand};

pub use dynamo::DynamoStore;
pub use memory::MemoryStore;

/// The result of a write that went through.
#[derive(Debug, Clone)]
pub struct Upserted {
    pub session: Session,
    pub created: bool,
}

#[derive(Debug)]
pub enum StoreError {
    /// The conditional write was refused; the row is untouched.
    Rejected(Rejection),
    /// The pagination cursor does not belong to this listing.
    BadCursor,
    /// The store asked us to slow down.
    Throttled,
    /// The store could not be reached or timed out.
    Unavailable(String),
    /// Anything else: logged, reported to the caller without detail.
    Internal(String),
}

pub trait SessionStore: Send + Sync + 'static {
    /// One atomic conditional write: creates or overwrites, or refuses and changes nothing.
    fn upsert(
        &self,
        cmd: &UpsertCommand,
    ) -> impl Future<Output = Result<Upserted, StoreError>> + Send;

    /// One atomic conditional write: replaces the owner's live row by a tombstone (see
    /// `DeleteCommand`), or refuses (absent, not the owner) and changes nothing.
    fn delete(&self, cmd: &DeleteCommand) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The live row; a tombstone reads as absent.
    fn get(
        &self,
        workspace: &WorkspaceId,
        session_id: &SessionId,
    ) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// Newest first, by `created_at`, without a Scan. Tombstones are never listed.
    fn list(
        &self,
        query: &ListQuery,
    ) -> impl Future<Output = Result<SessionPage, StoreError>> + Send;

    /// Oldest change first, by the server's `updated_at`, without a Scan: live rows and the
    /// tombstones of deleted ones. A full page carries a cursor even if nothing follows.
    fn changes(
        &self,
        query: &ChangeQuery,
    ) -> impl Future<Output = Result<ChangePage, StoreError>> + Send;
}
