//! The one HTTP path to the sessions API: builds each request, signs it with SigV4 for
//! `execute-api` using the caller's credentials, and turns every answer into a value or a
//! `CliError`. Commands, hooks and the outbox all go through here.

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use sessions_core::paths::session_path;
use sessions_core::{ApiError, ErrorBody, ErrorCode, Session, SessionId, UpsertBody, WorkspaceId};

use crate::aws::AwsIdentity;
use crate::error::{CliError, Kind};

const SERVICE: &str = "execute-api";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

pub struct ApiClient {
    http: reqwest::Client,
    endpoint: Url,
    identity: AwsIdentity,
}

/// Whether a `PUT` may overwrite an existing row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Upsert,
    /// `If-None-Match: *`: create the row, or leave an existing one untouched (412).
    CreateOnly,
}

impl ApiClient {
    pub fn new(endpoint: Url, identity: AwsIdentity) -> Result<Self, CliError> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("cargo-ai/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CliError::new(Kind::Unavailable, format!("cannot set up HTTPS: {e}")))?;
        Ok(ApiClient {
            http,
            endpoint,
            identity,
        })
    }

    pub async fn upsert(
        &self,
        workspace: &WorkspaceId,
        session_id: &SessionId,
        body: &UpsertBody,
        write: Write,
    ) -> Result<Session, CliError> {
        let json = serde_json::to_vec(body)
            .map_err(|e| CliError::new(Kind::Invalid, format!("cannot encode the request: {e}")))?;
        let mut headers = vec![("content-type", "application/json".to_owned())];
        if write == Write::CreateOnly {
            headers.push(("if-none-match", "*".to_owned()));
        }
        self.call(
            Method::PUT,
            &session_path(workspace, session_id),
            headers,
            json,
        )
        .await
    }

    /// Sends one signed request and decodes the answer.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path_and_query: &str,
        mut headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Result<T, CliError> {
        let url = format!(
            "{}{}",
            self.endpoint.as_str().trim_end_matches('/'),
            path_and_query
        );
        let host = match (self.endpoint.host_str(), self.endpoint.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(CliError::new(Kind::Config, "endpoint has no host")),
        };
        headers.push(("host", host));
        let signature_headers = self.sign(method.as_str(), &url, &headers, &body)?;
        let mut request = self.http.request(method, &url).body(body);
        for (name, value) in headers.iter().chain(signature_headers.iter()) {
            request = request.header(*name, value);
        }
        let response = request.send().await.map_err(|e| self.unreachable(e))?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no content type")
            .to_owned();
        let bytes = response.bytes().await.map_err(|e| self.unreachable(e))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|_| self.not_the_api(status.as_u16(), &content_type));
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(err) => match ErrorCode::parse(&err.error.code) {
                Some(code) => Err(CliError::from_api(ApiError::new(code, err.error.message))),
                None => Err(CliError::new(
                    Kind::Unavailable,
                    format!("the endpoint answered HTTP {status}: {}", err.error.message),
                )),
            },
            Err(_) => Err(self.not_the_api(status.as_u16(), &content_type)),
        }
    }

    /// The SigV4 headers (authorization, x-amz-date, and the session token if any) for this request.
    fn sign(
        &self,
        method: &str,
        url: &str,
        headers: &[(&'static str, String)],
        body: &[u8],
    ) -> Result<Vec<(&'static str, String)>, CliError> {
        let failed =
            |what: String| CliError::new(Kind::Auth, format!("cannot sign the request: {what}"));
        let identity = self.identity.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.identity.region)
            .name(SERVICE)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| failed(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            method,
            url,
            headers.iter().map(|(k, v)| (*k, v.as_str())),
            SignableBody::Bytes(body),
        )
        .map_err(|e| failed(e.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| failed(e.to_string()))?
            .into_parts();
        let (signed, _) = instructions.into_parts();
        Ok(signed
            .into_iter()
            .map(|h| (h.name(), h.value().to_owned()))
            .collect())
    }

    fn unreachable(&self, e: reqwest::Error) -> CliError {
        let why = if e.is_timeout() {
            "timed out".to_owned()
        } else if e.is_connect() {
            "connection failed".to_owned()
        } else {
            e.to_string()
        };
        CliError::new(Kind::Unavailable, format!("cannot reach {}: {why}", self.endpoint))
            .help("check the endpoint (--endpoint or CARGO_AI_ENDPOINT) and your network; locally, start the stack with `eval \"$(infra/local/up)\"`")
    }

    fn not_the_api(&self, status: u16, content_type: &str) -> CliError {
        CliError::new(
            Kind::Unavailable,
            format!(
                "{} answered HTTP {status} ({content_type}), which is not the sessions API",
                self.endpoint
            ),
        )
        .help("check that --endpoint or CARGO_AI_ENDPOINT is your team's sessions API URL")
    }
}
