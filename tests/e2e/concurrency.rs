//! Many writers, one session, all at once: the newest action wins, the row is created exactly
//! once (its `uuid` and `created_at` never change), DynamoDB holds one item, and every other
//! writer is told `409 stale`; nothing else (no 5xx, no 403, no lost reply).

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Value, json};
use sessions_core::Timestamp;
use sessions_e2e::{Run, Signed, Stack, alice, cargo_ai, new_workspace, run};
use tokio::sync::Barrier;

/// How many concurrent writers each test starts.
const WRITERS: usize = 24;

/// The order writers are released in: not the order of their `observed_at`, so the newest is
/// neither first nor last.
fn release_order() -> Vec<usize> {
    let mut order: Vec<usize> = (0..WRITERS).map(|i| (i * 7 + 5) % WRITERS).collect();
    order.dedup();
    assert_eq!(
        order.iter().collect::<HashSet<_>>().len(),
        WRITERS,
        "a permutation"
    );
    order
}

fn text<'a>(
    item: &'a std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
    name: &str,
) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .unwrap_or_else(|| panic!("stored item lacks {name}: {item:?}"))
}

/// 24 SigV4-signed PUTs of one new session, released together, each with its own known
/// `observed_at` (one second apart): exactly one 201, the rest 200 or 409 stale; the stored row
/// is the newest request's, with the creator's `uuid` and `created_at`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_signed_puts_keep_the_newest_and_create_once() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let url = stack.session_url(&ws, "race-1");
    let base = Timestamp::now().plus_seconds(-120);
    let observed: Vec<String> = (0..WRITERS)
        .map(|i| base.plus_seconds(i as i64).to_string())
        .collect();

    let barrier = Arc::new(Barrier::new(WRITERS));
    let mut tasks = Vec::new();
    for i in release_order() {
        let (barrier, url, observed_at) = (barrier.clone(), url.clone(), observed[i].clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({
                "title": format!("writer {i}"),
                "summary": format!("written by writer {i}"),
                "finished_at": null,
                "observed_at": observed_at,
            });
            let request = Signed::new("PUT", url).json(&body);
            barrier.wait().await;
            (i, request.send_as(alice()).await)
        }));
    }
    let mut replies = Vec::new();
    for t in tasks {
        replies.push(t.await.expect("writer task"));
    }
    replies.sort_by_key(|(i, _)| *i);

    let statuses: Vec<u16> = replies.iter().map(|(_, r)| r.status).collect();
    eprintln!("statuses by observed_at, oldest first: {statuses:?}");
    let created: Vec<&Value> = replies
        .iter()
        .filter(|(_, r)| r.status == 201)
        .map(|(_, r)| &r.json)
        .collect();
    assert_eq!(created.len(), 1, "exactly one create: {statuses:?}");
    let creator = created[0];
    for (i, reply) in &replies {
        match reply.status {
            200 | 201 => {
                assert_eq!(reply.json["title"], format!("writer {i}"), "{}", reply.json);
                assert_eq!(reply.json["uuid"], creator["uuid"], "one uuid");
                assert_eq!(
                    reply.json["created_at"], creator["created_at"],
                    "one created_at"
                );
            }
            409 => {
                reply.expect_error(409, "stale");
            }
            other => panic!(
                "writer {i}: HTTP {other}, expected 200, 201 or 409: {}",
                reply.json
            ),
        }
    }
    let newest = WRITERS - 1;
    assert!(
        matches!(replies[newest].1.status, 200 | 201),
        "the newest request can never be stale: {statuses:?}"
    );
    // The create was the first write applied, so the oldest of the successful ones: the row is
    // dated by its observed_at.
    let first_applied = replies
        .iter()
        .position(|(_, r)| matches!(r.status, 200 | 201))
        .expect("some write succeeded");
    assert_eq!(replies[first_applied].1.status, 201, "{statuses:?}");
    assert_eq!(creator["created_at"], observed[first_applied].as_str());

    let item = stack.raw_item(&ws, "race-1").await.expect("the row exists");
    assert_eq!(
        text(&item, "title"),
        format!("writer {newest}"),
        "the newest wins"
    );
    assert_eq!(text(&item, "observed_at"), observed[newest]);
    assert_eq!(
        Some(text(&item, "uuid")),
        creator["uuid"].as_str(),
        "uuid unchanged"
    );
    assert_eq!(
        Some(text(&item, "created_at")),
        creator["created_at"].as_str(),
        "created_at unchanged"
    );
    assert_eq!(stack.item_count().await, 1, "DynamoDB holds one item");
}

fn upsert_args(id: &str, i: usize) -> Vec<String> {
    let (title, summary) = (format!("process {i}"), format!("written by process {i}"));
    let mut args = sessions_e2e::upsert_args(id, &title, &summary)
        .map(str::to_owned)
        .to_vec();
    // Resolved to the same instant the CLI stamps as observed_at: each process's printed
    // row tells when it acted.
    args.push("--finished".to_owned());
    args
}

