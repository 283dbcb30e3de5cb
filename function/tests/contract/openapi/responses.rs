//! The operations against `router::ROUTES`, and the error codes each documents against
//! `ErrorCode` (its list, its statuses) and against what each route can answer.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{OpenAPI, Parameter, ReferenceOr, Response, SchemaKind, StatusCode, Type};
use sessions_core::paths::{API_PREFIX, WHOAMI_PATH};
use sessions_core::{ErrorBody, ErrorCode};
use sessions_function::router::ROUTES;

use super::{FIX, component, introduction, media_examples, operations, property, resolve, spec};

#[test]
fn operations_are_the_router_routes() {
    let api = spec();
    let mut found: Vec<(String, String)> = operations(&api)
        .iter()
        .map(|op| (op.method.clone(), op.path.to_owned()))
        .collect();
    found.sort();
    let count = found.len();
    found.dedup();
    assert_eq!(count, found.len(), "openapi.yaml lists an operation twice");
    let mut expected: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(
        found, expected,
        "the (method, path) operations of openapi.yaml differ from router::ROUTES in \
         function/src/router.rs; {FIX} (or the router, if the spec is what is right)"
    );

    // Every `{param}` in a path is a required path parameter, and vice versa.
    for op in operations(&api) {
        let in_path: BTreeSet<&str> = op
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        let path_parameters: Vec<_> = op
            .parameters
            .iter()
            .filter_map(|p| match p {
                Parameter::Path { parameter_data, .. } => Some(parameter_data),
                _ => None,
            })
            .collect();
        let declared: BTreeSet<&str> = path_parameters.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            declared,
            in_path,
            "{}: the path parameters declared differ from those in the path; {FIX}",
            op.label()
        );
        for p in path_parameters {
            assert!(
                p.required,
                "{}: path parameter {:?} must be `required: true`; {FIX}",
                op.label(),
                p.name
            );
        }
    }
}

#[test]
fn error_code_enum_is_error_code_all() {
    let api = spec();
    let at = "components.schemas.Error.properties.error.properties.code";
    let error = property(
        &api,
        component(&api, "Error"),
        "error",
        "components.schemas.Error",
    );
    let code = property(
        &api,
        error,
        "code",
        "components.schemas.Error.properties.error",
    );
    let SchemaKind::Type(Type::String(string)) = &code.schema_kind else {
        panic!("openapi.yaml: {at} should be a string schema; {FIX}");
    };
    let listed: Vec<&str> = string
        .enumeration
        .iter()
        .map(|c| {
            c.as_deref()
                .unwrap_or_else(|| panic!("openapi.yaml: {at}.enum lists null; {FIX}"))
        })
        .collect();
    assert!(
        !listed.is_empty(),
        "openapi.yaml: {at} has no `enum`; {FIX}"
    );
    let set: BTreeSet<&str> = listed.iter().copied().collect();
    assert_eq!(
        set.len(),
        listed.len(),
        "{at}.enum lists a code twice; {FIX}"
    );
    let expected: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        set, expected,
        "{at}.enum differs from ErrorCode::ALL (core/src/error.rs); {FIX}"
    );

    // The description's status table ("400 invalid_json, ...; 401 unauthenticated; ...").
    let description = code
        .schema_data
        .description
        .as_deref()
        .unwrap_or_else(|| panic!("openapi.yaml: {at} has no `description`; {FIX}"));
    let mut documented: BTreeMap<&str, u16> = BTreeMap::new();
    let mut status = None;
    for token in description.split_whitespace() {
        let token = token.trim_end_matches([',', ';', '.', ':']);
        if let Ok(n) = token.parse::<u16>() {
            status = Some(n);
        } else if let Some(status) = status {
            assert!(
                ErrorCode::parse(token).is_some(),
                "{at}.description lists {token:?}, which is not an ErrorCode; {FIX}"
            );
            assert!(
                documented.insert(token, status).is_none(),
                "{at}.description lists {token} twice; {FIX}"
            );
        }
    }
    for code in ErrorCode::ALL {
        assert_eq!(
            documented.get(code.as_str()).copied(),
            Some(code.status()),
            "{at}.description should list {code} under HTTP {} (ErrorCode::status in \
             core/src/error.rs); {FIX}",
            code.status()
        );
    }
}

