//! `cargo-ai hooks ...`: the entry points of the Claude Code hooks (run by Claude Code) and of
//! their setup (run by people). The hooks themselves never fail: they log instead.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use sessions_core::{SessionId, Timestamp};

use super::Global;
use crate::commands::print;
use crate::error::CliError;
use crate::hooks::install::{self, Change, Finding, Outcome, Scope};
use crate::hooks::{log, run as hook, summarize, worker};

/// What the hooks send, and where to choose it.
const CAPTURE_HELP: &str = "What the hooks send depends on `capture` (CARGO_AI_CAPTURE, or \
    capture = \"...\" in .cargo-ai.toml or the user config): full (default) sends titles and \
    summaries of the conversation; metadata only the project, branch, times and counts, and \
    claude -p never runs; off nothing at all. `cargo-ai hooks doctor` shows the level that \
    applies here.";

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// The SessionStart hook: reads Claude Code's hook JSON on stdin, prints nothing.
    #[command(
        after_help = format!(
            "Example (as Claude Code runs it):\n  echo '{{\"session_id\":\"abc-123\",\"source\":\"startup\"}}' | cargo-ai hooks session-start\n\n{CAPTURE_HELP}"
        )
    )]
    SessionStart,
    /// The SessionEnd hook: reads Claude Code's hook JSON on stdin, returns at once; a detached
    /// worker writes the title, summary and end time.
    #[command(
        after_help = format!(
            "Example (as Claude Code runs it):\n  echo '{{\"session_id\":\"abc-123\",\"transcript_path\":\"/path/abc-123.jsonl\"}}' | cargo-ai hooks session-end\n\n{CAPTURE_HELP}"
        )
    )]
    SessionEnd,
    /// Merge both hooks into a Claude Code settings file (idempotent; other hooks and keys stay).
    #[command(
        after_help = "Examples:\n  cargo-ai hooks install\n  cargo-ai hooks install --mcp       # and the team-log MCP server\n  cargo-ai hooks install --user --dry-run"
    )]
    Install(HookScope),
    /// Remove our hooks (only ours) from a settings file.
    #[command(after_help = "Example:\n  cargo-ai hooks uninstall --user")]
    Uninstall(HookScope),
    /// Check the setup end to end: binary, settings, configuration, capture, endpoint,
    /// credentials, claude.
    #[command(after_help = "Example:\n  cargo-ai hooks doctor")]
    Doctor,
    /// The detached worker session-end starts (internal).
    #[command(hide = true)]
    Worker(WorkerArgs),
}

/// Which settings file to change.
#[derive(Debug, Args)]
pub struct HookScope {
    /// The project's shared settings, .claude/settings.json (default; commit it for the team).
    #[arg(long, conflicts_with_all = ["local", "user"])]
    pub project: bool,
    /// The project's personal settings, .claude/settings.local.json (not committed).
    #[arg(long, conflicts_with = "user")]
    pub local: bool,
    /// Your user settings, ~/.claude/settings.json (every project).
    #[arg(long)]
    pub user: bool,
    /// Show the change as a diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also register the team-log MCP server, `cargo-ai mcp`: in the project's .mcp.json
    /// (approved in the settings file), or with --user in ~/.claude.json. Uninstall removes
    /// it whether or not this is given.
    #[arg(long)]
    pub mcp: bool,
}

impl HookScope {
    fn scope(&self) -> Scope {
        if self.user {
            Scope::User
        } else if self.local {
            Scope::Local
        } else {
            Scope::Project
        }
    }
}

/// What `session-end` hands the detached worker.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[arg(long)]
    pub session_id: SessionId,
    #[arg(long)]
    pub transcript: Option<PathBuf>,
    #[arg(long)]
    pub cwd: Option<PathBuf>,
    #[arg(long)]
    pub finished_at: Timestamp,
}

pub async fn run(global: &Global, command: HooksCommand) -> Result<(), CliError> {
    match command {
        HooksCommand::SessionStart => {
            hook::guarded_hook("session-start", hook::session_start).await;
            Ok(())
        }
        HooksCommand::SessionEnd => {
            hook::guarded_hook("session-end", async |input| hook::session_end(input)).await;
            Ok(())
        }
        HooksCommand::Worker(args) => worker(args).await,
        HooksCommand::Install(s) => {
            say(install::install(s.scope(), s.dry_run, s.mcp)?)?;
            if s.mcp {
                say(install::install_server(s.scope(), s.dry_run)?)?;
            }
            Ok(())
        }
        HooksCommand::Uninstall(s) => {
            say(install::uninstall(s.scope(), s.dry_run)?)?;
            // The server goes with the hooks whenever it is there; `--mcp` says so even
            // when it is not.
            let server = install::uninstall_server(s.scope(), s.dry_run)?;
            if s.mcp || !matches!(server.outcome, Outcome::Unchanged) {
                say(server)?;
            }
            Ok(())
        }
        HooksCommand::Doctor => doctor(global).await,
    }
}

/// What `install` or `uninstall` did: a warning on stderr, the change on stdout.
fn say(change: Change) -> Result<(), CliError> {
    let Change {
        path,
        verb,
        outcome,
        warning,
    } = change;
    if let Some(warning) = warning {
        eprintln!("warning: {warning}");
    }
    let path = path.display();
    let text = match outcome {
        Outcome::Unchanged => format!("{path}: nothing to change ({verb} already)\n"),
        Outcome::WouldChange { diff } => {
            format!("--- {path}\n+++ {path} ({verb})\n{diff}(dry run: nothing written)\n")
        }
        Outcome::Written {
            backup: Some(backup),
        } => format!(
            "{path}: {verb} (previous version saved as {})\n",
            backup.display()
        ),
        Outcome::Written { backup: None } => format!("{path}: {verb}\n"),
    };
    print::text(&text)
}

/// Each finding on its own line as it is made, then where the hooks log is.
async fn doctor(global: &Global) -> Result<(), CliError> {
    let ctx = global.context()?;
    let checked = install::doctor(&ctx, |finding, what| {
        let mark = match finding {
            Finding::Ok => "ok  ",
            Finding::Fail => "FAIL",
            Finding::Warn => "warn",
        };
        println!("{mark} {what}");
    })
    .await;
    if let Some(path) = log::path() {
        println!("     hooks log: {}", path.display());
    }
    checked
}

async fn worker(args: WorkerArgs) -> Result<(), CliError> {
    if summarize::guarded() {
        return Ok(());
    }
    if let Err(e) = worker::worker(
        &args.session_id,
        args.transcript.as_deref(),
        args.cwd.as_deref(),
        args.finished_at,
    )
    .await
    {
        log::line(&format!("worker {}: {}", args.session_id, e.message));
    }
    Ok(())
}
