//! `cargo-ai workspaceManagement session ...`: upsert, get, list and delete session rows.

mod delete;
mod for_commit;
mod get;
mod list;
mod upsert;

use clap::Subcommand;

use crate::context::Context;
use crate::error::CliError;

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create, update, read and delete session rows.
    #[command(
        subcommand,
        after_help = "Examples:\n  \
            cargo-ai workspaceManagement session upsert --session-id abc-123 --title \"...\" --summary \"...\" --finished\n  \
            cargo-ai workspaceManagement session get --session-id abc-123\n  \
            cargo-ai workspaceManagement session list --mine\n  \
            cargo-ai workspaceManagement session delete --session-id abc-123"
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
    Upsert(upsert::UpsertArgs),

    /// Show one session, with what is known of it: repository, branch, active time, tokens,
    /// estimated cost, models and how it ended.
    #[command(after_help = "Examples:\n  \
        cargo-ai workspaceManagement session get --session-id abc-123\n  \
        cargo-ai workspaceManagement session get --session-id abc-123 --json | jq .summary")]
    Get(get::GetArgs),

    /// List the workspace's sessions, newest first.
    ///
    /// Filters combine: --repo reads the repository's own index (fast however large the
    /// table), --branch and --user/--mine narrow further, and --search keeps the sessions whose
    /// title or summary contains the text, in any case. On a wide terminal the table also
    /// shows each session's repository, active time and estimated cost.
    #[command(after_help = "Examples:\n  \
        cargo-ai workspaceManagement session list\n  \
        cargo-ai workspaceManagement session list --mine --since 7d\n  \
        cargo-ai workspaceManagement session list --repo github.com/acme/uploader --branch main\n  \
        cargo-ai workspaceManagement session list --user arn:aws:iam::123456789012:user/alice\n  \
        cargo-ai workspaceManagement session list --search retry --since 2w\n  \
        cargo-ai workspaceManagement session list --limit 500 --jsonl > sessions.jsonl\n  \
        cargo-ai workspaceManagement session list --since 30d --limit 10000 --csv > sessions.csv")]
    List(list::ListArgs),

    /// The sessions that best match some words, ranked (the same as `cargo-ai search`).
    #[command(after_help = "Examples:\n  \
        cargo-ai workspaceManagement session search upload retries\n  \
        cargo-ai workspaceManagement session search sign-in --mine --json")]
    Search(crate::commands::search::SearchArgs),

    /// Delete one of your own sessions (asks first on a terminal).
    ///
    /// Removes the row's title, summary and every other field for everyone on the workspace:
    /// it is no longer listed, and `get` answers "not found". Only the session's creator can
    /// delete it; anyone else is refused and the row stays as it is.
    ///
    /// An update of the session made before the delete and delivered after it (one waiting in
    /// an outbox, say) is refused as older and does not bring the row back. A newer update by
    /// you does: a later hook of the same session, if it is still running, records it again as
    /// a new row, unless `capture = off` for that project.
    #[command(after_help = "Examples:\n  \
        cargo-ai workspaceManagement session delete --session-id abc-123\n  \
        cargo-ai workspaceManagement session delete --session-id abc-123 --yes --json")]
    Delete(delete::DeleteArgs),

    /// Show the session that made a commit: who, when, what it was about and cost, and its
    /// other commits. A rebased or cherry-picked copy is found by its patch id.
    #[command(after_help = "Examples:\n  \
        cargo-ai workspaceManagement session for-commit\n  \
        cargo-ai workspaceManagement session for-commit a1b2c3d --json")]
    ForCommit(for_commit::ForCommitArgs),
}

pub async fn run(ctx: &Context, command: WorkspaceCommand) -> Result<(), CliError> {
    let WorkspaceCommand::Session(command) = command;
    match command {
        SessionCommand::Upsert(args) => upsert::run(ctx, args).await,
        SessionCommand::Get(args) => get::run(ctx, args).await,
        SessionCommand::List(args) => list::run(ctx, args).await,
        SessionCommand::Search(args) => crate::commands::search::run(ctx, args).await,
        SessionCommand::Delete(args) => delete::run(ctx, args).await,
        SessionCommand::ForCommit(args) => for_commit::run(ctx, args).await,
    }
}
