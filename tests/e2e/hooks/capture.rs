//! Capture levels through the real hooks: what `full`, `metadata` and `off` store, read back
//! from DynamoDB Local; which setting wins; a bad value; what `config show` and `hooks doctor` say.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use sessions_e2e::{Run, Stack, alice, cargo_ai, new_workspace, run};

use super::*;

/// In every prompt of the transcript: it must reach the table under `full` and nowhere under
/// `metadata` or `off`.
const MARKER: &str = "ZQX-7731-quokka";
/// Words of the conversation besides the marker (prompts, the AI title, replies).
const CONVERSATION_WORDS: [&str; 5] = [MARKER, "first 503", "upload", "jitter", "retr"];

/// A project whose `.cargo-ai.toml` also holds `extra`, in a git repository on `feat/capture`,
/// whose transcript's prompts carry `MARKER`.
fn marked_project(stack: &Stack, ws: &str, extra: &str) -> Project {
    let p = Project::new(stack, ws);
    let settings = p.root.join(".cargo-ai.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str(extra);
    std::fs::write(&settings, text).unwrap();
    let transcript = std::fs::read_to_string(&p.transcript)
        .unwrap()
        .replace(
            "gives up on the first 503",
            &format!("gives up on the first 503 (ticket {MARKER})"),
        )
        .replace(
            "Also log each retry at warn level.",
            &format!("Also log each retry at warn level, see {MARKER}."),
        );
    assert!(
        transcript.matches(MARKER).count() >= 2,
        "both prompts marked"
    );
    std::fs::write(&p.transcript, transcript).unwrap();
    std::fs::create_dir_all(p.root.join(".git")).unwrap();
    std::fs::write(p.root.join(".git/HEAD"), "ref: refs/heads/feat/capture\n").unwrap();
    p
}

/// A stand-in `claude` that counts its calls and puts the marker it was given into its summary.
fn echoing_claude(p: &Project) -> PathBuf {
    let path = p.root.join("echoing-claude");
    let script = format!(
        "#!/bin/bash\n\
         echo x >> '{root}/claude-count'\n\
         printf '%s\\n' \"$@\" > '{root}/claude-args'\n\
         marker=$(grep -o 'ZQX-[0-9]*-[a-z]*' | head -n 1)\n\
         printf '{{\"title\": \"Retry uploads\", \"summary\": \"Retries for ticket %s.\"}}\\n' \"$marker\"\n",
        root = p.root.display()
    );
    std::fs::write(&path, script).unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).unwrap();
    path
}

/// A whole session through the hooks (start, then end), with `env` in Claude Code's environment.
async fn session(stack: &Stack, ws: &str, p: &Project, env: &[(&str, &str)], claude: &Path) {
    let how = HookRun { launcher: &[], env };
    for (which, fixture) in [
        ("session-start", "hook-session-start-startup.json"),
        ("session-end", "hook-session-end-prompt_input_exit.json"),
    ] {
        let input = p.input(fixture, |_| {});
        let (code, stdout, _) = hook_run(how, stack, ws, p, which, &input, Some(claude)).await;
        assert_eq!((code, stdout.as_str()), (0, ""), "{which}");
    }
}

/// Everything an item holds, every attribute's name and value, as one text.
fn item_text(item: &HashMap<String, AttributeValue>) -> String {
    format!("{item:?}")
}

