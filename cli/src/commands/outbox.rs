//! `cargo-ai outbox status|flush`: the upserts that wait for delivery, listed or delivered now.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;
use serde::Serialize;

use crate::commands::print;
use crate::commands::print::Report;
use crate::context::Context;
use crate::error::{CliError, Kind};
use crate::outbox::{Entry, Failed, Outbox, SetAside};
use crate::send;

/// How long `cargo-ai outbox flush` may take.
const FLUSH_BUDGET: Duration = Duration::from_secs(120);

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

pub async fn run(ctx: &Context, command: OutboxCommand) -> Result<(), CliError> {
    match command {
        OutboxCommand::Status { json } => status(json),
        OutboxCommand::Flush => flush(ctx).await,
    }
}

async fn flush(ctx: &Context) -> Result<(), CliError> {
    let outbox = Outbox::open()?;
    let pending = outbox.pending()?.len();
    if pending == 0 {
        if !ctx.quiet() {
            eprintln!("outbox is empty");
        }
        return Ok(());
    }
    let progress = !ctx.quiet() && std::io::stderr().is_terminal();
    let f = send::flush(ctx, &outbox, FLUSH_BUDGET, |done, total| {
        if progress {
            eprint!("\rdelivering {done}/{total}...");
        }
    })
    .await?;
    if progress {
        eprint!("\r\x1b[K");
    }
    if f.busy {
        return Err(CliError::new(
            Kind::Unavailable,
            "another cargo-ai process is delivering the outbox right now",
        )
        .help("wait a moment, then run `cargo-ai outbox status`"));
    }
    if !ctx.quiet() {
        eprintln!("{}", f.summary());
    }
    if f.remaining > 0 {
        let last = outbox
            .pending()?
            .first()
            .and_then(|(_, e)| e.last_error.clone())
            .unwrap_or_default();
        return Err(CliError::new(
            Kind::Queued,
            format!("{} update(s) could not be delivered: {last}", f.remaining),
        )
        .help("check the endpoint and your network, then run `cargo-ai outbox flush` again"));
    }
    Ok(())
}

/// What `outbox status` shows: the directory, the pending entries oldest first, and the ones
/// set aside.
#[derive(Serialize)]
struct Status {
    directory: PathBuf,
    pending: Vec<Pending>,
    failed: Vec<Aside>,
}

#[derive(Serialize)]
struct Pending {
    file: PathBuf,
    entry: Entry,
}

#[derive(Serialize)]
struct Aside {
    file: PathBuf,
    /// `null` for an entry that could not be read.
    failed: Option<Box<Failed>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unreadable: Option<String>,
}

impl Report for Status {
    fn human(&self) -> String {
        let mut out = format!("outbox {}\n", self.directory.display());
        out.push_str(&format!("{} pending (oldest first)\n", self.pending.len()));
        for Pending { entry: e, .. } in &self.pending {
            let last = e
                .last_error
                .as_deref()
                .map(|m| format!(" - last error: {m}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {}  {}  {:?}  attempts {}{last}\n",
                e.body.observed_at,
                e.session_id,
                e.body.title.as_str(),
                e.attempts
            ));
        }
        out.push_str(&format!(
            "{} refused for good (never retried; fix and upsert again, then delete the file)\n",
            self.failed.len()
        ));
        for aside in &self.failed {
            let file = aside.file.display();
            match (&aside.failed, &aside.unreadable) {
                (Some(f), _) => {
                    out.push_str(&format!("  {}  {}  {file}\n", f.entry.session_id, f.reason))
                }
                (None, why) => out.push_str(&format!(
                    "  unreadable entry  {file}  ({})\n",
                    why.as_deref().unwrap_or("unknown")
                )),
            }
        }
        out
    }
}

fn status(as_json: bool) -> Result<(), CliError> {
    let outbox = Outbox::open()?;
    let pending = outbox
        .pending()?
        .into_iter()
        .map(|(file, entry)| Pending { file, entry })
        .collect();
    let failed = outbox
        .failed()?
        .into_iter()
        .map(|(file, aside)| match aside {
            SetAside::Refused(f) => Aside {
                file,
                failed: Some(f),
                unreadable: None,
            },
            SetAside::Unreadable(why) => Aside {
                file,
                failed: None,
                unreadable: Some(why),
            },
        })
        .collect();
    let status = Status {
        directory: outbox.dir().to_owned(),
        pending,
        failed,
    };
    print::report(&status, as_json)
}
