//! Owners remove their own rows: `DELETE` over real sockets and SigV4 -> the function ->
//! DynamoDB Local leaves a tombstone without text (read back with the AWS SDK), refuses anyone
//! else and older writes, and lets the owner's newer write record the session again; the
//! in-memory store agrees with DynamoDB on random sequences of writes and deletes (`model`); the
//! function logs each delete without the row's text (`log`); and `cargo-ai ... session delete`
//! for the owner, another identity, an absent row, off and on a terminal, and against an update
//! queued in the outbox before the delete (`cli`).

mod cli;
mod log;
mod model;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use sessions_core::Timestamp;
use sessions_e2e::{Reply, Signed, Stack, alice, bob, new_workspace};
use sessions_function::auth::LocalKey;

/// `2026-11-20T09:00:<second>.000Z`: in the past, one second apart.
fn at(second: u32) -> String {
    format!("2026-11-20T09:00:{second:02}.000Z")
}

fn body(title: &str, observed_at: &str) -> Value {
    json!({"title": title, "summary": format!("{title}: what happened"), "finished_at": null, "observed_at": observed_at})
}

async fn put(stack: &Stack, ws: &str, id: &str, who: &LocalKey, body: &Value) -> Reply {
    Signed::new("PUT", stack.session_url(ws, id))
        .json(body)
        .send_as(who)
        .await
}

async fn delete(stack: &Stack, ws: &str, id: &str, who: &LocalKey, query: &str) -> Reply {
    Signed::new("DELETE", format!("{}{query}", stack.session_url(ws, id)))
        .send_as(who)
        .await
}

async fn get(stack: &Stack, ws: &str, id: &str) -> Reply {
    Signed::new("GET", stack.session_url(ws, id))
        .send_as(alice())
        .await
}

/// The session ids of every listing the API serves (everyone's, and `mine` for each identity),
/// which read the two indexes.
async fn listed(stack: &Stack, ws: &str) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for (who, mine) in [(alice(), false), (alice(), true), (bob(), true)] {
        let url = format!(
            "{}/v1/workspaces/{ws}/sessions?limit=100&mine={mine}",
            stack.url
        );
        let page = Signed::new("GET", url).send_as(who).await;
        assert_eq!(page.status, 200, "{}", page.json);
        let ids = page.json["sessions"]
            .as_array()
            .expect("sessions")
            .iter()
            .map(|s| s["session_id"].as_str().expect("session_id").to_owned())
            .collect();
        all.push(ids);
    }
    all
}

/// `observed_at` as a query value, in the canonical form SigV4 signs.
fn observed_at_query(t: &str) -> String {
    format!("?observed_at={}", t.replace(':', "%3A"))
}

/// The attribute names of the stored item, read with the AWS SDK.
async fn stored_attributes(stack: &Stack, ws: &str, id: &str) -> BTreeSet<String> {
    stack
        .raw_item(ws, id)
        .await
        .expect("the item is stored")
        .into_keys()
        .collect()
}

