//! The entry layer: the command line as clap reads it, one module per command (its arguments
//! and its `run`), and the dispatch. Nothing below this layer imports it, and only this layer
//! writes to stdout and stderr: the library returns values and errors, a command says them.
//! The seed's spelling `workspaceManagement` is the command's name; `workspace-management` is
//! an alias.

pub mod completions;
pub mod config;
pub mod hooks;
pub mod mcp;
pub mod outbox;
mod print;
pub mod report;
pub mod search;
pub mod session;
pub mod sync;
pub mod whoami;

use std::io::IsTerminal;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, Flags, working_dir};
use crate::context::{Context, Verbosity};
use crate::error::CliError;
use crate::render::Format;
use crate::send;

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
        cargo-ai report --since 7d\n  \
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
    #[command(flatten)]
    pub settings: Flags,

    /// Print nothing but results and errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also print each request: signed headers (not the signature), status, request id, timings.
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

impl Global {
    fn verbosity(&self) -> Verbosity {
        match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        }
    }

    /// The context of a command that reads the configuration, as seen from the directory
    /// the command runs in; with `--verbose`, each request is traced on stderr.
    fn context(&self) -> Result<Context, CliError> {
        let ctx = Context::new(
            Config::load(&self.settings, &working_dir())?,
            self.verbosity(),
        );
        Ok(if ctx.verbosity == Verbosity::Verbose {
            ctx.with_trace(Arc::new(|line: &str| eprintln!("{line}")))
        } else {
            ctx
        })
    }
}

