//! `cargo-ai workspaceManagement session delete`, the real binary: the owner with `--yes` and
//! `--json`, another identity, an absent row, no terminal without `--yes`, the confirmation on a
//! real terminal (a pty from util-linux `script`), and an update queued in the outbox before
//! the delete and flushed after it.

use std::process::Stdio;

use serde_json::Value;
use sessions_e2e::{Run, Stack, alice, bob, cargo_ai, new_workspace, run, scratch_dir};
use sessions_function::auth::LocalKey;
use tokio::io::AsyncWriteExt;

use super::{TOMBSTONE, get, stored_attributes};

async fn upsert(stack: &Stack, ws: &str, id: &str, title: &str) -> Run {
    run(
        cargo_ai(stack, ws, alice()),
        &sessions_e2e::upsert_args(id, title, "what happened"),
    )
    .await
}

fn delete_args<'a>(id: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "workspaceManagement",
        "session",
        "delete",
        "--session-id",
        id,
    ];
    args.extend_from_slice(extra);
    args
}

async fn delete(stack: &Stack, ws: &str, who: &LocalKey, id: &str, extra: &[&str]) -> Run {
    run(cargo_ai(stack, ws, who), &delete_args(id, extra)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_deletes_and_nobody_else_can() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    upsert(&stack, &ws, "s1", "first").await.ok();
    upsert(&stack, &ws, "s2", "second").await.ok();
    let before = stack.raw_item(&ws, "s1").await;

    let other = delete(&stack, &ws, bob(), "s1", &["--yes"]).await;
    assert_eq!(other.code, 7, "conflict exit code: {}", other.stderr);
    assert!(
        other.stderr.contains("only its creator") && other.stderr.contains("not_owner"),
        "{}",
        other.stderr
    );
    assert!(other.stdout.is_empty());
    assert_eq!(stack.raw_item(&ws, "s1").await, before, "row untouched");

    let done = delete(&stack, &ws, alice(), "s1", &["--yes"]).await;
    assert_eq!(
        done.ok(),
        format!("Deleted session s1 from workspace {ws}.\n")
    );
    get(&stack, &ws, "s1").await.expect_error(404, "not_found");
    let shown = run(
        cargo_ai(&stack, &ws, alice()),
        &[
            "workspaceManagement",
            "session",
            "get",
            "--session-id",
            "s1",
        ],
    )
    .await;
    assert_eq!(shown.code, 6, "not found: {}", shown.stderr);

    let json: Value = delete(&stack, &ws, alice(), "s2", &["-y", "--json"])
        .await
        .json();
    assert_eq!(json["workspace_uuid"], ws.as_str());
    assert_eq!(json["session_id"], "s2");
    assert!(json["deleted_at"].is_string(), "{json}");

    for (who, id) in [(alice(), "s1"), (bob(), "s1"), (alice(), "never")] {
        let absent = delete(&stack, &ws, who, id, &["--yes"]).await;
        assert_eq!(absent.code, 6, "{id}: {}", absent.stderr);
        assert!(
            absent.stderr.contains("never recorded, or already deleted"),
            "{}",
            absent.stderr
        );
    }
    let listed = run(
        cargo_ai(&stack, &ws, alice()),
        &["workspaceManagement", "session", "list", "--json"],
    )
    .await
    .json();
    assert_eq!(listed, Value::Array(vec![]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_it_asks_for_yes_and_sends_nothing() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    upsert(&stack, &ws, "s1", "kept").await.ok();
    let refused = delete(&stack, &ws, alice(), "s1", &[]).await;
    assert_eq!(refused.code, 5, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("not a terminal") && refused.stderr.contains("--yes"),
        "{}",
        refused.stderr
    );
    assert!(refused.stdout.is_empty());
    assert_eq!(get(&stack, &ws, "s1").await.status, 200);
}

/// Runs `cargo-ai` on a pseudo-terminal (util-linux `script`), typing `answer`.
async fn on_a_terminal(stack: &Stack, ws: &str, args: &[&str], answer: &str) -> Run {
    let template = cargo_ai(stack, ws, alice());
    let template = template.as_std();
    let program = template.get_program().to_string_lossy().into_owned();
    let line = std::iter::once(program.as_str())
        .chain(args.iter().copied())
        .map(|word| format!("'{word}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = tokio::process::Command::new("script");
    cmd.env_clear()
        .current_dir(scratch_dir())
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in template.get_envs() {
        if let Some(value) = value {
            cmd.env(key, value);
        }
    }
    let mut child = cmd
        .spawn()
        .expect("util-linux `script` runs (Debian package bsdutils)");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(answer.as_bytes())
        .await
        .expect("type the answer");
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("finished within a minute")
        .expect("script ran");
    drop(stdin);
    Run {
        code: out.status.code().unwrap_or(-1),
        // The terminal carries stdout and stderr both.
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_it_shows_the_row_and_asks() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let created = upsert(&stack, &ws, "s1", "Plans for the launch")
        .await
        .json();
    let created_at = created["created_at"].as_str().expect("created_at");

    let no = on_a_terminal(&stack, &ws, &delete_args("s1", &[]), "n\n").await;
    assert_eq!(no.code, 0, "{} {}", no.stdout, no.stderr);
    for shown in [
        "s1",
        "\"Plans for the launch\"",
        created_at,
        "[y/N]",
        "Nothing deleted.",
    ] {
        assert!(no.stdout.contains(shown), "{shown} in {:?}", no.stdout);
    }
    assert_eq!(get(&stack, &ws, "s1").await.status, 200, "kept");

    let yes = on_a_terminal(&stack, &ws, &delete_args("s1", &[]), "y\n").await;
    assert_eq!(yes.code, 0, "{} {}", yes.stdout, yes.stderr);
    assert!(
        yes.stdout.contains("Deleted session s1"),
        "{:?}",
        yes.stdout
    );
    get(&stack, &ws, "s1").await.expect_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_queued_before_the_delete_does_not_bring_the_row_back() {
    let mut stack = Stack::start().await;
    let ws = new_workspace();
    upsert(&stack, &ws, "s1", "first").await.ok();

    // The endpoint goes away; the next update waits in the outbox.
    stack.stop_server().await;
    let queued = upsert(&stack, &ws, "s1", "queued before the delete").await;
    assert_eq!(queued.code, 9, "queued: {}", queued.stderr);
    stack.restart_server().await;

    // Deleted from elsewhere (another machine of the same person: its own outbox, empty),
    // before this machine delivers what it queued.
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let mut other_machine = cargo_ai(&stack, &ws, alice());
    other_machine.env("CARGO_AI_STATE_DIR", elsewhere.path());
    let deleted = run(other_machine, &delete_args("s1", &["--yes"])).await;
    assert!(deleted.ok().contains("Deleted session s1"));

    let flush = run(cargo_ai(&stack, &ws, alice()), &["outbox", "flush"]).await;
    assert_eq!(flush.code, 0, "{}", flush.stderr);
    assert!(
        flush.stderr.contains("1 already superseded"),
        "{}",
        flush.stderr
    );
    let status = run(
        cargo_ai(&stack, &ws, alice()),
        &["outbox", "status", "--json"],
    )
    .await
    .json();
    assert_eq!(status["pending"], Value::Array(vec![]), "{status}");
    assert_eq!(status["failed"], Value::Array(vec![]), "{status}");

    get(&stack, &ws, "s1").await.expect_error(404, "not_found");
    assert_eq!(
        stored_attributes(&stack, &ws, "s1").await,
        TOMBSTONE.into_iter().map(str::to_owned).collect(),
        "still the tombstone, without the queued title"
    );
}
