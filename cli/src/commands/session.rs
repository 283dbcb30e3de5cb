//! `cargo-ai workspaceManagement session ...`: upsert a session row.

use sessions_core::{SessionId, Summary, Timestamp, Title, ValidUpsert};

use crate::args::{SessionCommand, Target, UpsertArgs};
use crate::client::{ApiClient, Write};
use crate::error::{CliError, Kind};
use crate::settings::Settings;

pub async fn run(target: &Target, command: SessionCommand) -> Result<(), CliError> {
    match command {
        SessionCommand::Upsert(args) => upsert(target, args).await,
    }
}

/// Checks the arguments against the API's rules before anything is sent.
fn validate(args: &UpsertArgs, now: Timestamp) -> Result<(SessionId, ValidUpsert), CliError> {
    let invalid = |e: sessions_core::ApiError| CliError::new(Kind::Invalid, e.message);
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

async fn upsert(target: &Target, args: UpsertArgs) -> Result<(), CliError> {
    let (session_id, fields) = validate(&args, Timestamp::now())?;
    let settings = Settings::resolve(target)?;
    let client = ApiClient::new(settings.endpoint, crate::aws::load().await?)?;
    let session = client
        .upsert(
            &settings.workspace,
            &session_id,
            &fields.to_body(),
            Write::Upsert,
        )
        .await?;
    let json = serde_json::to_string_pretty(&session)
        .map_err(|e| CliError::new(Kind::Unavailable, format!("cannot print the session: {e}")))?;
    println!("{json}");
    Ok(())
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
