//! `cargo-ai workspaceManagement session get`: one session, for people or as JSON.

use sessions_core::SessionId;

use crate::commands::Output;
use crate::commands::print;
use crate::context::Context;
use crate::error::CliError;

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// The session id.
    #[arg(long, value_name = "ID")]
    pub session_id: SessionId,

    #[command(flatten)]
    pub output: Output,
}

pub async fn run(ctx: &Context, args: GetArgs) -> Result<(), CliError> {
    let workspace = ctx.config.workspace()?;
    let client = ctx.connect().await?;
    let session = client.get(workspace, &args.session_id).await?;
    print::session(&session, args.output.format())
}
