//! The one way an upsert leaves this machine, for `session upsert`, the hooks and the outbox
//! alike: `deliver` sends it now, or keeps it in the outbox when the failure is transient,
//! by the one rule in `transient`. Every command that talks to the API first delivers what
//! is pending (`deliver_pending`), within a fixed time budget. Nothing here prints: each
//! function returns what happened, and the command says it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::Url;
use sessions_core::{ErrorCode, Session};

use crate::aws::AwsIdentity;
use crate::client::ApiClient;
pub use crate::client::Upsert;
use crate::context::Context;
use crate::error::{CliError, Kind};
use crate::outbox::{Entry, Outbox};

/// How long a command may spend delivering earlier entries before doing its own work.
const BACKGROUND_BUDGET: Duration = Duration::from_secs(2);
/// The bound on each request when nobody waits (a hook): what does not make it is kept.
const UNATTENDED_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// Who waits on a delivery. A person gets retries now and the failures only they can fix
/// (credentials, settings); when nobody waits (a hook, a queued entry), one quick attempt is
/// made and those failures are kept for a later delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    Person,
    Nobody,
}

/// What became of an upsert.
#[derive(Debug)]
pub enum Delivered {
    Stored(Session),
    /// Kept in the outbox; the error (`Kind::Queued`) says why and where.
    Queued(CliError),
}

/// The one rule for what is transient: a failure that may pass without changing the upsert.
/// The network, the endpoint or its throttling may recover (`retryable`). Credentials may be
/// renewed and local settings fixed, but that takes someone: a person waiting is told to do
/// it now, while for nobody waiting it is kept until then. A refusal of the upsert itself
/// (bad input, not the owner, workspace not allowed) never passes.
pub fn transient(e: &CliError, waiting: Waiting) -> bool {
    let fixable_later = match e.kind {
        Kind::Auth => true,
        // Our own setup, not an answer of the API's.
        Kind::Config => e.code.is_none(),
        _ => false,
    };
    e.retryable || (waiting == Waiting::Nobody && fixable_later)
}

/// A failure that means a newer write already landed (409) or the row was created elsewhere
/// (412, create-only): for a delivery from the outbox, the entry is done.
fn superseded(e: &CliError) -> bool {
    matches!(e.code, Some(ErrorCode::Stale | ErrorCode::AlreadyExists))
}

/// The signed client, trying as hard as `waiting` deserves.
pub async fn connect(ctx: &Context, waiting: Waiting) -> Result<ApiClient, CliError> {
    let client = ctx.connect().await?;
    Ok(match waiting {
        Waiting::Person => client,
        Waiting::Nobody => client.single_attempt().timeout(UNATTENDED_REQUEST_TIMEOUT),
    })
}

/// Sends a new upsert, or keeps it in the outbox when the failure is transient. Every new
/// upsert passes here before it is signed, queued or logged.
pub async fn deliver(
    ctx: &Context,
    upsert: Upsert,
    waiting: Waiting,
) -> Result<Delivered, CliError> {
    let upsert = redacted(upsert);
    let endpoint = ctx.config.endpoint()?.clone();
    let sent = match connect(ctx, waiting).await {
        Ok(client) => client.upsert(&upsert).await.map_err(CliError::from),
        Err(e) => Err(e),
    };
    match sent {
        Ok(session) => Ok(Delivered::Stored(session)),
        Err(e) if transient(&e, waiting) => queue(ctx, &endpoint, upsert, e).map(Delivered::Queued),
        Err(e) => Err(e),
    }
}

/// The upsert without secrets, before it is signed, queued or logged. Entries queued by an
/// older version pass here again when they are delivered.
fn redacted(upsert: Upsert) -> Upsert {
    let (body, _) = upsert.body.redacted();
    Upsert { body, ..upsert }
}

/// Keeps an upsert that could not be delivered now; the error says where and what happens next.
fn queue(
    ctx: &Context,
    endpoint: &Url,
    upsert: Upsert,
    why: CliError,
) -> Result<CliError, CliError> {
    let outbox = Outbox::open()?;
    let profile = ctx.config.profile.as_ref().map(|p| p.value.clone());
    let entry = Entry::new(endpoint.clone(), profile, upsert, &why);
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

/// What a flush did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Flushed {
    pub delivered: usize,
    /// Already superseded by a newer write (409) or created elsewhere (412): done.
    pub superseded: usize,
    pub failed: usize,
    pub remaining: usize,
    /// Another process was flushing; this one left the entries alone.
    pub busy: bool,
}

impl Flushed {
    /// One line saying what a flush did.
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("delivered {} queued update(s)", self.delivered)];
        if self.superseded > 0 {
            parts.push(format!(
                "{} already superseded by newer ones",
                self.superseded
            ));
        }
        if self.failed > 0 {
            parts.push(format!(
                "{} refused for good (see `cargo-ai outbox status`)",
                self.failed
            ));
        }
        if self.remaining > 0 {
            parts.push(format!("{} still pending", self.remaining));
        }
        parts.join(", ")
    }
}

