//! The session model shared by the server and the CLI: one definition of the wire types,
//! the field rules, the error codes and the caller identity, so client and server never drift.

pub mod error;
pub mod facts;
pub mod fields;
pub mod identity;
pub mod money;
pub mod paths;
pub mod redaction;
pub mod text;
pub mod timestamp;
pub mod wire;

pub use error::{ApiError, ErrorCode};
pub use facts::Facts;
pub use fields::{Cursor, SessionId, Summary, Title, WorkspaceId};
pub use identity::user_uuid;
pub use money::Usd;
pub use redaction::Redacted;
pub use timestamp::Timestamp;
pub use wire::{ErrorBody, Identity, Session, SessionPage, UpsertBody};
