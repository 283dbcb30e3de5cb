//! The one place that builds the AWS side: credentials and region from the standard AWS chain
//! (environment, profiles, SSO, credential_process, web identity, containers). The instance
//! metadata service is consulted only on EC2, so a laptop without credentials fails at once
//! instead of waiting on an address that never answers.

use std::time::Instant;

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;

use crate::config::{Config, Setting};
use crate::error::{CliError, Kind};

/// The caller's credentials and the region to sign for.
#[derive(Clone)]
pub struct AwsIdentity {
    pub credentials: Credentials,
    pub region: String,
    pub elapsed_ms: f64,
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

pub async fn load(config: &Config) -> Result<AwsIdentity, CliError> {
    let started = Instant::now();
    if let Some(identity) = from_environment(config, started).await {
        return Ok(identity);
    }
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
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| no_credentials(error_chain(&e), &profile_hint))?;
    Ok(AwsIdentity {
        credentials,
        region,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// The standard chain's answer when it is already known without loading the chain: the
/// chain always tries the environment's keys first (whatever the profile), and the region is
/// ours to give when our settings name one. Loading the whole chain (profile files, the SSO,
/// web identity, container and instance providers, and the system's TLS roots their clients
/// read) takes several milliseconds that a process signing one request with these keys does
/// not need. Anything else (no keys, a blank or unreadable one) goes through the full chain,
/// which then answers exactly as before.
async fn from_environment(config: &Config, started: Instant) -> Option<AwsIdentity> {
    let region = config.region.as_ref()?;
    let credentials = aws_config::environment::EnvironmentVariableCredentialsProvider::new()
        .provide_credentials()
        .await
        .ok()?;
    Some(AwsIdentity {
        credentials,
        region: region.value.clone(),
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
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
