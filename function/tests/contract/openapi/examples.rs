//! Every example in the document (parameters, bodies, responses, and each schema's property
//! examples put together) passes the parsers the server runs, and reads as what the server
//! would send.

use indexmap::IndexMap;
use openapiv3::{MediaType, OpenAPI, ReferenceOr, Schema};
use sessions_core::fields::LIST_MAX_LIMIT;
use sessions_core::wire::{Change, ChangePage, DeletedSession, ErrorDetail, Tombstone};
use sessions_core::{
    Cursor, ErrorBody, ErrorCode, Facts, Identity, Session, SessionId, SessionPage, Summary,
    Timestamp, Title, UpsertBody, WorkspaceId,
};

use super::{
    FIX, component, media_examples, object, operations, parameter_examples, property, resolve,
    schema_name, spec,
};

/// An example as the JSON the server would send or receive.
fn as_json(example: &serde_json::Value, label: &str) -> Vec<u8> {
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
    // The server stores only facts it accepted.
    let facts = serde_json::to_value(&session.facts).expect("facts serialize");
    if let Some(object) = facts.as_object() {
        Facts::from_object(object).unwrap_or_else(|e| never(label, "facts", &e));
    }
}

/// A deleted row's key and time as the server writes them (the answer to a delete, and a
/// tombstone in the change feed).
fn check_deleted(deleted: &DeletedSession, label: &str) {
    let workspace = WorkspaceId::parse(&deleted.workspace_uuid)
        .unwrap_or_else(|e| panic!("openapi.yaml: {label}.workspace_uuid: {e}; {FIX}"));
    assert_eq!(
        workspace.to_string(),
        deleted.workspace_uuid,
        "openapi.yaml: {label}.workspace_uuid should be lowercase, as the server writes it; {FIX}"
    );
    SessionId::parse(&deleted.session_id)
        .unwrap_or_else(|e| panic!("openapi.yaml: {label}.session_id: {e}; {FIX}"));
    check_timestamp(&deleted.deleted_at, "deleted_at", label);
}

/// A tombstone as the server could have written it.
fn check_tombstone(tombstone: &Tombstone, label: &str) {
    let deleted = DeletedSession {
        workspace_uuid: tombstone.workspace_uuid.clone(),
        session_id: tombstone.session_id.clone(),
        deleted_at: tombstone.deleted_at.clone(),
    };
    check_deleted(&deleted, label);
    check_timestamp(&tombstone.updated_at, "updated_at", label);
    assert_eq!(
        tombstone.deleted_at, tombstone.updated_at,
        "openapi.yaml: {label}: the server writes a tombstone's updated_at as its deleted_at; {FIX}"
    );
}

/// A page of changes as the server could have sent it: each change valid, oldest first, all
/// before the server's time.
fn check_change_page(page: &ChangePage, label: &str) {
    for (i, change) in page.changes.iter().enumerate() {
        let at = format!("{label}.changes[{i}]");
        match change {
            Change::Session(session) => check_session(session, &at),
            Change::Deleted(tombstone) => check_tombstone(tombstone, &at),
        }
        assert!(
            change.updated_at() <= page.server_time.to_string().as_str(),
            "openapi.yaml: {at} changed after the page's server_time; {FIX}"
        );
    }
    assert!(
        page.changes.is_sorted_by_key(Change::updated_at),
        "openapi.yaml: {label}.changes should be oldest first (by updated_at); {FIX}"
    );
    if let Some(cursor) = &page.next_cursor {
        Cursor::parse(cursor)
            .unwrap_or_else(|e| panic!("openapi.yaml: {label}.next_cursor: {e}; {FIX}"));
    }
}

