//! Property tests of the request path: the router and the local SigV4 verifier never panic,
//! whatever the method, target, headers and body; every answer is one the contract documents;
//! a correctly signed request always verifies and any single changed body byte breaks it; and
//! the local HTTP server answers header lines HTTP does not allow with the API's own JSON. The
//! default case count keeps this fast; the long run is the same tests with
//! `PROPTEST_CASES=100000` (infra/fuzz/long).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use proptest::prelude::*;
use sessions_core::wire::DeletedSession;
use sessions_core::{ErrorBody, ErrorCode, Identity, Session, SessionPage};
use sessions_function::auth::{LOCAL_KEYS, LocalVerifier, ReceivedRequest};
use sessions_function::domain::Caller;
use sessions_function::router::{Api, ROUTES};
use sessions_function::settings::AllowList;
use sessions_function::store::MemoryStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

const HOST: &str = "127.0.0.1:8787";
const WORKSPACE: &str = "0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60";

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

fn api() -> &'static Arc<Api<MemoryStore>> {
    static API: OnceLock<Arc<Api<MemoryStore>>> = OnceLock::new();
    API.get_or_init(|| Arc::new(Api::new(MemoryStore::default(), AllowList::any())))
}

fn alice() -> Caller {
    Caller::from_arn(LOCAL_KEYS[0].arn)
}

// --- strategies ---------------------------------------------------------------------------

fn percent_encoded(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(|bytes| {
        bytes
            .iter()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~:".contains(b) {
                    (*b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    })
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(WORKSPACE.to_owned()),
        1 => Just(WORKSPACE.to_uppercase()),
        3 => "[A-Za-z0-9._:-]{1,20}",
        2 => Just("sessions".to_owned()),
        1 => prop_oneof![Just(".".to_owned()), Just("..".to_owned()), Just(String::new())],
        2 => percent_encoded(24),
        1 => "[!$&'()*+,;=@a-z]{1,8}",
    ]
}

/// Request targets: mostly near the API's routes, sometimes anywhere.
fn target() -> impl Strategy<Value = String> {
    let path = prop_oneof![
        4 => proptest::collection::vec(segment(), 0..4)
            .prop_map(|segs| format!("/v1/workspaces/{}", segs.join("/"))),
        4 => (segment(), proptest::option::of(segment()))
            .prop_map(|(ws, id)| match id {
                Some(id) => format!("/v1/workspaces/{ws}/sessions/{id}"),
                None => format!("/v1/workspaces/{ws}/sessions"),
            }),
        1 => Just("/v1/whoami".to_owned()),
        1 => proptest::collection::vec(segment(), 0..5).prop_map(|segs| format!("/{}", segs.join("/"))),
    ];
    let pair = prop_oneof![
        (
            prop_oneof![
                Just("limit"),
                Just("cursor"),
                Just("mine"),
                Just("observed_at"),
                Just("page"),
                Just("")
            ],
            prop_oneof![
                "[0-9]{1,4}".boxed(),
                Just("true".to_owned()).boxed(),
                Just("0".to_owned()).boxed(),
                "-?[0-9]{1,25}".boxed(),
                "[A-Za-z0-9_-]{1,40}".boxed(),
                "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]%3A[0-5][0-9]%3A[0-5][0-9]Z".boxed(),
                percent_encoded(16).boxed(),
            ],
        )
            .prop_map(|(k, v)| format!("{k}={v}")),
        percent_encoded(12),
    ];
    let query =
        proptest::option::of(proptest::collection::vec(pair, 0..4).prop_map(|p| p.join("&")));
    (path, query).prop_map(|(path, query)| match query {
        Some(q) => format!("{path}?{q}"),
        None => path,
    })
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        4 => Just(Method::GET),
        4 => Just(Method::PUT),
        1 => Just(Method::POST),
        1 => Just(Method::DELETE),
        1 => Just(Method::OPTIONS),
        1 => Just(Method::HEAD),
        1 => "[A-Z]{1,10}".prop_map(|m| Method::from_bytes(m.as_bytes()).expect("token")),
    ]
}

