//! What current Claude Code tells the hooks, used where it makes the row better: the start's
//! model and the session's own name, a fork's origin, and a subagent's hooks left alone.

use std::collections::HashMap;
use std::process::Output;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use sessions_e2e::fake_anthropic::{FakeAnthropic, Release, user_text};
use sessions_e2e::{Stack, alice, cargo_ai_path, new_workspace};

use super::*;

type Item = HashMap<String, AttributeValue>;

/// A transcript with the `custom-title` entry Claude Code writes for `claude -n NAME` (and
/// `/rename`), and `extra` lines after it.
fn named_transcript(p: &Project, name: &str, extra: &[&str]) {
    let mut text = std::fs::read_to_string(&p.transcript).unwrap_or_default();
    text.push_str(
        &json!({"type": "custom-title", "customTitle": name, "sessionId": p.session_id})
            .to_string(),
    );
    text.push('\n');
    for line in extra {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(&p.transcript, text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_start_records_its_title_and_model_until_the_transcript_names_the_models() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    let claude = p.fake_claude("");
    named_transcript(&p, "uploader: retries", &[]);

    let start = p.input("hook-session-start-named.json", |_| {});
    let (code, stdout, _) = hook(&stack, &ws, &p, "session-start", &start, Some(&claude)).await;
    assert_eq!((code, stdout.as_str()), (0, ""));
    let row = wait_for(&stack, &ws, &p.session_id, "the started row", |_| true).await;
    assert_eq!(row["title"], "uploader: retries", "the session's own name");
    assert_eq!(
        row["models"], "claude-opus-5-5",
        "the start's model, as the API names it"
    );
    assert_eq!(row["summary"], "Session in progress.");

    let end = p.input("hook-session-end-prompt_input_exit.json", |_| {});
    assert_eq!(
        hook(&stack, &ws, &p, "session-end", &end, Some(&claude))
            .await
            .0,
        0
    );
    let ended = wait_for(&stack, &ws, &p.session_id, "the finished row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    assert_eq!(
        ended["title"], "uploader: retries",
        "the name still beats the AI title and the LLM's"
    );
    assert_eq!(
        ended["models"], "claude-sonnet-4-5-20250929, claude-haiku-4-5-20251001",
        "the models that answered replace the start's"
    );

    // A session that ends before any answer keeps the model it started with.
    let quiet = Project::new(&stack, &ws);
    std::fs::write(&quiet.transcript, "").unwrap();
    named_transcript(&quiet, "a quiet one", &[]);
    let start = quiet.input("hook-session-start-named.json", |_| {});
    hook(&stack, &ws, &quiet, "session-start", &start, Some(&claude)).await;
    let end = quiet.input("hook-session-end-other.json", |_| {});
    hook(&stack, &ws, &quiet, "session-end", &end, Some(&claude)).await;
    let ended = wait_for(&stack, &ws, &quiet.session_id, "the quiet end", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    assert_eq!(ended["models"], "claude-opus-5-5");
    assert_eq!(ended["title"], "a quiet one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subagents_start_and_end_record_nothing_and_change_nothing() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    let claude = p.fake_claude("");

    // A subagent's hook for a session that has no row yet creates none.
    let sub_start = p.input("hook-session-start-subagent.json", |_| {});
    let (code, stdout, _) = hook(&stack, &ws, &p, "session-start", &sub_start, Some(&claude)).await;
    assert_eq!((code, stdout.as_str()), (0, ""));
    assert_eq!(stack.item_count().await, 0, "no row for a subagent");

    let start = p.input("hook-session-start-startup.json", |_| {});
    hook(&stack, &ws, &p, "session-start", &start, Some(&claude)).await;
    let before = stack.raw_item(&ws, &p.session_id).await.expect("the row");

    let sub_end = p.input("hook-session-end-subagent.json", |_| {});
    for (which, input) in [("session-start", &sub_start), ("session-end", &sub_end)] {
        let (code, stdout, _) = hook(&stack, &ws, &p, which, input, Some(&claude)).await;
        assert_eq!((code, stdout.as_str()), (0, ""), "{which}");
    }
    let log = wait_for_log(&p, &["session-end"]).await;
    assert!(
        log.contains(&format!(
            "session-end {}: fired for subagent Explore",
            p.session_id
        )),
        "{log}"
    );
    // Time for a worker to have written, had one been started.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = stack.raw_item(&ws, &p.session_id).await.expect("the row");
    assert_eq!(after, before, "the row is exactly as it was");
    assert_eq!(stack.item_count().await, 1, "never a second row");
    assert!(
        !p.read("claude-count").contains('x'),
        "no summarizing for a subagent"
    );
    assert!(
        open_session_file(&p).exists(),
        "the session itself is still open"
    );
}

/// Every row of the test's table.
async fn rows(stack: &Stack) -> Vec<Item> {
    stack
        .dynamodb
        .scan()
        .table_name(&stack.table)
        .send()
        .await
        .expect("Scan on DynamoDB Local")
        .items
        .unwrap_or_default()
}

/// Waits until `n` rows of the test's table are `done`, and returns them.
async fn rows_once(
    stack: &Stack,
    p: &Project,
    n: usize,
    done: impl Fn(&Item) -> bool,
) -> Vec<Item> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found: Vec<Item> = rows(stack).await.into_iter().filter(&done).collect();
        if found.len() >= n {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} rows; hooks log: {}",
            found.len(),
            p.read("state/hooks.log")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn finished(row: &Item) -> bool {
    row.contains_key("finished_at")
}

fn text<'a>(row: &'a Item, name: &str) -> Option<&'a str> {
    row.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// The real Claude Code CLI, with our hooks installed, runs a named session and then a fork
/// of it: two rows, the fork's naming the session it came from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_claude_code_a_named_session_and_its_fork_are_two_rows() {
    a_named_session_and_its_fork(Release::Current).await;
}

/// The same with the oldest Claude Code release the hooks still support.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oldest_supported_claude_code_forks_into_two_rows_too() {
    a_named_session_and_its_fork(Release::Oldest).await;
}

async fn a_named_session_and_its_fork(release: Release) {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    let home = p.root.join("home");
    let fake = FakeAnthropic::start(|body| {
        if user_text(body).contains("Read the Claude Code transcript") {
            r#"{"title": "A title from the summarizer", "summary": "The user asked for retries; Claude answered."}"#.to_owned()
        } else {
            "Sure: wrap upload() in a retry loop.".to_owned()
        }
    });
    let bin = p.root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(cargo_ai_path(), bin.join("cargo-ai")).unwrap();
    let mut install = cargo_ai(&stack, &ws, alice());
    install
        .env_remove("CARGO_AI_ENDPOINT")
        .env_remove("CARGO_AI_WORKSPACE")
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .current_dir(&p.root)
        .args(["hooks", "install", "--project"]);
    let installed = install.output().await.expect("run cargo-ai hooks install");
    assert!(installed.status.success(), "{installed:?}");

    let run = |args: &[&str]| {
        let mut claude = release.command(&home, &fake.url());
        sessions_e2e::fake_anthropic::put_first_on_path(&mut claude, &bin);
        claude
            .current_dir(&p.root)
            .args(args)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", alice().access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", alice().secret_access_key)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("CARGO_AI_STATE_DIR", &p.state)
            .env("CARGO_AI_CLAUDE", release.bin());
        async move {
            let out: Output = tokio::task::spawn_blocking(move || claude.output())
                .await
                .unwrap()
                .expect("run claude");
            assert!(
                out.status.success(),
                "claude failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };

    run(&[
        "-p",
        "-n",
        "uploader: retries",
        "Add retries to the uploader",
    ])
    .await;
    let first = rows_once(&stack, &p, 1, finished).await.remove(0);
    let first_id = text(&first, "session_id").expect("a session id").to_owned();
    assert_eq!(text(&first, "title"), Some("uploader: retries"));
    assert_eq!(text(&first, "forked_from"), None, "no fork");

    run(&[
        "-p",
        "--resume",
        &first_id,
        "--fork-session",
        "Now log each retry",
    ])
    .await;
    let rows = rows_once(&stack, &p, 2, finished).await;
    assert_eq!(rows.len(), 2, "a fork is a new session: {rows:?}");
    let fork = rows
        .iter()
        .find(|r| text(r, "session_id") != Some(first_id.as_str()))
        .expect("the fork's row");
    assert_eq!(text(fork, "forked_from"), Some(first_id.as_str()));
    assert_eq!(
        text(fork, "title"),
        Some("uploader: retries"),
        "the fork goes on under the name it was given"
    );
    let session_model = fake
        .answers()
        .iter()
        .find(|a| a.asked.contains("Now log each retry"))
        .map(|a| a.model.clone())
        .expect("the fork's call");
    assert!(
        text(fork, "models").is_some_and(|m| m.contains(&session_model)),
        "{fork:?}"
    );
    assert_eq!(
        text(fork, "claude_version"),
        Some(release.version().as_str())
    );
    // The first session's row is its own still.
    let first_now = stack.raw_item(&ws, &first_id).await.expect("the first row");
    assert_eq!(first_now.get("forked_from"), None);
    assert_eq!(first_now.get("uuid"), first.get("uuid"));
}

/// Only an interactive session names its model at SessionStart (`claude -p` does not): the
/// real CLI in a terminal (`script`), started with `--model`, has its row carry that model
/// from the start, before any answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_claude_code_in_a_terminal_starts_its_row_with_its_model() {
    use tokio::io::AsyncWriteExt;
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    let home = p.root.join("home");
    let fake = FakeAnthropic::replying("Sure.");
    let bin = p.root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(cargo_ai_path(), bin.join("cargo-ai")).unwrap();
    let mut install = cargo_ai(&stack, &ws, alice());
    install
        .env_remove("CARGO_AI_ENDPOINT")
        .env_remove("CARGO_AI_WORKSPACE")
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .current_dir(&p.root)
        .args(["hooks", "install", "--project"]);
    assert!(install.output().await.unwrap().status.success());
    // A user who has been through the first-run screens and trusts the project.
    std::fs::create_dir_all(&home).unwrap();
    let key = "sk-ant-offline-test-key";
    std::fs::write(
        home.join(".claude.json"),
        json!({
            "hasCompletedOnboarding": true,
            "theme": "dark",
            "customApiKeyResponses": {"approved": [&key[key.len() - 20..]], "rejected": []},
            "projects": {p.root.display().to_string(): {
                "hasTrustDialogAccepted": true, "hasCompletedProjectOnboarding": true}},
        })
        .to_string(),
    )
    .unwrap();

    let release = Release::Current;
    let mut claude = release.command(&home, &fake.url());
    sessions_e2e::fake_anthropic::put_first_on_path(&mut claude, &bin);
    let mut terminal = tokio::process::Command::new("script");
    terminal
        .env_clear()
        .envs(
            claude
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
        )
        .env("TERM", "xterm")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", alice().access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", alice().secret_access_key)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("CARGO_AI_STATE_DIR", &p.state)
        .env("CARGO_AI_CLAUDE", release.bin())
        .arg("-qfc")
        .arg(format!(
            "'{}' --model claude-opus-5-5",
            release.bin().display()
        ))
        .arg("/dev/null")
        .current_dir(&p.root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    let mut session = terminal.spawn().expect("run script (util-linux)");
    let mut keyboard = session.stdin.take().unwrap();

    let started = rows_once(&stack, &p, 1, |_| true).await.remove(0);
    assert_eq!(
        text(&started, "models"),
        Some("claude-opus-5-5"),
        "{started:?}"
    );
    assert_eq!(text(&started, "summary"), Some("Session in progress."));

    // Then a prompt, and /exit once it is answered.
    tokio::time::sleep(Duration::from_secs(2)).await;
    keyboard.write_all(b"say hi\r").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    while fake.messages().is_empty() {
        assert!(Instant::now() < deadline, "the prompt was never sent");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    keyboard.write_all(b"/exit\r").await.unwrap();
    let ended = rows_once(&stack, &p, 1, finished).await.remove(0);
    assert_eq!(text(&ended, "models"), Some("claude-opus-5-5"));
    assert_eq!(text(&ended, "end_reason"), Some("prompt_input_exit"));
    drop(keyboard);
    let _ = tokio::time::timeout(Duration::from_secs(10), session.wait()).await;
}
