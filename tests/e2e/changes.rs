//! The change feed (`GET .../changes`) over real sockets and SigV4 -> the function -> DynamoDB
//! Local: writes, newer writes and deletes in the server's order, paging by cursor and by
//! DynamoDB's 1 MB page without loss or repeat, one workspace's rows only, the allow-list,
//! bad parameters, a Query of the index (never a Scan), and `cargo-ai`'s client for it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};
use sessions_core::wire::{Change, ChangePage};
use sessions_core::{Cursor, Timestamp, WorkspaceId};
use sessions_e2e::{Reply, Signed, Stack, alice, bob, new_workspace};
use sessions_function::auth::LocalKey;
use sessions_function::domain::{Caller, ChangeQuery};
use sessions_function::settings::AllowList;
use sessions_function::store::{DynamoStore, SessionStore};

const EPOCH: &str = "1970-01-01T00:00:00.000Z";

fn body(title: &str, summary: &str) -> Value {
    json!({"title": title, "summary": summary, "observed_at": Timestamp::now().to_string()})
}

async fn put(stack: &Stack, ws: &str, id: &str, who: &LocalKey, title: &str) -> Value {
    let reply = Signed::new("PUT", stack.session_url(ws, id))
        .json(&body(title, &format!("{title}: what happened")))
        .send_as(who)
        .await;
    assert!(matches!(reply.status, 200 | 201), "{}", reply.json);
    // Each write in its own millisecond of the server's clock, so the feed's order is theirs.
    tokio::time::sleep(Duration::from_millis(2)).await;
    reply.json
}

/// A timestamp as a query value, in the canonical form SigV4 signs (`:` percent-encoded).
fn query_time(t: &str) -> String {
    t.replace(':', "%3A")
}

async fn changes(stack: &Stack, ws: &str, query: &str, who: &LocalKey) -> Reply {
    Signed::new(
        "GET",
        format!("{}/v1/workspaces/{ws}/changes?{query}", stack.url),
    )
    .send_as(who)
    .await
}

/// Every change from `since`, following the cursors (`limit` per page, or DynamoDB's page),
/// and how many pages that took.
async fn feed(stack: &Stack, ws: &str, since: &str, limit: Option<u32>) -> (Vec<Value>, usize) {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for pages in 1..=100 {
        let mut query = vec![];
        if let Some(c) = &cursor {
            query.push(format!("cursor={c}"));
        }
        if let Some(n) = limit {
            query.push(format!("limit={n}"));
        }
        query.push(format!("updated_since={}", query_time(since)));
        let reply = changes(stack, ws, &query.join("&"), alice()).await;
        assert_eq!(reply.status, 200, "{}", reply.json);
        let page: ChangePage = serde_json::from_value(reply.json.clone())
            .unwrap_or_else(|e| panic!("not a ChangePage ({e}): {}", reply.json));
        if let Some(n) = limit {
            assert!(page.changes.len() <= n as usize);
        }
        all.extend(reply.json["changes"].as_array().expect("changes").clone());
        cursor = page.next_cursor;
        if cursor.is_none() {
            return (all, pages);
        }
    }
    panic!("the cursors never end");
}

