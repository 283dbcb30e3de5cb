//! `cargo-ai workspaceManagement session delete`: the owner removes one of their rows, after a
//! confirmation on a terminal (`--yes` for scripts).

use std::io::{BufRead, IsTerminal, Write};

use sessions_core::wire::DeletedSession;
use sessions_core::{Session, SessionId, Timestamp};

use crate::commands::print::{self, Report};
use crate::context::Context;
use crate::error::{CliError, Kind};

#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    /// The session id.
    #[arg(long, value_name = "ID")]
    pub session_id: SessionId,

    /// Delete without asking (needed when not on a terminal, e.g. in scripts).
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

impl Report for DeletedSession {
    fn human(&self) -> String {
        format!(
            "Deleted session {} from workspace {}.\n",
            self.session_id, self.workspace_uuid
        )
    }
}

pub async fn run(ctx: &Context, args: DeleteArgs) -> Result<(), CliError> {
    let workspace = ctx.config.workspace()?;
    let asks = !args.yes;
    if asks && !std::io::stdin().is_terminal() {
        return Err(CliError::new(
            Kind::Invalid,
            format!(
                "not deleting session {} without a confirmation",
                args.session_id
            ),
        )
        .help("input is not a terminal, so cargo-ai cannot ask; pass --yes to delete it"));
    }
    let client = ctx.connect().await?;
    if asks {
        let session = client.get(workspace, &args.session_id).await?;
        if !confirmed(&session)? {
            eprintln!("Nothing deleted.");
            return Ok(());
        }
    }
    let deleted = client
        .delete(workspace, &args.session_id, Timestamp::now())
        .await?;
    print::report(&deleted, args.json)
}

/// Shows the row and asks on the terminal; only `y` or `yes` deletes.
fn confirmed(session: &Session) -> Result<bool, CliError> {
    let mut stderr = std::io::stderr().lock();
    let asked = write!(
        stderr,
        "Delete session {} \"{}\", created {}?\n\
         Its title and summary are removed for everyone on the workspace. [y/N] ",
        session.session_id, session.title, session.created_at
    )
    .and_then(|()| stderr.flush());
    let mut answer = String::new();
    asked
        .and_then(|()| std::io::stdin().lock().read_line(&mut answer))
        .map_err(|e| CliError::new(Kind::Invalid, format!("cannot read the answer: {e}")))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
