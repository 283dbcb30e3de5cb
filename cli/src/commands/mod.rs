//! One module per command; `run` dispatches. `connect` is how every command that talks to
//! the API gets its signed client.

pub mod completions;
pub mod config;
pub mod session;
pub mod whoami;

use crate::args::{Cli, Command, ConfigCommand, Global, WorkspaceCommand};
use crate::client::ApiClient;
use crate::config::Config;
use crate::error::CliError;

/// What every command gets: the global flags and the layered configuration.
pub struct Context {
    pub global: Global,
    pub config: Config,
}

impl Context {
    /// The signed API client: endpoint from the configuration, credentials from the AWS chain.
    pub async fn connect(&self) -> Result<ApiClient, CliError> {
        let endpoint = self.config.endpoint()?.clone();
        let identity = crate::aws::load(&self.config).await?;
        ApiClient::new(endpoint, identity, self.global.verbose)
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Completions { shell } = cli.command {
        return completions::run(shell);
    }
    let config = Config::load(&cli.global)?;
    let ctx = Context {
        global: cli.global,
        config,
    };
    match cli.command {
        Command::WorkspaceManagement {
            command: WorkspaceCommand::Session(command),
        } => session::run(&ctx, command).await,
        Command::Whoami { json } => whoami::run(&ctx, json).await,
        Command::Config(ConfigCommand::Show { json }) => config::show(&ctx, json),
        Command::Completions { .. } => Ok(()),
    }
}
