//! `cargo-ai workspaceManagement session upsert`: the seed's command, exactly as it reads.

use sessions_core::{SessionId, Summary, Timestamp, Title, ValidUpsert};

use crate::client::Write;
use crate::context::Context;
use crate::error::{CliError, Kind};
use crate::render;
use crate::send::{self, Delivered, Upsert, Waiting};

#[derive(Debug, clap::Args)]
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

fn invalid(e: sessions_core::ApiError) -> CliError {
    CliError::new(Kind::Invalid, e.message)
}

/// Checks the arguments against the API's rules before anything is sent.
fn validate(args: &UpsertArgs, now: Timestamp) -> Result<(SessionId, ValidUpsert), CliError> {
    let session_id = SessionId::parse(&args.session_id).map_err(invalid)?;
    let finished_at = match (&args.finished_at, args.finished) {
        (Some(raw), _) => Some(Timestamp::parse("--finished-at", raw).map_err(invalid)?),
        (None, true) => Some(now),
        (None, false) => None,
    };
    let fields = ValidUpsert {
        title: Title::parse(&args.title).map_err(invalid)?,
        summary: Summary::parse(&args.summary).map_err(invalid)?,
        finished_at,
        observed_at: now,
    };
    Ok((session_id, fields))
}

pub async fn run(ctx: &Context, args: UpsertArgs) -> Result<(), CliError> {
    let (session_id, fields) = validate(&args, Timestamp::now())?;
    let upsert = Upsert {
        workspace: *ctx.config.workspace()?,
        session_id,
        body: fields.to_body(),
        write: Write::Upsert,
    };
    match send::deliver(ctx, upsert, Waiting::Person).await? {
        Delivered::Stored(session) => render::json(&session),
        Delivered::Queued(queued) => Err(queued),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(finished: bool, finished_at: Option<&str>) -> UpsertArgs {
        UpsertArgs {
            session_id: "abc-123".into(),
            title: "t".into(),
            summary: "s".into(),
            finished,
            finished_at: finished_at.map(str::to_owned),
        }
    }

    #[test]
    fn finished_resolves_to_the_client_clock() {
        let now = Timestamp::parse("now", "2026-11-24T07:02:28.559Z").unwrap();
        let (_, v) = validate(&args(true, None), now).unwrap();
        assert_eq!(v.finished_at, Some(now));
        assert_eq!(v.observed_at, now);
        let (_, v) = validate(&args(false, None), now).unwrap();
        assert_eq!(v.finished_at, None);
        let (_, v) = validate(&args(false, Some("2026-11-24T08:00:00+01:00")), now).unwrap();
        assert_eq!(
            v.finished_at.unwrap().to_string(),
            "2026-11-24T07:00:00.000Z"
        );
        let e = validate(&args(false, Some("tomorrow")), now).unwrap_err();
        assert_eq!(e.kind, Kind::Invalid);
        assert!(e.message.contains("--finished-at") && e.message.contains("RFC 3339"));
    }
}
