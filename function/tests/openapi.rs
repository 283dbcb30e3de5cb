//! Checks `function/openapi.yaml` against the code, so the published contract cannot drift
//! from what the server does: the operations against `router::ROUTES`, the error codes and
//! their statuses against `ErrorCode`, the schemas against the wire types of `sessions_core`,
//! the numeric bounds against `sessions_core::fields`, and every example against the same
//! parsers the server runs.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_yaml::{Mapping, Value};
use sessions_core::fields::{
    BODY_MAX_BYTES, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, SESSION_ID_MAX_CHARS, SUMMARY_MAX_BYTES,
    TITLE_MAX_CHARS,
};
use sessions_core::identity::USER_NAMESPACE;
use sessions_core::paths::{API_PREFIX, WHOAMI_PATH};
use sessions_core::wire::ErrorDetail;
use sessions_core::{
    Cursor, ErrorBody, ErrorCode, Identity, Session, SessionId, SessionPage, Summary, Timestamp,
    Title, UpsertBody, ValidUpsert, WorkspaceId,
};
use sessions_function::router::ROUTES;

const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
const FIX: &str = "fix function/openapi.yaml";
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

fn spec() -> Value {
    let text = std::fs::read_to_string(SPEC).unwrap_or_else(|e| panic!("cannot read {SPEC}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{SPEC} is not valid YAML: {e}"))
}

/// `value[key]`, or a panic naming where it was expected.
fn field<'a>(value: &'a Value, key: &str, at: &str) -> &'a Value {
    value
        .get(key)
        .unwrap_or_else(|| panic!("openapi.yaml: {at} has no `{key}`; {FIX}"))
}

fn string<'a>(value: &'a Value, at: &str) -> &'a str {
    match value {
        Value::String(s) => s,
        other => panic!("openapi.yaml: {at} should be a string, found {other:?}; {FIX}"),
    }
}

fn mapping<'a>(value: &'a Value, at: &str) -> &'a Mapping {
    match value {
        Value::Mapping(m) => m,
        other => panic!("openapi.yaml: {at} should be a mapping, found {other:?}; {FIX}"),
    }
}

fn sequence<'a>(value: &'a Value, at: &str) -> &'a [Value] {
    match value {
        Value::Sequence(items) => items,
        other => panic!("openapi.yaml: {at} should be a list, found {other:?}; {FIX}"),
    }
}

/// A mapping key as text (`'200'` and an unquoted `200` alike).
fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("openapi.yaml: unexpected mapping key {other:?}; {FIX}"),
    }
}

fn keys(value: &Value, at: &str) -> Vec<String> {
    mapping(value, at).keys().map(key_text).collect()
}

fn integer(schema: &Value, key: &str, at: &str) -> Option<u64> {
    schema.get(key).map(|v| {
        v.as_u64().unwrap_or_else(|| {
            panic!("openapi.yaml: {at}.{key} should be a non-negative integer, found {v:?}; {FIX}")
        })
    })
}

/// Follows `$ref: '#/...'` until a value that is not a reference.
fn resolve<'a>(root: &'a Value, value: &'a Value) -> &'a Value {
    let mut current = value;
    for _ in 0..16 {
        let Some(reference) = current.get("$ref") else {
            return current;
        };
        let reference = string(reference, "a $ref");
        let pointer = reference
            .strip_prefix("#/")
            .unwrap_or_else(|| panic!("openapi.yaml: $ref {reference} is not local; {FIX}"));
        current = pointer.split('/').fold(root, |node, segment| {
            let segment = segment.replace("~1", "/").replace("~0", "~");
            node.get(segment.as_str()).unwrap_or_else(|| {
                panic!("openapi.yaml: $ref {reference} points at nothing; {FIX}")
            })
        });
    }
    panic!("openapi.yaml: $ref chain too long (a cycle?) from {value:?}; {FIX}")
}

/// The component schema a media type uses, by name (`#/components/schemas/<name>`).
fn schema_name(media: &Value, at: &str) -> String {
    let schema = field(media, "schema", at);
    let reference = string(field(schema, "$ref", &format!("{at}.schema")), at);
    reference
        .strip_prefix("#/components/schemas/")
        .unwrap_or_else(|| {
            panic!("openapi.yaml: {at}.schema should refer to a component schema; {FIX}")
        })
        .to_owned()
}

