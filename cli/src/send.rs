//! How an upsert leaves this machine: sent now, or kept in the outbox and delivered later.
//! Commands and hooks queue what cannot be delivered; every command that talks to the API
//! first delivers what is pending, within a fixed time budget.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::Url;
use sessions_core::{SessionId, Timestamp, UpsertBody, WorkspaceId};

use crate::aws::AwsIdentity;
use crate::client::ApiClient;
use crate::context::Context;
use crate::error::{CliError, Kind};
use crate::outbox::{Entry, Flushed, Outbox};

/// How long a command may spend delivering earlier entries before doing its own work.
pub const BACKGROUND_BUDGET: Duration = Duration::from_secs(2);

/// Keeps an upsert that could not be delivered now; the error says where and what happens next.
pub fn queue(
    ctx: &Context,
    endpoint: &str,
    workspace: &WorkspaceId,
    session_id: &SessionId,
    body: UpsertBody,
    create_only: bool,
    why: CliError,
) -> Result<CliError, CliError> {
    let outbox = Outbox::open()?;
    let entry = Entry {
        endpoint: endpoint.to_owned(),
        workspace: workspace.to_string(),
        session_id: session_id.to_string(),
        body,
        create_only,
        profile: ctx.config.profile.as_ref().map(|p| p.value.clone()),
        queued_at: Timestamp::now().to_string(),
        attempts: 1,
        last_error: Some(why.message.clone()),
    };
    let path = outbox.enqueue(&entry)?;
    Ok(CliError::new(
        Kind::Queued,
        format!(
            "{}; the update is kept in the outbox ({})",
            why.message,
            path.display()
        ),
    )
    .help("it is delivered by the next cargo-ai command, or now with `cargo-ai outbox flush`"))
}

/// Delivers pending entries oldest first within `budget`, each signed as whoever queued it.
pub async fn flush(
    ctx: &Context,
    outbox: &Outbox,
    budget: Duration,
    show_progress: bool,
) -> Result<Flushed, CliError> {
    // One identity per profile the entries were made with, loaded once.
    let mut identities: HashMap<Option<String>, AwsIdentity> = HashMap::new();
    let verbose = ctx.verbose();
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
    match flush(ctx, &outbox, BACKGROUND_BUDGET, false).await {
        Ok(f) if !ctx.quiet() && f.delivered + f.superseded + f.failed > 0 => {
            eprintln!("{}", f.summary());
        }
        Ok(_) => {}
        Err(e) if !ctx.quiet() => {
            eprintln!("note: queued updates not delivered yet: {}", e.message)
        }
        Err(_) => {}
    }
}
