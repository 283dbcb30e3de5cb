//! The command line, as clap reads it. The seed's spelling `workspaceManagement` is the
//! command's name; `workspace-management` is an alias.

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

#[derive(Debug, Parser)]
#[command(
    name = "cargo-ai",
    version,
    about = "Record and query Claude Code sessions in your team's sessions table",
    long_about = "Record and query Claude Code sessions in your team's sessions table.\n\n\
        Requests are signed with your own AWS credentials (the standard AWS chain: environment, \
        profiles, SSO, credential_process). Settings come from flags, then the environment \
        (CARGO_AI_ENDPOINT, CARGO_AI_WORKSPACE, CARGO_AI_PROFILE, AWS_*), then .cargo-ai.toml \
        found from the current directory upward, then your user config file; \
        `cargo-ai config show` tells which applies.",
    after_help = "Examples:\n  \
        cargo-ai workspaceManagement session upsert --session-id abc-123 \\\n    \
        --title \"Claude Code session abc-123\" --summary \"Session in progress.\"\n  \
        cargo-ai workspaceManagement session list --mine --since 7d\n  \
        cargo-ai whoami\n\n\
        Exit codes: 0 ok, 2 usage, 3 configuration, 4 credentials/authentication, 5 invalid input,\n\
        6 not found, 7 conflict (not the owner, a newer update exists, already exists),\n\
        8 endpoint unreachable or failing, 9 not delivered now but queued in the outbox."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Command,
}

/// Settings every command accepts.
#[derive(Debug, Default, Args)]
pub struct Global {
    /// The sessions API endpoint [env: CARGO_AI_ENDPOINT]
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Your team's workspace UUID [env: CARGO_AI_WORKSPACE]
    #[arg(long, global = true, value_name = "UUID")]
    pub workspace: Option<String>,