/// Everything the hooks left on this machine: the hooks log, the outbox, the open sessions.
fn state_text(p: &Project) -> String {
    fn walk(dir: &Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push_str(&format!("== {}\n", path.display()));
                out.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = String::new();
    walk(&p.state, &mut out);
    out
}

fn assert_no_conversation(what: &str, text: &str) {
    for word in CONVERSATION_WORDS {
        assert!(
            !text.to_lowercase().contains(&word.to_lowercase()),
            "{word:?} in {what}: {text}"
        );
    }
}

fn project_name(p: &Project) -> String {
    p.root.file_name().unwrap().to_string_lossy().into_owned()
}

/// Waits a moment for anything a hook may have started (a worker) to do its damage.
async fn settle() {
    tokio::time::sleep(Duration::from_secs(3)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_sends_the_conversations_title_and_summary() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = marked_project(&stack, &ws, "capture = \"full\"\n");
    let claude = echoing_claude(&p);
    session(&stack, &ws, &p, &[], &claude).await;
    let row = wait_for(&stack, &ws, &p.session_id, "the finished row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    assert_eq!(row["title"], "Add jittered retry to S3 uploader");
    assert_eq!(row["summary"], format!("Retries for ticket {MARKER}."));
    assert_eq!(p.read("claude-count").lines().count(), 1, "claude ran once");
    let args = p.read("claude-args");
    assert!(
        args.contains("secret") && args.contains("credential"),
        "the summarizer is asked to leave secrets out: {args}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_sends_project_branch_time_and_counts_and_never_runs_claude() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = marked_project(&stack, &ws, "capture = \"metadata\"\n");
    let claude = echoing_claude(&p);
    // A zone with no daylight saving: the transcript starts at 09:00 UTC, 18:00 here.
    session(&stack, &ws, &p, &[("TZ", "JST-9")], &claude).await;
    let row = wait_for(&stack, &ws, &p.session_id, "the finished row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    let name = project_name(&p);
    assert_eq!(
        row["title"],
        format!("{name} (feat/capture) · 2026-11-20 18:00")
    );
    assert_eq!(
        row["summary"],
        "2 prompts, 3 tool calls, 1 file touched in 3 min."
    );
    let item = stack.raw_item(&ws, &p.session_id).await.unwrap();
    assert_no_conversation("the stored item", &item_text(&item));
    assert_no_conversation("the hooks' state", &state_text(&p));
    assert!(
        !p.root.join("claude-count").exists(),
        "claude -p never runs under metadata"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_names_the_session_from_its_start() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = marked_project(&stack, &ws, "capture = \"metadata\"\n");
    let how = HookRun {
        launcher: &[],
        env: &[],
    };
    // A resumed session: Claude Code's own title of it comes from the conversation.
    let input = p.input("hook-session-start-startup.json", |v| {
        v["session_title"] = format!("uploader {MARKER}").into();
    });
    let (code, _, _) = hook_run(how, &stack, &ws, &p, "session-start", &input, None).await;
    assert_eq!(code, 0);
    let row = wait_for(&stack, &ws, &p.session_id, "the placeholder row", |_| true).await;
    let title = row["title"].as_str().unwrap();
    assert!(
        title.starts_with(&format!("{} (feat/capture) · 20", project_name(&p))),
        "{title}"
    );
    assert_eq!(row["summary"], "Session in progress.");
    assert_no_conversation("the placeholder row", &row.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_records_nothing_but_one_log_line() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = marked_project(&stack, &ws, "capture = \"off\"\n");
    let claude = echoing_claude(&p);
    session(&stack, &ws, &p, &[], &claude).await;
    settle().await;
    assert_eq!(stack.item_count().await, 0, "no request reached the table");
    assert!(!p.root.join("claude-count").exists(), "claude never ran");
    let state = state_text(&p);
    assert_no_conversation("the hooks' state", &state);
    assert!(!state.contains(&p.session_id), "{state}");
    let log = std::fs::read_to_string(p.state.join("hooks.log")).unwrap();
    let expected = format!("capture = off for {}: nothing recorded", p.root.display());
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "one line per hook: {log}");
    assert!(lines.iter().all(|l| l.ends_with(&expected)), "{log}");
    assert_eq!(
        state.matches("== ").count(),
        1,
        "no file but the log (no outbox entry, no open session): {state}"
    );
}

/// Updates queued under another level, for other sessions, still go out from a session
/// whose project is `off`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_still_delivers_what_other_sessions_queued() {
    let mut stack = Stack::start().await;
    let ws = new_workspace();
    let full = marked_project(&stack, &ws, "");
    let mut off = marked_project(&stack, &ws, "capture = \"off\"\n");
    off.state = full.state.clone();
    let how = HookRun {
        launcher: &[],
        env: &[],
    };
    stack.stop_server().await;
    let input = full.input("hook-session-start-startup.json", |_| {});
    hook_run(how, &stack, &ws, &full, "session-start", &input, None).await;
    assert!(
        state_text(&full).contains("outbox"),
        "queued while the endpoint is down"
    );
    stack.restart_server().await;

    let input = off.input("hook-session-start-startup.json", |_| {});
    hook_run(how, &stack, &ws, &off, "session-start", &input, None).await;
    let row = stack.raw_item(&ws, &full.session_id).await;
    assert!(row.is_some(), "the queued placeholder was delivered");
    assert!(stack.raw_item(&ws, &off.session_id).await.is_none());
    assert_eq!(stack.item_count().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_beats_the_project_file() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = marked_project(&stack, &ws, "capture = \"off\"\n");
    let claude = echoing_claude(&p);
    session(
        &stack,
        &ws,
        &p,
        &[("CARGO_AI_CAPTURE", "metadata")],
        &claude,
    )
    .await;
    let row = wait_for(&stack, &ws, &p.session_id, "the finished row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    assert_eq!(
        row["summary"],
        "2 prompts, 3 tool calls, 1 file touched in 3 min."
    );
    assert!(!p.root.join("claude-count").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_value_records_nothing_and_says_why() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let in_file = marked_project(&stack, &ws, "capture = \"ful\"\n");
    let in_env = marked_project(&stack, &ws, "");
    for (p, env, named) in [
        (
            &in_file,
            &[][..],
            format!("{}:3", in_file.root.join(".cargo-ai.toml").display()),
        ),
        (
            &in_env,
            &[("CARGO_AI_CAPTURE", "everything")][..],
            "environment CARGO_AI_CAPTURE".to_owned(),
        ),
    ] {
        let claude = echoing_claude(p);
        session(&stack, &ws, p, env, &claude).await;
        settle().await;
        let log = std::fs::read_to_string(p.state.join("hooks.log")).unwrap();
        assert!(
            log.contains(&named)
                && log.contains("full, metadata, off")
                && log.contains(&format!("capture = off for {}", p.root.display()))
                && log.contains("nothing recorded"),
            "{log}"
        );
        assert!(!p.root.join("claude-count").exists());
        assert_no_conversation("the hooks' state", &state_text(p));
    }
    assert_eq!(stack.item_count().await, 0);
}

/// `cargo-ai <args>` run by a person in the project, with `env` added.
async fn cargo_ai_in(stack: &Stack, p: &Project, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = cargo_ai(stack, "", alice());
    cmd.env_remove("CARGO_AI_ENDPOINT")
        .env_remove("CARGO_AI_WORKSPACE")
        .env("CARGO_AI_STATE_DIR", &p.state)
        .envs(env.iter().copied())
        .current_dir(&p.root);
    run(cmd, args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_show_and_doctor_tell_the_level_and_its_source() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    let show = |env: &'static [(&'static str, &'static str)]| {
        let (stack, p) = (&stack, &p);
        async move {
            let out = cargo_ai_in(stack, p, env, &["config", "show", "--json"]).await;
            out.json()["settings"]["capture"].clone()
        }
    };
    let default = show(&[]).await;
    assert_eq!(
        (default["value"].as_str(), default["source"].as_str()),
        (Some("full"), Some("default"))
    );
    let settings = p.root.join(".cargo-ai.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str("capture = \"metadata\"\n");
    std::fs::write(&settings, text).unwrap();
    let from_file = show(&[]).await;
    assert_eq!(from_file["value"], "metadata");
    assert_eq!(
        from_file["source"],
        format!("{}:3", settings.display()),
        "{from_file}"
    );
    let from_env = show(&[("CARGO_AI_CAPTURE", "off")]).await;
    assert_eq!(from_env["value"], "off");
    assert_eq!(from_env["source"], "environment CARGO_AI_CAPTURE");

    let human = cargo_ai_in(&stack, &p, &[], &["config", "show"]).await;
    let line = human
        .ok()
        .lines()
        .find(|l| l.starts_with("capture"))
        .unwrap_or_default()
        .to_owned();
    assert!(
        line.contains("metadata") && line.contains(&format!("({}:3)", settings.display())),
        "{}",
        human.stdout
    );

    let doctor = cargo_ai_in(
        &stack,
        &p,
        &[("CARGO_AI_CAPTURE", "off")],
        &["hooks", "doctor"],
    )
    .await;
    assert!(
        doctor.stdout.contains(
            "capture off (environment CARGO_AI_CAPTURE): the hooks record nothing for this project"
        ) && doctor.stdout.contains("claude -p is never run"),
        "{}",
        doctor.stdout
    );
    let doctor = cargo_ai_in(&stack, &p, &[], &["hooks", "doctor"]).await;
    assert!(
        doctor.stdout.contains(&format!(
            "capture metadata ({}:3): the hooks send the project, branch, times and counts",
            settings.display()
        )),
        "{}",
        doctor.stdout
    );

    // A bad value is an error that names where it is, what it is and what it may be.
    let bad = cargo_ai_in(
        &stack,
        &p,
        &[("CARGO_AI_CAPTURE", "al")],
        &["config", "show"],
    )
    .await;
    assert_eq!(bad.code, 3, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("environment CARGO_AI_CAPTURE")
            && bad.stderr.contains("\"al\"")
            && bad.stderr.contains("full, metadata, off"),
        "{}",
        bad.stderr
    );
}
