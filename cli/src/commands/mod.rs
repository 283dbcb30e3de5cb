//! One module per command; `run` dispatches.

pub mod session;

use crate::args::{Cli, Command, WorkspaceCommand};
use crate::error::CliError;

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::WorkspaceManagement {
            command: WorkspaceCommand::Session(command),
        } => session::run(&cli.target, command).await,
    }
}