/// The error codes an operation can answer with, read off `function/src/router.rs` (and
/// `auth.rs`, `lambda.rs`). A route added to `ROUTES` needs an entry here. Codes no single
/// operation answers (`route_not_found`, `method_not_allowed`, and locally a 413 for any
/// oversized body before routing) are checked against the introduction instead.
fn route_codes(method: &str, path: &str) -> Vec<ErrorCode> {
    use ErrorCode::*;
    let session = format!("{API_PREFIX}/{{workspace_uuid}}/sessions/{{session_id}}");
    let sessions = format!("{API_PREFIX}/{{workspace_uuid}}/sessions");
    let changes = format!("{API_PREFIX}/{{workspace_uuid}}/changes");
    let mut codes = AUTH_CODES.to_vec();
    if path.contains("{workspace_uuid}") {
        codes.extend(WORKSPACE_CODES);
    }
    let (touches_store, own) = match method {
        "PUT" if path == session => (
            true,
            vec![
                InvalidSessionId,
                UnsupportedMediaType,
                PayloadTooLarge,
                InvalidJson,
                UnknownField,
                MissingField,
                InvalidTitle,
                InvalidSummary,
                InvalidTimestamp,
                InvalidFact,
                NotOwner,
                Stale,
                AlreadyExists,
            ],
        ),
        "GET" if path == session => (true, vec![InvalidSessionId, NotFound]),
        "DELETE" if path == session => (
            true,
            vec![
                InvalidSessionId,
                InvalidQuery,
                InvalidTimestamp,
                NotOwner,
                NotFound,
            ],
        ),
        "GET" if path == sessions => (true, vec![InvalidQuery]),
        "GET" if path == changes => (true, vec![InvalidQuery, InvalidTimestamp]),
        "GET" if path == WHOAMI_PATH => (false, vec![]),
        _ => panic!(
            "router::ROUTES has {method} {path}, which this test does not know: list the \
             codes it can answer with in route_codes (function/tests/contract/openapi/responses.rs)"
        ),
    };
    if touches_store {
        codes.extend(STORE_CODES);
    }
    codes.extend(own);
    codes
}

/// Every operation: no identity (401), or a signature that fails the check (403).
const AUTH_CODES: [ErrorCode; 4] = [
    ErrorCode::Unauthenticated,
    ErrorCode::InvalidSignature,
    ErrorCode::RequestExpired,
    ErrorCode::UnknownAccessKey,
];

/// Every operation with a `{workspace_uuid}`: the UUID's form and the allow-list.
const WORKSPACE_CODES: [ErrorCode; 2] = [
    ErrorCode::InvalidWorkspaceUuid,
    ErrorCode::WorkspaceNotAllowed,
];

/// Every operation that calls the store: its failures (`store_error` in the router).
const STORE_CODES: [ErrorCode; 3] = [
    ErrorCode::Throttled,
    ErrorCode::Unavailable,
    ErrorCode::Internal,
];

/// The codes a response names: in its examples, and in backticks in its description.
fn documented_codes(api: &OpenAPI, response: &Response, at: &str) -> BTreeSet<&'static str> {
    let mut codes = BTreeSet::new();
    for quoted in response.description.split('`').skip(1).step_by(2) {
        if let Some(code) = ErrorCode::parse(quoted) {
            codes.insert(code.as_str());
        }
    }
    for (media, body) in &response.content {
        for (label, example) in media_examples(api, body, &format!("{at}.content.{media}")) {
            let error: ErrorBody = serde_json::from_value(example.clone()).unwrap_or_else(|e| {
                panic!("openapi.yaml: {label} is not an Error body ({e}); {FIX}")
            });
            let code = ErrorCode::parse(&error.error.code).unwrap_or_else(|| {
                panic!(
                    "openapi.yaml: {label} has code {:?}, which is not an ErrorCode; {FIX}",
                    error.error.code
                )
            });
            codes.insert(code.as_str());
        }
    }
    codes
}