/// Upsert bodies: valid ones (so writes reach the store), near misses, and arbitrary bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let timestamp = (0i64..5_000_000_000).prop_map(|ms| {
        sessions_core::Timestamp::from_system_time(
            SystemTime::UNIX_EPOCH + Duration::from_millis(ms as u64 + 1_600_000_000_000),
        )
        .to_string()
    });
    let valid = (
        "[A-Za-z0-9 é€]{1,40}",
        "[A-Za-z0-9 \n\té€]{1,200}",
        timestamp.clone(),
        proptest::option::of(timestamp),
    )
        .prop_map(|(title, summary, observed_at, finished_at)| {
            serde_json::to_vec(&serde_json::json!({
                "title": title, "summary": summary,
                "observed_at": observed_at, "finished_at": finished_at,
            }))
            .expect("serialize")
        });
    prop_oneof![
        4 => valid,
        1 => Just(br#"{"title":"t","summary":"s","observed_at":"9999-12-31T23:59:59Z"}"#.to_vec()),
        1 => Just(br#"{"title":"t","summary":"s","observed_at":"2026-01-01T00:00:00Z","x":1}"#.to_vec()),
        2 => proptest::collection::vec(any::<u8>(), 0..256),
        1 => "\\PC{0,64}".prop_map(String::into_bytes),
    ]
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof!["[\\x20-\\x7e]{0,40}", "[a-z*/ ;=0-9\"-]{0,30}"]
}

/// Headers a client may send, valid for HTTP: content types, If-None-Match, anything else.
fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let one = prop_oneof![
        3 => prop_oneof![
            Just("application/json".to_owned()),
            Just("application/json; charset=utf-8".to_owned()),
            Just("Application/JSON".to_owned()),
            Just("text/plain".to_owned()),
            header_value(),
        ]
        .prop_map(|v| ("content-type".to_owned(), v)),
        2 => prop_oneof![Just("*".to_owned()), header_value()]
            .prop_map(|v| ("if-none-match".to_owned(), v)),
        1 => ("x-[a-z0-9-]{1,12}".prop_filter("not x-amz-", |n: &String| !n.starts_with("x-amz")), header_value()),
    ];
    proptest::collection::vec(one, 0..4)
}

fn header_map(pairs: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            map.append(name, value);
        }
    }
    map
}

/// Authorization headers shaped like SigV4, with arbitrary parts, and plain garbage.
fn authorization() -> impl Strategy<Value = String> {
    let part = || prop_oneof!["[A-Za-z0-9_-]{0,24}", "\\PC{0,12}", Just(String::new())];
    prop_oneof![
        3 => (
            prop_oneof![Just(LOCAL_KEYS[0].access_key_id.to_owned()), part()],
            prop_oneof!["20[0-9]{6}", part()],
            prop_oneof![Just("us-east-1".to_owned()), part()],
            prop_oneof![Just("execute-api".to_owned()), part()],
            prop_oneof![
                Just("host;x-amz-date".to_owned()),
                Just("host".to_owned()),
                "[a-z;:-]{0,40}",
                part(),
            ],
            prop_oneof!["[0-9a-f]{64}", part()],
        )
            .prop_map(|(key, date, region, service, signed, signature)| {
                format!(
                    "AWS4-HMAC-SHA256 Credential={key}/{date}/{region}/{service}/aws4_request, SignedHeaders={signed}, Signature={signature}"
                )
            }),
        1 => "[\\x20-\\x7e]{0,120}",
        1 => "AWS4-HMAC-SHA256 [\\x20-\\x7e]{0,80}",
    ]
}