/// Delivers what earlier commands queued, and says what became of it unless `--quiet`.
async fn deliver_pending(ctx: &Context) {
    let backlog = send::deliver_pending(ctx).await;
    if let Some(notice) = backlog.notice().filter(|_| !ctx.quiet()) {
        eprintln!("{notice}");
    }
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
        command: session::WorkspaceCommand,
    },

    /// What the team worked on: sessions, active time, tokens and cost per person and per repo.
    ///
    /// Totals for the window (the last 7 days unless told), a table per person and per
    /// repository, the busiest days and the most recent titles. "-" means no session in that
    /// line recorded the fact (older sessions, or hooks without facts), not zero. Costs are
    /// estimates from a pinned price table.
    #[command(after_help = "Examples:\n  \
        cargo-ai report                                   # the last 7 days, everyone\n  \
        cargo-ai report --since 2026-11-01 --until 2026-11-30\n  \
        cargo-ai report --repo github.com/acme/uploader --since 2w\n  \
        cargo-ai report --mine --json | jq .totals\n  \
        cargo-ai report --since 30d --csv > sessions.csv  # every session, for a spreadsheet\n  \
        cargo-ai report --since 30d --html team.html      # charts and a searchable table, one file")]
    Report(report::ReportArgs),

    /// The team's sessions that best match some words: who already worked on this?
    ///
    /// Ranked over titles, summaries, repositories, branches and names, from the local
    /// mirror (synced first, answered offline with its age). With the mirror off or
    /// --no-sync, a substring match through the API, newest first.
    #[command(after_help = "Examples:\n  \
        cargo-ai search upload retries\n  \
        cargo-ai search '\"exponential backoff\"' --repo github.com/acme/uploader\n  \
        cargo-ai search sign-in --mine --since 30d\n  \
        cargo-ai search 'upload*' --limit 5 --json")]
    Search(search::SearchArgs),

    /// Bring the local mirror of the workspace's sessions up to date, or show its status.
    ///
    /// Reads (session list, search, report) sync by themselves; this does it now and says
    /// what changed. The first sync pulls the last mirror_days days (365 unless set); later
    /// ones only what changed. mirror = "off" (or CARGO_AI_MIRROR=off) turns the mirror off.
    #[command(
        after_help = "Examples:\n  cargo-ai sync\n  cargo-ai sync --status\n  cargo-ai sync --status --json"
    )]
    Sync(sync::SyncArgs),

    /// Who you are to the API: your AWS ARN, the user_uuid recorded for you, and the settings in use.
    #[command(after_help = "Example:\n  cargo-ai whoami\n  cargo-ai whoami --json")]
    Whoami(whoami::WhoamiArgs),

    /// Show the effective configuration.
    #[command(subcommand, after_help = "Example:\n  cargo-ai config show")]
    Config(config::ConfigCommand),

    /// Claude Code hooks that record every session: install them, check them, or run them.
    #[command(
        subcommand,
        after_help = "Examples:\n  cargo-ai hooks install            # team-wide: .claude/settings.json\n  cargo-ai hooks install --user     # all your projects\n  cargo-ai hooks install --dry-run  # show the change, write nothing\n  cargo-ai hooks doctor"
    )]
    Hooks(hooks::HooksCommand),

    /// Serve the team's log to Claude Code as an MCP server over stdio (read-only tools).
    ///
    /// Claude Code starts it (the plugin's .mcp.json, or `cargo-ai hooks install --mcp`); it
    /// answers from the local mirror at once and syncs it in the background. It prints
    /// nothing but JSON-RPC on stdout; logs go to stderr.
    #[command(after_help = "Example (as Claude Code runs it):\n  cargo-ai mcp")]
    Mcp(mcp::McpArgs),

    /// Upserts that could not be delivered yet: list them, or deliver them now.
    #[command(
        subcommand,
        after_help = "Examples:\n  cargo-ai outbox status\n  cargo-ai outbox flush"
    )]
    Outbox(outbox::OutboxCommand),

    /// Print a shell completion script.
    #[command(after_help = "Examples:\n  \
        cargo-ai completions bash > ~/.local/share/bash-completion/completions/cargo-ai\n  \
        cargo-ai completions zsh > \"${fpath[1]}/_cargo-ai\"\n  \
        cargo-ai completions fish > ~/.config/fish/completions/cargo-ai.fish")]
    Completions(completions::CompletionsArgs),
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

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let global = cli.global;
    match cli.command {
        // Neither reads the configuration first: completions need none, and each hook
        // reads it as seen from its session's directory.
        Command::Completions(args) => completions::run(args),
        Command::Hooks(command) => hooks::run(&global, command).await,
        // The outbox is the hooks' business: a server Claude starts delivers nothing.
        Command::Mcp(args) => mcp::run(&global, args).await,
        Command::WorkspaceManagement { command } => {
            let ctx = global.context()?;
            deliver_pending(&ctx).await;
            session::run(&ctx, command).await
        }
        Command::Report(args) => {
            let ctx = global.context()?;
            deliver_pending(&ctx).await;
            report::run(&ctx, args).await
        }
        Command::Search(args) => {
            let ctx = global.context()?;
            deliver_pending(&ctx).await;
            search::run(&ctx, args).await
        }
        Command::Sync(args) => {
            let ctx = global.context()?;
            deliver_pending(&ctx).await;
            sync::run(&ctx, args).await
        }
        Command::Whoami(args) => {
            let ctx = global.context()?;
            deliver_pending(&ctx).await;
            whoami::run(&ctx, args).await
        }
        Command::Config(command) => config::run(&global.context()?, command),
        Command::Outbox(command) => outbox::run(&global.context()?, command).await,
    }
}

/// "fetched N sessions..." on one rewritten stderr line while a long listing is walked, on a
/// terminal and unless `--quiet`; erased when the walk ends.
struct Progress {
    on: bool,
    shown: bool,
}

impl Progress {
    fn new(ctx: &Context) -> Progress {
        Progress {
            on: !ctx.quiet() && std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    fn fetched(&mut self, n: usize) {
        if self.on {
            eprint!("\rfetched {n} sessions...");
            self.shown = true;
        }
    }

    fn done(self) {
        if self.shown {
            eprint!("\r\x1b[K");
        }
    }
}
