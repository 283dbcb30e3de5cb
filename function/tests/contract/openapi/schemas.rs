//! The component schemas against the wire types of `sessions_core` (fields in order, required,
//! nullable, strict bodies), and every bound the document states against the constants of
//! `sessions_core::fields`.

use std::collections::BTreeSet;

use openapiv3::{AdditionalProperties, OpenAPI, ReferenceOr, Schema, SchemaKind, StatusCode, Type};
use serde::Serialize;
use sessions_core::fields::{
    BODY_MAX_BYTES, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, SESSION_ID_MAX_CHARS, SUMMARY_MAX_BYTES,
    TITLE_MAX_CHARS,
};
use sessions_core::identity::USER_NAMESPACE;
use sessions_core::wire::{Change, ChangePage, Deleted, DeletedSession, ErrorDetail, Tombstone};
use sessions_core::{
    Cursor, ErrorBody, ErrorCode, Facts, Identity, Session, SessionId, SessionPage, Summary,
    Timestamp, Title, UpsertBody, Usd, facts,
};
use sessions_function::router::ROUTES;

use super::{
    FIX, bounds, component, introduction, object, operations, parameter_schema, property, resolve,
    spec,
};

/// The field names of a serialized struct, in declaration order (serde serializes struct
/// fields in declaration order, and our `serde_json` keeps insertion order).
fn field_names<T: Serialize>(value: &T) -> Vec<String> {
    match serde_json::to_value(value).expect("a wire type serializes") {
        serde_json::Value::Object(m) => m.keys().cloned().collect(),
        other => panic!("a wire type should serialize to an object, found {other:?}"),
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
        facts: Box::new(sample_facts()),
    }
}

/// Every fact known, so that each appears in the serialized samples.
fn sample_facts() -> Facts {
    Facts {
        repo: Some("github.com/acme/uploader".into()),
        branch: Some("main".into()),
        cwd: Some("~/src/uploader".into()),
        host: Some("dev-laptop".into()),
        claude_version: Some("2.1.330".into()),
        models: Some(vec!["claude-opus-4-5".into()]),
        input_tokens: Some(1),
        output_tokens: Some(2),
        cache_read_tokens: Some(3),
        cache_write_tokens: Some(4),
        cost_usd: Some(Usd::from_micros(1_094_521)),
        prompts: Some(5),
        tool_calls: Some(6),
        files_touched: Some(7),
        active_s: Some(8),
        end_reason: Some("other".into()),
        commit_count: Some(1),
        lines_added: Some(9),
        lines_removed: Some(10),
        files_changed: Some(11),
        claude_lines_added: Some(12),
        claude_lines_removed: Some(13),
        commits: Some(vec![sessions_core::facts::CommitFact {
            sha: "ab".repeat(20),
            patch_id: Some("cd".repeat(20)),
            subject: "Retry uploads".into(),
            added: 3,
            removed: 1,
            uncounted_files: None,
            claude: true,
        }]),
    }
}

fn sample_upsert() -> UpsertBody {
    let at = Timestamp::parse("at", "2026-11-24T07:05:10.000Z").expect("a valid timestamp");
    UpsertBody {
        title: Title::parse("t").expect("a valid title"),
        summary: Summary::parse("s").expect("a valid summary"),
        finished_at: Some(at),
        observed_at: at,
        facts: Box::new(sample_facts()),
    }
}

fn sample_page() -> SessionPage {
    SessionPage {
        sessions: vec![sample_session()],
        next_cursor: Some("abc".into()),
    }
}

fn sample_tombstone() -> Tombstone {
    Tombstone {
        workspace_uuid: WORKSPACE.into(),
        session_id: "s".into(),
        deleted_at: "2026-11-24T07:06:00.120Z".into(),
        updated_at: "2026-11-24T07:06:00.120Z".into(),
        deleted: Deleted,
    }
}

fn sample_changes() -> ChangePage {
    ChangePage {
        changes: vec![
            Change::Session(sample_session()),
            Change::Deleted(sample_tombstone()),
        ],
        next_cursor: Some("abc".into()),
        server_time: Timestamp::parse("at", "2026-11-24T07:06:02.004Z").expect("a valid timestamp"),
    }
}

fn sample_identity() -> Identity {
    Identity {
        user_arn: ARN.into(),
        user_uuid: sessions_core::user_uuid(ARN).to_string(),
    }
}