fn amz_date(now: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(now)
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// Signs the request exactly as tests/harness/lib.rs (and any aws-sigv4 client) does and
/// returns the headers as the server receives them.
fn signed_headers(
    method: &str,
    target: &str,
    extra: &[(String, String)],
    body: &[u8],
    now: SystemTime,
) -> HeaderMap {
    let key = &LOCAL_KEYS[0];
    let url = format!("http://{HOST}{target}");
    let mut headers: Vec<(&str, &str)> = extra
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    headers.push(("host", HOST));
    let request = sessions_aws::Request {
        method,
        url: &url,
        headers: &headers,
        body,
    };
    let credentials = sessions_aws::static_credentials(key.access_key_id, key.secret_access_key);
    let signature =
        sessions_aws::sign_request(&credentials, "us-east-1", now, &request).expect("sign");
    let mut all: Vec<(String, String)> = extra.to_vec();
    all.push(("host".to_owned(), HOST.to_owned()));
    all.extend(signature.into_iter().map(|(k, v)| (k.to_owned(), v)));
    header_map(&all)
}

/// What the contract allows the router to answer with a store that never fails.
fn check_response(method: &Method, response: &http::Response<Bytes>) -> Result<(), TestCaseError> {
    let status = response.status().as_u16();
    prop_assert_eq!(
        response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    if status < 300 {
        prop_assert!(matches!(status, 200 | 201), "status {}", status);
        let body = response.body();
        let parsed = serde_json::from_slice::<Session>(body).is_ok()
            || serde_json::from_slice::<SessionPage>(body).is_ok()
            || serde_json::from_slice::<Identity>(body).is_ok()
            || serde_json::from_slice::<DeletedSession>(body).is_ok();
        prop_assert!(
            parsed,
            "2xx body is no documented type: {:?}",
            String::from_utf8_lossy(body)
        );
        return Ok(());
    }
    let error: ErrorBody = serde_json::from_slice(response.body())
        .map_err(|e| TestCaseError::fail(format!("error body is not an Error ({e})")))?;
    let code = ErrorCode::parse(&error.error.code)
        .ok_or_else(|| TestCaseError::fail(format!("unknown code {}", error.error.code)))?;
    prop_assert_eq!(code.status(), status, "{:?}", error);
    prop_assert!(status < 500, "{} for {}: {:?}", status, method, error);
    prop_assert!(!error.error.message.is_empty());
    if code == ErrorCode::MethodNotAllowed {
        let allow = response
            .headers()
            .get(http::header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| TestCaseError::fail("405 without Allow"))?;
        let served: Vec<&str> = ROUTES.iter().map(|(m, _)| *m).collect();
        prop_assert!(!allow.is_empty());
        for m in allow.split(", ") {
            prop_assert!(served.contains(&m), "Allow names {}", m);
            prop_assert_ne!(m, method.as_str());
        }
    }
    Ok(())
}

proptest! {
    /// The router never panics and answers only what the contract documents.
    #[test]
    fn router_answers_every_request_within_the_contract(
        method in method(),
        target in target(),
        headers in headers(),
        body in body(),
    ) {
        let Ok(uri) = target.parse::<http::Uri>() else {
            return Ok(());
        };
        let mut request = Request::builder().method(method.clone()).uri(uri);
        for (name, value) in header_map(&headers) {
            if let Some(name) = name {
                request = request.header(name, value);
            }
        }
        let request = request.body(Bytes::from(body)).expect("request");
        let response = runtime().block_on(api().handle(request, &alice()));
        check_response(&method, &response)?;
    }

    /// The verifier never panics, whatever it receives, and refuses what is not signed right.
    #[test]
    fn verifier_never_panics(
        method in prop_oneof![Just("GET".to_owned()), Just("PUT".to_owned()), "\\PC{0,10}"],
        target in prop_oneof![target(), "\\PC{0,60}", "[\\x21-\\x7e]{0,60}"],
        authorization in proptest::option::of(authorization()),
        date in proptest::option::of(prop_oneof![
            Just(amz_date(SystemTime::now())),
            "[0-9]{8}T[0-9]{6}Z",
            "[\\x20-\\x7e]{0,20}",
        ]),
        host in proptest::option::of(prop_oneof![Just(HOST.to_owned()), "[\\x21-\\x7e]{0,30}"]),
        token in any::<bool>(),
        extra in headers(),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        skew in -400i64..400,
    ) {
        let mut pairs = extra;
        if let Some(a) = authorization {
            pairs.push(("authorization".to_owned(), a));
        }
        if let Some(d) = date {
            pairs.push(("x-amz-date".to_owned(), d));
        }
        if let Some(h) = host {
            pairs.push(("host".to_owned(), h));
        }
        if token {
            pairs.push(("x-amz-security-token".to_owned(), "token".to_owned()));
        }
        let headers = header_map(&pairs);
        let now = if skew >= 0 {
            SystemTime::now() + Duration::from_secs(skew as u64)
        } else {
            SystemTime::now() - Duration::from_secs(skew.unsigned_abs())
        };
        let received = ReceivedRequest { method: &method, raw_target: &target, headers: &headers, body: &body };
        if let Err(e) = LocalVerifier::default().verify(&received, now) {
            prop_assert!(matches!(e.code.status(), 401 | 403), "{:?}", e);
        }
    }

    /// A request signed like any aws-sigv4 client signs it verifies as Alice; any single changed
    /// body byte makes it fail.
    #[test]
    fn signed_requests_verify_and_any_changed_body_byte_fails(
        method in prop_oneof![Just("GET"), Just("PUT"), Just("POST"), Just("DELETE")],
        target in target(),
        extra in headers(),
        body in proptest::collection::vec(any::<u8>(), 1..512),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        prop_assume!(target.parse::<http::Uri>().is_ok());
        let now = SystemTime::now();
        let headers = signed_headers(method, &target, &extra, &body, now);
        let verifier = LocalVerifier::default();
        let received = ReceivedRequest { method, raw_target: &target, headers: &headers, body: &body };
        let caller = verifier
            .verify(&received, now)
            .map_err(|e| TestCaseError::fail(format!("{method} {target} signed right was refused: {e:?}")))?;
        prop_assert_eq!(caller, alice());

        let mut changed = body.clone();
        let i = at.index(changed.len());
        changed[i] ^= flip;
        let received = ReceivedRequest { method, raw_target: &target, headers: &headers, body: &changed };
        let refused = verifier.verify(&received, now);
        prop_assert_eq!(refused.map_err(|e| e.code), Err(ErrorCode::InvalidSignature));
    }
}

/// The local server with the in-memory store, on a loopback port of its own.
fn local_server() -> &'static str {
    static ADDRESS: OnceLock<String> = OnceLock::new();
    ADDRESS.get_or_init(|| {
        runtime().block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let address = listener.local_addr().expect("address").to_string();
            tokio::spawn(sessions_function::local::serve(
                listener,
                Arc::new(Api::new(MemoryStore::default(), AllowList::any())),
                Arc::new(LocalVerifier::default()),
                std::future::pending(),
            ));
            address
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        // A TCP round trip each: a quarter of the other tests' cases.
        cases: (ProptestConfig::default().cases / 4).max(16),
        ..ProptestConfig::default()
    })]

    /// A header line with any bytes but CR, LF and NUL (which end or break the HTTP head) still
    /// gets the API's JSON answer, not a bare HTTP-level 400.
    #[test]
    fn any_header_line_gets_a_json_answer(
        line in proptest::collection::vec(any::<u8>().prop_filter("not CR, LF, NUL", |b| !b"\r\n\0".contains(b)), 0..60),
        method in prop_oneof![Just("GET"), Just("PUT")],
    ) {
        let address = local_server();
        let mut request = format!(
            "{method} /v1/workspaces/{WORKSPACE}/sessions HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n"
        )
        .into_bytes();
        request.extend_from_slice(&line);
        request.extend_from_slice(b"\r\ncontent-length: 0\r\n\r\n");
        let response = runtime().block_on(async {
            let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
            stream.write_all(&request).await.expect("write");
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await.expect("read");
            response
        });
        let text = String::from_utf8_lossy(&response);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        prop_assert!(
            head.to_ascii_lowercase().contains("content-type: application/json"),
            "line {:?} got {:?}", String::from_utf8_lossy(&line), text
        );
        let error: ErrorBody = serde_json::from_str(body)
            .map_err(|e| TestCaseError::fail(format!("not an Error body ({e}): {text:?}")))?;
        prop_assert!(ErrorCode::parse(&error.error.code).is_some());
    }
}
