//! One module per command; `run` dispatches. `connect` is how every command that talks to
//! the API gets its signed client.

pub mod completions;
pub mod config;
pub mod outbox;
pub mod session;
pub mod whoami;

use tokio::sync::OnceCell;

use crate::args::{Cli, Command, ConfigCommand, Global, OutboxCommand, WorkspaceCommand};
use crate::aws::AwsIdentity;
use crate::client::ApiClient;
use crate::config::Config;
use crate::error::CliError;

/// What every command gets: the global flags, the layered configuration, and the caller's
/// AWS identity, loaded at most once per process.
pub struct Context {
    pub global: Global,
    pub config: Config,
    identity: OnceCell<AwsIdentity>,
}

impl Context {
    pub fn new(global: Global, config: Config) -> Self {
        Context {
            global,
            config,
            identity: OnceCell::new(),
        }
    }

    pub async fn identity(&self) -> Result<&AwsIdentity, CliError> {
        self.identity
            .get_or_try_init(|| crate::aws::load(&self.config))
            .await
    }

    /// The identity of `profile` (`None`: the default chain), for delivering queued entries
    /// as whoever made them.
    pub async fn identity_for(&self, profile: Option<&str>) -> Result<AwsIdentity, CliError> {
        if profile == self.config.profile.as_ref().map(|p| p.value.as_str()) {
            return self.identity().await.cloned();
        }
        let mut config = self.config.clone();
        config.profile = profile.map(|p| crate::config::Setting {
            value: p.to_owned(),
            source: crate::config::Source::Outbox,
        });
        crate::aws::load(&config).await
    }

    /// The signed API client: endpoint from the configuration, credentials from the AWS chain.
    pub async fn connect(&self) -> Result<ApiClient, CliError> {
        let endpoint = self.config.endpoint()?.clone();
        ApiClient::new(
            endpoint,
            self.identity().await?.clone(),
            self.global.verbose,
        )
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Completions { shell } = cli.command {
        return completions::run(shell);
    }
    let config = Config::load(&cli.global)?;
    let ctx = Context::new(cli.global, config);
    if matches!(
        cli.command,
        Command::WorkspaceManagement { .. } | Command::Whoami { .. }
    ) {
        outbox::deliver_pending(&ctx).await;
    }
    match cli.command {
        Command::WorkspaceManagement {
            command: WorkspaceCommand::Session(command),
        } => session::run(&ctx, command).await,
        Command::Whoami { json } => whoami::run(&ctx, json).await,
        Command::Config(ConfigCommand::Show { json }) => config::show(&ctx, json),
        Command::Outbox(OutboxCommand::Status { json }) => outbox::status(json),
        Command::Outbox(OutboxCommand::Flush) => outbox::flush(&ctx).await,
        Command::Completions { .. } => Ok(()),
    }
}
