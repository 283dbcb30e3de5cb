//! One module per command; `run` dispatches. `connect` is how every command that talks to
//! the API gets its signed client.

pub mod completions;
pub mod config;
pub mod outbox;
pub mod session;
pub mod whoami;

use tokio::sync::OnceCell;

use crate::args::{
    Cli, Command, ConfigCommand, Global, HookScope, HooksCommand, OutboxCommand, WorkspaceCommand,
};
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
    let command = match cli.command {
        Command::Completions { shell } => return completions::run(shell),
        Command::Hooks(command) => return hooks(cli.global, command).await,
        command => command,
    };
    let cli = Cli {
        global: cli.global,
        command,
    };
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
        // Answered above, before the configuration is loaded.
        Command::Completions { .. } | Command::Hooks(_) => Ok(()),
    }
}

/// `cargo-ai hooks ...`. The hooks themselves never fail: they log instead.
async fn hooks(global: Global, command: HooksCommand) -> Result<(), CliError> {
    use crate::hooks::{install, run as hook};
    let scope = |s: &HookScope| {
        if s.user {
            install::Scope::User
        } else if s.local {
            install::Scope::Local
        } else {
            install::Scope::Project
        }
    };
    match command {
        HooksCommand::SessionStart => {
            hook::guarded_hook("session-start", hook::session_start).await;
            Ok(())
        }
        HooksCommand::SessionEnd => {
            hook::guarded_hook("session-end", async |input| hook::session_end(input)).await;
            Ok(())
        }
        HooksCommand::Worker {
            session_id,
            transcript,
            cwd,
            finished_at,
        } => {
            if crate::hooks::summarize::guarded() {
                return Ok(());
            }
            let finished_at = sessions_core::Timestamp::parse("--finished-at", &finished_at)
                .map_err(|e| CliError::new(crate::error::Kind::Invalid, e.message))?;
            if let Err(e) = hook::worker(
                &session_id,
                transcript.as_deref(),
                cwd.as_deref(),
                finished_at,
            )
            .await
            {
                crate::hooks::log::line(&format!("worker {session_id}: {}", e.message));
            }
            Ok(())
        }
        HooksCommand::Install(s) => install::install(scope(&s), s.dry_run),
        HooksCommand::Uninstall(s) => install::uninstall(scope(&s), s.dry_run),
        HooksCommand::Doctor => {
            let config = Config::load(&global)?;
            install::doctor(&Context::new(global, config)).await
        }
    }
}
