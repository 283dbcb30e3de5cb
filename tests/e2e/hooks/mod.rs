//! The hooks as Claude Code runs them (stdin JSON, environment) against the local stack, with
//! a stand-in `claude` that records how it was called: the row is right at every step, the
//! recursion guard holds, session-end returns at once however slow `claude` is.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use sessions_e2e::{Stack, alice, cargo_ai, fixtures};
use tokio::io::AsyncWriteExt;

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
        std::fs::copy(fixtures::claude_code("transcript-basic.jsonl"), &transcript)
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
        let text = fixtures::claude_code_text(fixture);
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
    let how = HookRun { launcher, env: &[] };
    hook_run(how, stack, ws, project, which, input, claude).await
}

/// How a hook is started: through `launcher` (a program and its first arguments, or none),
/// with `env` added to Claude Code's environment.
#[derive(Clone, Copy)]
struct HookRun<'a> {
    launcher: &'a [&'a str],
    env: &'a [(&'a str, &'a str)],
}

/// `hook`, started as `how` says.
async fn hook_run(
    how: HookRun<'_>,
    stack: &Stack,
    ws: &str,
    project: &Project,
    which: &str,
    input: &str,
    claude: Option<&Path>,
) -> (i32, String, Duration) {
    let HookRun { launcher, env } = how;
    let mut direct = cargo_ai(stack, ws, alice());
    direct
        .env_remove("CARGO_AI_ENDPOINT")
        .env_remove("CARGO_AI_WORKSPACE")
        .env("CARGO_AI_STATE_DIR", &project.state)
        .env("PATH", "/usr/bin:/bin")
        .envs(env.iter().copied())
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

mod capture;
mod commits;
mod facts;
mod lifecycle;
mod redaction;
mod setup;