fn sample_deleted() -> DeletedSession {
    DeletedSession {
        workspace_uuid: "0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60".into(),
        session_id: "s".into(),
        deleted_at: "2026-11-24T07:02:28.611Z".into(),
    }
}

fn sample_error() -> ErrorDetail {
    ErrorDetail {
        code: "not_found".into(),
        message: "m".into(),
    }
}

/// The properties of an object schema, in the order written.
fn properties(schema: &Schema, at: &str) -> Vec<String> {
    object(schema, at).properties.keys().cloned().collect()
}

fn required(schema: &Schema, at: &str) -> BTreeSet<String> {
    object(schema, at).required.iter().cloned().collect()
}

fn nullable_properties(schema: &Schema, at: &str) -> BTreeSet<String> {
    object(schema, at)
        .properties
        .iter()
        .filter(|(_, p)| matches!(p, ReferenceOr::Item(p) if p.schema_data.nullable))
        .map(|(name, _)| name.clone())
        .collect()
}

/// A response type's schema: every field in declaration order, all required (the server
/// always writes every field, null when unset) but the session facts (written only when
/// known, never null), nullable exactly where the type takes `null`.
fn assert_response_schema<T: Serialize + serde::de::DeserializeOwned>(
    api: &OpenAPI,
    name: &str,
    sample: &T,
) {
    let at = format!("components.schemas.{name}");
    let schema = component(api, name);
    let fields = field_names(sample);
    assert_eq!(
        properties(schema, &at),
        fields,
        "{at}.properties (in order) differ from the fields of sessions_core::{name} \
         (core/src/wire.rs, in declaration order, which is the order on the wire); {FIX}"
    );
    let always: BTreeSet<String> = fields
        .iter()
        .filter(|f| !facts::FIELDS.contains(&f.as_str()))
        .cloned()
        .collect();
    assert_eq!(
        required(schema, &at),
        always,
        "{at}.required should list every property but the session facts: the server always \
         writes every field (null when unset), and a fact only when it is known; {FIX}"
    );
    let nullable: BTreeSet<String> =
        nullable_fields(sample, |v| serde_json::from_value::<T>(v.clone()).is_ok())
            .intersection(&always)
            .cloned()
            .collect();
    assert_eq!(
        nullable_properties(schema, &at),
        nullable,
        "{at}: the properties marked `nullable: true` should be exactly the Option fields of \
         sessions_core::{name} the server writes as null (facts are left out, never null); {FIX}"
    );
}