/// Delivers pending entries oldest first until done or `budget` runs out, each to the endpoint
/// and as the identity it was queued with. Stops at the first transient failure: the endpoint
/// is down, the rest would fail too.
pub async fn flush(
    ctx: &Context,
    outbox: &Outbox,
    budget: Duration,
    mut progress: impl FnMut(usize, usize),
) -> Result<Flushed, CliError> {
    let mut outcome = Flushed::default();
    let Some(_lock) = outbox.try_lock()? else {
        outcome.busy = true;
        outcome.remaining = outbox.pending()?.len();
        return Ok(outcome);
    };
    let entries = outbox.pending()?;
    let total = entries.len();
    let started = Instant::now();
    let mut identities = Identities::default();
    for (i, (path, entry)) in entries.into_iter().enumerate() {
        let Some(time_left) = budget
            .checked_sub(started.elapsed())
            .filter(|t| !t.is_zero())
        else {
            outcome.remaining = total - i;
            break;
        };
        let sent = match identities.client_for(ctx, &entry).await {
            Ok(client) => {
                let upsert = redacted(entry.upsert());
                within(time_left, async { Ok(client.upsert(&upsert).await?) }).await
            }
            Err(e) => Err(e),
        };
        match sent {
            Ok(_) => {
                outbox.remove(&path)?;
                outcome.delivered += 1;
            }
            Err(e) if superseded(&e) => {
                outbox.remove(&path)?;
                outcome.superseded += 1;
            }
            Err(e) if transient(&e, Waiting::Nobody) => {
                outbox.keep(&path, entry, &e)?;
                outcome.remaining = total - i;
                break;
            }
            Err(e) => {
                outbox.set_aside(&path, entry, &e)?;
                outcome.failed += 1;
            }
        }
        progress(i + 1, total);
    }
    Ok(outcome)
}

/// `work`, or a transient failure once `time_left` has passed.
async fn within<T>(
    time_left: Duration,
    work: impl Future<Output = Result<T, CliError>>,
) -> Result<T, CliError> {
    tokio::time::timeout(time_left, work)
        .await
        .unwrap_or_else(|_| {
            Err(CliError::new(Kind::Unavailable, "delivery ran out of time").retryable())
        })
}

/// The identities a flush signs with: one per profile the entries were queued with, each
/// loaded once.
#[derive(Default)]
struct Identities(HashMap<Option<String>, AwsIdentity>);

impl Identities {
    /// A client for the endpoint and as the identity an entry was queued with.
    async fn client_for(&mut self, ctx: &Context, entry: &Entry) -> Result<ApiClient, CliError> {
        let identity = match self.0.get(&entry.profile) {
            Some(identity) => identity.clone(),
            None => {
                let identity = ctx.identity_for(entry.profile.as_deref()).await?;
                self.0.insert(entry.profile.clone(), identity.clone());
                identity
            }
        };
        Ok(ctx
            .client(entry.endpoint.clone(), identity)
            .await?
            .single_attempt())
    }
}

/// What delivering the pending entries before a command came to.
#[derive(Debug)]
pub enum Backlog {
    /// Nothing was pending, or nothing could be done with it now.
    Untouched,
    Flushed(Flushed),
    /// The entries stay queued: this says why.
    NotDelivered(CliError),
}

impl Backlog {
    /// The line a person is told, if any.
    pub fn notice(&self) -> Option<String> {
        match self {
            Backlog::Flushed(f) if f.delivered + f.superseded + f.failed > 0 => Some(f.summary()),
            Backlog::NotDelivered(e) => Some(format!(
                "note: queued updates not delivered yet: {}",
                e.message
            )),
            _ => None,
        }
    }
}

/// Delivers what earlier commands could not, before this command's own work. Never fails the
/// command: whatever is left stays queued.
pub async fn deliver_pending(ctx: &Context) -> Backlog {
    let Ok(outbox) = Outbox::open() else {
        return Backlog::Untouched;
    };
    if outbox.pending().map_or(true, |p| p.is_empty()) {
        return Backlog::Untouched;
    }
    match flush(ctx, &outbox, BACKGROUND_BUDGET, |_, _| {}).await {
        Ok(flushed) => Backlog::Flushed(flushed),
        Err(e) => Backlog::NotDelivered(e),
    }
}

#[cfg(test)]
mod tests {
    use sessions_core::ApiError;

    use super::*;

    /// Every error a delivery can meet: each API code, and each local kind with and without
    /// a passing cause.
    fn every_error() -> Vec<CliError> {
        let mut errors: Vec<CliError> = ErrorCode::ALL
            .into_iter()
            .map(|code| CliError::from_api(ApiError::new(code, "refused")))
            .collect();
        for kind in [
            Kind::Config,
            Kind::Auth,
            Kind::Invalid,
            Kind::NotFound,
            Kind::Conflict,
            Kind::Unavailable,
        ] {
            errors.push(CliError::new(kind, "local"));
            errors.push(CliError::new(kind, "local").retryable());
        }
        errors
    }

    #[test]
    fn a_person_is_told_what_only_they_can_fix() {
        for e in every_error() {
            assert_eq!(transient(&e, Waiting::Person), e.retryable, "{e}");
        }
    }

    #[test]
    fn unattended_deliveries_keep_what_renewed_credentials_or_settings_fix() {
        let kept = |code: ErrorCode| {
            transient(
                &CliError::from_api(ApiError::new(code, "x")),
                Waiting::Nobody,
            )
        };
        for code in [
            ErrorCode::Unauthenticated,
            ErrorCode::InvalidSignature,
            ErrorCode::RequestExpired,
            ErrorCode::UnknownAccessKey,
            ErrorCode::Throttled,
            ErrorCode::Unavailable,
            ErrorCode::Internal,
        ] {
            assert!(kept(code), "{code}");
        }
        for code in [
            ErrorCode::NotOwner,
            ErrorCode::WorkspaceNotAllowed,
            ErrorCode::InvalidTitle,
            ErrorCode::RouteNotFound,
            ErrorCode::Stale,
            ErrorCode::AlreadyExists,
        ] {
            assert!(!kept(code), "{code}");
        }
        assert!(transient(
            &CliError::new(Kind::Auth, "no credentials"),
            Waiting::Nobody
        ));
        assert!(transient(
            &CliError::new(Kind::Config, "no host"),
            Waiting::Nobody
        ));
        assert!(!transient(
            &CliError::new(Kind::Invalid, "bad entry"),
            Waiting::Nobody
        ));
    }
}
