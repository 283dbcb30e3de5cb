//! The HTTP API over real sockets: SigV4-signed requests -> local server -> DynamoDB Local.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use sessions_e2e::{Signed, Stack, alice, bob, new_workspace};
use sessions_function::settings::AllowList;

/// (what, session id, body, content type, expected status, expected code)
type BadInput = (
    &'static str,
    String,
    Vec<u8>,
    &'static str,
    u16,
    &'static str,
);

fn body(title: &str, summary: &str, finished_at: Option<&str>, observed_at: &str) -> Value {
    json!({"title": title, "summary": summary, "finished_at": finished_at, "observed_at": observed_at})
}

async fn put(stack: &Stack, ws: &str, sid: &str, b: &Value) -> sessions_e2e::Reply {
    Signed::new("PUT", stack.session_url(ws, sid))
        .json(b)
        .send_as(alice())
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upsert_creates_then_overwrites_and_keeps_identity_fields() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let created = put(
        &stack,
        &ws,
        "abc-123",
        &body(
            "Claude Code session abc-123",
            "Session in progress.",
            None,
            "2026-11-20T09:00:00.000Z",
        ),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let first = created.json.clone();
    assert_eq!(first["title"], "Claude Code session abc-123");
    assert_eq!(first["finished_at"], Value::Null);
    assert_eq!(first["workspace_uuid"], ws.as_str());
    assert_eq!(first["session_id"], "abc-123");
    assert_eq!(first["created_at"], "2026-11-20T09:00:00.000Z");
    assert_eq!(
        first["user_uuid"],
        sessions_core::user_uuid(alice().arn).to_string(),
        "user_uuid is the UUIDv5 of the caller's ARN"
    );
    let positions: Vec<usize> = [
        "uuid",
        "session_id",
        "user_uuid",
        "workspace_uuid",
        "title",
        "summary",
        "created_at",
        "finished_at",
        "updated_at",
    ]
    .iter()
    .map(|f| {
        created
            .raw
            .find(&format!("\"{f}\":"))
            .unwrap_or_else(|| panic!("{f} missing"))
    })
    .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "the seed's eight fields come first, in order: {}",
        created.raw
    );

    let updated = put(
        &stack,
        &ws,
        "abc-123",
        &body(
            "Wire up sessions",
            "Added the table.",
            Some("2026-11-20T10:00:00+01:00"),
            "2026-11-20T09:00:05.000Z",
        ),
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.json);
    let second = updated.json;
    for same in ["uuid", "created_at", "user_uuid", "user_arn"] {
        assert_eq!(second[same], first[same], "{same} must never change");
    }
    assert_eq!(second["title"], "Wire up sessions");
    assert_eq!(second["summary"], "Added the table.");
    assert_eq!(second["finished_at"], "2026-11-20T09:00:00.000Z");

    // Without finished_at the row is unfinished again (a resumed session).
    let resumed = put(
        &stack,
        &ws,
        "abc-123",
        &body(
            "Wire up sessions",
            "Resumed.",
            None,
            "2026-11-20T09:00:06.000Z",
        ),
    )
    .await;
    assert_eq!(resumed.status, 200);
    assert_eq!(resumed.json["finished_at"], Value::Null);
    let raw = stack.raw_item(&ws, "abc-123").await.expect("row exists");
    assert!(
        !raw.contains_key("finished_at"),
        "finished_at is removed, not stored as a string"
    );
    assert_eq!(stack.item_count().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_identity_cannot_overwrite() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    assert_eq!(
        put(
            &stack,
            &ws,
            "s1",
            &body("Alice's", "mine", None, "2026-11-20T09:00:00.000Z")
        )
        .await
        .status,
        201
    );
    let before = stack.raw_item(&ws, "s1").await;
    let reply = Signed::new("PUT", stack.session_url(&ws, "s1"))
        .json(&body(
            "Bob's",
            "taken over",
            Some("2026-11-20T09:00:00Z"),
            "2026-11-20T10:00:00.000Z",
        ))
        .send_as(bob())
        .await;
    reply.expect_error(403, "not_owner");
    assert_eq!(stack.raw_item(&ws, "s1").await, before, "row untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_observed_at_is_refused() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    assert_eq!(
        put(
            &stack,
            &ws,
            "s1",
            &body("newest", "n", None, "2026-11-20T09:00:10.000Z")
        )
        .await
        .status,
        201
    );
    let before = stack.raw_item(&ws, "s1").await;
    for observed in ["2026-11-20T09:00:09.999Z", "2026-11-20T09:00:10.000Z"] {
        put(&stack, &ws, "s1", &body("older", "o", None, observed))
            .await
            .expect_error(409, "stale");
    }
    assert_eq!(stack.raw_item(&ws, "s1").await, before, "row untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_only_leaves_an_existing_row_untouched() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let create_only = |title: &'static str, observed: &'static str| {
        Signed::new("PUT", stack.session_url(&ws, "s1"))
            .header("if-none-match", "*")
            .json(&body(title, "placeholder", None, observed))
    };
    assert_eq!(
        create_only("first", "2026-11-20T09:00:00.000Z")
            .send_as(alice())
            .await
            .status,
        201
    );
    assert_eq!(
        put(
            &stack,
            &ws,
            "s1",
            &body(
                "Real title",
                "Real summary",
                None,
                "2026-11-20T09:00:01.000Z"
            )
        )
        .await
        .status,
        200
    );
    let before = stack.raw_item(&ws, "s1").await;
    create_only("placeholder again", "2026-11-20T09:00:02.000Z")
        .send_as(alice())
        .await
        .expect_error(412, "already_exists");
    assert_eq!(stack.raw_item(&ws, "s1").await, before, "row untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_one() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let created = put(
        &stack,
        &ws,
        "a.b:c_d-e",
        &body("t", "s", None, "2026-11-20T09:00:00.000Z"),
    )
    .await;
    assert_eq!(created.status, 201);
    let got = Signed::new("GET", stack.session_url(&ws, "a.b:c_d-e"))
        .send_as(bob())
        .await;
    assert_eq!(got.status, 200, "any teammate can read");
    assert_eq!(got.json, created.json);
    // The same id percent-encoded names the same row.
    let encoded = Signed::new("GET", stack.session_url(&ws, "a.b%3Ac_d-e"))
        .send_as(alice())
        .await;
    assert_eq!(encoded.json, created.json);
    Signed::new("GET", stack.session_url(&ws, "missing"))
        .send_as(alice())
        .await
        .expect_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_is_newest_first_paginated_and_filters_mine() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let other_ws = new_workspace();
    for i in 0..5 {
        let b = body(
            &format!("alice {i}"),
            "s",
            None,
            &format!("2026-11-20T09:00:0{i}.000Z"),
        );
        assert_eq!(put(&stack, &ws, &format!("a{i}"), &b).await.status, 201);
    }
    for i in 5..7 {
        let b = body(
            &format!("bob {i}"),
            "s",
            None,
            &format!("2026-11-20T09:00:0{i}.000Z"),
        );
        let r = Signed::new("PUT", stack.session_url(&ws, &format!("b{i}")))
            .json(&b)
            .send_as(bob())
            .await;
        assert_eq!(r.status, 201);
    }
    // Noise in another workspace, by Alice, must not appear.
    assert_eq!(
        put(
            &stack,
            &other_ws,
            "x",
            &body("elsewhere", "s", None, "2026-11-20T09:00:09.000Z")
        )
        .await
        .status,
        201
    );

    let list_all = |mine: bool, key: &'static sessions_e2e::Key| {
        let base = format!("{}/v1/workspaces/{ws}/sessions", stack.url);
        async move {
            let mut ids = Vec::new();
            let mut cursor: Option<String> = None;
            let mut pages = 0;
            loop {
                let mut url = format!("{base}?limit=2&mine={mine}");
                if let Some(c) = &cursor {
                    url.push_str(&format!("&cursor={c}"));
                }
                let page = Signed::new("GET", url).send_as(key).await;
                assert_eq!(page.status, 200, "{}", page.json);
                let sessions = page.json["sessions"]
                    .as_array()
                    .expect("sessions array")
                    .clone();
                assert!(sessions.len() <= 2, "limit respected");
                ids.extend(
                    sessions
                        .iter()
                        .map(|s| s["session_id"].as_str().unwrap().to_owned()),
                );
                pages += 1;
                assert!(pages < 10, "pagination terminates");
                match page.json["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
            ids
        }
    };
    assert_eq!(
        list_all(false, alice()).await,
        ["b6", "b5", "a4", "a3", "a2", "a1", "a0"]
    );
    assert_eq!(
        list_all(true, alice()).await,
        ["a4", "a3", "a2", "a1", "a0"]
    );
    assert_eq!(list_all(true, bob()).await, ["b6", "b5"]);

    // A cursor only continues the listing it came from.
    let first = Signed::new(
        "GET",
        format!("{}/v1/workspaces/{ws}/sessions?limit=1", stack.url),
    )
    .send_as(alice())
    .await;
    let cursor = first.json["next_cursor"]
        .as_str()
        .expect("more pages")
        .to_owned();
    let foreign = Signed::new(
        "GET",
        format!(
            "{}/v1/workspaces/{other_ws}/sessions?cursor={cursor}",
            stack.url
        ),
    )
    .send_as(alice())
    .await;
    foreign.expect_error(400, "invalid_query");
    let as_mine = Signed::new(
        "GET",
        format!(
            "{}/v1/workspaces/{ws}/sessions?mine=true&cursor={cursor}",
            stack.url
        ),
    )
    .send_as(alice())
    .await;
    as_mine.expect_error(400, "invalid_query");
    for query in [
        "limit=0",
        "limit=101",
        "limit=x",
        "mine=maybe",
        "cursor=bm90LWEtY3Vyc29y",
        "cursor=a+b",
        "order=asc",
    ] {
        let r = Signed::new(
            "GET",
            format!("{}/v1/workspaces/{ws}/sessions?{query}", stack.url),
        )
        .send_as(alice())
        .await;
        r.expect_error(400, "invalid_query");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_its_code_and_never_touches_the_table() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let ok = "2026-11-20T09:00:00.000Z";
    let long_id = "a".repeat(129);
    let cases: Vec<BadInput> = vec![
        // (what, session id, body, content type, status, code)
        ("missing title", "s".into(), br#"{"summary":"s","observed_at":"2026-11-20T09:00:00Z"}"#.to_vec(), "application/json", 400, "missing_field"),
        ("empty title", "s".into(), serde_json::to_vec(&body("", "s", None, ok)).unwrap(), "application/json", 400, "invalid_title"),
        ("blank title", "s".into(), serde_json::to_vec(&body("   ", "s", None, ok)).unwrap(), "application/json", 400, "invalid_title"),
        ("title too long", "s".into(), serde_json::to_vec(&body(&"t".repeat(257), "s", None, ok)).unwrap(), "application/json", 400, "invalid_title"),
        ("control char in title", "s".into(), serde_json::to_vec(&body("a\u{7}b", "s", None, ok)).unwrap(), "application/json", 400, "invalid_title"),
        ("newline in title", "s".into(), serde_json::to_vec(&body("a\nb", "s", None, ok)).unwrap(), "application/json", 400, "invalid_title"),
        ("missing summary", "s".into(), br#"{"title":"t","observed_at":"2026-11-20T09:00:00Z"}"#.to_vec(), "application/json", 400, "missing_field"),
        ("empty summary", "s".into(), serde_json::to_vec(&body("t", "", None, ok)).unwrap(), "application/json", 400, "invalid_summary"),
        ("summary too long", "s".into(), serde_json::to_vec(&body("t", &"s".repeat(16_385), None, ok)).unwrap(), "application/json", 400, "invalid_summary"),
        ("summary with NUL", "s".into(), serde_json::to_vec(&body("t", "a\u{0}b", None, ok)).unwrap(), "application/json", 400, "invalid_summary"),
        ("bad observed_at", "s".into(), serde_json::to_vec(&body("t", "s", None, "yesterday")).unwrap(), "application/json", 400, "invalid_timestamp"),
        ("missing observed_at", "s".into(), br#"{"title":"t","summary":"s"}"#.to_vec(), "application/json", 400, "missing_field"),
        ("observed_at in the future", "s".into(), serde_json::to_vec(&body("t", "s", None, "2999-01-01T00:00:00Z")).unwrap(), "application/json", 400, "invalid_timestamp"),
        ("bad finished_at", "s".into(), serde_json::to_vec(&body("t", "s", Some("2026-11-20 09:00"), ok)).unwrap(), "application/json", 400, "invalid_timestamp"),
        ("finished_at a number", "s".into(), br#"{"title":"t","summary":"s","finished_at":5,"observed_at":"2026-11-20T09:00:00Z"}"#.to_vec(), "application/json", 400, "invalid_timestamp"),
        ("unknown field", "s".into(), br#"{"title":"t","summary":"s","finshed_at":null,"observed_at":"2026-11-20T09:00:00Z"}"#.to_vec(), "application/json", 400, "unknown_field"),
        ("not JSON", "s".into(), b"title=t&summary=s".to_vec(), "application/json", 400, "invalid_json"),
        ("JSON array", "s".into(), b"[]".to_vec(), "application/json", 400, "invalid_json"),
        ("wrong content type", "s".into(), serde_json::to_vec(&body("t", "s", None, ok)).unwrap(), "text/plain", 415, "unsupported_media_type"),
        ("body over 64 KiB", "s".into(), vec![b' '; 64 * 1024 + 1], "application/json", 413, "payload_too_large"),
        ("session id with slash", "a%2Fb".into(), serde_json::to_vec(&body("t", "s", None, ok)).unwrap(), "application/json", 400, "invalid_session_id"),
        ("session id with space", "a%20b".into(), serde_json::to_vec(&body("t", "s", None, ok)).unwrap(), "application/json", 400, "invalid_session_id"),
        ("session id with unicode", "%C3%A9".into(), serde_json::to_vec(&body("t", "s", None, ok)).unwrap(), "application/json", 400, "invalid_session_id"),
        ("session id too long", long_id, serde_json::to_vec(&body("t", "s", None, ok)).unwrap(), "application/json", 400, "invalid_session_id"),
    ];
    for (what, sid, bytes, content_type, status, code) in cases {
        let reply = Signed::new("PUT", stack.session_url(&ws, &sid))
            .header("content-type", content_type)
            .body(bytes)
            .send_as(alice())
            .await;
        assert_eq!(reply.status, status, "{what}: {}", reply.json);
        reply.expect_error(status, code);
    }
    for dots in ["..", "."] {
        let reply = Signed::new("PUT", stack.session_url(&ws, dots))
            .json(&body("t", "s", None, ok))
            .send_raw_as(alice())
            .await;
        reply.expect_error(400, "invalid_session_id");
    }
    let bad_ws = Signed::new("PUT", stack.session_url("not-a-uuid", "s"))
        .json(&body("t", "s", None, ok))
        .send_as(alice())
        .await;
    bad_ws.expect_error(400, "invalid_workspace_uuid");
    assert_eq!(
        stack.item_count().await,
        0,
        "no bad input reached the table"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_forged_and_skewed_requests_are_refused() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let request = || {
        Signed::new("PUT", stack.session_url(&ws, "s1")).json(&body(
            "t",
            "s",
            None,
            "2026-11-20T09:00:00.000Z",
        ))
    };

    request()
        .send_with(vec![])
        .await
        .expect_error(401, "unauthenticated");

    let wrong_secret = request();
    let headers =
        wrong_secret.signature_headers(alice().access_key_id, "not-the-secret", SystemTime::now());
    wrong_secret
        .send_with(headers)
        .await
        .expect_error(403, "invalid_signature");

    let unknown = request();
    let headers = unknown.signature_headers("AKIDNOTALOCALKEY0000", "whatever", SystemTime::now());
    unknown
        .send_with(headers)
        .await
        .expect_error(403, "unknown_access_key");

    for skew in [Duration::from_secs(600)] {
        let past = request();
        let headers = past.signature_headers(
            alice().access_key_id,
            alice().secret_access_key,
            SystemTime::now() - skew,
        );
        past.send_with(headers)
            .await
            .expect_error(403, "request_expired");
        let future = request();
        let headers = future.signature_headers(
            alice().access_key_id,
            alice().secret_access_key,
            SystemTime::now() + skew,
        );
        future
            .send_with(headers)
            .await
            .expect_error(403, "request_expired");
    }

    // A signature over one body does not authorize another.
    let signed = request();
    let headers = signed.signature_headers(
        alice().access_key_id,
        alice().secret_access_key,
        SystemTime::now(),
    );
    let tampered = signed
        .body(serde_json::to_vec(&body("forged", "s", None, "2026-11-20T09:00:00.000Z")).unwrap());
    tampered
        .send_with(headers)
        .await
        .expect_error(403, "invalid_signature");

    assert_eq!(
        stack.item_count().await,
        0,
        "nothing refused reached the table"
    );

    // Within the window, a signed request goes through.
    let fine = request();
    let headers = fine.signature_headers(
        alice().access_key_id,
        alice().secret_access_key,
        SystemTime::now() - Duration::from_secs(120),
    );
    assert_eq!(fine.send_with(headers).await.status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_methods_and_workspaces() {
    let ws = new_workspace();
    let allowed = AllowList::parse(&ws).unwrap();
    let stack = Stack::with_allow_list(allowed).await;
    Signed::new("GET", format!("{}/v1/nothing", stack.url))
        .send_as(alice())
        .await
        .expect_error(404, "route_not_found");
    Signed::new("POST", stack.session_url(&ws, "s1"))
        .send_as(alice())
        .await
        .expect_error(405, "method_not_allowed");
    Signed::new("PUT", format!("{}/v1/workspaces/{ws}/sessions", stack.url))
        .json(&body("t", "s", None, "2026-11-20T09:00:00.000Z"))
        .send_as(alice())
        .await
        .expect_error(405, "method_not_allowed");
    let other = new_workspace();
    Signed::new("PUT", stack.session_url(&other, "s1"))
        .json(&body("t", "s", None, "2026-11-20T09:00:00.000Z"))
        .send_as(alice())
        .await
        .expect_error(403, "workspace_not_allowed");
    assert_eq!(stack.item_count().await, 0);
    assert_eq!(
        put(
            &stack,
            &ws,
            "s1",
            &body("t", "s", None, "2026-11-20T09:00:00.000Z")
        )
        .await
        .status,
        201
    );
}