/// The component schema `name`.
fn component<'a>(root: &'a Value, name: &str) -> &'a Value {
    field(
        field(
            field(root, "components", "the document"),
            "schemas",
            "components",
        ),
        name,
        "components.schemas",
    )
}

/// The `example` and every `examples.<name>.value` of a parameter or media type.
fn examples<'a>(root: &'a Value, holder: &'a Value, at: &str) -> Vec<(String, &'a Value)> {
    let mut found = Vec::new();
    if let Some(example) = holder.get("example") {
        found.push((format!("{at}.example"), example));
    }
    if let Some(named) = holder.get("examples") {
        for (name, example) in mapping(named, &format!("{at}.examples")) {
            let label = format!("{at}.examples.{}", key_text(name));
            found.push((
                label.clone(),
                field(resolve(root, example), "value", &label),
            ));
        }
    }
    found
}

struct Operation<'a> {
    method: String,
    path: String,
    value: &'a Value,
    /// Path-level and operation-level parameters, resolved.
    parameters: Vec<&'a Value>,
}

impl Operation<'_> {
    fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

fn operations(root: &Value) -> Vec<Operation<'_>> {
    let mut found = Vec::new();
    for (path, item) in mapping(field(root, "paths", "the document"), "paths") {
        let path = key_text(path);
        let shared: Vec<&Value> = item
            .get("parameters")
            .map(|ps| sequence(ps, &format!("paths.{path}.parameters")))
            .unwrap_or_default()
            .iter()
            .map(|p| resolve(root, p))
            .collect();
        for (method, value) in mapping(item, &format!("paths.{path}")) {
            let method = key_text(method);
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let own = value
                .get("parameters")
                .map(|ps| sequence(ps, &format!("{method} {path}.parameters")))
                .unwrap_or_default();
            found.push(Operation {
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                value,
                parameters: shared
                    .iter()
                    .copied()
                    .chain(own.iter().map(|p| resolve(root, p)))
                    .collect(),
            });
        }
    }
    found
}

/// The field names of a serialized struct, in declaration order (`serde_yaml::Mapping` keeps
/// insertion order, and serde serializes struct fields in declaration order).
fn field_names<T: Serialize>(value: &T) -> Vec<String> {
    match serde_yaml::to_value(value).expect("a wire type serializes") {
        Value::Mapping(m) => m.keys().map(key_text).collect(),
        other => panic!("a wire type should serialize to a mapping, found {other:?}"),
    }
}

/// The fields of `sample` that `accepts` still accepts when set to `null`.
fn nullable_fields<T: Serialize>(
    sample: &T,
    accepts: impl Fn(&serde_json::Value) -> bool,
) -> BTreeSet<String> {
    let full = serde_json::to_value(sample).expect("a wire type serializes");
    assert!(
        accepts(&full),
        "the test's own sample {full} should be accepted"
    );
    field_names(sample)
        .into_iter()
        .filter(|name| {
            let mut with_null = full.clone();
            with_null[name.as_str()] = serde_json::Value::Null;
            accepts(&with_null)
        })
        .collect()
}

const WORKSPACE: &str = "0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60";
const ARN: &str = "arn:aws:iam::000000000000:user/alice";

/// A valid session. A field added to `Session` breaks this literal, which is the point: then
/// the spec's `Session` schema needs the field too.
fn sample_session() -> Session {
    Session {
        uuid: "5a1d6c2e-3f4b-4e8a-9c7d-1b2a3c4d5e6f".into(),
        session_id: "7f3c2a10".into(),
        user_uuid: sessions_core::user_uuid(ARN).to_string(),
        workspace_uuid: WORKSPACE.into(),
        title: "t".into(),
        summary: "s".into(),
        created_at: "2026-11-24T07:02:28.559Z".into(),
        finished_at: Some("2026-11-24T07:05:10.000Z".into()),
        updated_at: "2026-11-24T07:05:10.412Z".into(),
        user_arn: ARN.into(),
    }
}

fn sample_upsert() -> UpsertBody {
    UpsertBody {
        title: "t".into(),
        summary: "s".into(),
        finished_at: Some("2026-11-24T07:05:10.000Z".into()),
        observed_at: "2026-11-24T07:05:10.000Z".into(),
    }
}

fn sample_page() -> SessionPage {
    SessionPage {
        sessions: vec![sample_session()],
        next_cursor: Some("abc".into()),
    }
}

fn sample_identity() -> Identity {
    Identity {
        user_arn: ARN.into(),
        user_uuid: sessions_core::user_uuid(ARN).to_string(),
    }
}

