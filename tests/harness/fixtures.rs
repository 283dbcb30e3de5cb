//! Real-format samples the tests share: API Gateway (HTTP API, payload 2.0) IAM events, and
//! Claude Code hook inputs and transcripts, as files under tests/fixtures/.

use std::path::PathBuf;

/// `PUT /v1/workspaces/{w}/sessions/{s}` as API Gateway sends it with IAM auth.
pub const APIGW_PUT_IAM: &str = include_str!("../fixtures/apigw/put-session-iam.json");
/// The same request with no `authorizer` block (IAM auth not configured on the route).
pub const APIGW_PUT_NO_AUTHORIZER: &str =
    include_str!("../fixtures/apigw/put-session-no-authorizer.json");

/// The Claude Code samples: hook inputs (`hook-*.json`) and transcripts (`transcript-*.jsonl`).
pub fn claude_code(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/claude-code")
        .join(name)
}

/// A Claude Code sample's text.
pub fn claude_code_text(name: &str) -> String {
    let path = claude_code(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A stub stdio MCP server (Python): one tool, `search_sessions`, whose answer names its query.
pub fn mcp_stub_server() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/mcp/stub_server.py")
}

/// The independent MCP client: the official Python SDK's interpreter in `.venv-mcp` and the
/// protocol script it runs (mcp/tests/protocol.py). Fails loudly with the install command.
pub fn mcp_python_client() -> (PathBuf, PathBuf) {
    let repo = crate::repo_root();
    let python = repo.join(".venv-mcp/bin/python");
    assert!(
        python.exists(),
        "the MCP Python client is not installed at {}.\n\
         help: run infra/tools/mcp-client-tools (pip install of the pinned mcp package; infra/test does it)",
        python.display()
    );
    (python, repo.join("mcp/tests/protocol.py"))
}