/// A tombstone's attributes: the key, the owner, and when (`updated_at` places it in the
/// change feed).
const TOMBSTONE: [&str; 6] = [
    "deleted_at",
    "observed_at",
    "session_id",
    "updated_at",
    "user_uuid",
    "workspace_uuid",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_deletes_and_a_tombstone_without_text_remains() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    assert_eq!(
        put(&stack, &ws, "s1", alice(), &body("secret plans", &at(1)))
            .await
            .status,
        201
    );
    assert_eq!(
        put(&stack, &ws, "kept", alice(), &body("kept", &at(2)))
            .await
            .status,
        201
    );
    assert_eq!(
        put(&stack, &ws, "bobs", bob(), &body("bob's", &at(3)))
            .await
            .status,
        201
    );
    let before = stack.raw_item(&ws, "s1").await.expect("stored");

    let refused = delete(&stack, &ws, "s1", bob(), "").await;
    let message = refused.expect_error(403, "not_owner");
    assert!(message.contains("only its creator"), "{message}");
    assert_eq!(
        stack.raw_item(&ws, "s1").await.as_ref(),
        Some(&before),
        "row untouched"
    );

    let deleted = delete(&stack, &ws, "s1", alice(), "").await;
    assert_eq!(deleted.status, 200, "{}", deleted.json);
    assert_eq!(deleted.json["workspace_uuid"], ws.as_str());
    assert_eq!(deleted.json["session_id"], "s1");
    let deleted_at = deleted.json["deleted_at"].as_str().expect("deleted_at");
    assert!(Timestamp::parse("deleted_at", deleted_at).is_ok());

    get(&stack, &ws, "s1").await.expect_error(404, "not_found");
    assert_eq!(
        listed(&stack, &ws).await,
        [vec!["bobs", "kept"], vec!["kept"], vec!["bobs"]]
    );
    let item = stack.raw_item(&ws, "s1").await.expect("the tombstone");
    assert_eq!(
        item.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        TOMBSTONE.into_iter().collect(),
        "only the key, the owner, and when: {item:?}"
    );
    assert_eq!(item["user_uuid"], before["user_uuid"]);
    assert_eq!(item["deleted_at"].as_s().unwrap(), deleted_at);
    for attribute in ["title", "summary", "uuid", "created_at", "user_arn"] {
        assert!(!item.contains_key(attribute), "{attribute} is gone");
    }

    for who in [alice(), bob()] {
        delete(&stack, &ws, "s1", who, "")
            .await
            .expect_error(404, "not_found");
    }
    delete(&stack, &ws, "never", alice(), "")
        .await
        .expect_error(404, "not_found");
    assert_eq!(
        stack.item_count().await,
        3,
        "nothing created by a refused delete"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_writes_stay_refused_and_a_newer_one_records_the_session_again() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let first = put(&stack, &ws, "s1", alice(), &body("first", &at(1))).await;
    assert_eq!(first.status, 201);
    // The person's clock is a minute ahead of the server's: the tombstone keeps the later one.
    let now = Timestamp::now();
    let client = now.plus_seconds(60).to_string();
    let deleted = delete(&stack, &ws, "s1", alice(), &observed_at_query(&client)).await;
    assert_eq!(deleted.status, 200, "{}", deleted.json);
    assert_eq!(
        stack.raw_item(&ws, "s1").await.unwrap()["observed_at"]
            .as_s()
            .unwrap(),
        &client
    );

    // Written before the delete (on the person's clock) and delivered after it: stale.
    for observed in [at(2), now.plus_seconds(30).to_string(), client.clone()] {
        put(&stack, &ws, "s1", alice(), &body("queued", &observed))
            .await
            .expect_error(409, "stale");
    }
    let later = Timestamp::parse("t", &client)
        .unwrap()
        .plus_seconds(1)
        .to_string();
    Signed::new("PUT", stack.session_url(&ws, "s1"))
        .json(&body("start", &later))
        .header("if-none-match", "*")
        .send_as(alice())
        .await
        .expect_error(412, "already_exists");
    put(&stack, &ws, "s1", bob(), &body("bob's", &later))
        .await
        .expect_error(403, "not_owner");
    assert_eq!(
        stored_attributes(&stack, &ws, "s1").await,
        TOMBSTONE.into_iter().map(str::to_owned).collect(),
        "still deleted"
    );
    get(&stack, &ws, "s1").await.expect_error(404, "not_found");

    let again = put(&stack, &ws, "s1", alice(), &body("again", &later)).await;
    assert_eq!(again.status, 201, "recorded again: {}", again.json);
    assert_ne!(again.json["uuid"], first.json["uuid"], "a new row");
    assert_eq!(again.json["created_at"], later.as_str());
    assert_eq!(again.json["user_arn"], alice().arn);
    assert_eq!(get(&stack, &ws, "s1").await.json, again.json);
    let item = stack.raw_item(&ws, "s1").await.unwrap();
    assert!(!item.contains_key("deleted_at"), "{item:?}");
    assert_eq!(item["title"].as_s().unwrap(), "again");
    assert_eq!(listed(&stack, &ws).await, [vec!["s1"], vec!["s1"], vec![]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_refuses_a_bad_query_and_changes_nothing() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    put(&stack, &ws, "s1", alice(), &body("kept", &at(1))).await;
    let future = Timestamp::now().plus_seconds(3600).to_string();
    for (query, status, code) in [
        ("?force=true".to_owned(), 400, "invalid_query"),
        (
            "?observed_at=yesterday".to_owned(),
            400,
            "invalid_timestamp",
        ),
        (observed_at_query(&future), 400, "invalid_timestamp"),
    ] {
        delete(&stack, &ws, "s1", alice(), &query)
            .await
            .expect_error(status, code);
    }
    // As sent on the wire: HTTP clients would resolve `..` away.
    Signed::new("DELETE", stack.session_url(&ws, ".."))
        .send_raw_as(alice())
        .await
        .expect_error(400, "invalid_session_id");
    assert_eq!(get(&stack, &ws, "s1").await.status, 200);
}
