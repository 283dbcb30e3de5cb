//! The one place that builds the AWS configuration: credentials and region from the
//! standard AWS chain.

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;

use crate::error::{CliError, Kind};

/// The caller's credentials and the region to sign for.
pub struct AwsIdentity {
    pub credentials: Credentials,
    pub region: String,
}

pub async fn load() -> Result<AwsIdentity, CliError> {
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let region = config.region().map(|r| r.to_string()).ok_or_else(|| {
        CliError::new(Kind::Auth, "no AWS region configured")
            .help("set AWS_REGION (or `region` in your AWS profile) to the region of your team's endpoint")
    })?;
    let provider = config.credentials_provider().ok_or_else(|| {
        CliError::new(Kind::Auth, "no AWS credentials provider is configured")
            .help("set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    })?;
    let credentials = provider.provide_credentials().await.map_err(|e| {
        CliError::new(Kind::Auth, format!("no usable AWS credentials: {e}"))
            .help("set AWS_PROFILE (then `aws sso login` if it uses SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    })?;
    Ok(AwsIdentity {
        credentials,
        region,
    })
}