    /// The AWS profile to sign with [env: CARGO_AI_PROFILE, AWS_PROFILE]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// The AWS region of the endpoint [env: AWS_REGION]
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// Print nothing but results and errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also print each request: signed headers (not the signature), status, request id, timings.
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sessions of the workspace.
    #[command(
        name = "workspaceManagement",
        visible_alias = "workspace-management",
        after_help = "Example:\n  cargo-ai workspaceManagement session list"
    )]
    WorkspaceManagement {
        #[command(subcommand)]
        command: WorkspaceCommand,
    },

    /// Who you are to the API: your AWS ARN, the user_uuid recorded for you, and the settings in use.
    #[command(after_help = "Example:\n  cargo-ai whoami\n  cargo-ai whoami --json")]
    Whoami {
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
    },

    /// Show the effective configuration.
    #[command(subcommand, after_help = "Example:\n  cargo-ai config show")]
    Config(ConfigCommand),

    /// Claude Code hooks that record every session: install them, check them, or run them.
    #[command(
        subcommand,
        after_help = "Examples:\n  cargo-ai hooks install            # team-wide: .claude/settings.json\n  cargo-ai hooks install --user     # all your projects\n  cargo-ai hooks install --dry-run  # show the change, write nothing\n  cargo-ai hooks doctor"
    )]
    Hooks(HooksCommand),

    /// Upserts that could not be delivered yet: list them, or deliver them now.
    #[command(
        subcommand,
        after_help = "Examples:\n  cargo-ai outbox status\n  cargo-ai outbox flush"
    )]
    Outbox(OutboxCommand),

    /// Print a shell completion script.
    #[command(after_help = "Examples:\n  \
        cargo-ai completions bash > ~/.local/share/bash-completion/completions/cargo-ai\n  \
        cargo-ai completions zsh > \"${fpath[1]}/_cargo-ai\"\n  \
        cargo-ai completions fish > ~/.config/fish/completions/cargo-ai.fish")]
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// The SessionStart hook: reads Claude Code's hook JSON on stdin, prints nothing.
    #[command(
        after_help = "Example (as Claude Code runs it):\n  echo '{\"session_id\":\"abc-123\",\"source\":\"startup\"}' | cargo-ai hooks session-start"
    )]
    SessionStart,
    /// The SessionEnd hook: reads Claude Code's hook JSON on stdin, returns at once; a detached
    /// worker writes the title, summary and end time.
    #[command(
        after_help = "Example (as Claude Code runs it):\n  echo '{\"session_id\":\"abc-123\",\"transcript_path\":\"/path/abc-123.jsonl\"}' | cargo-ai hooks session-end"
    )]
    SessionEnd,
    /// Merge both hooks into a Claude Code settings file (idempotent; other hooks and keys stay).
    #[command(
        after_help = "Examples:\n  cargo-ai hooks install\n  cargo-ai hooks install --user --dry-run"
    )]
    Install(HookScope),
    /// Remove our hooks (only ours) from a settings file.
    #[command(after_help = "Example:\n  cargo-ai hooks uninstall --user")]
    Uninstall(HookScope),
    /// Check the setup end to end: binary, settings, configuration, endpoint, credentials, claude.
    #[command(after_help = "Example:\n  cargo-ai hooks doctor")]
    Doctor,
    /// The detached worker session-end starts (internal).
    #[command(hide = true)]
    Worker {
        #[arg(long)]
        session_id: String,
        #[arg(long)]
        transcript: Option<std::path::PathBuf>,
        #[arg(long)]
        cwd: Option<std::path::PathBuf>,
        #[arg(long)]
        finished_at: String,
    },
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
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List pending entries (oldest first) and the ones the API refused for good.
    #[command(after_help = "Example:\n  cargo-ai outbox status\n  cargo-ai outbox status --json")]
    Status {
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Deliver pending entries now, oldest first, with progress.
    #[command(after_help = "Example:\n  cargo-ai outbox flush")]
    Flush,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print each setting's effective value and where it came from.
    #[command(after_help = "Example:\n  cargo-ai config show\n  cargo-ai config show --json")]
    Show {
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create, update and read session rows.
    #[command(
        subcommand,
        after_help = "Examples:\n  \
            cargo-ai workspaceManagement session upsert --session-id abc-123 --title \"...\" --summary \"...\" --finished\n  \
            cargo-ai workspaceManagement session get --session-id abc-123\n  \
            cargo-ai workspaceManagement session list --mine"
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

    /// Show one session.
    #[command(after_help = "Examples:\n  \
        cargo-ai workspaceManagement session get --session-id abc-123\n  \
        cargo-ai workspaceManagement session get --session-id abc-123 --json | jq .summary")]
    Get {
        /// The session id.
        #[arg(long, value_name = "ID")]
        session_id: String,

        #[command(flatten)]
        output: Output,
    },

    /// List the workspace's sessions, newest first.
    #[command(after_help = "Examples:\n  \
        cargo-ai workspaceManagement session list\n  \
        cargo-ai workspaceManagement session list --mine --since 7d\n  \
        cargo-ai workspaceManagement session list --limit 500 --jsonl > sessions.jsonl")]
    List {
        /// Show at most this many sessions.
        #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        limit: u32,

        /// Only sessions you created.
        #[arg(long)]
        mine: bool,

        /// Only sessions created since then: a duration (30m, 12h, 7d, 2w) or a date/time (2026-11-01, 2026-11-01T09:00:00Z).
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,

        #[command(flatten)]
        output: Output,
    },
}

/// How results are printed: a readable rendering for people, or JSON for scripts.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct Output {
    /// Print one JSON document.
    #[arg(long, conflicts_with = "jsonl")]
    pub json: bool,

    /// Print one JSON object per line.
    #[arg(long)]
    pub jsonl: bool,
}

impl Output {
    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else if self.jsonl {
            Format::Jsonl
        } else {
            Format::Human
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Jsonl,
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
