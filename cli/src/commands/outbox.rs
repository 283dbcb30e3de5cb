//! `cargo-ai outbox status|flush`: the upserts that wait for delivery, listed or delivered now.

use std::io::IsTerminal;
use std::time::Duration;

use clap::Subcommand;
use serde_json::json;

use crate::context::Context;
use crate::error::{CliError, Kind};
use crate::outbox::{Outbox, SetAside};
use crate::{render, send};

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

fn status(as_json: bool) -> Result<(), CliError> {
    let outbox = Outbox::open()?;
    let pending = outbox.pending()?;
    let failed = outbox.failed()?;
    if as_json {
        return render::json(&json!({
            "directory": outbox.dir(),
            "pending": pending.iter().map(|(path, e)| json!({"file": path, "entry": e})).collect::<Vec<_>>(),
            "failed": failed.iter().map(|(path, f)| match f {
                SetAside::Refused(f) => json!({"file": path, "failed": f}),
                SetAside::Unreadable(why) => json!({"file": path, "failed": null, "unreadable": why}),
            }).collect::<Vec<_>>(),
        }));
    }
    println!("outbox {}", outbox.dir().display());
    println!("{} pending (oldest first)", pending.len());
    for (_, e) in &pending {
        let last = e
            .last_error
            .as_deref()
            .map(|m| format!(" - last error: {m}"))
            .unwrap_or_default();
        println!(
            "  {}  {}  {:?}  attempts {}{last}",
            e.body.observed_at, e.session_id, e.body.title, e.attempts
        );
    }
    println!(
        "{} refused for good (never retried; fix and upsert again, then delete the file)",
        failed.len()
    );
    for (path, f) in &failed {
        match f {
            SetAside::Refused(f) => {
                println!("  {}  {}  {}", f.entry.session_id, f.reason, path.display())
            }
            SetAside::Unreadable(why) => {
                println!("  unreadable entry  {}  ({why})", path.display())
            }
        }
    }
    Ok(())
}
