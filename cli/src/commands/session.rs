//! `cargo-ai workspaceManagement session ...`: upsert, get and list session rows.

use std::io::IsTerminal;

use sessions_core::fields::LIST_MAX_LIMIT;
use sessions_core::{Cursor, Session, SessionId, Summary, Timestamp, Title, ValidUpsert};

use super::Context;
use crate::args::{Output, SessionCommand, UpsertArgs};
use crate::client::Write;
use crate::error::{CliError, Kind};
use crate::render;

pub async fn run(ctx: &Context, command: SessionCommand) -> Result<(), CliError> {
    match command {
        SessionCommand::Upsert(args) => upsert(ctx, args).await,
        SessionCommand::Get { session_id, output } => get(ctx, &session_id, output).await,
        SessionCommand::List {
            limit,
            mine,
            since,
            output,
        } => list(ctx, limit, mine, since.as_deref(), output).await,
    }
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

async fn upsert(ctx: &Context, args: UpsertArgs) -> Result<(), CliError> {
    let (session_id, fields) = validate(&args, Timestamp::now())?;
    let workspace = ctx.config.workspace()?;
    let client = ctx.connect().await?;
    let body = fields.to_body();
    match client
        .upsert(workspace, &session_id, &body, Write::Upsert)
        .await
    {
        Ok(session) => render::json(&session),
        Err(e) if e.retryable => Err(queue(
            ctx,
            client.endpoint().as_str(),
            workspace,
            &session_id,
            body,
            false,
            e,
        )?),
        Err(e) => Err(e),
    }
}

/// Keeps an upsert that could not be delivered now; the error says where and what happens next.
pub fn queue(
    ctx: &Context,
    endpoint: &str,
    workspace: &sessions_core::WorkspaceId,
    session_id: &SessionId,
    body: sessions_core::UpsertBody,
    create_only: bool,
    why: CliError,
) -> Result<CliError, CliError> {
    let outbox = crate::outbox::Outbox::open()?;
    let entry = crate::outbox::Entry {
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

async fn get(ctx: &Context, session_id: &str, output: Output) -> Result<(), CliError> {
    let session_id = SessionId::parse(session_id).map_err(invalid)?;
    let workspace = ctx.config.workspace()?;
    let client = ctx.connect().await?;
    let session = client.get(workspace, &session_id).await?;
    render::session(&session, output.format())
}

async fn list(
    ctx: &Context,
    limit: u32,
    mine: bool,
    since: Option<&str>,
    output: Output,
) -> Result<(), CliError> {
    let now = Timestamp::now();
    let since = since.map(|s| parse_since(s, &now)).transpose()?;
    let workspace = ctx.config.workspace()?;
    let client = ctx.connect().await?;
    let progress = !ctx.global.quiet && std::io::stderr().is_terminal();
    let mut sessions: Vec<Session> = Vec::new();
    let mut cursor: Option<Cursor> = None;
    'pages: loop {
        let want = (limit as usize - sessions.len()).min(LIST_MAX_LIMIT as usize) as u32;
        let page = client
            .list_page(workspace, want, mine, cursor.as_ref())
            .await?;
        for session in page.sessions {
            // Newest first: the first one older than --since ends the listing.
            if since
                .as_ref()
                .is_some_and(|s| session.created_at < s.to_string())
            {
                break 'pages;
            }
            sessions.push(session);
            if sessions.len() == limit as usize {
                break 'pages;
            }
        }
        match page.next_cursor {
            Some(next) => {
                cursor = Some(Cursor::parse(&next).map_err(|_| {
                    CliError::new(
                        Kind::Unavailable,
                        "the endpoint returned a malformed cursor",
                    )
                })?)
            }
            None => break,
        }
        if progress {
            eprint!("\rfetched {} sessions...", sessions.len());
        }
    }
    if progress && sessions.len() > LIST_MAX_LIMIT as usize {
        eprint!("\r\x1b[K");
    }
    render::sessions(&sessions, output.format())
}

/// `--since`: a duration back from now (30m, 12h, 7d, 2w) or an RFC 3339 date/time or date.
fn parse_since(raw: &str, now: &Timestamp) -> Result<Timestamp, CliError> {
    let bad = || {
        CliError::new(Kind::Invalid, format!("--since {raw:?} is neither a duration nor a date"))
            .help("use a duration like 30m, 12h, 7d or 2w, or a date like 2026-11-01 or 2026-11-01T09:00:00Z")
    };
    let raw = raw.trim();
    if let Some(unit) = raw.chars().last().filter(|c| c.is_ascii_alphabetic())
        && let Ok(n) = raw[..raw.len() - 1].parse::<i64>()
    {
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad()),
        };
        return n
            .checked_mul(seconds)
            .filter(|s| *s >= 0)
            .map(|s| now.plus_seconds(-s))
            .ok_or_else(bad);
    }
    let full = if raw.len() == 10 {
        format!("{raw}T00:00:00Z")
    } else {
        raw.to_owned()
    };
    Timestamp::parse("--since", &full).map_err(|_| bad())
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

    #[test]
    fn since_forms() {
        let now = Timestamp::parse("now", "2026-11-24T12:00:00Z").unwrap();
        assert_eq!(
            parse_since("30m", &now).unwrap().to_string(),
            "2026-11-24T11:30:00.000Z"
        );
        assert_eq!(
            parse_since("2d", &now).unwrap().to_string(),
            "2026-11-22T12:00:00.000Z"
        );
        assert_eq!(
            parse_since("1w", &now).unwrap().to_string(),
            "2026-11-17T12:00:00.000Z"
        );
        assert_eq!(
            parse_since("2026-11-01", &now).unwrap().to_string(),
            "2026-11-01T00:00:00.000Z"
        );
        assert_eq!(
            parse_since("2026-11-01T09:00:00+01:00", &now)
                .unwrap()
                .to_string(),
            "2026-11-01T08:00:00.000Z"
        );
        for bad in ["", "7x", "-3d", "yesterday", "d"] {
            assert_eq!(
                parse_since(bad, &now).unwrap_err().kind,
                Kind::Invalid,
                "{bad}"
            );
        }
    }
}
