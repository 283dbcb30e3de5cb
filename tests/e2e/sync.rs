//! The local mirror through the real `cargo-ai` and the real API: first and incremental syncs
//! (creates, updates, deletes, another user's writes), a sync killed halfway, offline search,
//! `--no-sync` and `CARGO_AI_MIRROR=off`, mirrors that never mix, a damaged mirror, bad queries.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sessions_core::Timestamp;
use sessions_e2e::{Run, Stack, alice, bob, cargo_ai, new_workspace, run, state_dir, upsert_args};

use super::facts::{body, put};

const UPLOADER: &str = "github.com/acme/uploader";

/// `cargo-ai search ARGS --json` as `key`, expecting success: the hits.
async fn search(stack: &Stack, ws: &str, key: &'static sessions_e2e::Key, args: &[&str]) -> Value {
    let run = run(
        cargo_ai(stack, ws, key),
        &[&["search"][..], args, &["--json"]].concat(),
    )
    .await;
    run.json()
}

fn ids(hits: &Value) -> Vec<&str> {
    hits.as_array()
        .expect("a JSON array")
        .iter()
        .map(|h| h["session_id"].as_str().expect("a session id"))
        .collect()
}

async fn sync(stack: &Stack, ws: &str, args: &[&str]) -> Value {
    run(
        cargo_ai(stack, ws, alice()),
        &[&["sync"][..], args, &["--json"]].concat(),
    )
    .await
    .json()
}

