//! The real `cargo-ai` binary -> SigV4 -> local server -> DynamoDB Local.

use serde_json::Value;
use sessions_e2e::{Stack, alice, bob, cargo_ai, new_workspace, run};

/// The seed's "Manual upsert" example, word for word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_manual_upsert_works_verbatim() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let start = run(
        cargo_ai(&stack, &ws, alice()),
        &[
            "workspaceManagement",
            "session",
            "upsert",
            "--session-id",
            "abc-123",
            "--title",
            "Claude Code session abc-123",
            "--summary",
            "Session in progress.",
        ],
    )
    .await
    .json();
    assert_eq!(start["title"], "Claude Code session abc-123");
    assert_eq!(start["summary"], "Session in progress.");
    assert_eq!(start["finished_at"], Value::Null);

    let before_finish = sessions_core::Timestamp::now().to_string();
    let end = run(cargo_ai(&stack, &ws, alice()), &[
        "workspaceManagement", "session", "upsert",
        "--session-id", "abc-123",
        "--title", "Wire up workspace_management.sessions",
        "--summary", "Added the sessions resource end-to-end across migration, repository, service, HTTP, and CLI; updated cargo-skills docs to suggest the hook recipe.",
        "--finished",
    ]).await.json();
    let after_finish = sessions_core::Timestamp::now().to_string();
    assert_eq!(end["uuid"], start["uuid"], "same row");
    assert_eq!(end["created_at"], start["created_at"]);
    assert_eq!(end["title"], "Wire up workspace_management.sessions");
    let finished = end["finished_at"].as_str().expect("finished_at set");
    assert!(
        before_finish.as_str() <= finished && finished <= after_finish.as_str(),
        "--finished is the client's now: {finished}"
    );
    assert_eq!(stack.item_count().await, 1);

    // `cargo ai ...` (as a cargo subcommand) and the kebab-case alias name the same command.
    let again = run(
        cargo_ai(&stack, &ws, alice()),
        &[
            "ai",
            "workspace-management",
            "session",
            "upsert",
            "--session-id",
            "abc-123",
            "--title",
            "Renamed",
            "--summary",
            "Still here.",
            "--finished-at",
            "2026-11-24T07:00:00+01:00",
        ],
    )
    .await;
    let again = again.json();
    assert_eq!(again["finished_at"], "2026-11-24T06:00:00.000Z");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_and_validation_errors_teach_and_send_nothing() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let base = [
        "workspaceManagement",
        "session",
        "upsert",
        "--session-id",
        "s1",
        "--title",
        "t",
        "--summary",
        "s",
    ];

    let both = run(
        cargo_ai(&stack, &ws, alice()),
        &[
            &base[..],
            &["--finished", "--finished-at", "2026-11-24T07:00:00Z"],
        ]
        .concat(),
    )
    .await;
    assert_eq!(both.code, 2, "usage error: {}", both.stderr);
    assert!(both.stderr.contains("--finished"), "{}", both.stderr);

    let malformed = run(
        cargo_ai(&stack, &ws, alice()),
        &[&base[..], &["--finished-at", "24/11/2026"]].concat(),
    )
    .await;
    assert_eq!(malformed.code, 5, "{}", malformed.stderr);
    assert!(
        malformed.stderr.contains("--finished-at")
            && malformed.stderr.contains("2026-11-24T07:02:28.559Z"),
        "names the format: {}",
        malformed.stderr
    );

    let bad_id = run(
        cargo_ai(&stack, &ws, alice()),
        &[
            "workspaceManagement",
            "session",
            "upsert",
            "--session-id",
            "a/b",
            "--title",
            "t",
            "--summary",
            "s",
        ],
    )
    .await;
    assert_eq!(bad_id.code, 5, "{}", bad_id.stderr);
    assert!(bad_id.stderr.contains("session id"), "{}", bad_id.stderr);

    let empty_title = run(
        cargo_ai(&stack, &ws, alice()),
        &[
            "workspaceManagement",
            "session",
            "upsert",
            "--session-id",
            "s1",
            "--title",
            "",
            "--summary",
            "s",
        ],
    )
    .await;
    assert_eq!(empty_title.code, 5, "{}", empty_title.stderr);

    let missing = run(
        cargo_ai(&stack, &ws, alice()),
        &[
            "workspaceManagement",
            "session",
            "upsert",
            "--session-id",
            "s1",
        ],
    )
    .await;
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(missing.stderr.contains("--title"), "{}", missing.stderr);

    let mut no_endpoint = cargo_ai(&stack, &ws, alice());
    no_endpoint.env_remove("CARGO_AI_ENDPOINT");
    let r = run(no_endpoint, &base).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("CARGO_AI_ENDPOINT"), "{}", r.stderr);

    let r = run(cargo_ai(&stack, "not-a-uuid", alice()), &base).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("CARGO_AI_WORKSPACE"), "{}", r.stderr);

    for r in [&both, &malformed, &bad_id, &empty_title, &missing] {
        assert!(
            !r.stderr.contains("panicked") && !r.stderr.contains("RUST_BACKTRACE"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(stack.item_count().await, 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_outages_have_distinct_exit_codes() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let upsert = [
        "workspaceManagement",
        "session",
        "upsert",
        "--session-id",
        "s1",
        "--title",
        "t",
        "--summary",
        "s",
    ];
    assert_eq!(run(cargo_ai(&stack, &ws, alice()), &upsert).await.code, 0);

    let not_owner = run(cargo_ai(&stack, &ws, bob()), &upsert).await;
    assert_eq!(not_owner.code, 7, "{}", not_owner.stderr);
    assert!(
        not_owner.stderr.contains("not_owner"),
        "{}",
        not_owner.stderr
    );

    let mut wrong_secret = cargo_ai(&stack, &ws, alice());
    wrong_secret.env("AWS_SECRET_ACCESS_KEY", "wrong");
    let r = run(wrong_secret, &upsert).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("help:"), "{}", r.stderr);

    // Nothing listens on a port we just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut down = cargo_ai(&stack, &ws, alice());
    down.env("CARGO_AI_ENDPOINT", format!("http://127.0.0.1:{port}"));
    let r = run(down, &["workspaceManagement", "session", "list"]).await;
    assert_eq!(r.code, 8, "{}", r.stderr);
    assert!(r.stderr.contains("cannot reach"), "{}", r.stderr);
    // An upsert that cannot be delivered is not lost: it is queued (exit 9).
    let mut down = cargo_ai(&stack, &ws, alice());
    down.env("CARGO_AI_ENDPOINT", format!("http://127.0.0.1:{port}"));
    let r = run(down, &upsert).await;
    assert_eq!(r.code, 9, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot reach") && r.stderr.contains("outbox"),
        "{}",
        r.stderr
    );
}