fn sample_error() -> ErrorDetail {
    ErrorDetail {
        code: "not_found".into(),
        message: "m".into(),
    }
}

/// The properties of a component schema, in the order written.
fn properties(root: &Value, schema: &Value, at: &str) -> Vec<String> {
    keys(
        resolve(root, field(schema, "properties", at)),
        &format!("{at}.properties"),
    )
}

fn required(schema: &Value, at: &str) -> BTreeSet<String> {
    schema
        .get("required")
        .map(|r| sequence(r, &format!("{at}.required")))
        .unwrap_or_default()
        .iter()
        .map(|name| string(name, &format!("{at}.required")).to_owned())
        .collect()
}

fn nullable_properties(schema: &Value, at: &str) -> BTreeSet<String> {
    mapping(field(schema, "properties", at), at)
        .iter()
        .filter(|(_, p)| p.get("nullable").and_then(Value::as_bool) == Some(true))
        .map(|(name, _)| key_text(name))
        .collect()
}

#[test]
fn operations_are_the_router_routes() {
    let root = spec();
    let mut found: Vec<(String, String)> = operations(&root)
        .iter()
        .map(|op| (op.method.clone(), op.path.clone()))
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
    for op in operations(&root) {
        let in_path: BTreeSet<&str> = op
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        let declared: BTreeSet<&str> = op
            .parameters
            .iter()
            .filter(|p| p.get("in").and_then(Value::as_str) == Some("path"))
            .map(|p| string(field(p, "name", &op.label()), &op.label()))
            .collect();
        assert_eq!(
            declared,
            in_path,
            "{}: the path parameters declared differ from those in the path; {FIX}",
            op.label()
        );
        for p in op
            .parameters
            .iter()
            .filter(|p| p.get("in").and_then(Value::as_str) == Some("path"))
        {
            assert_eq!(
                p.get("required").and_then(Value::as_bool),
                Some(true),
                "{}: path parameter {:?} must be `required: true`; {FIX}",
                op.label(),
                p.get("name")
            );
        }
    }
}

#[test]
fn every_ref_resolves() {
    fn walk(root: &Value, value: &Value, at: &str) {
        match value {
            Value::Mapping(m) => {
                if m.contains_key("$ref") {
                    resolve(root, value);
                }
                for (k, v) in m {
                    walk(root, v, &format!("{at}.{}", key_text(k)));
                }
            }
            Value::Sequence(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(root, v, &format!("{at}[{i}]"));
                }
            }
            Value::Tagged(t) => panic!("openapi.yaml: unexpected YAML tag {} at {at}", t.tag),
            _ => {}
        }
    }
    let root = spec();
    walk(&root, &root, "");
}