/// An operation's responses in the order written, by key (`"200"`, ..., `"default"`).
fn responses<'a>(
    op: &'a openapiv3::Operation,
    at: &str,
) -> Vec<(String, &'a ReferenceOr<Response>)> {
    let mut found: Vec<(String, &ReferenceOr<Response>)> = op
        .responses
        .responses
        .iter()
        .map(|(status, response)| match status {
            StatusCode::Code(n) => (n.to_string(), response),
            StatusCode::Range(_) => {
                panic!("openapi.yaml: {at} has response key {status}, not a status; {FIX}")
            }
        })
        .collect();
    found.extend(
        op.responses
            .default
            .iter()
            .map(|r| ("default".to_owned(), r)),
    );
    found
}

#[test]
fn error_responses_match_error_code_statuses() {
    let api = spec();
    let statuses: BTreeSet<u16> = ErrorCode::ALL.iter().map(|c| c.status()).collect();
    let mut produced_anywhere = BTreeSet::new();
    for op in operations(&api) {
        let at = format!("{}.responses", op.label());
        let responses = responses(op.operation, &at);
        let explicit: BTreeSet<u16> = responses
            .iter()
            .filter_map(|(key, _)| key.parse().ok())
            .collect();
        let mut documented: BTreeMap<&'static str, String> = BTreeMap::new();
        for (key, response) in responses {
            let here = format!("{at}.{key}");
            let response = resolve(&api, response);
            if key.starts_with('2') {
                continue;
            }
            let codes = documented_codes(&api, response, &here);
            if key == "default" {
                for code in &codes {
                    let status = ErrorCode::parse(code).map(ErrorCode::status);
                    assert!(
                        status.is_some_and(|s| !explicit.contains(&s)),
                        "openapi.yaml: {here} names {code} (HTTP {status:?}), which has its \
                         own response in this operation; {FIX}"
                    );
                }
            } else {
                let status: u16 = key.parse().expect("a numeric status");
                assert!(
                    statuses.contains(&status),
                    "openapi.yaml: {here}: no ErrorCode answers HTTP {status} (see \
                     ErrorCode::status in core/src/error.rs); {FIX}"
                );
                for code in &codes {
                    let actual = ErrorCode::parse(code).map(ErrorCode::status);
                    assert_eq!(
                        actual,
                        Some(status),
                        "openapi.yaml: {here} names {code}, whose status is {actual:?} \
                         (ErrorCode::status); {FIX}"
                    );
                }
            }
            for code in codes {
                documented.insert(code, key.clone());
            }
        }

        let can_produce = route_codes(&op.method, op.path);
        produced_anywhere.extend(can_produce.iter().map(|c| c.as_str()));
        for code in &can_produce {
            let expected_key = if explicit.contains(&code.status()) || code.status() != 500 {
                code.status().to_string()
            } else {
                "default".to_owned()
            };
            assert_eq!(
                documented.get(code.as_str()),
                Some(&expected_key),
                "{} can answer {code} (HTTP {}), but its `{expected_key}` response does not \
                 name it (in an example, or in backticks in the description); {FIX}, or \
                 route_codes in function/tests/contract/openapi/responses.rs if the router \
                 changed",
                op.label(),
                code.status()
            );
        }
        let can_produce: BTreeSet<&str> = can_produce.iter().map(|c| c.as_str()).collect();
        let extra: Vec<&&str> = documented
            .keys()
            .filter(|c| !can_produce.contains(*c))
            .collect();
        assert!(
            extra.is_empty(),
            "{}'s responses name {extra:?}, which this operation never answers; {FIX}, or \
             route_codes in function/tests/contract/openapi/responses.rs if the router changed",
            op.label()
        );
    }

    // The codes no operation answers (a path that is no route, a method a route does not
    // serve) are described in the introduction.
    let intro = introduction(&api);
    for code in ErrorCode::ALL {
        if !produced_anywhere.contains(code.as_str()) {
            assert!(
                intro.contains(&format!("{} `{code}`", code.status())),
                "info.description should describe {code} as \"{} `{code}`\": no operation \
                 documents it; {FIX}",
                code.status()
            );
        }
    }
}