/// A session written straight through the API as `key`, created `minutes_ago`.
async fn seed(
    stack: &Stack,
    ws: &str,
    key: &'static sessions_e2e::Key,
    id: &str,
    title: &str,
    minutes_ago: i64,
) {
    let observed = Timestamp::now().plus_seconds(-60 * minutes_ago).to_string();
    let reply = put(
        stack,
        ws,
        key,
        id,
        &body(
            title,
            &observed,
            &json!({"repo": UPLOADER, "branch": "main"}),
        ),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_follow_creates_updates_deletes_and_another_users_writes() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    for (id, title) in [
        ("s-retry", "Retries for the S3 uploader"),
        ("s-login", "Sign-in page redesign"),
        ("s-bill", "Billing export to CSV"),
    ] {
        run(
            cargo_ai(&stack, &ws, alice()),
            &upsert_args(id, title, "Worked on it."),
        )
        .await
        .ok();
    }

    let first = sync(&stack, &ws, &[]).await;
    assert_eq!(first["first"], true, "{first}");
    assert_eq!(first["written"], 3, "{first}");
    let status = run(
        cargo_ai(&stack, &ws, alice()),
        &["sync", "--status", "--json"],
    )
    .await
    .json();
    assert_eq!(status["rows"], 3, "{status}");
    let file = Path::new(status["path"].as_str().expect("the mirror's path"));
    assert!(file.starts_with(state_dir(&ws)), "{}", file.display());
    let mode = std::os::unix::fs::PermissionsExt::mode(&file.metadata().unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        status["behind_s"].as_i64().is_some_and(|s| s < 60),
        "{status}"
    );

    let hits = search(&stack, &ws, bob(), &["uploader", "retry"]).await;
    assert_eq!(ids(&hits)[0], "s-retry", "{hits}");
    for field in [
        "session_id",
        "title",
        "user_arn",
        "created_at",
        "repo",
        "branch",
    ] {
        assert!(hits[0].get(field).is_some(), "{field} in {}", hits[0]);
    }
    assert!(hits[0]["score"].as_f64().is_some_and(|s| s > 0.0));
    assert!(!hits[0]["snippet"].as_str().unwrap().contains('\x1b'));

    // Nothing changed: one request.
    let again = sync(&stack, &ws, &[]).await;
    assert_eq!(
        (again["first"].clone(), again["requests"].clone()),
        (json!(false), json!(1))
    );

    // An update: the newer title replaces the old one in the results.
    run(
        cargo_ai(&stack, &ws, alice()),
        &upsert_args("s-login", "Passkey enrolment flow", "Worked on it."),
    )
    .await
    .ok();
    assert_eq!(
        ids(&search(&stack, &ws, bob(), &["passkey"]).await),
        ["s-login"]
    );
    assert!(ids(&search(&stack, &ws, bob(), &["redesign"]).await).is_empty());

    // A delete: gone from search.
    run(
        cargo_ai(&stack, &ws, alice()),
        &[
            "workspaceManagement",
            "session",
            "delete",
            "--session-id",
            "s-bill",
            "--yes",
        ],
    )
    .await
    .ok();
    assert!(ids(&search(&stack, &ws, alice(), &["billing"]).await).is_empty());

    // Another user's write reaches alice's mirror, theirs to filter by.
    seed(&stack, &ws, bob(), "s-bob", "Uploader multipart retries", 1).await;
    let hits = search(&stack, &ws, alice(), &["multipart"]).await;
    assert_eq!(ids(&hits), ["s-bob"]);
    let bobs = hits[0]["user_arn"].as_str().unwrap().to_owned();
    let only_bob = search(&stack, &ws, alice(), &["retries", "--user", &bobs]).await;
    assert_eq!(ids(&only_bob), ["s-bob"]);
    let mine = search(&stack, &ws, alice(), &["retries", "--mine"]).await;
    assert_eq!(ids(&mine), ["s-retry"]);

    // The listing reads the same mirror, newest first, and agrees with the API's.
    let list = ["workspaceManagement", "session", "list", "--json"];
    let mirrored = run(cargo_ai(&stack, &ws, alice()), &list).await.json();
    let api = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--no-sync"]].concat(),
    )
    .await
    .json();
    assert_eq!(mirrored, api);
    assert_eq!(mirrored.as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_halfway_resumes_without_loss_or_duplicates() {
    const SESSIONS: usize = 60;
    let stack = Stack::start().await;
    let ws = new_workspace();
    for i in 0..SESSIONS {
        seed(
            &stack,
            &ws,
            alice(),
            &format!("s-{i:03}"),
            &format!("Task {i} notes"),
            60,
        )
        .await;
    }
    // One change per request, killed once some but not all have landed.
    let mut syncing = cargo_ai(&stack, &ws, alice())
        .args(["sync", "--page-limit", "1"])
        .kill_on_drop(true)
        .spawn()
        .expect("start cargo-ai sync");
    let begun = Instant::now();
    let rows_at_kill = loop {
        assert!(
            begun.elapsed() < Duration::from_secs(60),
            "the sync never began"
        );
        let status = run(
            cargo_ai(&stack, &ws, alice()),
            &["sync", "--status", "--json"],
        )
        .await;
        let rows = status.json()["rows"].as_u64().unwrap_or(0) as usize;
        if rows > 0 {
            syncing.start_kill().expect("kill the sync");
            let _ = syncing.wait().await;
            break run(
                cargo_ai(&stack, &ws, alice()),
                &["sync", "--status", "--json"],
            )
            .await
            .json()["rows"]
                .as_u64()
                .unwrap() as usize;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        rows_at_kill < SESSIONS,
        "the sync finished before it was killed"
    );
    let status = run(
        cargo_ai(&stack, &ws, alice()),
        &["sync", "--status", "--json"],
    )
    .await
    .json();
    assert!(
        status["last_sync"].is_null(),
        "a killed sync records no cursor: {status}"
    );

    let resumed = sync(&stack, &ws, &["--page-limit", "7"]).await;
    assert_eq!(resumed["mirror"]["rows"], SESSIONS, "{resumed}");
    let listed = run(
        cargo_ai(&stack, &ws, alice()),
        &[
            "workspaceManagement",
            "session",
            "list",
            "--limit",
            "100",
            "--json",
        ],
    )
    .await
    .json();
    let mut listed = ids(&listed);
    listed.sort_unstable();
    listed.dedup();
    assert_eq!(listed.len(), SESSIONS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_search_answers_from_the_mirror_and_says_how_old_it_is() {
    let mut stack = Stack::start().await;
    let ws = new_workspace();
    seed(
        &stack,
        &ws,
        alice(),
        "s-retry",
        "Retries for the S3 uploader",
        5,
    )
    .await;
    sync(&stack, &ws, &[]).await;
    stack.stop_server().await;

    let offline = run(
        cargo_ai(&stack, &ws, alice()),
        &["search", "retries", "--json"],
    )
    .await;
    assert_eq!(ids(&offline.json()), ["s-retry"]);
    assert!(
        offline.stderr.contains("local mirror") && offline.stderr.contains("ago"),
        "{}",
        offline.stderr
    );
    let listed = run(
        cargo_ai(&stack, &ws, alice()),
        &["workspaceManagement", "session", "list", "--json"],
    )
    .await;
    assert_eq!(listed.json().as_array().unwrap().len(), 1);

    // --no-sync and the mirror off go to the API, which is gone.
    let no_sync = run(
        cargo_ai(&stack, &ws, alice()),
        &["search", "retries", "--no-sync"],
    )
    .await;
    assert_eq!(no_sync.code, 8, "{}", no_sync.stderr);
    let mut off = cargo_ai(&stack, &ws, alice());
    off.env("CARGO_AI_MIRROR", "off");
    let off = run(off, &["search", "retries"]).await;
    assert_eq!(off.code, 8, "{}", off.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_sync_and_the_mirror_off_answer_through_the_api() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    seed(
        &stack,
        &ws,
        alice(),
        "s-retry",
        "Retries for the S3 uploader",
        5,
    )
    .await;
    // A substring: the API's match finds it, the mirror's word search does not.
    let api = search(&stack, &ws, alice(), &["etries", "--no-sync"]).await;
    assert_eq!(ids(&api), ["s-retry"]);
    assert_eq!(api[0]["score"], 0.0);
    assert!(
        !state_dir(&ws).join("mirror").exists(),
        "--no-sync made a mirror"
    );

    let mut off = cargo_ai(&stack, &ws, alice());
    off.env("CARGO_AI_MIRROR", "off");
    assert_eq!(
        ids(&run(off, &["search", "etries", "--json"]).await.json()),
        ["s-retry"]
    );
    assert!(
        !state_dir(&ws).join("mirror").exists(),
        "mirror=off made a mirror"
    );
    let mut off = cargo_ai(&stack, &ws, alice());
    off.env("CARGO_AI_MIRROR", "off");
    let refused = run(off, &["sync"]).await;
    assert_eq!(refused.code, 3, "{}", refused.stderr);

    assert!(ids(&search(&stack, &ws, alice(), &["etries"]).await).is_empty());
    assert!(state_dir(&ws).join("mirror").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspaces_and_endpoints_never_share_a_mirror() {
    let one = Stack::start().await;
    let two = Stack::start().await;
    let (ws_a, ws_b) = (new_workspace(), new_workspace());
    seed(&one, &ws_a, alice(), "a-1", "Uploader retries in A", 5).await;
    seed(&one, &ws_b, alice(), "b-1", "Uploader retries in B", 5).await;
    seed(&two, &ws_a, alice(), "two-1", "Uploader retries on two", 5).await;
    // One state directory for all three, as one user switching between them has.
    let shared = tempfile::tempdir().unwrap();
    for (stack, ws, expected) in [
        (&one, &ws_a, "a-1"),
        (&one, &ws_b, "b-1"),
        (&two, &ws_a, "two-1"),
    ] {
        let mut cmd = cargo_ai(stack, ws, alice());
        cmd.env("CARGO_AI_STATE_DIR", shared.path());
        let hits = run(cmd, &["search", "uploader", "--json"]).await.json();
        assert_eq!(ids(&hits), [expected]);
    }
    let files = std::fs::read_dir(shared.path().join("mirror"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".sqlite3"))
        .count();
    assert_eq!(files, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_mirror_is_set_aside_and_rebuilt() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    seed(
        &stack,
        &ws,
        alice(),
        "s-retry",
        "Retries for the S3 uploader",
        5,
    )
    .await;
    let status = sync(&stack, &ws, &[]).await;
    let file = status["mirror"]["path"].as_str().unwrap().to_owned();
    std::fs::write(
        &file,
        b"this is no database, just some bytes that fill a page or so",
    )
    .unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{file}{suffix}"));
    }
    let searched = run(
        cargo_ai(&stack, &ws, alice()),
        &["search", "retries", "--json"],
    )
    .await;
    assert_eq!(ids(&searched.json()), ["s-retry"]);
    assert!(
        searched.stderr.contains("moved it to"),
        "{}",
        searched.stderr
    );
    let aside = std::fs::read_dir(Path::new(&file).parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().contains(".corrupt-"));
    assert!(aside);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_are_clear_usage_errors_and_odd_ones_are_searched() {
    // Nothing here needs DynamoDB: the API over its in-memory store.
    let stack = Stack::in_memory().await;
    let ws = new_workspace();
    run(
        cargo_ai(&stack, &ws, alice()),
        &upsert_args("s-cpp", "C++ build of the sign-in page", "Worked on it."),
    )
    .await
    .ok();
    for bad in ["", "   ", "***", "\"", "AND OR NOT", "* \" ( )"] {
        let refused: Run = run(cargo_ai(&stack, &ws, alice()), &["search", bad]).await;
        assert_eq!(refused.code, 2, "{bad:?}: {}", refused.stderr);
        assert!(
            refused.stderr.contains("words to look for"),
            "{bad:?}: {}",
            refused.stderr
        );
        assert!(
            !refused.stderr.to_lowercase().contains("sql"),
            "{}",
            refused.stderr
        );
    }
    for odd in [
        "sign-in",
        "C++",
        "'; DROP TABLE sessions; --",
        "src/main.rs:12",
    ] {
        let searched = run(cargo_ai(&stack, &ws, alice()), &["search", odd, "--json"]).await;
        assert_eq!(searched.code, 0, "{odd:?}: {}", searched.stderr);
    }
    let found = run(
        cargo_ai(&stack, &ws, alice()),
        &["search", "sign-in", "--json"],
    )
    .await;
    assert_eq!(ids(&found.json()), ["s-cpp"]);
    let long = "retry ".repeat(2_000);
    let searched = run(cargo_ai(&stack, &ws, alice()), &["search", &long, "--json"]).await;
    assert!(matches!(searched.code, 0 | 2), "{}", searched.stderr);
    assert!(!searched.stderr.contains("panicked"), "{}", searched.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_syncs_at_once_both_finish_and_agree() {
    const SESSIONS: usize = 30;
    let stack = Stack::start().await;
    let ws = new_workspace();
    for i in 0..SESSIONS {
        seed(
            &stack,
            &ws,
            alice(),
            &format!("s-{i:03}"),
            &format!("Task {i}"),
            30,
        )
        .await;
    }
    let args = ["sync", "--page-limit", "3", "--json"];
    let (one, two) = tokio::join!(
        run(cargo_ai(&stack, &ws, alice()), &args),
        run(cargo_ai(&stack, &ws, bob()), &args),
    );
    for synced in [one.json(), two.json()] {
        assert_eq!(synced["mirror"]["rows"], SESSIONS, "{synced}");
    }
    let hits = search(&stack, &ws, alice(), &["task", "--limit", "100"]).await;
    assert_eq!(ids(&hits).len(), SESSIONS);
}