#[test]
fn error_code_enum_is_error_code_all() {
    let root = spec();
    let at = "components.schemas.Error.properties.error.properties.code";
    let code = ["properties", "error", "properties", "code"]
        .iter()
        .fold(component(&root, "Error"), |node, key| field(node, key, at));
    let listed: Vec<&str> = sequence(field(code, "enum", at), at)
        .iter()
        .map(|c| string(c, at))
        .collect();
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
    let description = string(field(code, "description", at), at);
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
                NotOwner,
                Stale,
                AlreadyExists,
            ],
        ),
        "GET" if path == session => (true, vec![InvalidSessionId, NotFound]),
        "GET" if path == sessions => (true, vec![InvalidQuery]),
        "GET" if path == WHOAMI_PATH => (false, vec![]),
        _ => panic!(
            "router::ROUTES has {method} {path}, which this test does not know: list the \
             codes it can answer with in route_codes (function/tests/openapi.rs)"
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
fn documented_codes(root: &Value, response: &Value, at: &str) -> BTreeSet<&'static str> {
    let mut codes = BTreeSet::new();
    if let Some(description) = response.get("description").and_then(Value::as_str) {
        for quoted in description.split('`').skip(1).step_by(2) {
            if let Some(code) = ErrorCode::parse(quoted) {
                codes.insert(code.as_str());
            }
        }
    }
    if let Some(content) = response.get("content") {
        for (media, body) in mapping(content, &format!("{at}.content")) {
            let here = format!("{at}.content.{}", key_text(media));
            for (label, example) in examples(root, body, &here) {
                let error: ErrorBody = serde_json::to_value(example)
                    .and_then(serde_json::from_value)
                    .unwrap_or_else(|e| {
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
    }
    codes
}

#[test]
fn error_responses_match_error_code_statuses() {
    let root = spec();
    let statuses: BTreeSet<u16> = ErrorCode::ALL.iter().map(|c| c.status()).collect();
    let mut produced_anywhere = BTreeSet::new();
    for op in operations(&root) {
        let at = format!("{}.responses", op.label());
        let responses = mapping(field(op.value, "responses", &op.label()), &at);
        let explicit: BTreeSet<u16> = responses
            .keys()
            .map(key_text)
            .filter(|k| k != "default")
            .map(|k| {
                k.parse().unwrap_or_else(|_| {
                    panic!("openapi.yaml: {at} has response key {k:?}, not a status; {FIX}")
                })
            })
            .collect();
        let mut documented: BTreeMap<&'static str, String> = BTreeMap::new();
        for (key, response) in responses {
            let key = key_text(key);
            let here = format!("{at}.{key}");
            let response = resolve(&root, response);
            if key.starts_with('2') {
                continue;
            }
            let codes = documented_codes(&root, response, &here);
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
                let status: u16 = key.parse().expect("checked above");
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

        let can_produce = route_codes(&op.method, &op.path);
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
                 route_codes in function/tests/openapi.rs if the router changed",
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
             route_codes in function/tests/openapi.rs if the router changed",
            op.label()
        );
    }

    // The codes no operation answers (a path that is no route, a method a route does not
    // serve) are described in the introduction.
    let intro = string(
        field(field(&root, "info", "the document"), "description", "info"),
        "info.description",
    );
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

#[test]
fn schemas_match_wire_types() {
    let root = spec();

    // Session: every field, in declaration order, all required; nullable exactly where the
    // type takes `null`.
    let at = "components.schemas.Session";
    let schema = component(&root, "Session");
    let fields = field_names(&sample_session());
    assert_eq!(
        properties(&root, schema, at),
        fields,
        "{at}.properties (in order) differ from the fields of sessions_core::Session \
         (core/src/wire.rs, in declaration order, which is the order on the wire); {FIX}"
    );
    assert_eq!(
        required(schema, at),
        fields.iter().cloned().collect(),
        "{at}.required should list every property: the server always writes every field \
         (null when unset); {FIX}"
    );
    let nullable = nullable_fields(&sample_session(), |v| {
        serde_json::from_value::<Session>(v.clone()).is_ok()
    });
    assert_eq!(
        nullable_properties(schema, at),
        nullable,
        "{at}: the properties marked `nullable: true` should be exactly the Option fields of \
         sessions_core::Session; {FIX}"
    );

    // UpsertBody: exactly the accepted fields; required and nullable as ValidUpsert parses.
    let at = "components.schemas.UpsertBody";
    let schema = component(&root, "UpsertBody");
    let fields = field_names(&sample_upsert());
    assert_eq!(
        properties(&root, schema, at),
        fields,
        "{at}.properties (in order) differ from the fields of sessions_core::UpsertBody \
         (core/src/wire.rs); {FIX}"
    );
    assert_eq!(
        schema.get("additionalProperties").and_then(Value::as_bool),
        Some(false),
        "{at}.additionalProperties must be false: the server refuses unknown fields; {FIX}"
    );
    let parse = |v: &serde_json::Value| {
        ValidUpsert::from_json(&serde_json::to_vec(v).expect("JSON serializes"))
    };
    let mut body = serde_json::to_value(sample_upsert()).expect("UpsertBody serializes");
    body["finshed_at"] = serde_json::Value::Null;
    assert_eq!(
        parse(&body).map_err(|e| e.code),
        Err(ErrorCode::UnknownField),
        "ValidUpsert::from_json accepts unknown fields, yet {at} says additionalProperties: \
         false; fix the code or the spec"
    );
    let required_by_code: BTreeSet<String> = fields
        .iter()
        .filter(|name| {
            let mut body = serde_json::to_value(sample_upsert()).expect("UpsertBody serializes");
            body.as_object_mut()
                .expect("UpsertBody is an object")
                .remove(name.as_str());
            match parse(&body) {
                Ok(_) => false,
                Err(e) if e.code == ErrorCode::MissingField => true,
                Err(e) => panic!("the test's sample without {name} fails with {e}"),
            }
        })
        .cloned()
        .collect();
    assert_eq!(
        required(schema, at),
        required_by_code,
        "{at}.required should be the fields ValidUpsert::from_json refuses to go without \
         (400 missing_field); {FIX}"
    );
    assert_eq!(
        nullable_properties(schema, at),
        nullable_fields(&sample_upsert(), |v| parse(v).is_ok()),
        "{at}: the properties marked `nullable: true` should be exactly those \
         ValidUpsert::from_json accepts as null; {FIX}"
    );

    // SessionPage and Error: every field, all required.
    let at = "components.schemas.SessionPage";
    let schema = component(&root, "SessionPage");
    let fields = field_names(&sample_page());
    assert_eq!(
        properties(&root, schema, at),
        fields,
        "{at}.properties differ from the fields of sessions_core::SessionPage; {FIX}"
    );
    assert_eq!(
        required(schema, at),
        fields.iter().cloned().collect(),
        "{at}.required should list every property; {FIX}"
    );
    assert_eq!(
        nullable_properties(schema, at),
        nullable_fields(&sample_page(), |v| {
            serde_json::from_value::<SessionPage>(v.clone()).is_ok()
        }),
        "{at}: `nullable: true` should mark exactly the Option fields of SessionPage; {FIX}"
    );
    let at = "components.schemas.Identity";
    let schema = component(&root, "Identity");
    let identity = sample_identity();
    let fields = field_names(&identity);
    assert_eq!(
        properties(&root, schema, at),
        fields,
        "{at}.properties (in order) differ from the fields of sessions_core::Identity \
         (core/src/wire.rs); {FIX}"
    );
    assert_eq!(
        required(schema, at),
        fields.iter().cloned().collect(),
        "{at}.required should list every property; {FIX}"
    );
    assert_eq!(
        nullable_properties(schema, at),
        nullable_fields(&identity, |v| {
            serde_json::from_value::<Identity>(v.clone()).is_ok()
        }),
        "{at}: `nullable: true` should mark exactly the Option fields of Identity; {FIX}"
    );
    let at = "components.schemas.Error";
    let schema = component(&root, "Error");
    let error_body = ErrorBody {
        error: sample_error(),
    };
    assert_eq!(
        properties(&root, schema, at),
        field_names(&error_body),
        "{at}.properties differ from sessions_core::ErrorBody; {FIX}"
    );
    let inner = field(field(schema, "properties", at), "error", at);
    let at = "components.schemas.Error.properties.error";
    let fields = field_names(&sample_error());
    assert_eq!(
        properties(&root, inner, at),
        fields,
        "{at}.properties differ from sessions_core::wire::ErrorDetail; {FIX}"
    );
    assert_eq!(
        required(inner, at),
        fields.iter().cloned().collect(),
        "{at}.required should list every property; {FIX}"
    );
}

/// `schema.minLength == min` and `schema.maxLength == max` (each where given), and a
/// `{1,max}$` quantifier in its pattern agrees.
fn assert_length(schema: &Value, at: &str, min: u64, max: (u64, &str)) {
    let (max, constant) = max;
    assert_eq!(
        integer(schema, "maxLength", at),
        Some(max),
        "openapi.yaml: {at}.maxLength should be {constant} = {max}; {FIX}"
    );
    if let Some(actual) = integer(schema, "minLength", at) {
        assert_eq!(
            actual, min,
            "openapi.yaml: {at}.minLength should be {min}; {FIX}"
        );
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
        && pattern.ends_with("}$")
    {
        assert!(
            pattern.ends_with(&format!("{{{min},{max}}}$")),
            "openapi.yaml: {at}.pattern {pattern:?} should end in {{{min},{max}}}$ \
             ({constant}); {FIX}"
        );
    }
}

#[test]
fn bounds_match_field_constants() {
    let root = spec();
    let max_id = (SESSION_ID_MAX_CHARS as u64, "SESSION_ID_MAX_CHARS");
    let mut session_id_params = 0;
    let mut limit_params = 0;
    for op in operations(&root) {
        for param in &op.parameters {
            let name = string(field(param, "name", &op.label()), &op.label());
            let at = format!("{} parameter {name}", op.label());
            let schema = field(param, "schema", &at);
            let at = format!("{at}.schema");
            match name {
                "session_id" => {
                    session_id_params += 1;
                    assert_length(schema, &at, 1, max_id);
                    // The values the schema excludes explicitly are refused by the server too.
                    if let Some(excluded) = schema.get("not").and_then(|n| n.get("enum")) {
                        for value in sequence(excluded, &at) {
                            let value = string(value, &at);
                            assert!(
                                SessionId::parse(value).is_err(),
                                "openapi.yaml: {at} excludes {value:?}, but SessionId::parse \
                                 accepts it; fix the spec or the code"
                            );
                        }
                    }
                }
                "cursor" => {
                    assert_length(schema, &at, 1, (Cursor::MAX_LEN as u64, "Cursor::MAX_LEN"));
                }
                "limit" => {
                    limit_params += 1;
                    for (key, expected, constant) in [
                        ("minimum", 1, "1"),
                        ("maximum", LIST_MAX_LIMIT, "LIST_MAX_LIMIT"),
                        ("default", LIST_DEFAULT_LIMIT, "LIST_DEFAULT_LIMIT"),
                    ] {
                        assert_eq!(
                            integer(schema, key, &at),
                            Some(u64::from(expected)),
                            "openapi.yaml: {at}.{key} should be {constant} = {expected} \
                             (sessions_core::fields); {FIX}"
                        );
                    }
                }
                _ => {}
            }
        }
    }
    assert_eq!(
        session_id_params,
        ROUTES
            .iter()
            .filter(|(_, p)| p.contains("{session_id}"))
            .count(),
        "every operation on a session should declare its session_id parameter; {FIX}"
    );
    assert_eq!(
        limit_params, 1,
        "listSessions should declare a `limit` query parameter; {FIX}"
    );

    let props = |name: &str| field(component(&root, name), "properties", name);
    let max_title = (TITLE_MAX_CHARS as u64, "TITLE_MAX_CHARS");
    let max_summary = (SUMMARY_MAX_BYTES as u64, "SUMMARY_MAX_BYTES");
    assert_length(
        field(props("Session"), "session_id", "Session"),
        "components.schemas.Session.properties.session_id",
        1,
        max_id,
    );
    for schema in ["UpsertBody", "Session"] {
        let at = format!("components.schemas.{schema}.properties");
        assert_length(
            field(props(schema), "title", &at),
            &format!("{at}.title"),
            1,
            max_title,
        );
    }
    let at = "components.schemas.UpsertBody.properties.summary";
    assert_length(
        field(props("UpsertBody"), "summary", at),
        at,
        1,
        max_summary,
    );
    let at = "components.schemas.Session.properties.summary";
    let summary = field(props("Session"), "summary", at);
    if summary.get("maxLength").is_some() {
        assert_length(summary, at, 1, max_summary);
    }
    let at = "components.schemas.SessionPage.properties.sessions";
    assert_eq!(
        integer(field(props("SessionPage"), "sessions", at), "maxItems", at),
        Some(u64::from(LIST_MAX_LIMIT)),
        "openapi.yaml: {at}.maxItems should be LIST_MAX_LIMIT = {LIST_MAX_LIMIT}; {FIX}"
    );

    // BODY_MAX_BYTES is stated in prose only: on every 413 response.
    for op in operations(&root) {
        if let Some(response) = op.value.get("responses").and_then(|r| r.get("413")) {
            let description = resolve(&root, response)
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            assert!(
                description.contains(&BODY_MAX_BYTES.to_string()),
                "openapi.yaml: {} 413 should state the body limit BODY_MAX_BYTES = \
                 {BODY_MAX_BYTES}; {FIX}",
                op.label()
            );
        }
    }

    // The user_uuid namespace is stated in prose: it must be the one the server uses.
    let intro = string(
        field(field(&root, "info", "the document"), "description", "info"),
        "info.description",
    );
    assert!(
        intro.contains(&USER_NAMESPACE.to_string()),
        "info.description should give the user_uuid namespace {USER_NAMESPACE} \
         (sessions_core::identity::USER_NAMESPACE); {FIX}"
    );
}

/// An example as the JSON the server would send or receive.
fn as_json(example: &Value, label: &str) -> Vec<u8> {
    serde_json::to_vec(example)
        .unwrap_or_else(|e| panic!("openapi.yaml: {label} cannot be written as JSON: {e}"))
}

fn check_timestamp(raw: &str, field_name: &str, label: &str) {
    let parsed = Timestamp::parse(field_name, raw)
        .unwrap_or_else(|e| panic!("openapi.yaml: {label}.{field_name}: {e}; {FIX}"));
    assert_eq!(
        parsed.to_string(),
        raw,
        "openapi.yaml: {label}.{field_name} should be in the fixed-width UTC form the server \
         writes; {FIX}"
    );
}

/// A session as the server could have stored it.
fn check_session(session: &Session, label: &str) {
    fn never(label: &str, what: &str, e: &dyn std::fmt::Display) -> ! {
        panic!("openapi.yaml: {label}.{what} would never come from the server: {e}; {FIX}")
    }
    let uuid = uuid::Uuid::parse_str(&session.uuid).unwrap_or_else(|e| never(label, "uuid", &e));
    assert_eq!(
        uuid.get_version_num(),
        4,
        "openapi.yaml: {label}.uuid should be a UUIDv4, as the server makes them; {FIX}"
    );
    SessionId::parse(&session.session_id).unwrap_or_else(|e| never(label, "session_id", &e));
    let workspace = WorkspaceId::parse(&session.workspace_uuid)
        .unwrap_or_else(|e| never(label, "workspace_uuid", &e));
    assert_eq!(
        workspace.to_string(),
        session.workspace_uuid,
        "openapi.yaml: {label}.workspace_uuid should be lowercase, as stored; {FIX}"
    );
    Title::parse(&session.title).unwrap_or_else(|e| never(label, "title", &e));
    Summary::parse(&session.summary).unwrap_or_else(|e| never(label, "summary", &e));
    assert_eq!(
        session.user_uuid,
        sessions_core::user_uuid(&session.user_arn).to_string(),
        "openapi.yaml: {label}.user_uuid should be the UUIDv5 of its user_arn \
         (sessions_core::user_uuid); {FIX}"
    );
    check_timestamp(&session.created_at, "created_at", label);
    check_timestamp(&session.updated_at, "updated_at", label);
    if let Some(finished) = &session.finished_at {
        check_timestamp(finished, "finished_at", label);
    }
    assert!(
        session.created_at <= session.updated_at,
        "openapi.yaml: {label} was updated before it was created; {FIX}"
    );
}

/// Checks one example against the wire type of `schema` the way the server reads or writes it.
fn check_example(schema: &str, example: &Value, label: &str) {
    let json = as_json(example, label);
    match schema {
        "UpsertBody" => {
            ValidUpsert::from_json(&json).unwrap_or_else(|e| {
                panic!("openapi.yaml: {label} is refused by ValidUpsert::from_json: {e}; {FIX}")
            });
        }
        "Session" => {
            let session: Session = serde_json::from_slice(&json).unwrap_or_else(|e| {
                panic!("openapi.yaml: {label} is not a sessions_core::Session: {e}; {FIX}")
            });
            check_session(&session, label);
        }
        "SessionPage" => {
            let page: SessionPage = serde_json::from_slice(&json).unwrap_or_else(|e| {
                panic!("openapi.yaml: {label} is not a sessions_core::SessionPage: {e}; {FIX}")
            });
            assert!(
                page.sessions.len() <= LIST_MAX_LIMIT as usize,
                "openapi.yaml: {label} has more than LIST_MAX_LIMIT sessions; {FIX}"
            );
            for (i, session) in page.sessions.iter().enumerate() {
                check_session(session, &format!("{label}.sessions[{i}]"));
            }
            if let Some(cursor) = &page.next_cursor {
                Cursor::parse(cursor)
                    .unwrap_or_else(|e| panic!("openapi.yaml: {label}.next_cursor: {e}; {FIX}"));
            }
        }
        "Identity" => {
            let identity: Identity = serde_json::from_slice(&json).unwrap_or_else(|e| {
                panic!("openapi.yaml: {label} is not a sessions_core::Identity: {e}; {FIX}")
            });
            assert_eq!(
                identity.user_uuid,
                sessions_core::user_uuid(&identity.user_arn).to_string(),
                "openapi.yaml: {label}.user_uuid should be the UUIDv5 of its user_arn \
                 (sessions_core::user_uuid); {FIX}"
            );
        }
        // Error examples are checked with their status in error_responses_match_error_code_statuses.
        "Error" => {
            serde_json::from_slice::<ErrorBody>(&json).unwrap_or_else(|e| {
                panic!("openapi.yaml: {label} is not an Error body: {e}; {FIX}")
            });
        }
        other => panic!(
            "openapi.yaml: {label} uses schema {other}, which function/tests/openapi.rs has no \
             check for: add one to check_example"
        ),
    }
}

#[test]
fn examples_pass_the_servers_own_parsers() {
    let root = spec();
    let mut checked = 0;
    for op in operations(&root) {
        for param in &op.parameters {
            let name = string(field(param, "name", &op.label()), &op.label());
            for (label, example) in examples(&root, param, &format!("{} {name}", op.label())) {
                checked += 1;
                let text = || match example {
                    Value::String(s) => s.clone(),
                    other => panic!("openapi.yaml: {label} should be a string, found {other:?}"),
                };
                let result = match name {
                    "session_id" => SessionId::parse(&text()).map(drop),
                    "workspace_uuid" => WorkspaceId::parse(&text()).map(drop),
                    "cursor" => Cursor::parse(&text()).map(drop),
                    "limit" => {
                        let n = example.as_u64().unwrap_or_default();
                        assert!(
                            (1..=u64::from(LIST_MAX_LIMIT)).contains(&n),
                            "openapi.yaml: {label} should be 1..=LIST_MAX_LIMIT; {FIX}"
                        );
                        Ok(())
                    }
                    "mine" => {
                        assert!(
                            example.as_bool().is_some(),
                            "openapi.yaml: {label} should be true or false; {FIX}"
                        );
                        Ok(())
                    }
                    "If-None-Match" => {
                        assert_eq!(
                            text(),
                            "*",
                            "openapi.yaml: {label}: `*` is the only meaningful value; {FIX}"
                        );
                        Ok(())
                    }
                    other => panic!(
                        "openapi.yaml: {label}: no check for parameter {other}; add one to \
                         function/tests/openapi.rs"
                    ),
                };
                if let Err(e) = result {
                    panic!("openapi.yaml: {label} is refused by the server: {e}; {FIX}");
                }
            }
        }
        let bodies = op
            .value
            .get("requestBody")
            .map(|b| resolve(&root, b))
            .into_iter()
            .map(|b| (format!("{} requestBody", op.label()), b));
        let responses = op
            .value
            .get("responses")
            .map(|r| mapping(r, &op.label()).iter().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .map(|(status, r)| {
                (
                    format!("{} responses.{}", op.label(), key_text(status)),
                    resolve(&root, r),
                )
            });
        for (at, holder) in bodies.chain(responses) {
            let Some(content) = holder.get("content") else {
                continue;
            };
            let content = mapping(content, &at);
            assert_eq!(
                content.keys().map(key_text).collect::<Vec<_>>(),
                ["application/json"],
                "openapi.yaml: {at}: the API sends and takes only application/json; {FIX}"
            );
            for (media_key, media) in content {
                let here = format!("{at}.content.{}", key_text(media_key));
                let schema = schema_name(media, &here);
                for (label, example) in examples(&root, media, &here) {
                    checked += 1;
                    check_example(&schema, example, &label);
                }
            }
        }
    }

    // The property examples of each schema, put together, make a valid example too.
    let assembled = |name: &str| -> Value {
        let at = format!("components.schemas.{name}.properties");
        let mut object = Mapping::new();
        for (key, property) in mapping(field(component(&root, name), "properties", name), &at) {
            if let Some(example) = property.get("example") {
                object.insert(key.clone(), example.clone());
            }
        }
        Value::Mapping(object)
    };
    for name in ["Session", "UpsertBody", "Identity"] {
        checked += 1;
        check_example(
            name,
            &assembled(name),
            &format!("components.schemas.{name} (its property examples together)"),
        );
    }
    if let Some(cursor) = assembled("SessionPage")
        .get("next_cursor")
        .and_then(Value::as_str)
    {
        checked += 1;
        Cursor::parse(cursor).unwrap_or_else(|e| {
            panic!("openapi.yaml: components.schemas.SessionPage next_cursor example: {e}; {FIX}")
        });
    }
    let at = "components.schemas.Error.properties.error";
    if let Some(example) = field(
        field(component(&root, "Error"), "properties", at),
        "error",
        at,
    )
    .get("example")
    {
        checked += 1;
        let detail: ErrorDetail = serde_json::from_slice(&as_json(example, at))
            .unwrap_or_else(|e| panic!("openapi.yaml: {at}.example is not an error: {e}; {FIX}"));
        assert!(
            ErrorCode::parse(&detail.code).is_some(),
            "openapi.yaml: {at}.example has code {:?}, not an ErrorCode; {FIX}",
            detail.code
        );
    }
    assert!(
        checked > 20,
        "only {checked} examples found in openapi.yaml; this test no longer finds them"
    );
}