#[test]
fn schemas_match_wire_types() {
    let api = spec();
    assert_response_schema(&api, "Session", &sample_session());
    assert_response_schema(&api, "SessionPage", &sample_page());
    assert_response_schema(&api, "Identity", &sample_identity());
    assert_response_schema(&api, "DeletedSession", &sample_deleted());
    assert_response_schema(&api, "ChangePage", &sample_changes());
    assert_response_schema(&api, "Tombstone", &sample_tombstone());

    // A change is a session or a tombstone (`Change`, untagged): one of the two schemas.
    let at = "components.schemas.Change";
    let SchemaKind::OneOf { one_of } = &component(&api, "Change").schema_kind else {
        panic!("openapi.yaml: {at} should be `oneOf` Session and Tombstone; {FIX}");
    };
    let variants: Vec<&str> = one_of
        .iter()
        .map(|variant| match variant {
            ReferenceOr::Reference { reference } => reference.as_str(),
            ReferenceOr::Item(_) => panic!("openapi.yaml: {at}.oneOf should be $refs; {FIX}"),
        })
        .collect();
    assert_eq!(
        variants,
        [
            "#/components/schemas/Session",
            "#/components/schemas/Tombstone"
        ],
        "{at}.oneOf should be the two forms of sessions_core::wire::Change; {FIX}"
    );
    let changes = property(&api, component(&api, "ChangePage"), "changes", at);
    let items = match &changes.schema_kind {
        SchemaKind::Type(Type::Array(array)) => array.items.as_ref(),
        _ => None,
    };
    assert!(
        matches!(items, Some(ReferenceOr::Reference { reference }) if reference == "#/components/schemas/Change"),
        "openapi.yaml: components.schemas.ChangePage.changes should be an array of Change; {FIX}"
    );

    // UpsertBody: exactly the accepted fields; required and nullable as UpsertBody::from_json parses.
    let at = "components.schemas.UpsertBody";
    let schema = component(&api, "UpsertBody");
    let fields = field_names(&sample_upsert());
    assert_eq!(
        properties(schema, at),
        fields,
        "{at}.properties (in order) differ from the fields of sessions_core::UpsertBody \
         (core/src/wire.rs); {FIX}"
    );
    assert_eq!(
        object(schema, at).additional_properties,
        Some(&AdditionalProperties::Any(false)),
        "{at}.additionalProperties must be false: the server refuses unknown fields; {FIX}"
    );
    let parse = |v: &serde_json::Value| {
        UpsertBody::from_json(&serde_json::to_vec(v).expect("JSON serializes"))
    };
    let mut body = serde_json::to_value(sample_upsert()).expect("UpsertBody serializes");
    body["finshed_at"] = serde_json::Value::Null;
    assert_eq!(
        parse(&body).map_err(|e| e.code),
        Err(ErrorCode::UnknownField),
        "UpsertBody::from_json accepts unknown fields, yet {at} says additionalProperties: \
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
        "{at}.required should be the fields UpsertBody::from_json refuses to go without \
         (400 missing_field); {FIX}"
    );
    assert_eq!(
        nullable_properties(schema, at),
        nullable_fields(&sample_upsert(), |v| parse(v).is_ok()),
        "{at}: the properties marked `nullable: true` should be exactly those \
         UpsertBody::from_json accepts as null; {FIX}"
    );

    // Error: every field, all required, and so is its inner `error`.
    let at = "components.schemas.Error";
    let schema = component(&api, "Error");
    let error_body = ErrorBody {
        error: sample_error(),
    };
    assert_eq!(
        properties(schema, at),
        field_names(&error_body),
        "{at}.properties differ from sessions_core::ErrorBody; {FIX}"
    );
    let inner = property(&api, schema, "error", at);
    let at = "components.schemas.Error.properties.error";
    let fields = field_names(&sample_error());
    assert_eq!(
        properties(inner, at),
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
fn assert_length(api: &OpenAPI, schema: &Schema, at: &str, min: usize, max: (usize, &str)) {
    let (max, constant) = max;
    let bounds = bounds(api, schema);
    assert_eq!(
        bounds.max_length,
        Some(max),
        "openapi.yaml: {at}.maxLength should be {constant} = {max}; {FIX}"
    );
    if let Some(actual) = bounds.min_length {
        assert_eq!(
            actual, min,
            "openapi.yaml: {at}.minLength should be {min}; {FIX}"
        );
    }
    if let Some(pattern) = &bounds.pattern
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
    let api = spec();
    let max_id = (SESSION_ID_MAX_CHARS, "SESSION_ID_MAX_CHARS");
    let mut session_id_params = 0;
    let mut limit_params = 0;
    for op in operations(&api) {
        for param in &op.parameters {
            let data = param.parameter_data_ref();
            let name = data.name.as_str();
            let at = format!("{} parameter {name}", op.label());
            let schema = parameter_schema(&api, data, &at);
            let at = format!("{at}.schema");
            match name {
                "session_id" => {
                    session_id_params += 1;
                    assert_length(&api, schema, &at, 1, max_id);
                    // The values the schema excludes explicitly are refused by the server too.
                    for value in bounds(&api, schema).excluded {
                        let value = value.as_str().unwrap_or_else(|| {
                            panic!("openapi.yaml: {at}.not.enum lists {value}, not a string")
                        });
                        assert!(
                            SessionId::parse(value).is_err(),
                            "openapi.yaml: {at} excludes {value:?}, but SessionId::parse \
                             accepts it; fix the spec or the code"
                        );
                    }
                }
                "cursor" => {
                    assert_length(&api, schema, &at, 1, (Cursor::MAX_LEN, "Cursor::MAX_LEN"));
                }
                "limit" => {
                    limit_params += 1;
                    let bounds = bounds(&api, schema);
                    let default = schema.schema_data.default.as_ref().and_then(|d| d.as_f64());
                    // The change feed's page has no default size: DynamoDB's 1 MB decides.
                    let (max, default_limit) = match op.operation.operation_id.as_deref() {
                        Some("listChanges") => (
                            (ChangePage::MAX_LIMIT, "ChangePage::MAX_LIMIT"),
                            (None, "none"),
                        ),
                        _ => (
                            (LIST_MAX_LIMIT, "LIST_MAX_LIMIT"),
                            (Some(LIST_DEFAULT_LIMIT), "LIST_DEFAULT_LIMIT"),
                        ),
                    };
                    for (key, actual, expected, constant) in [
                        ("minimum", bounds.minimum, Some(1), "1"),
                        ("maximum", bounds.maximum, Some(max.0), max.1),
                        ("default", default, default_limit.0, default_limit.1),
                    ] {
                        assert_eq!(
                            actual,
                            expected.map(f64::from),
                            "openapi.yaml: {at}.{key} should be {constant} = {expected:?} \
                             (sessions_core); {FIX}"
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
        limit_params, 2,
        "listSessions and listChanges should each declare a `limit` query parameter; {FIX}"
    );

    let schemas = "components.schemas";
    let prop = |name: &str, field: &str| {
        property(
            &api,
            component(&api, name),
            field,
            &format!("{schemas}.{name}"),
        )
    };
    let max_title = (TITLE_MAX_CHARS, "TITLE_MAX_CHARS");
    let max_summary = (SUMMARY_MAX_BYTES, "SUMMARY_MAX_BYTES");
    let at = |name: &str, field: &str| format!("{schemas}.{name}.properties.{field}");
    for schema in ["Session", "DeletedSession", "Tombstone"] {
        assert_length(
            &api,
            prop(schema, "session_id"),
            &at(schema, "session_id"),
            1,
            max_id,
        );
    }
    for schema in ["UpsertBody", "Session"] {
        assert_length(
            &api,
            prop(schema, "title"),
            &at(schema, "title"),
            1,
            max_title,
        );
    }
    assert_length(
        &api,
        prop("UpsertBody", "summary"),
        &at("UpsertBody", "summary"),
        1,
        max_summary,
    );
    let summary = prop("Session", "summary");
    if bounds(&api, summary).max_length.is_some() {
        assert_length(&api, summary, &at("Session", "summary"), 1, max_summary);
    }
    let sessions = at("SessionPage", "sessions");
    assert_eq!(
        bounds(&api, prop("SessionPage", "sessions")).max_items,
        Some(LIST_MAX_LIMIT as usize),
        "openapi.yaml: {sessions}.maxItems should be LIST_MAX_LIMIT = {LIST_MAX_LIMIT}; {FIX}"
    );

    // The session facts' bounds, where the server reads them and where it writes them.
    for schema in ["UpsertBody", "Session"] {
        for (name, max) in facts::TEXT_LIMITS {
            assert_length(
                &api,
                prop(schema, name),
                &at(schema, name),
                1,
                (max, "sessions_core::facts::TEXT_LIMITS"),
            );
        }
        let models = bounds(&api, prop(schema, "models"));
        assert_eq!(
            models.max_items,
            Some(facts::MAX_MODELS),
            "openapi.yaml: {}.maxItems should be MAX_MODELS; {FIX}",
            at(schema, "models")
        );
        for (name, _) in Facts::default().counts() {
            assert_eq!(
                bounds(&api, prop(schema, name)).maximum,
                Some(facts::MAX_COUNT as f64),
                "openapi.yaml: {}.maximum should be MAX_COUNT = {}; {FIX}",
                at(schema, name),
                facts::MAX_COUNT
            );
        }
        assert_eq!(
            bounds(&api, prop(schema, "cost_usd")).maximum,
            Some(facts::MAX_COST_USD as f64),
            "openapi.yaml: {}.maximum should be MAX_COST_USD; {FIX}",
            at(schema, "cost_usd")
        );
    }

    // BODY_MAX_BYTES is stated in prose only: on every 413 response.
    for op in operations(&api) {
        let too_large = op.operation.responses.responses.get(&StatusCode::Code(413));
        if let Some(response) = too_large {
            assert!(
                resolve(&api, response)
                    .description
                    .contains(&BODY_MAX_BYTES.to_string()),
                "openapi.yaml: {} 413 should state the body limit BODY_MAX_BYTES = \
                 {BODY_MAX_BYTES}; {FIX}",
                op.label()
            );
        }
    }

    // The user_uuid namespace is stated in prose: it must be the one the server uses.
    assert!(
        introduction(&api).contains(&USER_NAMESPACE.to_string()),
        "info.description should give the user_uuid namespace {USER_NAMESPACE} \
         (sessions_core::identity::USER_NAMESPACE); {FIX}"
    );
}
