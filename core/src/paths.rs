//! The API's request paths, built in one place for the CLI and matched by the server's router.

use crate::fields::{SessionId, WorkspaceId};

pub const API_PREFIX: &str = "/v1/workspaces";

/// `GET /v1/whoami`: the caller as the API sees it.
pub const WHOAMI_PATH: &str = "/v1/whoami";

/// `/v1/workspaces/{workspace_uuid}/sessions/{session_id}`. Session ids hold only
/// unreserved characters and `:`, which is legal in a path segment, so no escaping is needed.
pub fn session_path(workspace: &WorkspaceId, session: &SessionId) -> String {
    format!("{API_PREFIX}/{workspace}/sessions/{session}")
}

/// `/v1/workspaces/{workspace_uuid}/sessions`.
pub fn sessions_path(workspace: &WorkspaceId) -> String {
    format!("{API_PREFIX}/{workspace}/sessions")
}

/// `/v1/workspaces/{workspace_uuid}/changes`: the workspace's sessions by last change.
pub fn changes_path(workspace: &WorkspaceId) -> String {
    format!("{API_PREFIX}/{workspace}/changes")
}
