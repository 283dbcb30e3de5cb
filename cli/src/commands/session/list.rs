//! `cargo-ai workspaceManagement session list`: the workspace's sessions, newest first,
//! fetched page by page up to `--limit` or back to `--since`, optionally only one repository's,
//! branch's or person's.

use std::io::IsTerminal;

use sessions_core::facts::check_repo;
use sessions_core::fields::LIST_MAX_LIMIT;
use sessions_core::{Cursor, Session, Timestamp};

use crate::client::ListFilter;
use crate::commands::Output;
use crate::context::Context;
use crate::error::{CliError, Kind};
use crate::render;

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Show at most this many sessions.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub limit: u32,

    /// Only sessions you created.
    #[arg(long, conflicts_with = "user")]
    pub mine: bool,

    /// Only sessions this IAM ARN created (`cargo-ai whoami` prints yours).
    #[arg(long, value_name = "ARN")]
    pub user: Option<String>,

    /// Only sessions in this git repository, written host/owner/name (github.com/acme/uploader).
    #[arg(long, value_name = "HOST/OWNER/NAME", value_parser = parse_repo)]
    pub repo: Option<String>,

    /// Only sessions on this git branch.
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,

    /// Only sessions created since then: a duration (30m, 12h, 7d, 2w) or a date/time (2026-11-01, 2026-11-01T09:00:00Z).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    #[command(flatten)]
    pub output: Output,
}

pub async fn run(ctx: &Context, args: ListArgs) -> Result<(), CliError> {
    let ListArgs {
        limit,
        mine,
        user,
        repo,
        branch,
        since,
        output,
    } = args;
    let filter = ListFilter {
        mine,
        user,
        repo,
        branch,
    };
    let now = Timestamp::now();
    let since = since.map(|s| parse_since(&s, &now)).transpose()?;
    let workspace = ctx.config.workspace()?;
    let client = ctx.connect().await?;
    let progress = !ctx.quiet() && std::io::stderr().is_terminal();
    let mut sessions: Vec<Session> = Vec::new();
    let mut cursor: Option<Cursor> = None;
    'pages: loop {
        let want = (limit as usize - sessions.len()).min(LIST_MAX_LIMIT as usize) as u32;
        let page = client
            .list_page(workspace, want, &filter, cursor.as_ref())
            .await?;
        for session in page.sessions {
            // Newest first: the first one older than --since ends the listing.
            let created = session.created_at.parse::<Timestamp>().ok();
            if since.is_some_and(|s| created.is_some_and(|c| c < s)) {
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

/// `--repo`: the form the hooks record, so that a URL or a bare name is caught here with the fix.
fn parse_repo(raw: &str) -> Result<String, String> {
    let repo = raw.trim();
    check_repo(repo).map_err(|why| format!("{repo:?} {why}"))?;
    Ok(repo.to_owned())
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

    #[test]
    fn repo_forms() {
        assert_eq!(
            parse_repo(" github.com/acme/uploader ").unwrap(),
            "github.com/acme/uploader"
        );
        for bad in [
            "uploader",
            "https://github.com/acme/uploader",
            "git@github.com:acme/uploader",
        ] {
            assert!(
                parse_repo(bad).unwrap_err().contains("host/owner/name"),
                "{bad}"
            );
        }
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
