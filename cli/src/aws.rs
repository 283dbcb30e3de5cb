//! The one place that builds the AWS side: credentials and region from the standard AWS chain
//! (environment, profiles, SSO, credential_process, web identity, containers). The instance
//! metadata service is consulted only on EC2, so a laptop without credentials fails at once
//! instead of waiting on an address that never answers.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use tokio::sync::Mutex;

use crate::config::{Config, Setting};
use crate::error::{CliError, Kind};

/// Credentials are asked for again this long before they expire, so that none expires
/// between signing and the API's check (the AWS SDKs' own margin).
const REFRESH_BEFORE: Duration = Duration::from_secs(10);
/// How long credentials that name no expiry (keys in the environment or a profile) are kept
/// before the provider is asked again, as the AWS SDKs do: a long-lived process sees a
/// profile's keys change.
const KEEP_WITHOUT_EXPIRY: Duration = Duration::from_secs(15 * 60);
/// How long the provider may take to answer (a `credential_process` or an SSO refresh that
/// hangs): past this the request fails instead of waiting for ever.
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// The caller's credentials provider and the region to sign for. The provider is kept, not
/// its first answer: temporary credentials (SSO, STS, `credential_process`) last about an
/// hour, and a process may live longer. `credentials` asks it again before they expire.
#[derive(Clone)]
pub struct AwsIdentity {
    provider: SharedCredentialsProvider,
    cached: Arc<Mutex<Option<Cached>>>,
    /// The profile named in the settings, for the fix in an error message.
    profile: Option<String>,
    pub region: String,
    /// How long resolving the first credentials took, for `--verbose`.
    pub elapsed_ms: f64,
}

#[derive(Clone)]
struct Cached {
    credentials: Credentials,
    /// When to ask the provider again.
    refresh_at: SystemTime,
}

/// Resolving credentials failed: the provider's error is the cause.
#[derive(Debug)]
pub struct NoCredentials {
    profile: Option<String>,
    source: CredentialsError,
}

impl fmt::Display for NoCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no usable AWS credentials ({})",
            error_chain(&self.source)
        )
    }
}

impl std::error::Error for NoCredentials {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl From<NoCredentials> for CliError {
    fn from(e: NoCredentials) -> CliError {
        let profile = e.profile.as_deref().unwrap_or("default");
        let detail = error_chain(&e.source);
        no_credentials(detail, profile).caused_by(e)
    }
}

impl AwsIdentity {
    /// An identity that asks `provider` for credentials, signing for `region`.
    pub fn new(provider: SharedCredentialsProvider, region: String) -> AwsIdentity {
        AwsIdentity {
            provider,
            cached: Arc::default(),
            profile: None,
            region,
            elapsed_ms: 0.0,
        }
    }

    /// The credentials to sign a request with now: the provider's last answer while it is
    /// current, else a new one (one caller asks; the others wait for its answer).
    pub async fn credentials(&self) -> Result<Credentials, NoCredentials> {
        let mut cached = self.cached.lock().await;
        let now = SystemTime::now();
        if let Some(current) = cached.as_ref().filter(|c| c.refresh_at > now) {
            return Ok(current.credentials.clone());
        }
        let asked = tokio::time::timeout(LOAD_TIMEOUT, self.provider.provide_credentials()).await;
        let credentials = asked
            .unwrap_or_else(|_| Err(CredentialsError::provider_timed_out(LOAD_TIMEOUT)))
            .map_err(|source| NoCredentials {
                profile: self.profile.clone(),
                source,
            })?;
        let refresh_at = match credentials.expiry() {
            Some(expiry) => expiry.checked_sub(REFRESH_BEFORE).unwrap_or(now),
            None => now + KEEP_WITHOUT_EXPIRY,
        };
        *cached = Some(Cached {
            credentials: credentials.clone(),
            refresh_at,
        });
        Ok(credentials)
    }
}

/// Whether this process runs on EC2 (where instance metadata can hold credentials).
fn on_ec2() -> bool {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    read("/sys/hypervisor/uuid").starts_with("ec2")
        || read("/sys/devices/virtual/dmi/id/sys_vendor").contains("Amazon EC2")
        || read("/sys/devices/virtual/dmi/id/board_asset_tag").starts_with("i-")
}

/// Turns off instance metadata unless on EC2 or told otherwise. Must run before any thread
/// starts: it sets a process environment variable the AWS chain reads.
pub fn bound_instance_metadata() {
    if std::env::var_os("AWS_EC2_METADATA_DISABLED").is_none() && !on_ec2() {
        // SAFETY: called from `main` before the runtime or any other thread exists.
        unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
    }
}

/// The caller's identity from the standard AWS chain, with its first credentials resolved:
/// a missing or expired login fails here, at once, with the fix.
pub(crate) async fn load(config: &Config) -> Result<AwsIdentity, CliError> {
    let started = Instant::now();
    let profile = config.profile.as_ref().map(|p| p.value.clone());
    let mut identity = match from_environment(config).await {
        Some(identity) => identity,
        None => from_chain(config).await?,
    };
    identity.profile = profile;
    identity.credentials().await?;
    identity.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(identity)
}

/// The whole standard chain, for the profile and region the settings name.
async fn from_chain(config: &Config) -> Result<AwsIdentity, CliError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(sessions_aws::tls::https_client());
    if let Some(Setting { value, .. }) = &config.profile {
        loader = loader.profile_name(value);
    }
    if let Some(Setting { value, .. }) = &config.region {
        loader = loader.region(aws_config::Region::new(value.clone()));
    }
    let sdk = loader.load().await;
    let profile_hint = config
        .profile
        .as_ref()
        .map_or_else(|| "default".to_owned(), |p| p.value.clone());
    let region = sdk.region().map(|r| r.to_string()).ok_or_else(|| {
        CliError::new(Kind::Auth, "no AWS region configured").help(
            "set AWS_REGION, pass --region, put region = \"...\" in .cargo-ai.toml, or set `region` in your AWS profile",
        )
    })?;
    let provider = sdk
        .credentials_provider()
        .ok_or_else(|| no_credentials("no provider is configured".into(), &profile_hint))?;
    Ok(AwsIdentity::new(provider, region))
}

