//! Who is calling. In AWS, API Gateway has verified the SigV4 signature and hands us the IAM
//! ARN (`lambda` reads it). Locally, `LocalVerifier` does what API Gateway would: re-signs the
//! request exactly as received with `aws-sigv4` and compares signatures in constant time.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use chrono::NaiveDateTime;
use http::HeaderMap;
use sessions_core::{ApiError, ErrorCode};
use subtle::ConstantTimeEq;

use crate::domain::Caller;

/// The signing name API Gateway checks (the same constant clients sign with).
use sessions_aws::SERVICE;
/// Requests signed further than this from the server's clock are refused.
pub const MAX_SKEW: Duration = Duration::from_secs(300);

/// A documented local identity: what an access key stands for on the local server.
#[derive(Debug, Clone)]
pub struct LocalKey {
    pub access_key_id: &'static str,
    pub secret_access_key: &'static str,
    pub arn: &'static str,
}

/// The local server's credentials, from `infra/local/keys` (which the scripts and the fuzzer
/// read too). Not secrets: they exist so that local requests are signed and verified exactly
/// like production ones. Alice is the default; Bob is a second teammate.
pub static LOCAL_KEYS: LazyLock<Vec<LocalKey>> =
    LazyLock::new(|| parse_local_keys(include_str!("../../infra/local/keys")));

/// One identity per line: access key id, secret access key, ARN; `#` starts a comment line.
fn parse_local_keys(text: &'static str) -> Vec<LocalKey> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                [access_key_id, secret_access_key, arn] => Some(LocalKey {
                    access_key_id,
                    secret_access_key,
                    arn,
                }),
                _ => None,
            },
        )
        .collect()
}

/// The parts of a received request that its signature covers.
pub struct ReceivedRequest<'a> {
    pub method: &'a str,
    /// The request target exactly as received (path and query), never a decoded path.
    pub raw_target: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

#[derive(Debug, Clone)]
pub struct LocalVerifier {
    keys: HashMap<&'static str, LocalKey>,
}

impl Default for LocalVerifier {
    fn default() -> Self {
        LocalVerifier {
            keys: LOCAL_KEYS
                .iter()
                .map(|k| (k.access_key_id, k.clone()))
                .collect(),
        }
    }
}

struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn refuse(code: ErrorCode, message: impl Into<String>) -> ApiError {
    ApiError::new(code, message)
}

fn parse_authorization(header: &str) -> Result<Authorization<'_>, ApiError> {
    let malformed = |why: &str| {
        refuse(
            ErrorCode::InvalidSignature,
            format!(
                "Authorization header is not a SigV4 header ({why}); sign the request with AWS SigV4 for service {SERVICE}"
            ),
        )
    };
    let rest = header
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| malformed("expected algorithm AWS4-HMAC-SHA256"))?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| malformed("expected key=value parts"))?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => return Err(malformed("unexpected part")),
        }
    }
    let credential = credential.ok_or_else(|| malformed("no Credential"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, "aws4_request"] = scope.as_slice() else {
        return Err(malformed(
            "Credential is not KEY/DATE/REGION/SERVICE/aws4_request",
        ));
    };
    Ok(Authorization {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed
            .ok_or_else(|| malformed("no SignedHeaders"))?
            .split(';')
            .collect(),
        signature: signature.ok_or_else(|| malformed("no Signature"))?,
    })
}

