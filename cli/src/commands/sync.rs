//! `cargo-ai sync`: brings the local mirror of the workspace's sessions up to date, or with
//! `--status` says what it holds and when it last met the API.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use serde::Serialize;
use sessions_core::Timestamp;

use crate::commands::print::{self, Report};
use crate::context::Context;
use crate::error::{CliError, Kind};
use crate::mirror::{self, Progress, SyncError, SyncOptions};

/// An explicit sync may be long (a first sync of a large workspace); reads bound theirs.
const SYNC_BUDGET: Duration = Duration::from_secs(3600);

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Say what the mirror holds (sessions, size on disk, file, last sync, how far behind)
    /// without syncing.
    #[arg(long)]
    pub status: bool,

    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,

    /// Changes per request (the API's largest page unless set).
    #[arg(long, hide = true, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub page_limit: Option<u32>,
}

pub async fn run(ctx: &Context, args: SyncArgs) -> Result<(), CliError> {
    if !ctx.config.mirror_on() {
        return Err(CliError::new(
            Kind::Config,
            "the local mirror is off (mirror = \"off\" or CARGO_AI_MIRROR=off): nothing to sync",
        )
        .help("turn it on with mirror = \"on\" in .cargo-ai.toml or unset CARGO_AI_MIRROR; `cargo-ai config show` says where it is set"));
    }
    let path = mirror::place(&ctx.config)?;
    if args.status {
        return status(&path, args.json).await;
    }
    let workspace = ctx.config.workspace()?;
    let client = ctx.connect().await?;
    let options = SyncOptions {
        page_limit: args.page_limit,
        ..SyncOptions::from_config(&ctx.config)
    };
    let show_progress = !ctx.quiet() && std::io::stderr().is_terminal();
    let mut shown = false;
    let mut progress = |p: Progress| {
        if show_progress && p.pages > 1 {
            eprint!("\rsyncing: {} changes so far...", p.changes);
            shown = true;
        }
    };
    let synced = mirror::sync_once(
        &client,
        workspace,
        &path,
        &options,
        Instant::now() + SYNC_BUDGET,
        &mut progress,
    )
    .await;
    if shown {
        eprint!("\r\x1b[K");
    }
    let report = synced?;
    if let Some(notice) = report.notice.as_ref().filter(|_| !ctx.quiet()) {
        eprintln!("{notice}");
    }
    let status = read_status(&path).await?;
    let synced = Synced {
        first: report.first,
        requests: report.pages,
        written: report.written,
        deleted: report.deleted,
        unchanged: report.skipped,
        pruned: report.pruned,
        elapsed_ms: report.elapsed.as_millis(),
        cursor: report.cursor,
        mirror: status,
    };
    print::report(&synced, args.json)
}

/// What one `cargo-ai sync` did, and the mirror after it.
#[derive(Serialize)]
struct Synced {
    first: bool,
    requests: u32,
    written: usize,
    deleted: usize,
    /// Changes the mirror already held.
    unchanged: usize,
    pruned: usize,
    elapsed_ms: u128,
    cursor: Timestamp,
    mirror: Status,
}

impl Report for Synced {
    fn human(&self) -> String {
        let kind = if self.first { "first sync" } else { "synced" };
        format!(
            "{kind}: {} written, {} deleted, {} unchanged, {} pruned in {} request{} ({} ms)\n{}",
            self.written,
            self.deleted,
            self.unchanged,
            self.pruned,
            self.requests,
            if self.requests == 1 { "" } else { "s" },
            self.elapsed_ms,
            self.mirror.human()
        )
    }
}

/// `sync --status`: the mirror's own status, and how long since it last met the API.
#[derive(Serialize)]
struct Status {
    #[serde(flatten)]
    mirror: sessions_mirror::Status,
    /// Seconds since the last sync (`null`: never synced).
    behind_s: Option<i64>,
}

impl Report for Status {
    fn human(&self) -> String {
        let m = &self.mirror;
        let last = match m.last_sync {
            Some(at) => format!("{at} ({} ago)", mirror::age(at)),
            None => "never: run `cargo-ai sync`".to_owned(),
        };
        format!(
            "mirror:    {}\nsessions:  {}\ndeleted:   {} remembered\nsize:      {:.1} MB\nlast sync: {last}\n",
            m.path,
            m.rows,
            m.tombstones,
            m.bytes as f64 / 1e6,
        )
    }
}

async fn read_status(path: &std::path::Path) -> Result<Status, CliError> {
    let deadline = Instant::now() + mirror::READ_SYNC_BUDGET;
    let opened = mirror::open(path, deadline).await?;
    let status = crate::blocking::within(deadline, move || opened.status())
        .await
        .map_err(SyncError::from)?
        .map_err(SyncError::from)?;
    let behind_s = status
        .last_sync
        .map(|at| ((Timestamp::now().unix_millis() - at.unix_millis()) / 1000) as i64);
    Ok(Status {
        mirror: status,
        behind_s,
    })
}

async fn status(path: &std::path::Path, as_json: bool) -> Result<(), CliError> {
    print::report(&read_status(path).await?, as_json)
}
