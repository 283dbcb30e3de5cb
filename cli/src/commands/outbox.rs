//! `cargo-ai outbox status|flush`, and the delivery of pending entries that every command
//! talking to the API does first, within a fixed time budget.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use reqwest::Url;
use serde_json::json;

use super::Context;
use crate::aws::AwsIdentity;
use crate::client::ApiClient;
use crate::error::{CliError, Kind};
use crate::outbox::{Entry, Flushed, Outbox};
use crate::render;

/// How long a command may spend delivering earlier entries before doing its own work.
pub const BACKGROUND_BUDGET: Duration = Duration::from_secs(2);
/// How long `cargo-ai outbox flush` may take.
const FLUSH_BUDGET: Duration = Duration::from_secs(120);

async fn flush_with(
    ctx: &Context,
    outbox: &Outbox,
    budget: Duration,
    show_progress: bool,
) -> Result<Flushed, CliError> {
    // One identity per profile the entries were made with, loaded once.
    let mut identities: HashMap<Option<String>, AwsIdentity> = HashMap::new();
    let verbose = ctx.global.verbose;
    outbox
        .flush(
            budget,
            async |entry: &Entry| {
                let url = Url::parse(&entry.endpoint).map_err(|_| {
                    CliError::new(
                        Kind::Invalid,
                        format!(
                            "queued entry names an invalid endpoint {:?}",
                            entry.endpoint
                        ),
                    )
                })?;
                let identity = match identities.get(&entry.profile) {
                    Some(identity) => identity.clone(),
                    None => {
                        let identity = ctx.identity_for(entry.profile.as_deref()).await?;
                        identities.insert(entry.profile.clone(), identity.clone());
                        identity
                    }
                };
                Ok(ApiClient::new(url, identity, verbose)?.single_attempt())
            },
            |done, total| {
                if show_progress {
                    eprint!("\rdelivering {done}/{total}...");
                }
            },
        )
        .await
}

/// Delivers what earlier commands could not, before this command's own work. Never fails the
/// command: whatever is left stays queued.
pub async fn deliver_pending(ctx: &Context) {
    let Ok(outbox) = Outbox::open() else { return };
    if outbox.pending().map_or(true, |p| p.is_empty()) {
        return;
    }
    match flush_with(ctx, &outbox, BACKGROUND_BUDGET, false).await {
        Ok(f) if !ctx.global.quiet && f.delivered + f.superseded + f.failed > 0 => {
            eprintln!("{}", summary(&f));
        }
        Ok(_) => {}
        Err(e) if !ctx.global.quiet => {
            eprintln!("note: queued updates not delivered yet: {}", e.message)
        }
        Err(_) => {}
    }
}

fn summary(f: &Flushed) -> String {
    let mut parts = vec![format!("delivered {} queued update(s)", f.delivered)];
    if f.superseded > 0 {
        parts.push(format!("{} already superseded by newer ones", f.superseded));
    }
    if f.failed > 0 {
        parts.push(format!(
            "{} refused for good (see `cargo-ai outbox status`)",
            f.failed
        ));
    }
    if f.remaining > 0 {
        parts.push(format!("{} still pending", f.remaining));
    }
    parts.join(", ")
}

pub async fn flush(ctx: &Context) -> Result<(), CliError> {
    let outbox = Outbox::open()?;
    let pending = outbox.pending()?.len();
    if pending == 0 {
        if !ctx.global.quiet {
            eprintln!("outbox is empty");
        }
        return Ok(());
    }
    let progress = !ctx.global.quiet && std::io::stderr().is_terminal();
    let f = flush_with(ctx, &outbox, FLUSH_BUDGET, progress).await?;
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
    if !ctx.global.quiet {
        eprintln!("{}", summary(&f));
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

pub fn status(as_json: bool) -> Result<(), CliError> {
    let outbox = Outbox::open()?;
    let pending = outbox.pending()?;
    let failed = outbox.failed()?;
    if as_json {
        return render::json(&json!({
            "directory": outbox.dir(),
            "pending": pending.iter().map(|(path, e)| json!({"file": path, "entry": e})).collect::<Vec<_>>(),
            "failed": failed.iter().map(|(path, f)| json!({"file": path, "failed": f})).collect::<Vec<_>>(),
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
            Some(f) => println!("  {}  {}  {}", f.entry.session_id, f.reason, path.display()),
            None => println!("  unreadable entry  {}", path.display()),
        }
    }
    Ok(())
}
