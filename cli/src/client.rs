//! The one HTTP path to the sessions API: builds each request, signs it with SigV4 for
//! `execute-api` using the caller's current credentials, and turns every answer into a value
//! or a `RequestError`. Commands, hooks and the outbox all go through here.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use sessions_core::paths::{WHOAMI_PATH, session_path, sessions_path};
use sessions_core::wire::DeletedSession;
use sessions_core::{
    ApiError, Cursor, ErrorBody, ErrorCode, Identity, Session, SessionId, SessionPage, Timestamp,
    UpsertBody, WorkspaceId,
};

use crate::aws::{AwsIdentity, NoCredentials};
use crate::error::{CliError, Kind};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per request for retryable failures (network, 5xx, throttling).
const ATTEMPTS: u32 = 3;
const BACKOFF_BASE: Duration = Duration::from_millis(100);
const BACKOFF_CAP: Duration = Duration::from_secs(2);
/// Response headers that carry a request id, API Gateway's first.
const REQUEST_ID_HEADERS: [&str; 3] = ["apigw-requestid", "x-amzn-requestid", "x-request-id"];

/// Where `--verbose` lines go. The command that asks for them decides (stderr); the client
/// itself never prints.
pub type Trace = Arc<dyn Fn(&str) + Send + Sync>;

pub struct ApiClient {
    http: reqwest::Client,
    endpoint: Url,
    identity: AwsIdentity,
    trace: Option<Trace>,
    attempts: u32,
    timeout: Duration,
}

/// Why a request to the API failed, with its cause: `is_retryable` tells a failure that may
/// pass (the network, the endpoint's 5xx, throttling) from one that will not.
#[derive(Debug)]
pub enum RequestError {
    /// The HTTP client could not be built.
    Setup(reqwest::Error),
    /// The endpoint names no host to send to.
    NoHost,
    /// No credentials to sign with.
    Credentials(NoCredentials),
    Sign(sessions_aws::SignError),
    Encode(serde_json::Error),
    /// The endpoint could not be reached, or its answer was cut off.
    Unreachable {
        endpoint: Url,
        source: reqwest::Error,
    },
    /// The API refused, with one of its codes.
    Api(ApiError),
    /// An error body in the API's shape with a code this client does not know.
    UnknownCode {
        status: reqwest::StatusCode,
        message: String,
    },
    /// API Gateway's own `{"message": ...}` (IAM refusals, throttling).
    Gateway {
        status: u16,
        message: String,
    },
    /// An answer that is not the sessions API's.
    NotTheApi {
        endpoint: Url,
        status: u16,
        content_type: String,
    },
}

impl RequestError {
    /// Whether trying again later may succeed (network, timeouts, 5xx, throttling).
    pub fn is_retryable(&self) -> bool {
        match self {
            RequestError::Unreachable { .. } => true,
            RequestError::Api(e) => matches!(e.code.status(), 429 | 500..=599),
            RequestError::Gateway { status, .. } | RequestError::NotTheApi { status, .. } => {
                *status == 429 || *status >= 500
            }
            _ => false,
        }
    }

    /// The API's error code, when the API answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            RequestError::Api(e) => Some(e.code),
            _ => None,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Setup(e) => write!(f, "cannot set up HTTPS: {e}"),
            RequestError::NoHost => f.write_str("endpoint has no host"),
            RequestError::Credentials(e) => write!(f, "{e}"),
            RequestError::Sign(e) => write!(f, "{e}"),
            RequestError::Encode(e) => write!(f, "cannot encode the request: {e}"),
            RequestError::Unreachable { endpoint, source } => {
                let why = if source.is_timeout() {
                    "timed out".to_owned()
                } else if source.is_connect() {
                    "connection failed".to_owned()
                } else {
                    source.to_string()
                };
                write!(f, "cannot reach {endpoint}: {why}")
            }
            RequestError::Api(e) => f.write_str(&e.message),
            RequestError::UnknownCode { status, message } => {
                write!(f, "the endpoint answered HTTP {status}: {message}")
            }
            RequestError::Gateway { status, message } => match status {
                401 | 403 => write!(f, "API Gateway refused the request: {message}"),
                429 => write!(f, "API Gateway is throttling: {message}"),
                _ => write!(f, "the endpoint answered HTTP {status}: {message}"),
            },
            RequestError::NotTheApi {
                endpoint,
                status,
                content_type,
            } => write!(
                f,
                "{endpoint} answered HTTP {status} ({content_type}), which is not the sessions API"
            ),
        }
    }
}

