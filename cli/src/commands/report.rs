//! `cargo-ai report`: what the team worked on in a time window, per person and per repository,
//! for the terminal, as one JSON object, or as CSV of every session in the window.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use sessions_core::Timestamp;

use crate::client::ListFilter;
use crate::commands::Progress;
use crate::commands::print;
use crate::context::Context;
use crate::error::CliError;
use crate::listing::window::Window;
use crate::listing::{Selection, each_session, parse_repo, try_each_session};
use crate::mirror::FreshNotice;
use crate::render::csv::CsvWriter;
use crate::report::html::HtmlReport;
use crate::report::model::Builder;
use crate::report::text;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The window's start: a duration back from now (30m, 12h, 7d, 2w) or a date/time
    /// (2026-11-01, 2026-11-01T09:00:00Z).
    #[arg(long, value_name = "WHEN", default_value = "7d")]
    pub since: String,

    /// The window's end, as --since; a date alone counts the whole day. Default: now.
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,

    /// Only sessions in this git repository, written host/owner/name (github.com/acme/uploader).
    #[arg(long, value_name = "HOST/OWNER/NAME", value_parser = parse_repo)]
    pub repo: Option<String>,

    /// Only your own sessions.
    #[arg(long, conflicts_with = "user")]
    pub mine: bool,

    /// Only sessions this IAM ARN created (`cargo-ai whoami` prints yours).
    #[arg(long, value_name = "ARN")]
    pub user: Option<String>,

    /// Print the report as one JSON object.
    #[arg(long, conflicts_with_all = ["csv", "html"])]
    pub json: bool,

    /// Print every session in the window as RFC 4180 CSV (header row, every field), for spreadsheets.
    #[arg(long, conflicts_with = "html")]
    pub csv: bool,

    /// Write the report as one self-contained HTML page (charts, and every session in a table
    /// to sort, filter and search; opens offline, in light or dark mode, and prints). `-` writes
    /// it to stdout. An existing FILE is replaced only once the page is complete.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Ask the API alone (no local mirror, no sync).
    #[arg(long)]
    pub no_sync: bool,
}

pub async fn run(ctx: &Context, args: ReportArgs) -> Result<(), CliError> {
    let now = Timestamp::now();
    let selection = Selection {
        filter: ListFilter {
            mine: args.mine,
            user: args.user,
            repo: args.repo,
            branch: None,
        },
        window: Window::parse(Some(&args.since), args.until.as_deref(), &now)?,
        search: None,
        limit: None,
        mirror: !args.no_sync,
    };
    let page_size = sessions_core::fields::LIST_MAX_LIMIT;
    let mut progress = Progress::new(ctx);
    let fetched = &mut |n| progress.fetched(n);
    if args.csv {
        let mut csv = CsvWriter::new(std::io::stdout().lock())?;
        let walked = try_each_session(ctx, &selection, page_size, fetched, |session| {
            csv.session(&session)
        })
        .await;
        progress.done();
        say(ctx, walked?);
        return csv.finish();
    }
    if let Some(path) = &args.html {
        let written = html(ctx, selection, page_size, fetched, path, &now).await;
        progress.done();
        return written;
    }
    let mut builder = Builder::default();
    let walked = each_session(ctx, &selection, page_size, fetched, |session| {
        builder.add(&session);
        ControlFlow::Continue(())
    })
    .await;
    progress.done();
    say(ctx, walked?);
    let report = builder.finish(selection.window);
    if args.json {
        print::json(&report)
    } else {
        let out = text::render(&report, &now, crate::render::width());
        print::text(&out)
    }
}

/// `--html FILE`: the same walk, each session also rendered as a table row as it arrives.
async fn html(
    ctx: &Context,
    selection: Selection,
    page_size: u32,
    fetched: &mut dyn FnMut(usize),
    path: &Path,
    now: &Timestamp,
) -> Result<(), CliError> {
    let mut page = if path == Path::new("-") {
        HtmlReport::streamed(Box::new(std::io::stdout()))?
    } else {
        HtmlReport::create(path)?
    };
    let mut builder = Builder::default();
    let notice = try_each_session(ctx, &selection, page_size, fetched, |session| {
        builder.add(&session);
        page.add(&session)
    })
    .await?;
    say(ctx, notice);
    let report = builder.finish(selection.window);
    let bytes = page.finish(&report, now)?;
    if !ctx.quiet() && path != Path::new("-") {
        eprintln!(
            "wrote {} ({} sessions, {})",
            path.display(),
            report.totals.sessions,
            size(bytes)
        );
    }
    Ok(())
}

/// What the user should know about the mirror's answer, on stderr unless `--quiet`.
fn say(ctx: &Context, notice: Option<FreshNotice>) {
    if let Some(notice) = notice.filter(|_| !ctx.quiet()) {
        eprintln!("{notice}");
    }
}

/// `812 KB`, `3.4 MB`.
fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1_000_000 => format!("{} KB", b.div_ceil(1000)),
        b => format!("{:.1} MB", b as f64 / 1e6),
    }
}