/// Starts `WRITERS` real `cargo-ai` upsert processes of one session at the same moment.
async fn race_processes(stack: &Stack, ws: &str, id: &str) -> Vec<(usize, Run)> {
    let barrier = Arc::new(Barrier::new(WRITERS));
    let mut tasks = Vec::new();
    for i in release_order() {
        let (barrier, cmd, args) = (
            barrier.clone(),
            cargo_ai(stack, ws, alice()),
            upsert_args(id, i),
        );
        tasks.push(tokio::spawn(async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            barrier.wait().await;
            (i, run(cmd, &args).await)
        }));
    }
    let mut runs = Vec::new();
    for t in tasks {
        runs.push(t.await.expect("process task"));
    }
    runs.sort_by_key(|(i, _)| *i);
    runs
}

/// The rows the winners printed (exit 0); every other process must have exited 7 `stale`.
fn winners(runs: &[(usize, Run)]) -> Vec<(usize, Value)> {
    let mut rows = Vec::new();
    for (i, r) in runs {
        match r.code {
            0 => {
                let row = r.json();
                assert_eq!(
                    row["title"],
                    format!("process {i}"),
                    "prints the row it wrote"
                );
                rows.push((*i, row));
            }
            7 => assert!(r.stderr.contains("[stale]"), "process {i}: {}", r.stderr),
            code => panic!(
                "process {i}: exit {code}, expected 0 or 7 (stale): {}",
                r.stderr
            ),
        }
    }
    assert!(!rows.is_empty(), "at least one process succeeded");
    rows
}

/// The row of the winner that acted last (greatest observed_at, printed as finished_at).
fn newest(rows: &[(usize, Value)]) -> &Value {
    let stamps: HashSet<&str> = rows
        .iter()
        .map(|(_, r)| r["finished_at"].as_str().expect("finished_at"))
        .collect();
    assert_eq!(
        stamps.len(),
        rows.len(),
        "successful writes have distinct observed_at"
    );
    &rows
        .iter()
        .max_by_key(|(_, r)| r["finished_at"].as_str().map(str::to_owned))
        .expect("a winner")
        .1
}

async fn assert_final_row(
    stack: &Stack,
    ws: &str,
    id: &str,
    newest: &Value,
    uuid: &Value,
    created_at: &Value,
) {
    let item = stack.raw_item(ws, id).await.expect("the row exists");
    assert_eq!(
        Some(text(&item, "title")),
        newest["title"].as_str(),
        "the newest wins"
    );
    assert_eq!(
        Some(text(&item, "observed_at")),
        newest["finished_at"].as_str()
    );
    assert_eq!(Some(text(&item, "uuid")), uuid.as_str(), "uuid unchanged");
    assert_eq!(
        Some(text(&item, "created_at")),
        created_at.as_str(),
        "created_at unchanged"
    );
}

/// 24 `cargo-ai` processes upsert one new session at once: one of them creates it (the one that
/// acted first among those that succeeded), the row ends as the newest winner's, every loser
/// exits 7 stale. Then 24 more race on the existing row: `uuid` and `created_at` stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_cargo_ai_processes_keep_the_newest_and_create_once() {
    let stack = Stack::start().await;
    let ws = new_workspace();

    let runs = race_processes(&stack, &ws, "race-2").await;
    let rows = winners(&runs);
    eprintln!(
        "new row: {} of {WRITERS} processes wrote, the rest were stale",
        rows.len()
    );
    let first = rows
        .iter()
        .min_by_key(|(_, r)| r["finished_at"].as_str().map(str::to_owned))
        .map(|(_, r)| r.clone())
        .expect("a winner");
    let (uuid, created_at) = (first["uuid"].clone(), first["created_at"].clone());
    assert_eq!(
        created_at, first["finished_at"],
        "created by the first write applied, dated by its observed_at"
    );
    for (i, row) in &rows {
        assert_eq!(row["uuid"], uuid, "process {i}: one uuid");
        assert_eq!(row["created_at"], created_at, "process {i}: one created_at");
    }
    assert_final_row(&stack, &ws, "race-2", newest(&rows), &uuid, &created_at).await;

    let runs = race_processes(&stack, &ws, "race-2").await;
    let rows = winners(&runs);
    eprintln!(
        "existing row: {} of {WRITERS} processes wrote, the rest were stale",
        rows.len()
    );
    for (i, row) in &rows {
        assert_eq!(row["uuid"], uuid, "process {i}: uuid unchanged");
        assert_eq!(
            row["created_at"], created_at,
            "process {i}: created_at unchanged"
        );
    }
    assert_final_row(&stack, &ws, "race-2", newest(&rows), &uuid, &created_at).await;
    assert_eq!(stack.item_count().await, 1, "DynamoDB holds one item");
}
