//! `cargo-ai workspaceManagement session upsert`: the seed's command, exactly as it reads.

use sessions_core::{SessionId, Summary, Timestamp, Title, UpsertBody};

use crate::client::Write;
use crate::commands::print;
use crate::context::Context;
use crate::error::CliError;
use crate::send::{self, Delivered, Upsert, Waiting};

/// The arguments, each checked against the API's rules as it is read: nothing invalid is sent.
#[derive(Debug, clap::Args)]
pub struct UpsertArgs {
    /// The Claude Code session id (1-128 characters of A-Z a-z 0-9 . _ : -).
    #[arg(long, value_name = "ID")]
    pub session_id: SessionId,

    /// A short title (1-256 characters, one line).
    #[arg(long, value_name = "TEXT")]
    pub title: Title,

    /// What happened in the session (1-16384 bytes; newlines allowed).
    #[arg(long, value_name = "TEXT")]
    pub summary: Summary,

    /// Mark the session finished now.
    #[arg(long, conflicts_with = "finished_at")]
    pub finished: bool,

    /// Mark the session finished at this time (RFC 3339, e.g. 2026-11-24T07:02:28Z).
    #[arg(long, value_name = "ISO")]
    pub finished_at: Option<Timestamp>,
}

impl UpsertArgs {
    /// The body, observed `now`; `--finished` means finished now, on this machine's clock.
    fn body(self, now: Timestamp) -> (SessionId, UpsertBody) {
        let finished_at = match (self.finished_at, self.finished) {
            (Some(at), _) => Some(at),
            (None, true) => Some(now),
            (None, false) => None,
        };
        let body = UpsertBody {
            title: self.title,
            summary: self.summary,
            finished_at,
            observed_at: now,
            facts: Default::default(),
        };
        (self.session_id, body)
    }
}

pub async fn run(ctx: &Context, args: UpsertArgs) -> Result<(), CliError> {
    let (session_id, body) = args.body(Timestamp::now());
    let upsert = Upsert {
        workspace: *ctx.config.workspace()?,
        session_id,
        body,
        write: Write::Upsert,
    };
    match send::deliver(ctx, upsert, Waiting::Person).await? {
        Delivered::Stored(session) => print::json(&session),
        Delivered::Queued(queued) => Err(queued),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::commands::session::{SessionCommand, WorkspaceCommand};
    use crate::commands::{Cli, Command};

    fn parse(extra: &[&str]) -> Result<UpsertArgs, clap::Error> {
        let base = [
            "cargo-ai",
            "workspaceManagement",
            "session",
            "upsert",
            "--session-id",
            "abc-123",
            "--title",
            "t",
            "--summary",
            "s",
        ];
        let cli = Cli::try_parse_from(base.iter().chain(extra))?;
        match cli.command {
            Command::WorkspaceManagement {
                command: WorkspaceCommand::Session(SessionCommand::Upsert(args)),
            } => Ok(args),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn finished_resolves_to_the_client_clock() {
        let now = Timestamp::parse("now", "2026-11-24T07:02:28.559Z").unwrap();
        let (_, v) = parse(&["--finished"]).unwrap().body(now);
        assert_eq!(v.finished_at, Some(now));
        assert_eq!(v.observed_at, now);
        let (_, v) = parse(&[]).unwrap().body(now);
        assert_eq!(v.finished_at, None);
        let (_, v) = parse(&["--finished-at", "2026-11-24T08:00:00+01:00"])
            .unwrap()
            .body(now);
        assert_eq!(
            v.finished_at.unwrap().to_string(),
            "2026-11-24T07:00:00.000Z"
        );
        let e = parse(&["--finished-at", "tomorrow"]).unwrap_err();
        assert_eq!(crate::usage_exit_code(&e), crate::error::EXIT_INVALID);
        let e = e.to_string();
        assert!(e.contains("--finished-at") && e.contains("RFC 3339"), "{e}");
    }
}
