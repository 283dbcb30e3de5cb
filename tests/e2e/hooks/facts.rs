//! Session facts through the real hooks: a project that is a git repository whose remote
//! carries a credential, a transcript with known answers; after session-end (or the catch-up)
//! every fact in the DynamoDB item is exact and no credential is stored; a seed-style upsert
//! keeps them; a FIFO or `/dev/zero` transcript still gives a finished row within 10 s, and no
//! worker is left behind.

use std::collections::HashMap;
use std::process::Command;

use aws_sdk_dynamodb::types::AttributeValue;
use sessions_e2e::{Stack, alice, cargo_ai, fixtures, new_workspace, run};

use super::*;
use sessions_e2e::git;

/// How soon after SessionEnd the row must say the session is finished.
const FINISHED_WITHIN: Duration = Duration::from_secs(10);

/// A project that is a git repository on `main` with an https remote carrying a credential,
/// its transcript the facts fixture (answers in `cli/src/facts/tests.rs`).
fn repo_project(stack: &Stack, ws: &str) -> Project {
    let p = Project::new(stack, ws);
    std::fs::copy(
        fixtures::claude_code("transcript-facts.jsonl"),
        &p.transcript,
    )
    .expect("copy the facts transcript");
    git(&p.root, &["init", "-q", "-b", "main"]);
    git(
        &p.root,
        &[
            "remote",
            "add",
            "origin",
            "https://bob:TOKEN@github.com/acme/uploader.git",
        ],
    );
    p
}

/// The project's parent as HOME, so the session's directory reads `~/<name>`.
fn home_of(p: &Project) -> String {
    p.root.parent().unwrap().display().to_string()
}

fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("the host name")
        .trim()
        .to_owned()
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_owned())
}

