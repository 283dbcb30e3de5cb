//! Serves a team log read from a JSON file over stdio, as `cargo-ai mcp` serves the mirror:
//! what the protocol test drives, and a way to try the tools with any MCP client.
//!
//!   sessions-mcp-fixture LOG.json [--repo host/owner/name]
//!
//! LOG.json: {"sessions": [<session as the API returns it>...], "synced_at": "<RFC 3339>",
//! "sync_error": "...", "fail": "..."} (all but sessions optional; `fail` makes every read
//! fail). The calling session is `CLAUDE_CODE_SESSION_ID`, as Claude Code passes it.

use std::process::ExitCode;

use serde::Deserialize;
use sessions_core::{Session, Timestamp};
use sessions_mcp::memory::MemoryLog;
use sessions_mcp::{Caller, Freshness, TeamMemory, serve_stdio};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogFile {
    sessions: Vec<Session>,
    synced_at: Option<Timestamp>,
    sync_error: Option<String>,
    fail: Option<String>,
}

const USAGE: &str = "usage: sessions-mcp-fixture LOG.json [--repo host/owner/name]";

#[tokio::main]
async fn main() -> ExitCode {
    // stdout carries JSON-RPC alone: logs go to stderr, without colour codes.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let (log, caller) = match load(std::env::args().skip(1).collect()) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    tracing::info!(
        sessions = log.sessions.len(),
        ?caller,
        "serving the team log over stdio"
    );
    match serve_stdio(TeamMemory::new(log, caller)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("serving failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load(args: Vec<String>) -> Result<(MemoryLog, Caller), String> {
    let (path, repo) = match args.as_slice() {
        [path] => (path, None),
        [path, flag, repo] if flag == "--repo" => (path, Some(repo.clone())),
        _ => return Err("expected a log file and optionally --repo REPO".to_owned()),
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let file: LogFile =
        serde_json::from_str(&text).map_err(|e| format!("{path} is not a team log: {e}"))?;
    let mut log = MemoryLog::new(
        file.sessions,
        Freshness {
            synced_at: file.synced_at,
            sync_error: file.sync_error,
        },
    );
    log.fail = file.fail;
    let session_id = std::env::var("CLAUDE_CODE_SESSION_ID").ok();
    Ok((log, Caller::new(session_id.as_deref(), repo)))
}
