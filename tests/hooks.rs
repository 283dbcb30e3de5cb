//! The hooks as Claude Code runs them (stdin JSON, environment) against the local stack, with
//! a stand-in `claude` that records how it was called: the row is right at every step, the
//! recursion guard holds, session-end returns at once however slow `claude` is.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sessions_e2e::{Stack, alice, cargo_ai, cargo_ai_path, new_workspace, repo_root};
use tokio::io::AsyncWriteExt;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/claude-code");

/// A project directory as a teammate has it: `.cargo-ai.toml`, a transcript, a state dir.
struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
    state: PathBuf,
    transcript: PathBuf,
    session_id: String,
}

impl Project {
    fn new(stack: &Stack, ws: &str) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        std::fs::create_dir_all(root.join(".claude")).unwrap();
        std::fs::write(
            root.join(".cargo-ai.toml"),
            format!("endpoint = \"{}\"\nworkspace = \"{ws}\"\n", stack.url),
        )
        .unwrap();
        let session_id = uuid::Uuid::new_v4().to_string();
        let transcript = root.join(format!("{session_id}.jsonl"));
        std::fs::copy(format!("{FIXTURES}/transcript-basic.jsonl"), &transcript)
            .expect("copy transcript");
        Project {
            state: root.join("state"),
            _dir: dir,
            root,
            transcript,
            session_id,
        }
    }

    /// A fixture hook input, pointed at this project's session, transcript and directory.
    fn input(&self, fixture: &str, change: impl FnOnce(&mut Value)) -> String {
        let text = std::fs::read_to_string(format!("{FIXTURES}/{fixture}")).expect("fixture");
        let mut v: Value = serde_json::from_str(&text).expect("fixture JSON");
        v["session_id"] = self.session_id.clone().into();
        v["transcript_path"] = self.transcript.display().to_string().into();
        v["cwd"] = self.root.display().to_string().into();
        change(&mut v);
        v.to_string()
    }

    /// A stand-in `claude`: records its arguments, guard variable, stdin and call count,
    /// optionally runs `extra` first, then replies with JSON inside prose and a code fence.
    fn fake_claude(&self, extra: &str) -> PathBuf {
        let path = self.root.join("fake-claude");
        let log = self.root.display();
        let script = format!(
            "#!/bin/bash\n\
             echo x >> '{log}/claude-count'\n\
             printf '%s\\n' \"$@\" > '{log}/claude-args'\n\
             echo \"CARGO_AI_HOOK_CHILD=$CARGO_AI_HOOK_CHILD\" > '{log}/claude-env'\n\
             cat > '{log}/claude-stdin'\n\
             {extra}\n\
             printf 'Here is the summary you asked for:\\n```json\\n{{\"title\": \"Retry S3 uploads with jitter\", \"summary\": \"Added jittered exponential backoff to the uploader and tests for it.\"}}\\n```\\n'\n"
        );
        std::fs::write(&path, script).unwrap();
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&path, perms).unwrap();
        path
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.root.join(name)).unwrap_or_default()
    }
}

/// A hook run the way Claude Code runs it: JSON on stdin, in the project, no terminal. The
/// test process stands in for Claude Code: it outlives the hook, as Claude Code does.
async fn hook(
    stack: &Stack,
    ws: &str,
    project: &Project,
    which: &str,
    input: &str,
    claude: Option<&Path>,
) -> (i32, String, Duration) {
    hook_via(&[], stack, ws, project, which, input, claude).await
}

