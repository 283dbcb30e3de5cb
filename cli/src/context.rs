//! What every command and hook works with: the layered configuration, how much to say, and
//! the caller's AWS identity, loaded at most once per process.

use tokio::sync::OnceCell;

use crate::aws::AwsIdentity;
use crate::client::ApiClient;
use crate::config::{Config, Setting, Source};
use crate::error::CliError;

/// How much a run prints besides its results and errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// Results and errors only (`--quiet`, and always in hooks).
    Quiet,
    #[default]
    Normal,
    /// Also each request and its answer (`--verbose`).
    Verbose,
}

pub struct Context {
    pub config: Config,
    pub verbosity: Verbosity,
    identity: OnceCell<AwsIdentity>,
}

impl Context {
    pub fn new(config: Config, verbosity: Verbosity) -> Self {
        Context {
            config,
            verbosity,
            identity: OnceCell::new(),
        }
    }

    pub fn quiet(&self) -> bool {
        self.verbosity == Verbosity::Quiet
    }

    pub fn verbose(&self) -> bool {
        self.verbosity == Verbosity::Verbose
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
        config.profile = profile.map(|p| Setting {
            value: p.to_owned(),
            source: Source::Outbox,
        });
        crate::aws::load(&config).await
    }

    /// The signed API client: endpoint from the configuration, credentials from the AWS chain.
    pub async fn connect(&self) -> Result<ApiClient, CliError> {
        let endpoint = self.config.endpoint()?.clone();
        ApiClient::new(endpoint, self.identity().await?.clone(), self.verbose())
    }
}
