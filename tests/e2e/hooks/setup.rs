//! Setting the hooks up: install/uninstall and doctor, the seed's recipe scripts verbatim, and
//! the real Claude Code CLI firing them.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::*;
use serde_json::{Value, json};
use sessions_e2e::fake_anthropic::Release;
use sessions_e2e::{Stack, alice, cargo_ai, cargo_ai_path, new_workspace, repo_root};
use tokio::io::AsyncWriteExt;

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
    claude_code_records_its_session(Release::Current).await;
}

/// The same chain with the oldest Claude Code release the hooks still support.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oldest_supported_claude_code_records_its_session() {
    assert_ne!(
        Release::Oldest.version(),
        Release::Current.version(),
        "two releases are pinned"
    );
    claude_code_records_its_session(Release::Oldest).await;
}

async fn claude_code_records_its_session(release: Release) {
    use aws_sdk_dynamodb::types::AttributeValue;
    use sessions_e2e::fake_anthropic::{FakeAnthropic, user_text};
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

    let mut claude = release.command(&home, &fake.url());
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
        .env("CARGO_AI_CLAUDE", release.bin());
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
    // The facts are the session's own call, as the stand-in answered it (the summarizer's
    // call is not part of the session).
    let answers = fake.answers();
    let session_call = answers
        .iter()
        .find(|a| a.asked.contains("Add retries to the uploader"))
        .unwrap_or_else(|| panic!("the session's call: {answers:?}"));
    let n = |v: u64| AttributeValue::N(v.to_string());
    let usage = session_call.usage;
    assert_eq!(
        (
            row.get("claude_version"),
            row.get("models"),
            row.get("input_tokens"),
            row.get("output_tokens"),
            row.get("cache_read_tokens"),
            row.get("cache_write_tokens"),
        ),
        (
            Some(&AttributeValue::S(release.version())),
            Some(&AttributeValue::S(session_call.model.clone())),
            Some(&n(usage.input_tokens)),
            Some(&n(usage.output_tokens)),
            Some(&n(usage.cache_read_input_tokens)),
            Some(&n(usage.cache_creation_input_tokens)),
        ),
        "the facts of {row:?}"
    );
    assert_eq!(
        row.get("end_reason"),
        Some(&AttributeValue::S("other".into()))
    );
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