/// The standard chain's answer when it is already known without loading the chain: the
/// chain always tries the environment's keys first (whatever the profile), and the region is
/// ours to give when our settings name one. Loading the whole chain (profile files, the SSO,
/// web identity, container and instance providers, and the system's TLS roots their clients
/// read) takes several milliseconds that a process signing with these keys does not need.
/// Anything else (no keys, a blank or unreadable one) goes through the full chain, which then
/// answers exactly as before.
async fn from_environment(config: &Config) -> Option<AwsIdentity> {
    let region = config.region.as_ref()?;
    let provider = aws_config::environment::EnvironmentVariableCredentialsProvider::new();
    provider.provide_credentials().await.ok()?;
    Some(AwsIdentity::new(
        SharedCredentialsProvider::new(provider),
        region.value.clone(),
    ))
}

fn no_credentials(detail: String, profile: &str) -> CliError {
    let lower = detail.to_lowercase();
    let help = if lower.contains("sso") || lower.contains("token") && lower.contains("expired") {
        format!(
            "your SSO session has expired or is missing: run `aws sso login --profile {profile}`"
        )
    } else {
        "set AWS_PROFILE (or CARGO_AI_PROFILE, or profile = \"...\" in .cargo-ai.toml) to a profile in ~/.aws/config, \
         or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            .to_owned()
    };
    CliError::new(Kind::Auth, format!("no usable AWS credentials ({detail})")).help(help)
}

/// An error and its causes on one line: the AWS chain's outer errors say little alone.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    let mut last = text.clone();
    while let Some(cause) = source {
        let part = cause.to_string();
        if part != last {
            text.push_str(": ");
            text.push_str(&part);
        }
        last = part;
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_credential_types::credential_fn::provide_credentials_fn;

    use super::*;

    /// An identity whose provider counts its calls and answers credentials that expire
    /// `lifetime` from now (never, for `None`).
    fn counting(lifetime: Option<Duration>) -> (AwsIdentity, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let provider = provide_credentials_fn(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let expiry = lifetime.map(|l| SystemTime::now() + l);
            async move {
                Ok(Credentials::new(
                    format!("AKID{n}"),
                    "secret",
                    None,
                    expiry,
                    "test",
                ))
            }
        });
        let identity = AwsIdentity::new(SharedCredentialsProvider::new(provider), "r".into());
        (identity, calls)
    }

    #[tokio::test]
    async fn credentials_are_kept_while_current_and_asked_for_again_before_they_expire() {
        // Four requests, the last through a clone (which shares the cache): how many asked.
        for (lifetime, asked) in [
            (Some(Duration::from_secs(3600)), 1),
            (None, 1),
            // Inside the margin: as good as expired.
            (Some(REFRESH_BEFORE / 2), 4),
        ] {
            let (identity, calls) = counting(lifetime);
            let shared = identity.clone();
            for _ in 0..3 {
                identity.credentials().await.unwrap();
            }
            shared.credentials().await.unwrap();
            assert_eq!(calls.load(Ordering::SeqCst), asked, "{lifetime:?}");
        }
    }
}
