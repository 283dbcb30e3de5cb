//! stdout belongs to the command: the hooks write nothing to it (SessionStart's stdout goes
//! into Claude's context), and `upsert`, `get --json` and `list --json` exactly one JSON
//! document, or nothing when they fail; whatever else happens (a failure, an update queued to
//! the outbox and delivered later, `--verbose`) is said on stderr. The hooks also read their
//! settings from the session's directory, not from the process's.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;
use sessions_e2e::{Run, Stack, alice, cargo_ai, fixtures, new_workspace, run, upsert_args};
use tokio::io::AsyncWriteExt;

/// The one JSON document `stdout` holds; fails on anything else around it.
fn one_json_document(run: &Run) -> Value {
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let mut documents = serde_json::Deserializer::from_str(&run.stdout).into_iter::<Value>();
    let first = documents
        .next()
        .expect("a JSON document on stdout")
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", run.stdout));
    assert!(
        documents.next().is_none(),
        "more than one JSON document on stdout: {:?}",
        run.stdout
    );
    first
}

/// A project as a teammate has it: its `.cargo-ai.toml` names `endpoint` and `workspace`.
fn project(endpoint: &str, workspace: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join(".cargo-ai.toml"),
        format!("endpoint = \"{endpoint}\"\nworkspace = \"{workspace}\"\n"),
    )
    .expect("write .cargo-ai.toml");
    dir
}

/// A loopback URL nothing listens on.
async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// Runs `cargo-ai hooks <which>` as Claude Code does (JSON on stdin, no terminal), with the
/// settings only in `project`'s file, from a working directory that is not the project.
async fn hook(stack: &Stack, project: &Path, which: &str, input: &str) -> Run {
    let mut cmd = cargo_ai(stack, "", alice());
    cmd.env_remove("CARGO_AI_ENDPOINT")
        .env_remove("CARGO_AI_WORKSPACE")
        .env("CARGO_AI_STATE_DIR", project.join("state"))
        .env("PATH", "/usr/bin:/bin")
        .args(["hooks", which])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start the hook");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(input.as_bytes())
        .await
        .expect("write input");
    drop(stdin);
    let out = child.wait_with_output().await.expect("the hook ends");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the hook of `fixture` (a SessionStart or SessionEnd input) for `session_id` in
/// `project`, and asserts it exits 0 with nothing on stdout.
async fn silent(stack: &Stack, project: &Path, fixture: &str, session_id: &str) {
    let which = if fixture.starts_with("hook-session-start") {
        "session-start"
    } else {
        "session-end"
    };
    let run = hook(
        stack,
        project,
        which,
        &hook_input(fixture, project, session_id),
    )
    .await;
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, ""),
        "{fixture}: {}",
        run.stderr
    );
}

/// A hook input for a new session in `project`, from Claude Code's own fixture.
fn hook_input(fixture: &str, project: &Path, session_id: &str) -> String {
    let mut v: Value =
        serde_json::from_str(&fixtures::claude_code_text(fixture)).expect("fixture JSON");
    let transcript = project.join(format!("{session_id}.jsonl"));
    std::fs::copy(fixtures::claude_code("transcript-basic.jsonl"), &transcript)
        .expect("copy transcript");
    v["session_id"] = session_id.into();
    v["transcript_path"] = transcript.display().to_string().into();
    v["cwd"] = project.display().to_string().into();
    v.to_string()
}

fn outbox_entries(state: PathBuf) -> usize {
    std::fs::read_dir(state.join("outbox"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hooks_write_nothing_to_stdout_and_read_the_sessions_own_settings() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let reachable = project(&stack.url, &ws);
    let id = uuid::Uuid::new_v4().to_string();

    silent(
        &stack,
        reachable.path(),
        "hook-session-start-startup.json",
        &id,
    )
    .await;
    assert!(
        stack.raw_item(&ws, &id).await.is_some(),
        "the row is written where the session's .cargo-ai.toml says, though the hook ran elsewhere"
    );
    silent(
        &stack,
        reachable.path(),
        "hook-session-end-prompt_input_exit.json",
        &id,
    )
    .await;

    // The endpoint is down: the start is queued to the outbox, still in silence.
    let down = project(&closed_port().await, &ws);
    let queued_id = uuid::Uuid::new_v4().to_string();
    silent(
        &stack,
        down.path(),
        "hook-session-start-startup.json",
        &queued_id,
    )
    .await;
    assert_eq!(outbox_entries(down.path().join("state")), 1, "queued");
    silent(
        &stack,
        down.path(),
        "hook-session-end-other.json",
        &queued_id,
    )
    .await;

    // Input that is not a hook's, and settings that cannot be read.
    for which in ["session-start", "session-end"] {
        let garbage = hook(&stack, reachable.path(), which, "not json").await;
        assert_eq!((garbage.code, garbage.stdout.as_str()), (0, ""), "{which}");
    }
    let broken = project(&stack.url, "not-a-uuid");
    let broken_id = uuid::Uuid::new_v4().to_string();
    silent(
        &stack,
        broken.path(),
        "hook-session-start-startup.json",
        &broken_id,
    )
    .await;
    silent(
        &stack,
        broken.path(),
        "hook-session-end-other.json",
        &broken_id,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_commands_print_one_document_or_nothing() {
    let mut stack = Stack::start().await;
    let ws = new_workspace();
    let cli = |stack: &Stack| cargo_ai(stack, &ws, alice());
    let get = [
        "workspaceManagement",
        "session",
        "get",
        "--json",
        "--session-id",
    ];
    let list = ["workspaceManagement", "session", "list", "--json"];

    let stored = one_json_document(&run(cli(&stack), &upsert_args("s1", "First", "One.")).await);
    assert_eq!(stored["session_id"], "s1");
    let verbose = run(
        cli(&stack),
        &[&upsert_args("s1", "First", "Again.")[..], &["--verbose"]].concat(),
    )
    .await;
    assert_eq!(one_json_document(&verbose)["summary"], "Again.");
    assert!(verbose.stderr.contains("> PUT "), "{}", verbose.stderr);
    assert_eq!(
        one_json_document(&run(cli(&stack), &[&get[..], &["s1"]].concat()).await)["title"],
        "First"
    );
    assert_eq!(
        one_json_document(&run(cli(&stack), &list).await)
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // Failures say so on stderr only.
    let missing = run(cli(&stack), &[&get[..], &["nope"]].concat()).await;
    assert_eq!(
        (missing.code, missing.stdout.as_str()),
        (6, ""),
        "{}",
        missing.stderr
    );
    stack.stop_server().await;
    let queued = run(cli(&stack), &upsert_args("s2", "Second", "Two.")).await;
    assert_eq!(
        (queued.code, queued.stdout.as_str()),
        (9, ""),
        "{}",
        queued.stderr
    );
    assert!(queued.stderr.contains("outbox"), "{}", queued.stderr);
    // The listing through the API alone: from the local mirror it answers offline (sync.rs).
    for args in [
        &[&get[..], &["s1"]].concat(),
        &[&list[..], &["--no-sync"]].concat(),
    ] {
        let down = run(cli(&stack), args).await;
        assert_eq!(
            (down.code, down.stdout.as_str()),
            (8, ""),
            "{args:?}: {}",
            down.stderr
        );
    }

    // Back up: each command first delivers the queued update and says so on stderr.
    stack.restart_server().await;
    let listed = run(cli(&stack), &list).await;
    assert!(
        listed.stderr.contains("delivered 1 queued update(s)"),
        "{}",
        listed.stderr
    );
    assert_eq!(one_json_document(&listed).as_array().map(Vec::len), Some(2));
}