impl std::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RequestError::Setup(e) => Some(e),
            RequestError::Credentials(e) => Some(e),
            RequestError::Sign(e) => Some(e),
            RequestError::Encode(e) => Some(e),
            RequestError::Unreachable { source, .. } => Some(source),
            RequestError::Api(e) => Some(e),
            _ => None,
        }
    }
}

impl From<RequestError> for CliError {
    fn from(e: RequestError) -> CliError {
        let e = match e {
            RequestError::Credentials(no) => return no.into(),
            e => e,
        };
        let message = e.to_string();
        let retryable = e.is_retryable();
        let error = match &e {
            RequestError::Credentials(_) => CliError::new(Kind::Auth, message),
            RequestError::Api(api) => return CliError::from_api(api.clone()).caused_by(e),
            RequestError::Sign(_) => CliError::new(Kind::Auth, message),
            RequestError::NoHost => CliError::new(Kind::Config, message),
            RequestError::Encode(_) => CliError::new(Kind::Invalid, message),
            RequestError::Setup(_) | RequestError::UnknownCode { .. } => {
                CliError::new(Kind::Unavailable, message)
            }
            RequestError::Unreachable { .. } => CliError::new(Kind::Unavailable, message)
                .help("check the endpoint (`cargo-ai config show`) and your network; locally, start the stack with `eval \"$(infra/local/up)\"`"),
            RequestError::Gateway { status: 401 | 403, .. } => CliError::new(Kind::Auth, message)
                .help("check that your credentials are current (`aws sts get-caller-identity`) and that your role may call this API (execute-api:Invoke; see infra/teammate-policy.json)"),
            RequestError::Gateway { status: 429, .. } => CliError::new(Kind::Unavailable, message)
                .help("wait a moment and run the command again"),
            RequestError::Gateway { .. } => CliError::new(Kind::Unavailable, message),
            RequestError::NotTheApi { .. } => CliError::new(Kind::Unavailable, message)
                .help("check that the endpoint (`cargo-ai config show`) is your team's sessions API URL"),
        };
        let error = if retryable { error.retryable() } else { error };
        error.caused_by(e)
    }
}

/// How long to wait before retry `n` (1-based): full jitter over an exponential ceiling,
/// as the AWS SDKs do, so many clients retrying at once spread out.
fn backoff(n: u32) -> Duration {
    let ceiling_ms = (BACKOFF_BASE.as_millis() as u64) << n.min(10);
    let ceiling_ms = ceiling_ms.min(BACKOFF_CAP.as_millis() as u64);
    Duration::from_millis(fastrand::u64(0..=ceiling_ms))
}

/// One upsert as it leaves this machine: which row, its fields, and whether it may overwrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upsert {
    pub workspace: WorkspaceId,
    pub session_id: SessionId,
    pub body: UpsertBody,
    pub write: Write,
}

/// Which of a workspace's sessions a listing holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only the caller's own.
    pub mine: bool,
    /// Only those this IAM ARN created.
    pub user: Option<String>,
    /// Only those in this repository (`host/owner/name`).
    pub repo: Option<String>,
    pub branch: Option<String>,
}

/// What a query value keeps as is: RFC 3986's unreserved characters, as SigV4's canonical
/// query writes it; everything else is percent-encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Whether a `PUT` may overwrite an existing row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Upsert,
    /// `If-None-Match: *`: create the row, or leave an existing one untouched (412).
    CreateOnly,
}