/// A stand-in Claude Code process that runs the hook and exits right after it, as a
/// terminal that is killed takes Claude Code with it.
const SHORT_LIVED_CLAUDE: &[&str] = &["/usr/bin/timeout", "60"];
/// A shell between Claude Code (the test process) and the hook that stays until the hook
/// is done, as `sh -c '<command>'` does.
const SHELL_BETWEEN: &[&str] = &["/bin/bash", "-c", r#""$0" "$@"; true"#];

/// `hook`, with the hook started through `launcher` (a program and its first arguments).
async fn hook_via(
    launcher: &[&str],
    stack: &Stack,
    ws: &str,
    project: &Project,
    which: &str,
    input: &str,
    claude: Option<&Path>,
) -> (i32, String, Duration) {
    let mut direct = cargo_ai(stack, ws, alice());
    direct
        .env_remove("CARGO_AI_ENDPOINT")
        .env_remove("CARGO_AI_WORKSPACE")
        .env("CARGO_AI_STATE_DIR", &project.state)
        .env("PATH", "/usr/bin:/bin")
        .args(["hooks", which]);
    if let Some(claude) = claude {
        direct.env("CARGO_AI_CLAUDE", claude);
    }
    let mut cmd = match launcher.split_first() {
        None => direct,
        Some((program, args)) => {
            let direct = direct.as_std();
            let mut cmd = tokio::process::Command::new(program);
            cmd.env_clear()
                .args(args)
                .arg(direct.get_program())
                .args(direct.get_args());
            for (key, value) in direct.get_envs() {
                if let Some(value) = value {
                    cmd.env(key, value);
                }
            }
            cmd
        }
    };
    cmd.current_dir(&project.root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("start the hook");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(input.as_bytes())
        .await
        .expect("write hook input");
    drop(stdin);
    let out = child.wait_with_output().await.expect("hook finished");
    let elapsed = started.elapsed();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        elapsed,
    )
}

/// Polls the row until `done` holds (the end worker is detached: the hook does not wait for it).
async fn wait_for(
    stack: &Stack,
    ws: &str,
    id: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if let Some(item) = stack.raw_item(ws, id).await {
            let row: Value = item
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Value::from(v.as_s().cloned().unwrap_or_default()),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
                .into();
            if done(&row) {
                return row;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; row is {row}"
            );
        } else {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; no row"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Makes a session look `seconds` older: its transcript and its recorded start.
fn age(project: &Project, seconds: u64) {
    let then = std::time::SystemTime::now() - Duration::from_secs(seconds);
    if project.transcript.exists() {
        std::fs::File::options()
            .write(true)
            .open(&project.transcript)
            .unwrap()
            .set_modified(then)
            .unwrap();
    }
    edit_open_session(project, |s| {
        s["started_at"] = sessions_core::Timestamp::from_system_time(then)
            .to_string()
            .into();
    });
}

/// The machine's record of a started, not yet ended session.
fn open_session_file(project: &Project) -> PathBuf {
    project
        .state
        .join("open-sessions")
        .join(format!("{}.json", project.session_id))
}

fn edit_open_session(project: &Project, change: impl FnOnce(&mut Value)) {
    let path = open_session_file(project);
    let mut session: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("open session recorded"))
            .unwrap();
    change(&mut session);
    std::fs::write(&path, session.to_string()).unwrap();
}

/// Waits for the hooks log to hold a line containing one of `any`, and returns the log.
async fn wait_for_log(project: &Project, any: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let log = std::fs::read_to_string(project.state.join("hooks.log")).unwrap_or_default();
        if any.iter().any(|line| log.contains(line)) {
            return log;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {any:?} in the hooks log: {log}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_end_resume_end_gives_the_right_row_at_every_step() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    let claude = p.fake_claude("");

    let (code, stdout, _) = hook(
        &stack,
        &ws,
        &p,
        "session-start",
        &p.input("hook-session-start-startup.json", |_| {}),
        Some(&claude),
    )
    .await;
    assert_eq!(
        (code, stdout.as_str()),
        (0, ""),
        "SessionStart prints nothing"
    );
    let row = wait_for(&stack, &ws, &p.session_id, "the placeholder row", |_| true).await;
    assert_eq!(
        row["title"],
        format!("Claude Code session {}", p.session_id)
    );
    assert_eq!(row["summary"], "Session in progress.");
    assert!(row.get("finished_at").is_none());

    let (code, stdout, elapsed) = hook(
        &stack,
        &ws,
        &p,
        "session-end",
        &p.input("hook-session-end-prompt_input_exit.json", |_| {}),
        Some(&claude),
    )
    .await;
    assert_eq!((code, stdout.as_str()), (0, ""));
    eprintln!("session-end returned in {elapsed:?}");
    let ended = wait_for(&stack, &ws, &p.session_id, "the finished row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    assert_eq!(
        ended["title"], "Add jittered retry to S3 uploader",
        "the session's AI title beats the LLM's"
    );
    assert_eq!(
        ended["summary"],
        "Added jittered exponential backoff to the uploader and tests for it."
    );
    assert_eq!(ended["uuid"], row["uuid"]);

    // How claude was called: hooks off, no persistence, our guard, only the conversation.
    let args = p.read("claude-args");
    assert!(
        args.contains("-p")
            && args.contains(r#"{"disableAllHooks":true}"#)
            && args.contains("--no-session-persistence"),
        "{args}"
    );
    assert_eq!(p.read("claude-env").trim(), "CARGO_AI_HOOK_CHILD=1");
    let stdin = p.read("claude-stdin");
    assert!(
        stdin.contains("503"),
        "the user's prompt reaches claude: {stdin}"
    );
    assert!(
        !stdin.contains("local-command-caveat") && !stdin.contains("<command-name>"),
        "wrappers are dropped: {stdin}"
    );

    // Resumed: the real title and summary survive, and the row is unfinished again.
    let resume = p.input("hook-session-start-resume.json", |_| {});
    assert_eq!(
        hook(&stack, &ws, &p, "session-start", &resume, Some(&claude))
            .await
            .0,
        0
    );
    let resumed = wait_for(&stack, &ws, &p.session_id, "the reopened row", |r| {
        r.get("finished_at").is_none()
    })
    .await;
    assert_eq!(resumed["title"], ended["title"]);
    assert_eq!(resumed["summary"], ended["summary"]);
    // Compacting keeps everything.
    let compact = p.input("hook-session-start-compact.json", |_| {});
    assert_eq!(
        hook(&stack, &ws, &p, "session-start", &compact, Some(&claude))
            .await
            .0,
        0
    );
    assert_eq!(
        stack.raw_item(&ws, &p.session_id).await.unwrap()["title"]
            .as_s()
            .unwrap(),
        "Add jittered retry to S3 uploader"
    );

    let (code, _, _) = hook(
        &stack,
        &ws,
        &p,
        "session-end",
        &p.input("hook-session-end-other.json", |_| {}),
        Some(&claude),
    )
    .await;
    assert_eq!(code, 0);
    let again = wait_for(&stack, &ws, &p.session_id, "the finished-again row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    assert!(again["finished_at"].as_str() > ended["finished_at"].as_str());
    assert_eq!(stack.item_count().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_claude_the_summary_comes_from_the_transcript() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    // A transcript with a /rename title.
    std::fs::copy(format!("{FIXTURES}/transcript-titles.jsonl"), &p.transcript).unwrap();
    let mut body = std::fs::read_to_string(format!("{FIXTURES}/transcript-basic.jsonl")).unwrap();
    body.push_str(&std::fs::read_to_string(format!("{FIXTURES}/transcript-titles.jsonl")).unwrap());
    std::fs::write(&p.transcript, body).unwrap();
    assert_eq!(
        hook(
            &stack,
            &ws,
            &p,
            "session-start",
            &p.input("hook-session-start-startup.json", |_| {}),
            None
        )
        .await
        .0,
        0
    );
    assert_eq!(
        hook(
            &stack,
            &ws,
            &p,
            "session-end",
            &p.input("hook-session-end-logout.json", |_| {}),
            None
        )
        .await
        .0,
        0
    );
    let row = wait_for(&stack, &ws, &p.session_id, "the finished row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    assert_eq!(row["title"], "uploader: retries", "the /rename title wins");
    let summary = row["summary"].as_str().unwrap();
    assert_ne!(summary, "Session ended.");
    assert!(
        summary.contains("prompt") && summary.contains("Edit"),
        "prompts and tools: {summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recursion_guard_keeps_claude_from_recording_itself() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    // This claude runs our hooks itself, for a session of its own, as an unguarded one would.
    let nested = json!({"session_id": "nested-session", "transcript_path": p.transcript, "cwd": p.root, "source": "startup"}).to_string();
    let exe = cargo_ai_path();
    let extra = format!(
        "echo '{nested}' | '{exe}' hooks session-start\necho '{nested}' | '{exe}' hooks session-end",
        exe = exe.display()
    );
    let claude = p.fake_claude(&extra);
    assert_eq!(
        hook(
            &stack,
            &ws,
            &p,
            "session-start",
            &p.input("hook-session-start-startup.json", |_| {}),
            Some(&claude)
        )
        .await
        .0,
        0
    );
    assert_eq!(
        hook(
            &stack,
            &ws,
            &p,
            "session-end",
            &p.input("hook-session-end-other.json", |_| {}),
            Some(&claude)
        )
        .await
        .0,
        0
    );
    wait_for(&stack, &ws, &p.session_id, "the finished row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        p.read("claude-count").lines().count(),
        1,
        "claude ran once: no recursion"
    );
    assert!(
        stack.raw_item(&ws, "nested-session").await.is_none(),
        "the child session is not recorded"
    );
    assert_eq!(stack.item_count().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_end_returns_at_once_while_a_slow_claude_works() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    let claude = p.fake_claude("sleep 10");
    assert_eq!(
        hook(
            &stack,
            &ws,
            &p,
            "session-start",
            &p.input("hook-session-start-startup.json", |_| {}),
            Some(&claude)
        )
        .await
        .0,
        0
    );
    // Best of three, so one slow start of the process on a busy machine does not decide.
    let mut times = Vec::new();
    for _ in 0..3 {
        let (code, stdout, elapsed) = hook(
            &stack,
            &ws,
            &p,
            "session-end",
            &p.input("hook-session-end-other.json", |_| {}),
            Some(&claude),
        )
        .await;
        assert_eq!((code, stdout.as_str()), (0, ""));
        times.push(elapsed);
    }
    let best = times.iter().min().copied().unwrap_or_default();
    eprintln!("session-end with a 10 s claude returned in {times:?}");
    assert!(
        best < Duration::from_millis(100),
        "session-end took {times:?}; it must return within 100 ms"
    );
    let row = wait_for(
        &stack,
        &ws,
        &p.session_id,
        "the row after the slow claude",
        |r| r.get("finished_at").is_some(),
    )
    .await;
    assert_eq!(
        row["summary"],
        "Added jittered exponential backoff to the uploader and tests for it."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_whose_end_never_fired_is_caught_up_at_the_next_start() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    assert_eq!(
        hook_via(
            SHORT_LIVED_CLAUDE,
            &stack,
            &ws,
            &p,
            "session-start",
            &p.input("hook-session-start-startup.json", |_| {}),
            None
        )
        .await
        .0,
        0
    );
    // The terminal was killed, Claude Code with it: no SessionEnd. An hour later:
    age(&p, 3600);
    let mut later = Project::new(&stack, &ws);
    later.state = p.state.clone();
    let next = later.input("hook-session-start-startup.json", |_| {});
    assert_eq!(
        hook(&stack, &ws, &later, "session-start", &next, None)
            .await
            .0,
        0
    );
    let row = wait_for(&stack, &ws, &p.session_id, "the caught-up row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    assert_eq!(row["title"], "Add jittered retry to S3 uploader");
    assert!(
        row["finished_at"].as_str().unwrap()
            < sessions_core::Timestamp::now()
                .plus_seconds(-3000)
                .to_string()
                .as_str(),
        "ended when it was last active: {row}"
    );
}

/// A startup SessionStart through `launcher`, which must succeed.
async fn start(stack: &Stack, ws: &str, p: &Project, launcher: &[&str]) {
    let input = p.input("hook-session-start-startup.json", |_| {});
    let (code, _, _) = hook_via(launcher, stack, ws, p, "session-start", &input, None).await;
    assert_eq!(code, 0);
}

/// Only a session whose Claude Code is gone is caught up: not one that has not written its
/// transcript yet, not one idle in another terminal, however long.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_sessions_are_not_caught_up_and_a_gone_one_is_at_once() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let first = Project::new(&stack, &ws);
    let state = first.state.clone();
    let in_state = |mut p: Project| {
        p.state = state.clone();
        p
    };

    // Just started: Claude Code writes the transcript only with the first message. Recorded
    // as an earlier cargo-ai (or a machine without /proc) would: no process to ask.
    let fresh = first;
    std::fs::remove_file(&fresh.transcript).unwrap();
    start(&stack, &ws, &fresh, &[]).await;
    edit_open_session(&fresh, |s| {
        s.as_object_mut().unwrap().remove("claude");
    });
    // Idle for an hour in another terminal, its Claude Code still running (behind a shell).
    let idle = in_state(Project::new(&stack, &ws));
    start(&stack, &ws, &idle, SHELL_BETWEEN).await;
    age(&idle, 3600);
    // Started a moment ago, and its Claude Code has exited without a SessionEnd.
    let gone = in_state(Project::new(&stack, &ws));
    start(&stack, &ws, &gone, SHORT_LIVED_CLAUDE).await;

    let next = in_state(Project::new(&stack, &ws));
    start(&stack, &ws, &next, &[]).await;
    let log = std::fs::read_to_string(state.join("hooks.log")).unwrap();
    assert!(
        log.contains(&format!("session {} never ended", gone.session_id)),
        "{log}"
    );
    let row = wait_for(&stack, &ws, &gone.session_id, "the caught-up row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    assert_eq!(row["title"], "Add jittered retry to S3 uploader");
    for running in [&fresh, &idle] {
        assert!(
            !log.contains(&format!("session {} never ended", running.session_id)),
            "{log}"
        );
        assert!(open_session_file(running).exists(), "still open");
        let row = stack.raw_item(&ws, &running.session_id).await.unwrap();
        assert!(!row.contains_key("finished_at"), "{row:?}");
    }
}

/// Exit, then resume while the first end's worker is still asking `claude`: the worker lands
/// after the resume and must not mark the running session finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_end_worker_leaves_a_resumed_session_running() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    let claude = p.fake_claude("sleep 3");
    let run = |which: &'static str, fixture: &'static str| {
        let input = p.input(fixture, |_| {});
        let (stack, ws, p, claude) = (&stack, &ws, &p, &claude);
        async move {
            let (code, _, _) = hook(stack, ws, p, which, &input, Some(claude)).await;
            assert_eq!(code, 0, "{which}");
        }
    };
    run("session-start", "hook-session-start-startup.json").await;
    run("session-end", "hook-session-end-prompt_input_exit.json").await;
    run("session-start", "hook-session-start-resume.json").await;
    let before = std::fs::read_to_string(p.state.join("hooks.log")).unwrap();
    assert!(
        !before.contains("recorded as finished") && !before.contains("written since"),
        "the worker must land after the resume for this test to mean anything: {before}"
    );
    let log = wait_for_log(&p, &["recorded as finished", "written since it ended"]).await;
    assert!(
        log.contains("written since it ended"),
        "the late worker was answered stale: {log}"
    );
    let row = stack.raw_item(&ws, &p.session_id).await.unwrap();
    assert!(!row.contains_key("finished_at"), "still running: {row:?}");
    let outbox: Vec<_> = std::fs::read_dir(p.state.join("outbox"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        outbox.is_empty(),
        "a stale answer is not queued: {outbox:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_no_configuration_never_break_the_session() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    for (which, input) in [
        ("session-start", "not json"),
        ("session-end", "{}"),
        ("session-start", r#"{"session_id":"a/b"}"#),
    ] {
        let (code, stdout, _) = hook(&stack, &ws, &p, which, input, None).await;
        assert_eq!((code, stdout.as_str()), (0, ""), "{which} {input}");
    }
    std::fs::remove_file(p.root.join(".cargo-ai.toml")).unwrap();
    let (code, stdout, _) = hook(
        &stack,
        &ws,
        &p,
        "session-start",
        &p.input("hook-session-start-startup.json", |_| {}),
        None,
    )
    .await;
    assert_eq!((code, stdout.as_str()), (0, ""));
    let log = std::fs::read_to_string(p.state.join("hooks.log")).expect("problems are logged");
    assert!(
        log.contains("no workspace configured") && log.contains("hook input"),
        "{log}"
    );
    assert_eq!(stack.item_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_merges_idempotently_and_uninstall_removes_only_ours() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    let settings = p.root.join(".claude/settings.json");
    let original = json!({"model": "opus", "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "lint"}]}]}});
    std::fs::write(&settings, serde_json::to_string_pretty(&original).unwrap()).unwrap();
    let run = |args: &'static [&'static str]| {
        let mut cmd = cargo_ai(&stack, &ws, alice());
        cmd.current_dir(&p.root).args(args);
        async move {
            let out = cmd.output().await.expect("run cargo-ai");
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        }
    };
    let (code, diff) = run(&["hooks", "install", "--dry-run"]).await;
    assert_eq!(code, 0);
    assert!(
        diff.contains("+ ") && diff.contains("hooks session-start") && diff.contains("dry run"),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(&settings).unwrap(),
        serde_json::to_string_pretty(&original).unwrap(),
        "dry run wrote nothing"
    );

    assert_eq!(run(&["hooks", "install"]).await.0, 0);
    let once = std::fs::read_to_string(&settings).unwrap();
    assert!(
        p.root.join(".claude/settings.json.bak").exists(),
        "a backup is kept"
    );
    let (code, said) = run(&["hooks", "install"]).await;
    assert_eq!(code, 0);
    assert!(said.contains("nothing to change"), "{said}");
    assert_eq!(
        std::fs::read_to_string(&settings).unwrap(),
        once,
        "installing twice changes nothing"
    );
    let installed: Value = serde_json::from_str(&once).unwrap();
    assert_eq!(installed["model"], "opus");
    assert_eq!(
        installed["hooks"]["PreToolUse"],
        original["hooks"]["PreToolUse"]
    );
    let command = installed["hooks"]["SessionStart"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    assert!(
        command.ends_with("cargo-ai hooks session-start"),
        "{command}"
    );
    assert!(
        installed["hooks"]["SessionEnd"][0]["hooks"][0]["timeout"]
            .as_u64()
            .is_some()
    );

    assert_eq!(run(&["hooks", "uninstall"]).await.0, 0);
    let removed: Value =
        serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(removed, original, "uninstall leaves exactly what was there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_recipe_scripts_work_verbatim() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    let claude = p.fake_claude("");
    let bin_dir = p.root.join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::os::unix::fs::symlink(cargo_ai_path(), bin_dir.join("cargo-ai")).unwrap();
    std::os::unix::fs::symlink(&claude, bin_dir.join("claude")).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin_dir.display());
    let script = |name: &str| repo_root().join("infra/hooks").join(name);
    let run = |name: &str, input: String| {
        let mut cmd = tokio::process::Command::new(script(name));
        cmd.env_clear()
            .env("PATH", &path)
            .env("HOME", p.root.join("home"))
            .env("CARGO_AI_ENDPOINT", &stack.url)
            .env("CARGO_AI_WORKSPACE", &ws)
            .env("CARGO_AI_STATE_DIR", &p.state)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", alice().access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", alice().secret_access_key)
            .env("CLAUDE_PROJECT_DIR", &p.root)
            .current_dir(&p.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        async move {
            let mut child = cmd.spawn().expect("run the seed script");
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(input.as_bytes()).await.unwrap();
            drop(stdin);
            child
                .wait_with_output()
                .await
                .expect("script finished")
                .status
                .code()
        }
    };
    assert_eq!(
        run(
            "session-start.sh",
            p.input("hook-session-start-startup.json", |_| {})
        )
        .await,
        Some(0)
    );
    let row = stack
        .raw_item(&ws, &p.session_id)
        .await
        .expect("the seed start script created the row");
    assert_eq!(row["summary"].as_s().unwrap(), "Session in progress.");
    assert_eq!(
        run(
            "session-end.sh",
            p.input("hook-session-end-other.json", |_| {})
        )
        .await,
        Some(0)
    );
    let row = stack.raw_item(&ws, &p.session_id).await.unwrap();
    assert_eq!(row["title"].as_s().unwrap(), "Retry S3 uploads with jitter");
    assert!(row.contains_key("finished_at"));
    // And the settings snippet is the seed's, verbatim.
    let snippet: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("infra/hooks/settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        snippet["hooks"]["SessionEnd"][0]["hooks"][0]["command"],
        "$CLAUDE_PROJECT_DIR/.claude/hooks/session-end.sh"
    );
}

/// The whole chain for real: the pinned Claude Code CLI runs a session in a project whose
/// settings carry our hooks (installed by `cargo-ai hooks install`); the end worker asks the
/// real `claude -p` for the summary; the stand-in Anthropic API answers both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_claude_code_records_its_session() {
    use sessions_e2e::fake_anthropic::{FakeAnthropic, claude_bin, claude_command, user_text};
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    let home = p.root.join("home");
    let fake = FakeAnthropic::start(|body| {
        if user_text(body).contains("Read the Claude Code transcript") {
            r#"{"title": "Teach the uploader to retry", "summary": "The user asked for retries in the uploader; Claude explained the plan."}"#.to_owned()
        } else {
            "Sure: wrap upload() in a retry loop with jittered backoff.".to_owned()
        }
    });
    // cargo-ai is on the teammate's PATH, as the shared settings expect.
    let bin = p.root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(cargo_ai_path(), bin.join("cargo-ai")).unwrap();
    let (code, _, warned) = cargo_ai_at(
        &stack,
        &ws,
        &p,
        &bin.join("cargo-ai"),
        &format!("{}:{BARE_PATH}", bin.display()),
        &["hooks", "install", "--project"],
    )
    .await;
    assert_eq!(code, 0, "{warned}");
    assert!(!warned.contains("warning"), "{warned}");

    let mut claude = claude_command(&home, &fake.url());
    let path = claude
        .get_envs()
        .find(|(k, _)| *k == "PATH")
        .and_then(|(_, v)| v)
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_default();
    claude
        .env("PATH", format!("{}:{path}", bin.display()))
        .current_dir(&p.root)
        .args(["-p", "Add retries to the uploader"])
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", alice().access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", alice().secret_access_key)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("CARGO_AI_STATE_DIR", &p.state)
        .env("CARGO_AI_CLAUDE", claude_bin());
    let out = tokio::task::spawn_blocking(move || claude.output())
        .await
        .unwrap()
        .expect("run claude");
    assert!(
        out.status.success(),
        "claude failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The session is the only row; wait for the worker's summary.
    let deadline = Instant::now() + Duration::from_secs(40);
    let row = loop {
        let items = stack
            .dynamodb
            .scan()
            .table_name(&stack.table)
            .send()
            .await
            .unwrap()
            .items;
        if let Some(item) = items
            .unwrap_or_default()
            .into_iter()
            .find(|i| i.contains_key("finished_at"))
        {
            break item;
        }
        assert!(
            Instant::now() < deadline,
            "no finished row; hooks log: {}",
            std::fs::read_to_string(p.state.join("hooks.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        row["summary"].as_s().unwrap(),
        "The user asked for retries in the uploader; Claude explained the plan."
    );
    assert_eq!(row["user_arn"].as_s().unwrap(), alice().arn);
    assert_eq!(stack.item_count().await, 1);
    // Two model calls: the session's and the summarizer's. The summarizing claude fired no
    // hooks of ours (no second session row, no third call).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        fake.messages().len(),
        2,
        "model calls: {:?}",
        fake.messages()
            .iter()
            .map(|r| r.user_text())
            .collect::<Vec<_>>()
    );
}

/// This cargo-ai, also at `<project>/my tools/cargo-ai`: a directory with a space, not on PATH.
fn cargo_ai_in_my_tools(p: &Project) -> PathBuf {
    let tools = p.root.join("my tools");
    std::fs::create_dir_all(&tools).unwrap();
    let exe = tools.join("cargo-ai");
    if std::fs::hard_link(cargo_ai_path(), &exe).is_err() {
        std::fs::copy(cargo_ai_path(), &exe).expect("copy cargo-ai");
    }
    exe
}

/// `cargo-ai <args>` started from `exe` in the project, with `path` as PATH: exit code,
/// stdout, stderr.
async fn cargo_ai_at(
    stack: &Stack,
    ws: &str,
    p: &Project,
    exe: &Path,
    path: &str,
    args: &[&str],
) -> (i32, String, String) {
    let mut cmd = cargo_ai(stack, ws, alice());
    let env: Vec<_> = cmd
        .as_std()
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    cmd = tokio::process::Command::new(exe);
    cmd.env_clear()
        .envs(env)
        .env_remove("CARGO_AI_ENDPOINT")
        .env_remove("CARGO_AI_WORKSPACE")
        .env("CARGO_AI_STATE_DIR", &p.state)
        .env("PATH", path)
        .current_dir(&p.root)
        .args(args);
    let out = cmd.output().await.expect("run cargo-ai");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const BARE_PATH: &str = "/usr/bin:/bin";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_writes_commands_that_run_and_installs_once() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    let exe = cargo_ai_in_my_tools(&p);
    let run = |args: &'static [&'static str]| cargo_ai_at(&stack, &ws, &p, &exe, BARE_PATH, args);
    let local = p.root.join(".claude/settings.local.json");

    // A fresh personal file: this machine's path, quoted for the shell, and a warning.
    let (code, said, warned) = run(&["hooks", "install", "--local"]).await;
    assert_eq!(code, 0, "{said}{warned}");
    assert!(
        said.contains("hooks installed") && !said.contains("nothing to change"),
        "{said}"
    );
    assert!(
        warned.contains("warning:") && warned.contains("this machine only"),
        "{warned}"
    );
    let once = std::fs::read_to_string(&local).expect("the local settings are written");
    let settings: Value = serde_json::from_str(&once).unwrap();
    let command = settings["hooks"]["SessionStart"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        command,
        format!("'{}' hooks session-start", exe.display()),
        "quoted for the shell"
    );
    // Claude Code runs it through a shell: it starts (127 if the space split it) and logs the
    // input it could not read.
    let mut shell = tokio::process::Command::new("/bin/sh");
    shell
        .args(["-c", &command])
        .env_clear()
        .env("PATH", BARE_PATH)
        .env("CARGO_AI_STATE_DIR", &p.state)
        .current_dir(&p.root)
        .stdin(Stdio::piped());
    let mut child = shell.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"{}").await.unwrap();
    drop(stdin);
    assert_eq!(child.wait().await.unwrap().code(), Some(0), "{command}");
    let log = std::fs::read_to_string(p.state.join("hooks.log")).unwrap_or_default();
    assert!(log.contains("session-start: hook input"), "{log}");

    // Again: nothing changes, no second copy.
    let (code, said, _) = run(&["hooks", "install", "--local"]).await;
    assert_eq!(code, 0);
    assert!(said.contains("nothing to change"), "{said}");
    assert_eq!(std::fs::read_to_string(&local).unwrap(), once);

    // The shared file names the program, never this machine's path, and says what is missing.
    let (code, _, warned) = run(&["hooks", "install", "--project"]).await;
    assert_eq!(code, 0);
    assert!(warned.contains("not on PATH"), "{warned}");
    let shared: Value = serde_json::from_str(
        &std::fs::read_to_string(p.root.join(".claude/settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        shared["hooks"]["SessionStart"][0]["hooks"][0]["command"],
        "cargo-ai hooks session-start"
    );
    assert_eq!(
        shared["hooks"]["SessionEnd"][0]["hooks"][0]["command"],
        "cargo-ai hooks session-end"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_the_chain_and_names_what_to_fix() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    let exe = cargo_ai_path();
    let bin = p.root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let on_path = format!("{}:{BARE_PATH}", bin.display());
    let doctor = |path: &str| {
        let path = path.to_owned();
        let (stack, ws, p, exe) = (&stack, &ws, &p, &exe);
        async move {
            let (code, report, _) =
                cargo_ai_at(stack, ws, p, exe, &path, &["hooks", "doctor"]).await;
            (code, report)
        }
    };
    let (code, report) = doctor(BARE_PATH).await;
    assert_eq!(code, 3, "{report}");
    assert!(
        report.contains("FAIL hooks are not installed")
            && report.contains("cargo-ai hooks install"),
        "{report}"
    );
    assert!(
        report.contains(
            "ok   endpoint reachable; credentials valid (arn:aws:iam::000000000000:user/alice)"
        ),
        "{report}"
    );

    // Installed for the team, but the `cargo-ai` the hooks call is nowhere on PATH.
    let (code, _, _) = cargo_ai_at(&stack, &ws, &p, &exe, BARE_PATH, &["hooks", "install"]).await;
    assert_eq!(code, 0);
    let shared = p.root.join(".claude/settings.json");
    let (code, report) = doctor(BARE_PATH).await;
    assert_eq!(code, 3, "{report}");
    assert!(
        report.contains(&format!(
            "FAIL {}: the hooks call `cargo-ai`, which is not on PATH",
            shared.display()
        )),
        "{report}"
    );

    std::os::unix::fs::symlink(&exe, bin.join("cargo-ai")).unwrap();
    let (code, report) = doctor(&on_path).await;
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("SessionStart, SessionEnd")
            && report.contains("the hooks call cargo-ai")
            && report.contains("claude")
            && !report.contains("settings files"),
        "{report}"
    );

    // Installed a second time, in the personal file, by a binary at another path.
    let tools = cargo_ai_in_my_tools(&p);
    let (code, _, _) = cargo_ai_at(
        &stack,
        &ws,
        &p,
        &tools,
        BARE_PATH,
        &["hooks", "install", "--local"],
    )
    .await;
    assert_eq!(code, 0);
    let (code, report) = doctor(&on_path).await;
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("warn the hooks are installed in 2 settings files")
            && report.contains("cargo-ai hooks uninstall --local"),
        "{report}"
    );
    // That binary is gone: the personal file's hooks cannot run.
    std::fs::remove_file(&tools).unwrap();
    let (code, report) = doctor(&on_path).await;
    assert_eq!(code, 3, "{report}");
    assert!(
        report.contains(&format!(
            "FAIL {}: the hooks call {}, which does not exist",
            p.root.join(".claude/settings.local.json").display(),
            tools.display()
        )),
        "{report}"
    );
}

/// Started by hand, a hook does not sit waiting for JSON the user does not know to type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_run_by_hand_in_a_terminal_says_what_it_is_for() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    // `script` gives the hook a terminal as stdin, as an interactive shell would.
    let mut cmd = tokio::process::Command::new("script");
    cmd.args(["-qec"])
        .arg(format!(
            "'{}' hooks session-start",
            cargo_ai_path().display()
        ))
        .arg("/dev/null")
        .env_clear()
        .env("PATH", BARE_PATH)
        .env("HOME", dir.path())
        .env("TERM", "dumb")
        .env("CARGO_AI_STATE_DIR", &state)
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("run script (util-linux)");
    // Nobody types, and the keyboard stays open.
    let _keyboard = child.stdin.take();
    let mut stdout = child.stdout.take().unwrap();
    let started = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("the hook waited on the terminal")
        .unwrap();
    let mut said = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stdout, &mut said)
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "{said}");
    assert!(
        said.contains("reads Claude Code's hook JSON on stdin"),
        "{said}"
    );
    eprintln!("returned in {:?}", started.elapsed());
    let log = std::fs::read_to_string(state.join("hooks.log")).unwrap_or_default();
    assert!(log.contains("stdin is a terminal"), "{log}");
}