/// Checks one example against the wire type of `schema` the way the server reads or writes it.
fn check_example(schema: &str, example: &serde_json::Value, label: &str) {
    let json = as_json(example, label);
    match schema {
        "UpsertBody" => {
            UpsertBody::from_json(&json).unwrap_or_else(|e| {
                panic!("openapi.yaml: {label} is refused by UpsertBody::from_json: {e}; {FIX}")
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
        "ChangePage" => {
            let page: ChangePage = serde_json::from_slice(&json).unwrap_or_else(|e| {
                panic!("openapi.yaml: {label} is not a sessions_core::wire::ChangePage: {e}; {FIX}")
            });
            check_change_page(&page, label);
        }
        "Tombstone" => {
            let tombstone: Tombstone = serde_json::from_slice(&json).unwrap_or_else(|e| {
                panic!("openapi.yaml: {label} is not a sessions_core::wire::Tombstone: {e}; {FIX}")
            });
            check_tombstone(&tombstone, label);
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
        "DeletedSession" => {
            let deleted: DeletedSession = serde_json::from_slice(&json).unwrap_or_else(|e| {
                panic!(
                    "openapi.yaml: {label} is not a sessions_core::wire::DeletedSession: {e}; {FIX}"
                )
            });
            check_deleted(&deleted, label);
        }
        // Error examples are checked with their status in error_responses_match_error_code_statuses.
        "Error" => {
            serde_json::from_slice::<ErrorBody>(&json).unwrap_or_else(|e| {
                panic!("openapi.yaml: {label} is not an Error body: {e}; {FIX}")
            });
        }
        other => panic!(
            "openapi.yaml: {label} uses schema {other}, which function/tests/contract/openapi/examples.rs has no \
             check for: add one to check_example"
        ),
    }
}

/// The examples of a request body or response, checked against its schema; how many.
fn check_content(api: &OpenAPI, content: &IndexMap<String, MediaType>, at: &str) -> usize {
    if content.is_empty() {
        return 0;
    }
    assert_eq!(
        content.keys().collect::<Vec<_>>(),
        ["application/json"],
        "openapi.yaml: {at}: the API sends and takes only application/json; {FIX}"
    );
    let mut checked = 0;
    for (media_type, media) in content {
        let here = format!("{at}.content.{media_type}");
        let schema = schema_name(media, &here);
        for (label, example) in media_examples(api, media, &here) {
            checked += 1;
            check_example(&schema, example, &label);
        }
    }
    checked
}

/// The property examples of a schema, put together as one object.
fn assembled(schema: &Schema, at: &str) -> serde_json::Value {
    let object = object(schema, at)
        .properties
        .iter()
        .filter_map(|(key, property)| match property {
            ReferenceOr::Item(p) => p.schema_data.example.clone().map(|e| (key.clone(), e)),
            ReferenceOr::Reference { .. } => None,
        })
        .collect();
    serde_json::Value::Object(object)
}

#[test]
fn examples_pass_the_servers_own_parsers() {
    let api = spec();
    let mut checked = 0;
    for op in operations(&api) {
        for param in &op.parameters {
            let data = param.parameter_data_ref();
            let name = data.name.as_str();
            for (label, example) in
                parameter_examples(&api, data, &format!("{} {name}", op.label()))
            {
                checked += 1;
                let text = || match example {
                    serde_json::Value::String(s) => s.clone(),
                    other => panic!("openapi.yaml: {label} should be a string, found {other:?}"),
                };
                let result = match name {
                    "session_id" => SessionId::parse(&text()).map(drop),
                    "workspace_uuid" => WorkspaceId::parse(&text()).map(drop),
                    "cursor" => Cursor::parse(&text()).map(drop),
                    "observed_at" => Timestamp::parse("observed_at", &text()).map(drop),
                    "updated_since" => Timestamp::parse("updated_since", &text()).map(drop),
                    "limit" => {
                        let n = example.as_u64().unwrap_or_default();
                        let max = match op.operation.operation_id.as_deref() {
                            Some("listChanges") => ChangePage::MAX_LIMIT,
                            _ => LIST_MAX_LIMIT,
                        };
                        assert!(
                            (1..=u64::from(max)).contains(&n),
                            "openapi.yaml: {label} should be 1..={max}; {FIX}"
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
                    "user" => {
                        assert!(
                            text().starts_with("arn:"),
                            "openapi.yaml: {label} should be an IAM ARN; {FIX}"
                        );
                        Ok(())
                    }
                    "repo" => {
                        if let Err(why) = sessions_core::facts::check_repo(&text()) {
                            panic!("openapi.yaml: {label} {why}; {FIX}");
                        }
                        Ok(())
                    }
                    "branch" => {
                        assert!(!text().is_empty(), "openapi.yaml: {label} is empty; {FIX}");
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
                         function/tests/contract/openapi/examples.rs"
                    ),
                };
                if let Err(e) = result {
                    panic!("openapi.yaml: {label} is refused by the server: {e}; {FIX}");
                }
            }
        }
        if let Some(body) = &op.operation.request_body {
            let at = format!("{} requestBody", op.label());
            checked += check_content(&api, &resolve(&api, body).content, &at);
        }
        let responses = &op.operation.responses;
        let keyed = responses
            .responses
            .iter()
            .map(|(status, r)| (status.to_string(), r))
            .chain(responses.default.iter().map(|r| ("default".to_owned(), r)));
        for (status, response) in keyed {
            let at = format!("{} responses.{status}", op.label());
            checked += check_content(&api, &resolve(&api, response).content, &at);
        }
    }

    // The property examples of each schema, put together, make a valid example too.
    for name in [
        "Session",
        "UpsertBody",
        "Identity",
        "DeletedSession",
        "Tombstone",
    ] {
        checked += 1;
        let at = format!("components.schemas.{name}");
        check_example(
            name,
            &assembled(component(&api, name), &at),
            &format!("{at} (its property examples together)"),
        );
    }
    for name in ["SessionPage", "ChangePage"] {
        let at = format!("components.schemas.{name}");
        let page = assembled(component(&api, name), &at);
        if let Some(cursor) = page.get("next_cursor").and_then(serde_json::Value::as_str) {
            checked += 1;
            Cursor::parse(cursor)
                .unwrap_or_else(|e| panic!("openapi.yaml: {at} next_cursor example: {e}; {FIX}"));
        }
        if let Some(time) = page.get("server_time").and_then(serde_json::Value::as_str) {
            checked += 1;
            check_timestamp(time, "server_time", &at);
        }
    }
    let at = "components.schemas.Error.properties.error";
    let error = property(
        &api,
        component(&api, "Error"),
        "error",
        "components.schemas.Error",
    );
    if let Some(example) = &error.schema_data.example {
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
