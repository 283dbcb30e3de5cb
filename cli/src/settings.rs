//! Where requests go: the endpoint and workspace, resolved from flags and environment.

use reqwest::Url;
use sessions_core::WorkspaceId;

use crate::args::Target;
use crate::error::{CliError, Kind};

#[derive(Debug, Clone)]
pub struct Settings {
    pub endpoint: Url,
    pub workspace: WorkspaceId,
}

impl Settings {
    pub fn resolve(target: &Target) -> Result<Self, CliError> {
        let endpoint = target.endpoint.as_deref().map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
            CliError::new(Kind::Config, "no endpoint configured")
                .help("pass --endpoint URL or set CARGO_AI_ENDPOINT (locally: eval \"$(infra/local/up)\")")
        })?;
        let workspace = target
            .workspace
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                CliError::new(Kind::Config, "no workspace configured").help(
                    "pass --workspace UUID or set CARGO_AI_WORKSPACE to your team's workspace UUID",
                )
            })?;
        Ok(Settings {
            endpoint: parse_endpoint(endpoint)?,
            workspace: WorkspaceId::parse(workspace).map_err(|e| {
                CliError::new(Kind::Config, e.message)
                    .help("set --workspace or CARGO_AI_WORKSPACE to your team's workspace UUID")
            })?,
        })
    }
}

fn parse_endpoint(raw: &str) -> Result<Url, CliError> {
    let bad = |why: &str| {
        CliError::new(Kind::Config, format!("endpoint {raw:?} {why}"))
            .help("use the API's base URL, like https://abc123.execute-api.eu-west-1.amazonaws.com or http://127.0.0.1:8787")
    };
    let url = Url::parse(raw).map_err(|_| bad("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad("must be an http:// or https:// URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert!(parse_endpoint("http://127.0.0.1:8787").is_ok());
        assert!(parse_endpoint("https://abc.execute-api.eu-west-1.amazonaws.com/").is_ok());
        for bad in ["127.0.0.1:8787", "ftp://x", "http://x/?a=b", "nope"] {
            assert_eq!(parse_endpoint(bad).unwrap_err().kind, Kind::Config, "{bad}");
        }
    }
}