/// SigV4's basic format, fixed-width: `20261124T070228Z`.
fn parse_amz_date(raw: &str) -> Option<SystemTime> {
    let fixed_width = raw.len() == 16
        && raw.bytes().enumerate().all(|(i, b)| match i {
            8 => b == b'T',
            15 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    if !fixed_width {
        return None;
    }
    NaiveDateTime::parse_from_str(raw, "%Y%m%dT%H%M%SZ")
        .ok()
        .filter(|t| t.and_utc().timestamp_subsec_nanos() < 1_000_000_000)
        .map(|t| t.and_utc().into())
}

impl LocalVerifier {
    pub fn verify(&self, req: &ReceivedRequest<'_>, now: SystemTime) -> Result<Caller, ApiError> {
        let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
        let Some(authorization) = header("authorization") else {
            return Err(refuse(
                ErrorCode::Unauthenticated,
                format!(
                    "request is not signed; sign it with AWS SigV4 for service {SERVICE} (cargo-ai does this with your AWS credentials)"
                ),
            ));
        };
        let auth = parse_authorization(authorization)?;
        if auth.service != SERVICE {
            return Err(refuse(
                ErrorCode::InvalidSignature,
                format!("signed for service {:?}; sign for {SERVICE}", auth.service),
            ));
        }
        let Some(key) = self.keys.get(auth.access_key_id) else {
            return Err(refuse(
                ErrorCode::UnknownAccessKey,
                format!(
                    "access key {} is not one of the local server's keys; use the credentials `infra/local/up` prints",
                    auth.access_key_id
                ),
            ));
        };
        if req.headers.contains_key("x-amz-security-token") {
            return Err(refuse(
                ErrorCode::UnknownAccessKey,
                "local credentials have no session token; unset AWS_SESSION_TOKEN and use the credentials `infra/local/up` prints",
            ));
        }
        let signed_at = header("x-amz-date")
            .and_then(parse_amz_date)
            .ok_or_else(|| {
                refuse(
                    ErrorCode::InvalidSignature,
                    "x-amz-date is missing or not like 20261124T070228Z",
                )
            })?;
        let skew = now
            .duration_since(signed_at)
            .unwrap_or_else(|e| e.duration());
        if skew > MAX_SKEW {
            return Err(refuse(
                ErrorCode::RequestExpired,
                format!(
                    "request was signed {}s away from the server's clock (limit {}s); check the clock and sign again",
                    skew.as_secs(),
                    MAX_SKEW.as_secs()
                ),
            ));
        }
        if header("x-amz-date").is_some_and(|d| !d.starts_with(auth.date)) {
            return Err(refuse(
                ErrorCode::InvalidSignature,
                "credential scope date does not match x-amz-date",
            ));
        }
        if !auth.signed_headers.contains(&"host") {
            return Err(refuse(
                ErrorCode::InvalidSignature,
                "the host header must be signed",
            ));
        }
        let mut signed_headers = Vec::new();
        for name in &auth.signed_headers {
            let values = req.headers.get_all(*name);
            let mut any = false;
            for value in values {
                let value = value.to_str().map_err(|_| {
                    refuse(
                        ErrorCode::InvalidSignature,
                        format!("signed header {name} is not text"),
                    )
                })?;
                signed_headers.push((*name, value));
                any = true;
            }
            if !any {
                return Err(refuse(
                    ErrorCode::InvalidSignature,
                    format!("signed header {name} is missing from the request"),
                ));
            }
        }
        let expected = self.signature_for(key, &auth, req, signed_headers, signed_at)?;
        // A timing difference must not tell an attacker how much of a guessed signature is right.
        if !bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
            return Err(refuse(
                ErrorCode::InvalidSignature,
                "signature does not match; check the secret key, and that the request is sent as signed",
            ));
        }
        Ok(Caller::from_arn(key.arn))
    }

    fn signature_for(
        &self,
        key: &LocalKey,
        auth: &Authorization<'_>,
        req: &ReceivedRequest<'_>,
        headers: Vec<(&str, &str)>,
        signed_at: SystemTime,
    ) -> Result<String, ApiError> {
        let unusable = |what: &str| {
            refuse(
                ErrorCode::InvalidSignature,
                format!("request cannot be verified: {what}"),
            )
        };
        let identity = Credentials::new(
            key.access_key_id,
            key.secret_access_key,
            None,
            None,
            "local",
        )
        .into();
        let mut settings = SigningSettings::default();
        // Clients may sign any header (user-agent included); check exactly what they signed.
        settings.excluded_headers = None;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(auth.region)
            .name(SERVICE)
            .time(signed_at)
            .settings(settings)
            .build()
            .map_err(|_| unusable("signing parameters"))?
            .into();
        let signable = SignableRequest::new(
            req.method,
            req.raw_target,
            headers.into_iter(),
            SignableBody::Bytes(req.body),
        )
        .map_err(|_| unusable("request target"))?;
        let output = sign(signable, &params).map_err(|_| unusable("headers"))?;
        Ok(output.signature().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_header_parts() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        )
        .unwrap();
        assert_eq!(a.access_key_id, "AKID");
        assert_eq!(a.region, "us-east-1");
        assert_eq!(a.signed_headers, vec!["host", "x-amz-date"]);
        assert!(parse_authorization("Basic Zm9v").is_err());
        assert!(
            parse_authorization(
                "AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=a"
            )
            .is_err()
        );
    }

    #[test]
    fn amz_date() {
        let t = parse_amz_date("20261124T070228Z").unwrap();
        let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs % 60, 28);
        assert!(parse_amz_date("2026-11-24").is_none());
    }

    #[test]
    fn the_local_keys_file_holds_alice_then_bob() {
        let keys: Vec<_> = LOCAL_KEYS
            .iter()
            .map(|k| (k.access_key_id, k.arn))
            .collect();
        assert_eq!(
            keys,
            [
                (
                    "AKIDLOCALALICE000000",
                    "arn:aws:iam::000000000000:user/alice"
                ),
                ("AKIDLOCALBOB00000000", "arn:aws:iam::000000000000:user/bob"),
            ]
        );
        assert_eq!(
            LOCAL_KEYS[0].secret_access_key,
            "local-alice-secret-not-for-aws"
        );
    }
}
