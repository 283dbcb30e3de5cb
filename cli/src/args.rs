//! The command line, as clap reads it. The seed's spelling `workspaceManagement` is the
//! command's name; `workspace-management` is an alias.

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "cargo-ai",
    version,
    about = "Record and query Claude Code sessions in your team's sessions table",
    long_about = "Record and query Claude Code sessions in your team's sessions table.\n\n\
        Requests are signed with your own AWS credentials (the standard AWS chain: environment, \
        profiles, SSO). Point it at your team's endpoint and workspace with flags, or with \
        CARGO_AI_ENDPOINT and CARGO_AI_WORKSPACE.",
    after_help = "Example:\n  cargo-ai workspaceManagement session upsert --session-id abc-123 \\\n    --title \"Claude Code session abc-123\" --summary \"Session in progress.\""
)]
pub struct Cli {
    #[command(flatten)]
    pub target: Target,

    #[command(subcommand)]
    pub command: Command,
}

/// Where requests go.
#[derive(Debug, Args)]
pub struct Target {
    /// The sessions API endpoint, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com
    #[arg(long, global = true, env = "CARGO_AI_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,

    /// Your team's workspace UUID.
    #[arg(long, global = true, env = "CARGO_AI_WORKSPACE", value_name = "UUID")]
    pub workspace: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sessions of the workspace.
    #[command(
        name = "workspaceManagement",
        visible_alias = "workspace-management",
        after_help = "Example:\n  cargo-ai workspaceManagement session upsert --session-id abc-123 --title \"...\" --summary \"...\""
    )]
    WorkspaceManagement {
        #[command(subcommand)]
        command: WorkspaceCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create, update and read session rows.
    #[command(
        subcommand,
        after_help = "Example:\n  cargo-ai workspaceManagement session upsert --session-id abc-123 --title \"...\" --summary \"...\" --finished"
    )]
    Session(SessionCommand),
}

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Create or update a session row and print it as JSON.
    ///
    /// The first call for a session id creates the row; later calls overwrite its title,
    /// summary and finished_at. Only the row's creator can update it, and an older update
    /// never overwrites a newer one.
    #[command(after_help = "Examples:\n  \
        # Record a session start with placeholder text\n  \
        cargo-ai workspaceManagement session upsert --session-id abc-123 \\\n    \
        --title \"Claude Code session abc-123\" --summary \"Session in progress.\"\n\n  \
        # Later, overwrite with the real title and summary, and mark it finished\n  \
        cargo-ai workspaceManagement session upsert --session-id abc-123 \\\n    \
        --title \"Wire up the sessions table\" --summary \"Added the table and the CLI.\" --finished")]
    Upsert(UpsertArgs),
}

#[derive(Debug, Args)]
pub struct UpsertArgs {
    /// The Claude Code session id (1-128 characters of A-Z a-z 0-9 . _ : -).
    #[arg(long, value_name = "ID")]
    pub session_id: String,

    /// A short title (1-256 characters, one line).
    #[arg(long, value_name = "TEXT")]
    pub title: String,

    /// What happened in the session (1-16384 bytes; newlines allowed).
    #[arg(long, value_name = "TEXT")]
    pub summary: String,

    /// Mark the session finished now.
    #[arg(long, conflicts_with = "finished_at")]
    pub finished: bool,

    /// Mark the session finished at this time (RFC 3339, e.g. 2026-11-24T07:02:28Z).
    #[arg(long, value_name = "ISO")]
    pub finished_at: Option<String>,
}
