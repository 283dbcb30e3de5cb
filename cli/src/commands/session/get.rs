//! `cargo-ai workspaceManagement session get`: one session, for people or as JSON.

use sessions_core::SessionId;

use crate::commands::Output;
use crate::context::Context;
use crate::error::{CliError, Kind};
use crate::render;

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// The session id.
    #[arg(long, value_name = "ID")]
    pub session_id: String,

    #[command(flatten)]
    pub output: Output,
}

pub async fn run(ctx: &Context, args: GetArgs) -> Result<(), CliError> {
    let session_id =
        SessionId::parse(&args.session_id).map_err(|e| CliError::new(Kind::Invalid, e.message))?;
    let workspace = ctx.config.workspace()?;
    let client = ctx.connect().await?;
    let session = client.get(workspace, &session_id).await?;
    render::session(&session, args.output.format())
}