impl ApiClient {
    pub fn new(endpoint: Url, identity: AwsIdentity) -> Result<Self, RequestError> {
        sessions_aws::tls::install_rustls_provider();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("cargo-ai/", env!("CARGO_PKG_VERSION")));
        if endpoint.scheme() == "http" {
            // A plain-HTTP endpoint (the local server) never does a TLS handshake: skip
            // reading and parsing the system's ~150 root certificates (several ms per process).
            // Only a redirect to https could need them, and a redirect loses the signature
            // (reqwest drops `authorization` when the scheme changes), so it fails either way.
            builder = builder.tls_certs_only(std::iter::empty());
        }
        let http = builder.build().map_err(RequestError::Setup)?;
        Ok(ApiClient {
            http,
            endpoint,
            identity,
            trace: None,
            attempts: ATTEMPTS,
            timeout: REQUEST_TIMEOUT,
        })
    }

    /// A client that hands each request and its answer to `trace` (`--verbose`).
    pub fn traced(mut self, trace: Option<Trace>) -> Self {
        self.trace = trace;
        self
    }

    fn trace(&self, line: impl FnOnce() -> String) {
        if let Some(trace) = &self.trace {
            trace(&line());
        }
    }

    /// A client that tries each request once: for deliveries that must stay within a budget
    /// (the outbox, hooks) and keep what fails for later.
    pub fn single_attempt(mut self) -> Self {
        self.attempts = 1;
        self
    }

    /// Bounds each request (connect, send, answer) to `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    pub fn region(&self) -> &str {
        &self.identity.region
    }

    pub async fn upsert(&self, upsert: &Upsert) -> Result<Session, RequestError> {
        let json = serde_json::to_vec(&upsert.body).map_err(RequestError::Encode)?;
        let mut headers = vec![("content-type", "application/json".to_owned())];
        if upsert.write == Write::CreateOnly {
            headers.push(("if-none-match", "*".to_owned()));
        }
        let path = session_path(&upsert.workspace, &upsert.session_id);
        let mut attempts = 0;
        match self
            .call_counting(Method::PUT, &path, headers, json, &mut attempts)
            .await
        {
            // A retry found our own earlier attempt already stored (its answer was lost).
            Err(e) if attempts > 1 && e.code() == Some(ErrorCode::Stale) => {
                self.get(&upsert.workspace, &upsert.session_id).await
            }
            other => other,
        }
    }

    pub async fn get(
        &self,
        workspace: &WorkspaceId,
        session_id: &SessionId,
    ) -> Result<Session, RequestError> {
        self.call(
            Method::GET,
            &session_path(workspace, session_id),
            vec![],
            vec![],
        )
        .await
    }

    /// Deletes a session the caller owns. `observed_at` is when the person asked: an update
    /// queued on this machine before it (in the outbox) is older, so it cannot bring the row back.
    pub async fn delete(
        &self,
        workspace: &WorkspaceId,
        session_id: &SessionId,
        observed_at: Timestamp,
    ) -> Result<DeletedSession, RequestError> {
        // The fixed-width timestamp holds only unreserved characters and `:`, which the
        // canonical query form SigV4 signs percent-encodes.
        let observed_at = observed_at.to_string().replace(':', "%3A");
        let path = format!(
            "{}?observed_at={observed_at}",
            session_path(workspace, session_id)
        );
        self.call(Method::DELETE, &path, vec![], vec![]).await
    }

    /// One page of the listing. The query is written in canonical (sorted, RFC 3986) form,
    /// which is what SigV4 signs.
    pub async fn list_page(
        &self,
        workspace: &WorkspaceId,
        limit: u32,
        filter: &ListFilter,
        cursor: Option<&Cursor>,
    ) -> Result<SessionPage, RequestError> {
        let limit = limit.to_string();
        let mine = filter.mine.to_string();
        let mut pairs = vec![("limit", limit.as_str()), ("mine", mine.as_str())];
        for (name, value) in [
            ("branch", filter.branch.as_deref()),
            ("cursor", cursor.map(Cursor::as_str)),
            ("repo", filter.repo.as_deref()),
            ("user", filter.user.as_deref()),
        ] {
            if let Some(value) = value {
                pairs.push((name, value));
            }
        }
        pairs.sort_unstable();
        let query: Vec<String> = pairs
            .into_iter()
            .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, QUERY_VALUE)))
            .collect();
        let path = format!("{}?{}", sessions_path(workspace), query.join("&"));
        self.call(Method::GET, &path, vec![], vec![]).await
    }

    pub async fn whoami(&self) -> Result<Identity, RequestError> {
        self.call(Method::GET, WHOAMI_PATH, vec![], vec![]).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path_and_query: &str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Result<T, RequestError> {
        self.call_counting(method, path_and_query, headers, body, &mut 0)
            .await
    }

    /// Sends a request, signed afresh for each attempt, retrying what may succeed later.
    async fn call_counting<T: DeserializeOwned>(
        &self,
        method: Method,
        path_and_query: &str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
        attempts: &mut u32,
    ) -> Result<T, RequestError> {
        loop {
            *attempts += 1;
            match self
                .call_once(
                    method.clone(),
                    path_and_query,
                    headers.clone(),
                    body.clone(),
                )
                .await
            {
                Err(e) if e.is_retryable() && *attempts < self.attempts => {
                    let wait = backoff(*attempts);
                    self.trace(|| format!("  {e}; retrying in {} ms", wait.as_millis()));
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    /// Sends one signed request and decodes the answer.
    async fn call_once<T: DeserializeOwned>(
        &self,
        method: Method,
        path_and_query: &str,
        mut headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Result<T, RequestError> {
        let url = format!(
            "{}{}",
            self.endpoint.as_str().trim_end_matches('/'),
            path_and_query
        );
        let host = match (self.endpoint.host_str(), self.endpoint.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(RequestError::NoHost),
        };
        headers.push(("host", host));
        // Asked per request: the provider's answer changes as temporary credentials expire.
        let credentials = self
            .identity
            .credentials()
            .await
            .map_err(RequestError::Credentials)?;
        let signature_headers = self.sign(&credentials, method.as_str(), &url, &headers, &body)?;
        self.trace(|| format!("> {method} {url}"));
        for (name, value) in headers.iter().chain(signature_headers.iter()) {
            self.trace(|| format!("> {name}: {}", redact_signature(name, value)));
        }
        let started = Instant::now();
        let mut request = self
            .http
            .request(method, &url)
            .timeout(self.timeout)
            .body(body);
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
        self.trace(|| {
            let request_id = REQUEST_ID_HEADERS
                .iter()
                .find_map(|h| response.headers().get(*h).and_then(|v| v.to_str().ok()))
                .unwrap_or("none");
            format!(
                "< HTTP {status} in {:.1} ms, request id {request_id}",
                started.elapsed().as_secs_f64() * 1000.0
            )
        });
        let bytes = response.bytes().await.map_err(|e| self.unreachable(e))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|_| self.not_the_api(status.as_u16(), &content_type));
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(err) => match ErrorCode::parse(&err.error.code) {
                Some(code) => Err(RequestError::Api(ApiError::new(code, err.error.message))),
                None => Err(RequestError::UnknownCode {
                    status,
                    message: err.error.message,
                }),
            },
            Err(_) => Err(self.gateway_or_garbage(status.as_u16(), &content_type, &bytes)),
        }
    }

    /// The SigV4 headers (authorization, x-amz-date, and the session token if any) for this request.
    fn sign(
        &self,
        credentials: &aws_credential_types::Credentials,
        method: &str,
        url: &str,
        headers: &[(&'static str, String)],
        body: &[u8],
    ) -> Result<Vec<(&'static str, String)>, RequestError> {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let request = sessions_aws::Request {
            method,
            url,
            headers: &headers,
            body,
        };
        sessions_aws::sign_request(
            credentials,
            &self.identity.region,
            SystemTime::now(),
            &request,
        )
        .map_err(RequestError::Sign)
    }

    fn unreachable(&self, source: reqwest::Error) -> RequestError {
        RequestError::Unreachable {
            endpoint: self.endpoint.clone(),
            source,
        }
    }

    /// A non-API error body: API Gateway's own `{"message": ...}` (IAM refusals, throttling),
    /// or something that is not the sessions API at all.
    fn gateway_or_garbage(&self, status: u16, content_type: &str, bytes: &[u8]) -> RequestError {
        let gateway_message = serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned));
        match gateway_message {
            Some(message) => RequestError::Gateway { status, message },
            // A proxy's HTML error page for a 5xx is usually passing (`is_retryable`).
            None => self.not_the_api(status, content_type),
        }
    }

    fn not_the_api(&self, status: u16, content_type: &str) -> RequestError {
        RequestError::NotTheApi {
            endpoint: self.endpoint.clone(),
            status,
            content_type: content_type.to_owned(),
        }
    }
}

/// The Authorization header without its signature, for `--verbose`.
fn redact_signature(name: &str, value: &str) -> String {
    if name.eq_ignore_ascii_case("authorization") {
        match value.find("Signature=") {
            Some(i) => format!("{}Signature=<redacted>", &value[..i]),
            None => "<redacted>".to_owned(),
        }
    } else if name.eq_ignore_ascii_case("x-amz-security-token") {
        "<redacted>".to_owned()
    } else {
        value.to_owned()
    }
}

/// The change feed, for keeping a local copy of the workspace's sessions.
impl ApiClient {
    /// One page of what changed in `workspace` at or after `since` (the server's clock), oldest
    /// change first, tombstones included; `cursor` is the previous page's `next_cursor`. Pages
    /// are as large as the API serves them (up to 1 MB), or at most `limit` changes.
    pub async fn list_changes(
        &self,
        workspace: &WorkspaceId,
        since: Timestamp,
        cursor: Option<&Cursor>,
        limit: Option<u32>,
    ) -> Result<sessions_core::wire::ChangePage, RequestError> {
        // Canonical (sorted, RFC 3986) form, which is what SigV4 signs.
        let since = utf8_percent_encode(&since.to_string(), QUERY_VALUE).to_string();
        let mut query = Vec::new();
        if let Some(cursor) = cursor {
            query.push(format!("cursor={}", cursor.as_str()));
        }
        if let Some(limit) = limit {
            query.push(format!("limit={limit}"));
        }
        query.push(format!("updated_since={since}"));
        let path = format!(
            "{}?{}",
            sessions_core::paths::changes_path(workspace),
            query.join("&")
        );
        self.call(Method::GET, &path, vec![], vec![]).await
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use aws_credential_types::provider::SharedCredentialsProvider;

    use super::*;

    /// A client for an endpoint nothing listens on, with static keys.
    async fn client_of_a_closed_port() -> ApiClient {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let endpoint = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        drop(listener);
        let keys = sessions_aws::static_credentials("AKIDEXAMPLE", "secret");
        let identity = AwsIdentity::new(SharedCredentialsProvider::new(keys), "us-east-1".into());
        ApiClient::new(endpoint, identity).unwrap().single_attempt()
    }

    #[tokio::test]
    async fn a_failure_keeps_its_cause_and_says_whether_it_may_pass() {
        let e = client_of_a_closed_port().await.whoami().await.unwrap_err();
        assert!(e.is_retryable(), "{e}");
        let cause = e.source().expect("a cause");
        assert!(cause.is::<reqwest::Error>(), "{cause}");
        let cli = CliError::from(e);
        assert!(cli.retryable && cli.kind == Kind::Unavailable, "{cli}");
        let kept = cli.source().expect("the request error");
        assert!(kept.is::<RequestError>() && kept.source().is_some());

        let refused = RequestError::Api(ApiError::new(ErrorCode::NotOwner, "not yours"));
        assert!(!refused.is_retryable());
        assert_eq!(refused.code(), Some(ErrorCode::NotOwner));
        let cli = CliError::from(refused);
        assert_eq!(
            (cli.kind, cli.code),
            (Kind::Conflict, Some(ErrorCode::NotOwner))
        );
        assert!(cli.source().is_some_and(|s| s.is::<RequestError>()));

        let throttled = RequestError::Api(ApiError::new(ErrorCode::Throttled, "slow down"));
        assert!(throttled.is_retryable() && CliError::from(throttled).retryable);
    }
}
