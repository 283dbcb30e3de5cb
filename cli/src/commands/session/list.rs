//! `cargo-ai workspaceManagement session list`: the workspace's sessions, newest first,
//! fetched page by page up to `--limit` or back to `--since`, optionally only one repository's,
//! branch's or person's, or only those that mention `--search`; as a table, JSON or CSV.

use std::ops::ControlFlow;

use sessions_core::fields::LIST_MAX_LIMIT;
use sessions_core::{Session, Timestamp};

use crate::client::ListFilter;
use crate::commands::print;
use crate::commands::{Output, Progress};
use crate::context::Context;
use crate::error::CliError;
use crate::listing::window::Window;
use crate::listing::{Search, Selection, each_session, parse_repo};
use crate::render::Format;

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Show at most this many sessions.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub limit: u32,

    /// Only sessions you created.
    #[arg(long, conflicts_with = "user")]
    pub mine: bool,

    /// Only sessions this IAM ARN created (`cargo-ai whoami` prints yours).
    #[arg(long, value_name = "ARN")]
    pub user: Option<String>,

    /// Only sessions in this git repository, written host/owner/name (github.com/acme/uploader).
    #[arg(long, value_name = "HOST/OWNER/NAME", value_parser = parse_repo)]
    pub repo: Option<String>,

    /// Only sessions on this git branch.
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,

    /// Only sessions created since then: a duration (30m, 12h, 7d, 2w) or a date/time (2026-11-01, 2026-11-01T09:00:00Z).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    /// Only sessions that match these words (as `cargo-ai search` finds them, newest first;
    /// with the mirror off or --no-sync: whose title or summary contains the text, in any case).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,

    /// Ask the API alone (no local mirror, no sync).
    #[arg(long)]
    pub no_sync: bool,

    /// Print RFC 4180 CSV for spreadsheets: a header row, then every field of each session.
    #[arg(long, conflicts_with_all = ["json", "jsonl"])]
    pub csv: bool,

    #[command(flatten)]
    pub output: Output,
}

pub async fn run(ctx: &Context, args: ListArgs) -> Result<(), CliError> {
    let ListArgs {
        limit,
        mine,
        user,
        repo,
        branch,
        since,
        search,
        no_sync,
        csv,
        output,
    } = args;
    let selection = Selection {
        filter: ListFilter {
            mine,
            user,
            repo,
            branch,
        },
        window: Window::parse(since.as_deref(), None, &Timestamp::now())?,
        search: search.as_deref().map(Search::new),
        limit: Some(limit as usize),
        mirror: !no_sync,
    };
    let limit = limit as usize;
    let mut sessions: Vec<Session> = Vec::new();
    // A search keeps only some of each page: ask for full pages from the start.
    let page_size = if selection.search.is_some() {
        LIST_MAX_LIMIT
    } else {
        limit.min(LIST_MAX_LIMIT as usize) as u32
    };
    let mut progress = Progress::new(ctx);
    let walked = each_session(
        ctx,
        &selection,
        page_size,
        &mut |n| progress.fetched(n),
        |session| {
            sessions.push(session);
            if sessions.len() == limit {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    )
    .await;
    progress.done();
    if let Some(notice) = walked?.filter(|_| !ctx.quiet()) {
        eprintln!("{notice}");
    }
    let format = if csv { Format::Csv } else { output.format() };
    print::sessions(&sessions, format)
}
