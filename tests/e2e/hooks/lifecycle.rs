//! A session's life through the hooks: start, end, resume, catch-up, a slow or absent
//! `claude`, bad input; the row is right at every step.

use std::time::{Duration, Instant};

use super::*;
use serde_json::json;
use sessions_e2e::{Stack, cargo_ai_path, fixtures, new_workspace};

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

    // How claude was called: hooks off, no persistence, no MCP servers, our guard, only the conversation.
    let args = p.read("claude-args");
    assert!(
        args.contains("-p")
            && args.contains(r#"{"disableAllHooks":true}"#)
            && args.contains("--no-session-persistence")
            && args.contains("--strict-mcp-config"),
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
    std::fs::copy(
        fixtures::claude_code("transcript-titles.jsonl"),
        &p.transcript,
    )
    .unwrap();
    let mut body = fixtures::claude_code_text("transcript-basic.jsonl");
    body.push_str(&fixtures::claude_code_text("transcript-titles.jsonl"));
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
    let mut last_end = Instant::now();
    for _ in 0..3 {
        last_end = Instant::now();
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
    // The row is finished within 10 s of SessionEnd while claude still works: the summary
    // made from the transcript first, claude's when it answers.
    let finished = wait_for(&stack, &ws, &p.session_id, "the finished row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    assert!(
        last_end.elapsed() < Duration::from_secs(10),
        "finished {:?} after the last SessionEnd",
        last_end.elapsed()
    );
    let from_transcript = finished["summary"].as_str().unwrap();
    assert!(
        from_transcript.contains("prompt") && from_transcript.contains("Edit"),
        "{finished}"
    );
    let row = wait_for(
        &stack,
        &ws,
        &p.session_id,
        "the row after the slow claude",
        |r| r["summary"] != finished["summary"],
    )
    .await;
    assert!(row.get("finished_at").is_some(), "{row}");
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
