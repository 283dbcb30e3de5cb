//! `DELETE .../sessions/{session_id}`: the owner removes their row (a tombstone takes its
//! place; see `DeleteCommand`), and the function logs who removed what, never the row's text.

use bytes::Bytes;
use http::{Request, StatusCode};
use sessions_core::wire::DeletedSession;
use sessions_core::{ApiError, ErrorCode, SessionId, Timestamp, WorkspaceId};

use super::{Api, Outcome, invalid_query, query_pairs, store_error, to_json};
use crate::auth::MAX_SKEW;
use crate::domain::{Caller, DeleteCommand, Rejection};
use crate::store::{SessionStore, StoreError};

impl<S: SessionStore> Api<S> {
    pub(super) async fn delete(
        &self,
        req: &Request<Bytes>,
        caller: &Caller,
        workspace: WorkspaceId,
        session_id: SessionId,
    ) -> Outcome {
        let client_observed_at = observed_at_query(req)?;
        let now = Timestamp::now();
        if let Some(at) = client_observed_at
            && at > now.plus_seconds(MAX_SKEW.as_secs() as i64)
        {
            return Err(ApiError::new(
                ErrorCode::InvalidTimestamp,
                format!("observed_at {at} is in the future (server time {now}); check the clock"),
            ));
        }
        let cmd = DeleteCommand {
            workspace,
            session_id,
            caller: caller.clone(),
            client_observed_at,
            now,
        };
        let result = self.store.delete(&cmd).await;
        let outcome = match &result {
            Ok(()) => "deleted",
            Err(StoreError::Rejected(Rejection::NotOwner)) => "not_owner",
            Err(StoreError::Rejected(Rejection::Absent)) => "absent",
            Err(_) => "store_error",
        };
        tracing::info!(
            workspace = %cmd.workspace,
            session_id = %cmd.session_id,
            caller = %caller.arn,
            outcome,
            "delete"
        );
        match result {
            Ok(()) => {
                let deleted = DeletedSession {
                    workspace_uuid: cmd.workspace.to_string(),
                    session_id: cmd.session_id.to_string(),
                    deleted_at: now.to_string(),
                };
                Ok((StatusCode::OK, to_json(&deleted)))
            }
            Err(StoreError::Rejected(Rejection::NotOwner)) => Err(ApiError::new(
                ErrorCode::NotOwner,
                "this session belongs to another user; only its creator can delete it; nothing was changed",
            )),
            Err(StoreError::Rejected(Rejection::Absent)) => Err(ApiError::new(
                ErrorCode::NotFound,
                format!(
                    "no session {} in workspace {} (never recorded, or already deleted)",
                    cmd.session_id, cmd.workspace
                ),
            )),
            Err(e) => Err(store_error(e)),
        }
    }
}

/// The optional `observed_at` query parameter: when the person acted, on their clock.
fn observed_at_query(req: &Request<Bytes>) -> Result<Option<Timestamp>, ApiError> {
    let mut observed_at = None;
    for pair in query_pairs(req.uri().query().unwrap_or_default()) {
        let (key, value) = pair?;
        match key {
            // Repeated: the last one counts, as in the listing's query.
            "observed_at" => observed_at = Some(Timestamp::parse("observed_at", &value)?),
            other => {
                return Err(invalid_query(format!(
                    "unknown query parameter {other:?}; the only parameter is observed_at"
                )));
            }
        }
    }
    Ok(observed_at)
}
