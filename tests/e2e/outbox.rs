//! Nothing lost: upserts that cannot be delivered are queued, and delivered later, oldest
//! first, exactly once in effect, even with two flushers or a flusher killed mid-way.

use std::time::Duration;

use serde_json::{Value, json};
use sessions_e2e::{Signed, Stack, alice, cargo_ai, new_workspace, run, state_dir};

fn upsert_args<'a>(id: &'a str, title: &'a str) -> [&'a str; 9] {
    sessions_e2e::upsert_args(id, title, "s")
}

async fn status(stack: &Stack, ws: &str) -> Value {
    let out = run(
        cargo_ai(stack, ws, alice()),
        &["outbox", "status", "--json"],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    serde_json::from_str(&out.stdout).expect("status JSON")
}

fn count(status: &Value, key: &str) -> usize {
    status[key].as_array().expect("array").len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeliverable_upserts_are_queued_then_delivered_oldest_first() {
    let mut stack = Stack::start().await;
    let ws = new_workspace();
    stack.stop_server().await;

    let first = run(cargo_ai(&stack, &ws, alice()), &upsert_args("s1", "first")).await;
    assert_eq!(first.code, 9, "queued exit code: {}", first.stderr);
    assert!(
        first.stderr.contains("outbox") && first.stderr.contains("cargo-ai outbox flush"),
        "{}",
        first.stderr
    );
    assert!(first.stdout.is_empty());
    let second = run(cargo_ai(&stack, &ws, alice()), &upsert_args("s1", "second")).await;
    assert_eq!(second.code, 9, "{}", second.stderr);
    let st = status(&stack, &ws).await;
    assert_eq!(count(&st, "pending"), 2);
    assert!(
        st["pending"][0]["entry"]["last_error"]
            .as_str()
            .unwrap()
            .contains("cannot reach")
    );
    assert_eq!(stack.item_count().await, 0);

    stack.restart_server().await;
    // Any later command delivers first; this one then lists what it delivered.
    let list = run(
        cargo_ai(&stack, &ws, alice()),
        &["workspaceManagement", "session", "list", "--jsonl"],
    )
    .await;
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(
        list.stderr.contains("delivered 2 queued update(s)"),
        "{}",
        list.stderr
    );
    let row: Value =
        serde_json::from_str(list.stdout.lines().next().expect("one session")).unwrap();
    assert_eq!(row["title"], "second", "the newest action wins");
    assert_eq!(count(&status(&stack, &ws).await, "pending"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn superseded_entries_are_done_and_refused_ones_are_set_aside() {
    let ws = new_workspace();
    let closed = new_workspace();
    let mut stack =
        Stack::with_allow_list(sessions_function::settings::AllowList::parse(&ws).unwrap()).await;
    stack.stop_server().await;
    let mut elsewhere = cargo_ai(&stack, &closed, alice());
    elsewhere.env("CARGO_AI_STATE_DIR", state_dir(&ws));
    // Queued: an update that a newer one will overtake, and one for a workspace the
    // endpoint does not accept (refused with 403 once it is reachable).
    assert_eq!(
        run(cargo_ai(&stack, &ws, alice()), &upsert_args("s2", "old"))
            .await
            .code,
        9
    );
    assert_eq!(
        run(elsewhere, &upsert_args("elsewhere", "closed workspace"))
            .await
            .code,
        9
    );
    stack.restart_server().await;
    let newer = json!({"title": "newer", "summary": "s", "finished_at": null, "observed_at": sessions_core::Timestamp::now().to_string()});
    assert_eq!(
        Signed::new("PUT", stack.session_url(&ws, "s2"))
            .json(&newer)
            .send_as(alice())
            .await
            .status,
        201
    );

    let flush = run(cargo_ai(&stack, &ws, alice()), &["outbox", "flush"]).await;
    assert_eq!(flush.code, 0, "{}", flush.stderr);
    assert!(
        flush.stderr.contains("1 already superseded")
            && flush.stderr.contains("1 refused for good"),
        "{}",
        flush.stderr
    );
    let st = status(&stack, &ws).await;
    assert_eq!(count(&st, "pending"), 0, "nothing is retried forever");
    assert_eq!(count(&st, "failed"), 1);
    assert!(
        st["failed"][0]["failed"]["reason"]
            .as_str()
            .unwrap()
            .contains("workspace_not_allowed"),
        "{st}"
    );
    let human = run(cargo_ai(&stack, &ws, alice()), &["outbox", "status"]).await;
    assert!(
        human.stdout.contains("1 refused for good")
            && human.stdout.contains("workspace_not_allowed"),
        "{}",
        human.stdout
    );
    let row = stack.raw_item(&ws, "s2").await.unwrap();
    assert_eq!(
        row["title"].as_s().unwrap(),
        "newer",
        "the superseded entry changed nothing"
    );
    assert_eq!(stack.item_count().await, 1);
}

/// Queues `n` updates (one per session) while the server is down.
async fn queue_many(stack: &mut Stack, ws: &str, n: usize) {
    stack.stop_server().await;
    let mut tasks = Vec::new();
    for i in 0..n {
        let cmd = cargo_ai(stack, ws, alice());
        tasks.push(tokio::spawn(async move {
            let id = format!("q{i:03}");
            run(cmd, &upsert_args(&id, &format!("title {i}")))
                .await
                .code
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 9);
    }
    stack.restart_server().await;
}

fn delivered(stderr: &str) -> usize {
    stderr
        .split("delivered ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_flushers_deliver_each_entry_once() {
    let mut stack = Stack::start().await;
    let ws = new_workspace();
    queue_many(&mut stack, &ws, 30).await;
    let a = tokio::spawn(run(cargo_ai(&stack, &ws, alice()), &["outbox", "flush"]));
    let b = tokio::spawn(run(cargo_ai(&stack, &ws, alice()), &["outbox", "flush"]));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    for r in [&a, &b] {
        assert!(
            r.code == 0 || r.stderr.contains("another cargo-ai process"),
            "{}",
            r.stderr
        );
    }
    let mut total = delivered(&a.stderr) + delivered(&b.stderr);
    if total < 30 {
        // The loser saw the lock and left; anything left is delivered by the next flush.
        total += delivered(
            &run(cargo_ai(&stack, &ws, alice()), &["outbox", "flush"])
                .await
                .stderr,
        );
    }
    assert_eq!(
        total, 30,
        "each entry delivered once: {} / {}",
        a.stderr, b.stderr
    );
    assert_eq!(stack.item_count().await, 30);
    assert_eq!(count(&status(&stack, &ws).await, "pending"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flusher_killed_mid_way_loses_and_duplicates_nothing() {
    let mut stack = Stack::start().await;
    let ws = new_workspace();
    queue_many(&mut stack, &ws, 60).await;
    let mut flusher = cargo_ai(&stack, &ws, alice())
        .args(["outbox", "flush"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start flush");
    // Kill it (SIGKILL) once some, but not all, entries are delivered.
    let mut rows = 0;
    for _ in 0..400 {
        rows = stack.item_count().await;
        if rows >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    flusher.start_kill().expect("kill -9");
    let _ = flusher.wait().await;
    let pending_after_kill = count(&status(&stack, &ws).await, "pending");
    eprintln!("killed after {rows} rows; {pending_after_kill} entries still pending");

    let again = run(cargo_ai(&stack, &ws, alice()), &["outbox", "flush"]).await;
    assert!(again.code == 0, "{}", again.stderr);
    assert_eq!(count(&status(&stack, &ws).await, "pending"), 0);
    assert_eq!(stack.item_count().await, 60, "every session once");
    for i in [0, 30, 59] {
        let row = stack.raw_item(&ws, &format!("q{i:03}")).await.expect("row");
        assert_eq!(row["title"].as_s().unwrap(), &format!("title {i}"));
    }
    assert!(state_dir(&ws).join("outbox").exists());
}
