//! `cargo-ai mcp`: serves the team's log to Claude Code as an MCP server over stdio, answering
//! from the local mirror at once and syncing it in the background. Nothing here prints:
//! stdout carries JSON-RPC alone, logs go to stderr.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sessions_mcp::{Caller, TeamMemory, serve_stdio};

use super::Global;
use crate::blocking;
use crate::config::working_dir;
use crate::context::Context;
use crate::error::{CliError, Kind};
use crate::facts::git_facts;
use crate::mcp_log::{MirrorLog, SyncState};
use crate::mirror::{SyncOptions, place, sync_once};

/// How often the mirror is brought up to date while Claude runs: teammates' sessions end
/// every few minutes, and each sync is one request when nothing changed.
const SYNC_EVERY: Duration = Duration::from_secs(5 * 60);
/// How long one background sync may take: a first sync of a big team pages for a while.
const SYNC_BUDGET: Duration = Duration::from_secs(120);
/// How long reading the repository of the directory may take at start.
const REPO_BUDGET: Duration = Duration::from_secs(1);

#[derive(Debug, clap::Args)]
pub struct McpArgs {}

pub async fn run(global: &Global, _args: McpArgs) -> Result<(), CliError> {
    // Logs on stderr without colour codes: Claude Code keeps them as the server's log.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
    let dir = working_dir();
    let caller = Caller::new(
        std::env::var("CLAUDE_CODE_SESSION_ID").ok().as_deref(),
        repo_of(&dir).await,
    );
    let log = match global.context() {
        Ok(ctx) => serve_mirror(ctx),
        Err(e) => {
            tracing::warn!("no team log: {e}");
            MirrorLog::unavailable(e.to_string())
        }
    };
    tracing::info!(?caller, "serving the team log over stdio");
    serve_stdio(TeamMemory::new(log, caller))
        .await
        .map_err(|e| CliError::new(Kind::Unavailable, format!("the MCP server stopped: {e}")))
}

/// The repository `dir` is in, as `host/owner/name`: what `recent_sessions` shows by default.
async fn repo_of(dir: &Path) -> Option<String> {
    let dir = dir.to_owned();
    blocking::within(Instant::now() + REPO_BUDGET, move || git_facts(&dir).repo)
        .await
        .ok()
        .flatten()
}

/// The mirror of the configured workspace, with a sync started now and repeated every
/// `SYNC_EVERY` while the server runs; or a log that says what is missing.
fn serve_mirror(ctx: Context) -> MirrorLog {
    if !ctx.config.mirror_on() {
        return MirrorLog::unavailable(
            "the team log is off here (mirror = off): the team-log tools answer from the local \
             mirror; turn it on with mirror = \"on\" in .cargo-ai.toml or unset CARGO_AI_MIRROR"
                .to_owned(),
        );
    }
    let (path, workspace) = match (place(&ctx.config), ctx.config.workspace()) {
        (Ok(path), Ok(workspace)) => (path, *workspace),
        (Err(e), _) | (_, Err(e)) => return MirrorLog::unavailable(e.to_string()),
    };
    let options = SyncOptions::from_config(&ctx.config);
    let sync = Arc::new(SyncState::default());
    let status = Arc::clone(&sync);
    let mirror = path.clone();
    tokio::spawn(async move {
        // One client for the server's life: its credentials are refreshed as they expire.
        let mut client = None;
        loop {
            if client.is_none() {
                match ctx.connect().await {
                    Ok(connected) => client = Some(connected),
                    Err(e) => status.set(Some(e.message.clone())),
                }
            }
            if let Some(client) = &client {
                let deadline = Instant::now() + SYNC_BUDGET;
                match sync_once(client, &workspace, &mirror, &options, deadline, &mut |_| {}).await
                {
                    Ok(report) => {
                        tracing::info!(
                            written = report.written,
                            deleted = report.deleted,
                            "synced"
                        );
                        status.set(None);
                    }
                    Err(e) => {
                        tracing::warn!("sync failed: {e}");
                        status.set(Some(e.to_string()));
                    }
                }
            }
            tokio::time::sleep(SYNC_EVERY).await;
        }
    });
    MirrorLog::new(path, sync)
}