/// The fact attributes of an item.
fn fact_attributes(item: &HashMap<String, AttributeValue>) -> HashMap<String, AttributeValue> {
    item.iter()
        .filter(|(k, _)| sessions_core::facts::FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Every fact the hooks must store for `repo_project`, ended for `end_reason`.
fn expected_facts(p: &Project, end_reason: &str) -> HashMap<String, AttributeValue> {
    let name = p.root.file_name().unwrap().to_str().unwrap();
    [
        ("repo", s("github.com/acme/uploader")),
        // Git's branch, not the transcript's `feat/retry`.
        ("branch", s("main")),
        ("cwd", s(&format!("~/{name}"))),
        ("host", s(&this_host())),
        ("claude_version", s("2.1.301")),
        (
            "models",
            s("claude-sonnet-4-5-20250929, claude-haiku-4-5-20251001, claude-opus-4-5-20251101"),
        ),
        ("input_tokens", n("152015")),
        ("output_tokens", n("3270")),
        ("cache_read_tokens", n("152000")),
        ("cache_write_tokens", n("13500")),
        ("cost_usd", n("1.08959")),
        ("prompts", n("4")),
        ("tool_calls", n("4")),
        ("files_touched", n("2")),
        ("active_s", n("370")),
        ("end_reason", s(end_reason)),
        // An unborn branch at the start and at the end, nothing tracked: no commits, no lines.
        ("commit_count", n("0")),
        ("lines_added", n("0")),
        ("lines_removed", n("0")),
        ("files_changed", n("0")),
        ("commits", AttributeValue::L(Vec::new())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn assert_no_credential(item: &HashMap<String, AttributeValue>) {
    let text = format!("{item:?}");
    assert!(
        !text.contains("TOKEN") && !text.contains("bob:"),
        "a credential was stored: {text}"
    );
}

/// A hook run with HOME set to `home`.
async fn hook_at_home(
    stack: &Stack,
    ws: &str,
    p: &Project,
    which: &str,
    input: &str,
    home: &str,
) -> i32 {
    let env = [("HOME", home)];
    let how = HookRun {
        launcher: &[],
        env: &env,
    };
    hook_run(how, stack, ws, p, which, input, None).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_end_stores_every_fact_exactly_and_a_seed_upsert_keeps_them() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = repo_project(&stack, &ws);
    every_fact_exactly(&stack, &ws, &p).await;
}

/// The facts are not words of the conversation: `metadata` sends them all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_metadata_stores_every_fact_too() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = repo_project(&stack, &ws);
    let config = std::fs::read_to_string(p.root.join(".cargo-ai.toml")).unwrap();
    std::fs::write(
        p.root.join(".cargo-ai.toml"),
        format!("{config}capture = \"metadata\"\n"),
    )
    .unwrap();
    let item = every_fact_exactly(&stack, &ws, &p).await;
    assert!(
        !format!("{item:?}").contains("jittered"),
        "no word of the conversation under metadata: {item:?}"
    );
}

/// Starts and ends `p`'s session, checks every fact of its row, then a seed-style upsert;
/// returns the row as the end left it.
async fn every_fact_exactly(
    stack: &Stack,
    ws: &str,
    p: &Project,
) -> HashMap<String, AttributeValue> {
    let home = home_of(p);
    let start = p.input("hook-session-start-startup.json", |_| {});
    assert_eq!(
        hook_at_home(stack, ws, p, "session-start", &start, &home).await,
        0
    );
    let end = p.input("hook-session-end-prompt_input_exit.json", |_| {});
    let ended = Instant::now();
    assert_eq!(
        hook_at_home(stack, ws, p, "session-end", &end, &home).await,
        0
    );
    wait_for(stack, ws, &p.session_id, "the finished row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    assert!(
        ended.elapsed() < FINISHED_WITHIN,
        "finished {:?} after SessionEnd",
        ended.elapsed()
    );
    let item = stack.raw_item(ws, &p.session_id).await.expect("the row");
    assert_eq!(
        fact_attributes(&item),
        expected_facts(p, "prompt_input_exit"),
        "every fact, S or N, exact: {item:?}"
    );
    assert_no_credential(&item);

    // The seed's upsert (title and summary only) leaves the facts as they are.
    let seed = run(
        cargo_ai(stack, ws, alice()),
        &[
            "workspaceManagement",
            "session",
            "upsert",
            "--session-id",
            &p.session_id,
            "--title",
            "Retitled",
            "--summary",
            "Seed-style update.",
            "--finished",
        ],
    )
    .await;
    assert_eq!(seed.json()["title"], "Retitled");
    let after = stack.raw_item(ws, &p.session_id).await.expect("the row");
    assert_eq!(after["title"], s("Retitled"));
    assert_eq!(fact_attributes(&after), fact_attributes(&item));
    item
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caught_up_session_ends_with_its_facts_and_reason_caught_up() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = repo_project(&stack, &ws);
    let home = home_of(&p);
    let start = p.input("hook-session-start-startup.json", |_| {});
    let env = [("HOME", home.as_str())];
    let how = HookRun {
        launcher: SHORT_LIVED_CLAUDE,
        env: &env,
    };
    let (code, _, _) = hook_run(how, &stack, &ws, &p, "session-start", &start, None).await;
    assert_eq!(code, 0);
    // Claude Code was killed: no SessionEnd. An hour later, another session starts.
    age(&p, 3600);
    let mut later = Project::new(&stack, &ws);
    later.state = p.state.clone();
    let next = later.input("hook-session-start-startup.json", |_| {});
    assert_eq!(
        hook_at_home(&stack, &ws, &later, "session-start", &next, &home).await,
        0
    );
    wait_for(&stack, &ws, &p.session_id, "the caught-up row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    let item = stack.raw_item(&ws, &p.session_id).await.expect("the row");
    assert_eq!(
        fact_attributes(&item),
        expected_facts(&p, "caught_up"),
        "{item:?}"
    );
    assert_no_credential(&item);
}

/// The pid of the end worker the hooks log names.
fn worker_pid(p: &Project) -> u32 {
    let log = std::fs::read_to_string(p.state.join("hooks.log")).unwrap_or_default();
    log.lines()
        .find_map(|line| {
            let (_, rest) = line.split_once("; worker ")?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no worker in the hooks log: {log}"))
}

/// Whether `pid` is still a running (not a zombie) process.
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .next()?
                .to_owned();
            Some(state != "Z" && state != "X")
        })
        .unwrap_or(false)
}

/// A session whose transcript is `transcript` (never a regular file): ended, its row is
/// finished within 10 s with the facts that do not need the transcript, and its worker is gone.
async fn a_transcript_that_would_block(transcript: &Path) {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    let point = |v: &mut Value| v["transcript_path"] = transcript.display().to_string().into();
    let start = p.input("hook-session-start-startup.json", point);
    assert_eq!(
        hook(&stack, &ws, &p, "session-start", &start, None).await.0,
        0
    );
    let end = p.input("hook-session-end-logout.json", point);
    let ended = Instant::now();
    assert_eq!(hook(&stack, &ws, &p, "session-end", &end, None).await.0, 0);
    let row = wait_for(&stack, &ws, &p.session_id, "the finished row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    let took = ended.elapsed();
    assert!(
        took < FINISHED_WITHIN,
        "{transcript:?}: finished after {took:?}"
    );
    assert_eq!(
        row["summary"], "The session ended; its transcript could not be read.",
        "{row}"
    );
    let item = stack.raw_item(&ws, &p.session_id).await.expect("the row");
    assert_eq!(item.get("end_reason"), Some(&s("logout")), "{item:?}");
    assert_eq!(item.get("host"), Some(&s(&this_host())));
    assert_eq!(item.get("input_tokens"), None, "nothing made up: {item:?}");
    let pid = worker_pid(&p);
    while running(pid) {
        assert!(
            ended.elapsed() < FINISHED_WITHIN,
            "{transcript:?}: worker {pid} still running after {:?}",
            ended.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(p.state.join("hooks.log")).unwrap();
    assert!(log.contains("is not a regular file"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_transcript_never_holds_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("transcript.jsonl");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success());
    a_transcript_that_would_block(&fifo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dev_zero_transcript_never_holds_the_worker() {
    a_transcript_that_would_block(Path::new("/dev/zero")).await;
}