/// Each change as its session id, `-id` for a tombstone.
fn ids(changes: &[Value]) -> Vec<String> {
    changes
        .iter()
        .map(|c| {
            let id = c["session_id"].as_str().expect("session_id");
            if c["deleted"] == true {
                format!("-{id}")
            } else {
                id.to_owned()
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_follows_writes_updates_and_deletes_in_the_servers_order() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let other = new_workspace();
    put(&stack, &ws, "s1", alice(), "First").await;
    put(&stack, &ws, "s2", bob(), "Second").await;
    put(&stack, &ws, "s3", alice(), "Third").await;
    put(&stack, &other, "elsewhere", alice(), "Another team's").await;
    let (all, _) = feed(&stack, &ws, EPOCH, None).await;
    assert_eq!(ids(&all), ["s1", "s2", "s3"]);

    // A newer write moves its session to the end of the feed, as it now is.
    let updated = put(&stack, &ws, "s1", alice(), "First, retitled").await;
    let deleted = Signed::new("DELETE", stack.session_url(&ws, "s2"))
        .send_as(bob())
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.json);
    let (all, _) = feed(&stack, &ws, EPOCH, None).await;
    assert_eq!(ids(&all), ["s3", "s1", "-s2"]);
    assert_eq!(
        all[1], updated,
        "the session as every other endpoint returns it"
    );
    let read = Signed::new("GET", stack.session_url(&ws, "s1"))
        .send_as(bob())
        .await;
    assert_eq!(all[1], read.json);

    // The tombstone: which row, when; nothing of its text.
    let tombstone = &all[2];
    let keys: BTreeSet<&str> = tombstone
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "workspace_uuid",
            "session_id",
            "deleted_at",
            "updated_at",
            "deleted"
        ])
    );
    assert_eq!(tombstone["workspace_uuid"], ws.as_str());
    assert_eq!(tombstone["deleted_at"], deleted.json["deleted_at"]);
    assert_eq!(tombstone["updated_at"], deleted.json["deleted_at"]);
    let stored = stack.raw_item(&ws, "s2").await.expect("the tombstone");
    assert_eq!(
        stored.get("updated_at").and_then(|v| v.as_s().ok()),
        deleted.json["deleted_at"]
            .as_str()
            .map(str::to_owned)
            .as_ref(),
        "the delete wrote the server's updated_at"
    );

    // From a time on, inclusive: the update and the delete.
    let since = updated["updated_at"].as_str().expect("updated_at");
    assert_eq!(ids(&feed(&stack, &ws, since, None).await.0), ["s1", "-s2"]);
    // A time in the future: nothing, and the server's time to resume from.
    let future = Timestamp::now().plus_seconds(3600).to_string();
    let reply = changes(
        &stack,
        &ws,
        &format!("updated_since={}", query_time(&future)),
        alice(),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(reply.json["changes"], json!([]));
    assert_eq!(reply.json["next_cursor"], Value::Null);
    let server_time = reply.json["server_time"].as_str().expect("server_time");
    assert!(server_time > tombstone["updated_at"].as_str().unwrap_or_default());
    assert!(server_time <= Timestamp::now().to_string().as_str());

    // Another workspace's feed holds its own row only.
    assert_eq!(
        ids(&feed(&stack, &other, EPOCH, None).await.0),
        ["elsewhere"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursors_resume_the_feed_with_no_loss_and_no_repeat() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let written: Vec<String> = (0..7).map(|i| format!("s{i}")).collect();
    for id in &written {
        put(&stack, &ws, id, alice(), id).await;
    }
    for limit in [1, 2, 3, 7] {
        let (all, pages) = feed(&stack, &ws, EPOCH, Some(limit)).await;
        assert_eq!(ids(&all), written, "limit={limit}");
        // DynamoDB hands a cursor with every full page, so a last full page is followed by an
        // empty one.
        assert_eq!(pages, 7 / limit as usize + 1, "limit={limit}");
    }

    // Writes while a client pages: an updated row moves behind the cursor and comes again
    // there; a deleted one comes as its tombstone. Nothing is lost.
    let first = changes(
        &stack,
        &ws,
        "limit=3&updated_since=1970-01-01T00%3A00%3A00.000Z",
        alice(),
    )
    .await;
    assert_eq!(
        ids(first.json["changes"].as_array().expect("changes")),
        ["s0", "s1", "s2"]
    );
    let cursor = first.json["next_cursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();
    put(&stack, &ws, "s1", alice(), "s1 again").await;
    let reply = Signed::new("DELETE", stack.session_url(&ws, "s4"))
        .send_as(alice())
        .await;
    assert_eq!(reply.status, 200);
    let mut rest = Vec::new();
    let mut next = Some(cursor);
    while let Some(cursor) = next {
        let reply = changes(
            &stack,
            &ws,
            &format!("cursor={cursor}&limit=3&updated_since=1970-01-01T00%3A00%3A00.000Z"),
            alice(),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.json);
        rest.extend(reply.json["changes"].as_array().expect("changes").clone());
        next = reply.json["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(ids(&rest), ["s3", "s5", "s6", "s1", "-s4"]);

    // A cursor is this feed's, from no later time than its own position.
    let later = query_time(&Timestamp::now().plus_seconds(60).to_string());
    let listing = Signed::new(
        "GET",
        format!("{}/v1/workspaces/{ws}/sessions?limit=1", stack.url),
    )
    .send_as(alice())
    .await;
    let listing_cursor = listing.json["next_cursor"].as_str().expect("a cursor");
    let feed_cursor = first.json["next_cursor"].as_str().expect("a cursor");
    for (workspace, query) in [
        (
            ws.clone(),
            format!("cursor={feed_cursor}&updated_since={later}"),
        ),
        (
            ws.clone(),
            format!(
                "cursor={listing_cursor}&updated_since={}",
                query_time(EPOCH)
            ),
        ),
        (
            new_workspace(),
            format!("cursor={feed_cursor}&updated_since={}", query_time(EPOCH)),
        ),
        (
            ws.clone(),
            format!("cursor=bm90IGpzb24&updated_since={}", query_time(EPOCH)),
        ),
    ] {
        let reply = changes(&stack, &workspace, &query, alice()).await;
        let message = reply.expect_error(400, "invalid_query");
        assert!(message.contains("cursor"), "{query}: {message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_limit_a_page_is_what_one_dynamodb_query_reads() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    // 80 sessions of about 16 KB each: 1.3 MB, more than one DynamoDB Query reads (1 MB).
    let summary = "x".repeat(16_000);
    let written: Vec<String> = (0..80).map(|i| format!("s{i:02}")).collect();
    for id in &written {
        let reply = Signed::new("PUT", stack.session_url(&ws, id))
            .json(&body(id, &summary))
            .send_as(alice())
            .await;
        assert_eq!(reply.status, 201, "{}", reply.json);
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let reply = changes(
        &stack,
        &ws,
        "updated_since=1970-01-01T00%3A00%3A00.000Z",
        alice(),
    )
    .await;
    assert_eq!(reply.status, 200);
    let first = reply.json["changes"].as_array().expect("changes").len();
    assert!(
        (40..80).contains(&first),
        "a page without a limit holds about 1 MB of rows, here {first} of 80"
    );
    assert!(
        reply.raw.len() < 2 * 1024 * 1024,
        "a page is {} bytes",
        reply.raw.len()
    );
    let (all, pages) = feed(&stack, &ws, EPOCH, None).await;
    assert_eq!(pages, 2);
    let mut seen = ids(&all);
    assert_eq!(seen.len(), 80, "no repeat");
    seen.sort();
    assert_eq!(seen, written, "no loss");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tombstones_from_before_the_feed_are_not_in_it() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    put(&stack, &ws, "kept", alice(), "Kept").await;
    // A tombstone as deletes wrote them before the feed existed: no updated_at.
    let s = |v: &str| AttributeValue::S(v.to_owned());
    stack
        .dynamodb
        .put_item()
        .table_name(&stack.table)
        .item("workspace_uuid", s(&ws))
        .item("session_id", s("old"))
        .item(
            "user_uuid",
            s(&Caller::from_arn(alice().arn).user_uuid.to_string()),
        )
        .item("deleted_at", s("2026-11-20T09:00:00.000Z"))
        .item("observed_at", s("2026-11-20T09:00:00.000Z"))
        .send()
        .await
        .expect("PutItem on DynamoDB Local");
    assert_eq!(ids(&feed(&stack, &ws, EPOCH, None).await.0), ["kept"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_refuses_what_the_other_endpoints_refuse() {
    let allowed = new_workspace();
    let mut stack = Stack::with_allow_list(AllowList::parse(&allowed).expect("allow-list")).await;
    let refused = changes(
        &stack,
        &new_workspace(),
        "updated_since=1970-01-01T00%3A00%3A00Z",
        alice(),
    )
    .await;
    refused.expect_error(403, "workspace_not_allowed");
    let unsigned = Signed::new(
        "GET",
        format!(
            "{}/v1/workspaces/{allowed}/changes?updated_since=1970-01-01T00%3A00%3A00Z",
            stack.url
        ),
    )
    .send_with(vec![])
    .await;
    unsigned.expect_error(401, "unauthenticated");
    for (query, status, code, names) in [
        ("", 400, "invalid_query", "updated_since is required"),
        (
            "updated_since=yesterday",
            400,
            "invalid_timestamp",
            "updated_since",
        ),
        (
            "updated_since=2026-11-24",
            400,
            "invalid_timestamp",
            "RFC 3339",
        ),
        (
            "updated_since=1970-01-01T00%3A00%3A00Z&limit=1001",
            400,
            "invalid_query",
            "1 to 1000",
        ),
        (
            "updated_since=1970-01-01T00%3A00%3A00Z&mine=true",
            400,
            "invalid_query",
            "updated_since, cursor, limit",
        ),
    ] {
        let reply = changes(&stack, &allowed, query, alice()).await;
        let message = reply.expect_error(status, code);
        assert!(message.contains(names), "{query}: {message}");
    }
    let post = Signed::new(
        "POST",
        format!("{}/v1/workspaces/{allowed}/changes", stack.url),
    )
    .send_as(alice())
    .await;
    post.expect_error(405, "method_not_allowed");
    assert_eq!(post.headers["allow"], "GET");
    stack.stop_server().await;
}

/// Notes the DynamoDB operation (`x-amz-target`) of every request the client sends.
#[derive(Debug, Clone, Default)]
struct Operations(Arc<Mutex<BTreeMap<String, usize>>>);

impl Intercept for Operations {
    fn name(&self) -> &'static str {
        "OperationRecorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("none")
            .rsplit('.')
            .next()
            .unwrap_or("none")
            .to_owned();
        *self
            .0
            .lock()
            .map_err(|_| "poisoned")?
            .entry(target)
            .or_default() += 1;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_is_one_query_of_the_index_per_page_never_a_scan() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    for id in ["a", "b", "c"] {
        put(&stack, &ws, id, alice(), id).await;
    }
    let operations = Operations::default();
    let config = stack
        .dynamodb
        .config()
        .to_builder()
        .interceptor(operations.clone())
        .build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), &stack.table);
    let mut cursor = None;
    let mut pages = 0;
    loop {
        pages += 1;
        let query = ChangeQuery {
            workspace: WorkspaceId::parse(&ws).expect("workspace"),
            since: Timestamp::parse("since", EPOCH).expect("epoch"),
            limit: 2,
            cursor: cursor.take(),
            now: Timestamp::now(),
        };
        let page = store.changes(&query).await.expect("a page");
        match page.next_cursor {
            Some(next) => cursor = Some(Cursor::parse(&next).expect("a cursor")),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    let seen = operations.0.lock().expect("operations").clone();
    assert_eq!(seen, BTreeMap::from([("Query".to_owned(), 2)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cargo_ai_s_client_pulls_the_feed_page_by_page() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    for id in ["a:1", "b.2", "c_3"] {
        put(&stack, &ws, id, bob(), id).await;
    }
    let keys = sessions_aws::static_credentials(alice().access_key_id, alice().secret_access_key);
    let identity = sessions_cli::aws::AwsIdentity::new(
        aws_credential_types::provider::SharedCredentialsProvider::new(keys),
        sessions_e2e::REGION.to_owned(),
    );
    let endpoint = stack.url.parse().expect("the stack's URL");
    let client = sessions_cli::client::ApiClient::new(endpoint, identity).expect("a client");
    let workspace = WorkspaceId::parse(&ws).expect("workspace");
    let since = Timestamp::parse("since", EPOCH).expect("epoch");
    let page = client
        .list_changes(&workspace, since, None, None)
        .await
        .expect("a page");
    let ids: Vec<&str> = page.changes.iter().map(Change::session_id).collect();
    assert_eq!(ids, ["a:1", "b.2", "c_3"]);
    assert_eq!(page.next_cursor, None);
    // From the last change on (inclusive), and with a cursor the server handed out.
    let last = page.changes[2].updated_at();
    let since = Timestamp::parse("since", last).expect("updated_at");
    let again = client
        .list_changes(&workspace, since, None, None)
        .await
        .expect("a page");
    assert_eq!(again.changes, page.changes[2..]);
    let reply = changes(
        &stack,
        &ws,
        "limit=1&updated_since=1970-01-01T00%3A00%3A00.000Z",
        alice(),
    )
    .await;
    let cursor =
        Cursor::parse(reply.json["next_cursor"].as_str().expect("a cursor")).expect("cursor");
    let since = Timestamp::parse("since", EPOCH).expect("epoch");
    let rest = client
        .list_changes(&workspace, since, Some(&cursor), None)
        .await
        .expect("a page");
    assert_eq!(rest.changes, page.changes[1..]);
}
