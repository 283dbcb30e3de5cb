//! What every command and hook works with: the layered configuration, how much to say, and
//! the caller's AWS identity, loaded at most once per process (its credentials are asked for
//! again as they expire).

use reqwest::Url;
use tokio::sync::OnceCell;

use crate::aws::AwsIdentity;
use crate::client::{ApiClient, Trace};
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
    /// Where each request's `--verbose` lines go; none unless the command gives a place.
    trace: Option<Trace>,
}

impl Context {
    pub fn new(config: Config, verbosity: Verbosity) -> Self {
        Context {
            config,
            verbosity,
            identity: OnceCell::new(),
            trace: None,
        }
    }

    /// This context, handing the requests' `--verbose` lines to `trace`.
    pub fn with_trace(mut self, trace: Trace) -> Self {
        self.trace = Some(trace);
        self
    }

    pub fn quiet(&self) -> bool {
        self.verbosity == Verbosity::Quiet
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
        self.client(endpoint, self.identity().await?.clone()).await
    }

    /// A client for `endpoint` signing as `identity`, tracing as this context says.
    pub async fn client(
        &self,
        endpoint: Url,
        identity: AwsIdentity,
    ) -> Result<ApiClient, CliError> {
        if let Some(trace) = &self.trace {
            let credentials = identity.credentials().await?;
            trace(&format!(
                "credentials: access key {} ({}), region {}, loaded in {:.1} ms",
                credentials.access_key_id(),
                if credentials.session_token().is_some() {
                    "temporary"
                } else {
                    "long-term"
                },
                identity.region,
                identity.elapsed_ms
            ));
        }
        Ok(ApiClient::new(endpoint, identity)?.traced(self.trace.clone()))
    }
}
