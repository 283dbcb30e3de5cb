//! The one client-side SigV4 signer for the sessions API: `cargo-ai`, the end-to-end tests and
//! the benchmarks sign every request here, exactly as any `aws-sigv4` client (botocore, the AWS
//! SDKs) does, so what the local server and API Gateway verify is what real clients send.

use std::fmt;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

/// The signing name API Gateway checks for IAM-authenticated HTTP APIs.
pub const SERVICE: &str = "execute-api";

/// A request to sign: the headers given are the ones sent (include `host` when the HTTP
/// client will not add it before signing; `reqwest` sets it from the URL, so it is covered).
pub struct Request<'a> {
    pub method: &'a str,
    /// The full URL as it will be sent (scheme, authority, path and query).
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// Why a request could not be signed (a malformed URL or header, never a network problem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignError(String);

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot sign the request: {}", self.0)
    }
}

impl std::error::Error for SignError {}

/// Signs `request` for `execute-api` in `region` as `credentials` at `time`, and returns the
/// headers to add: `authorization`, `x-amz-date`, and `x-amz-security-token` when the
/// credentials carry a session token.
pub fn sign_request(
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    request: &Request<'_>,
) -> Result<Vec<(&'static str, String)>, SignError> {
    let failed = |e: &dyn fmt::Display| SignError(e.to_string());
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| failed(&e))?
        .into();
    let signable = SignableRequest::new(
        request.method,
        request.url,
        request.headers.iter().copied(),
        SignableBody::Bytes(request.body),
    )
    .map_err(|e| failed(&e))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| failed(&e))?
        .into_parts();
    let (headers, _params) = instructions.into_parts();
    Ok(headers
        .into_iter()
        .map(|h| (h.name(), h.value().to_owned()))
        .collect())
}

/// Static keys as credentials (the local server's documented keys, tests, benchmarks).
pub fn static_credentials(access_key_id: &str, secret_access_key: &str) -> Credentials {
    Credentials::new(access_key_id, secret_access_key, None, None, "static")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn signs_with_the_execute_api_scope_and_a_date() {
        let creds = static_credentials("AKIDEXAMPLE", "secret");
        let at = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        let req = Request {
            method: "PUT",
            url: "http://127.0.0.1:8787/v1/x",
            headers: &[
                ("host", "127.0.0.1:8787"),
                ("content-type", "application/json"),
            ],
            body: b"{}",
        };
        let headers = sign_request(&creds, "us-east-1", at, &req).expect("signs");
        let auth = &headers
            .iter()
            .find(|(k, _)| *k == "authorization")
            .expect("authorization")
            .1;
        assert!(
            auth.contains("/us-east-1/execute-api/aws4_request"),
            "{auth}"
        );
        assert!(auth.contains("content-type;host;x-amz-date"), "{auth}");
        assert!(headers.iter().any(|(k, _)| *k == "x-amz-date"));
        assert!(!headers.iter().any(|(k, _)| *k == "x-amz-security-token"));
        // Deterministic for the same input and time; any body change changes it.
        let again = sign_request(&creds, "us-east-1", at, &req).expect("signs");
        assert_eq!(headers, again);
        let other = Request {
            body: b"{ }",
            ..req
        };
        assert_ne!(
            headers,
            sign_request(&creds, "us-east-1", at, &other).expect("signs")
        );
    }

    #[test]
    fn a_session_token_is_sent() {
        let creds = Credentials::new("AKID", "secret", Some("token".into()), None, "t");
        let req = Request {
            method: "GET",
            url: "https://h/",
            headers: &[("host", "h")],
            body: b"",
        };
        let headers = sign_request(&creds, "eu-west-1", SystemTime::now(), &req).expect("signs");
        assert!(
            headers
                .iter()
                .any(|(k, v)| *k == "x-amz-security-token" && v == "token")
        );
    }
}
