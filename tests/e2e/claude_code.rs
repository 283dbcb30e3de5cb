//! The real Claude Code CLI (pinned in infra/claude-code) runs offline against the stand-in
//! Anthropic API, and fires project hooks with their real stdin JSON: the rig the hook tests
//! build on.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sessions_e2e::fake_anthropic::{FakeAnthropic, claude_command, user_text};

struct World {
    _dir: tempfile::TempDir,
    home: PathBuf,
    project: PathBuf,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        // Canonical, so paths compare equal to the ones Claude Code reports.
        let root = dir.path().canonicalize().expect("canonical temp dir");
        let home = root.join("home");
        let project = root.join("project");
        std::fs::create_dir_all(&home).expect("create HOME");
        std::fs::create_dir_all(&project).expect("create the project dir");
        World {
            _dir: dir,
            home,
            project,
        }
    }

    fn hook_log(&self) -> PathBuf {
        self.project.join("hook.log")
    }

    /// `.claude/settings.json` of the project: SessionStart and SessionEnd append their stdin
    /// to hook.log.
    fn install_logging_hooks(&self) {
        let command = format!("cat >> '{}'", self.hook_log().display());
        let hook = json!([{ "hooks": [{ "type": "command", "command": command }] }]);
        let settings = json!({ "hooks": { "SessionStart": hook, "SessionEnd": hook } });
        let dir = self.project.join(".claude");
        std::fs::create_dir_all(&dir).expect("create .claude");
        std::fs::write(
            dir.join("settings.json"),
            serde_json::to_vec_pretty(&settings).expect("settings JSON"),
        )
        .expect("write .claude/settings.json");
    }

    /// Every hook input logged so far, one JSON object per line.
    fn hook_inputs(&self) -> Vec<Value> {
        let Ok(text) = std::fs::read_to_string(self.hook_log()) else {
            return Vec::new();
        };
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("hook stdin is not one JSON line ({e}): {l:?}"))
            })
            .collect()
    }

    fn transcripts(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let projects = self.home.join(".claude/projects");
        for dir in std::fs::read_dir(&projects).into_iter().flatten().flatten() {
            for file in std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if file.path().extension().is_some_and(|e| e == "jsonl") {
                    found.push(file.path());
                }
            }
        }
        found
    }
}

fn run_claude(home: &Path, fake: &FakeAnthropic, cwd: &Path, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = claude_command(home, &fake.url())
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run claude");
    (out, started.elapsed())
}

fn assert_ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "claude exited with {}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn print_mode_answers_from_the_stand_in_api() {
    let world = World::new();
    let fake = FakeAnthropic::start(|body| {
        let prompt = user_text(body);
        format!(
            "Hi! You said: {}",
            prompt.lines().last().unwrap_or_default()
        )
    });

    let (out, took) = run_claude(&world.home, &fake, &world.home, &["-p", "say hi"]);
    let stdout = assert_ok(&out);
    println!("claude -p \"say hi\" took {took:?}");

    assert_eq!(stdout.trim(), "Hi! You said: say hi");
    let messages = fake.messages();
    assert_eq!(messages.len(), 1, "one Messages API call: {messages:#?}");
    let call = &messages[0];
    assert_eq!(call.body["stream"], true, "print mode streams");
    assert!(
        call.user_text().ends_with("say hi"),
        "the prompt is the last user text: {:?}",
        call.user_text()
    );
    assert_eq!(call.header("x-api-key"), Some("sk-ant-offline-test-key"));
    let others: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| !r.is_message())
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert!(others.is_empty(), "no other traffic offline: {others:?}");
}

#[test]
fn a_slow_model_is_waited_for() {
    let world = World::new();
    let fake = FakeAnthropic::replying("slow but sure");
    fake.set_delay(Duration::from_millis(1500));

    let (out, took) = run_claude(&world.home, &fake, &world.home, &["-p", "say hi"]);
    assert_eq!(assert_ok(&out).trim(), "slow but sure");
    assert!(took >= Duration::from_millis(1500), "took {took:?}");
}

#[test]
fn project_hooks_fire_with_the_real_stdin_json() {
    let world = World::new();
    world.install_logging_hooks();
    let fake = FakeAnthropic::replying("hi");

    let (out, took) = run_claude(&world.home, &fake, &world.project, &["-p", "say hi"]);
    assert_eq!(assert_ok(&out).trim(), "hi");
    println!("claude -p \"say hi\" with two hooks took {took:?}");

    let inputs = world.hook_inputs();
    for input in &inputs {
        println!("hook stdin: {input}");
    }
    let events: Vec<_> = inputs
        .iter()
        .map(|i| i["hook_event_name"].clone())
        .collect();
    assert_eq!(events, [json!("SessionStart"), json!("SessionEnd")]);
    let (start, end) = (&inputs[0], &inputs[1]);

    let session_id = start["session_id"]
        .as_str()
        .expect("session_id is a string");
    assert!(uuid::Uuid::parse_str(session_id).is_ok(), "{session_id}");
    assert_eq!(end["session_id"], session_id, "one session");
    let call = &fake.messages()[0];
    assert_eq!(
        call.header("x-claude-code-session-id"),
        Some(session_id),
        "the API call carries the hook's session id"
    );

    assert_eq!(start["source"], "startup");
    assert_eq!(end["reason"], "other", "`-p` ends with reason other");
    for input in [start, end] {
        assert_eq!(input["cwd"], json!(world.project.display().to_string()));
    }

    let transcript = start["transcript_path"]
        .as_str()
        .expect("transcript_path is a string");
    assert_eq!(end["transcript_path"], transcript);
    assert!(
        Path::new(transcript).starts_with(world.home.join(".claude/projects")),
        "transcript under the temporary HOME: {transcript}"
    );
    assert!(transcript.ends_with(&format!("{session_id}.jsonl")));
    let text = std::fs::read_to_string(transcript).expect("the transcript exists after the run");
    assert!(text.contains("say hi"), "transcript holds the prompt");
    assert!(text.contains(r#""type":"assistant""#), "and the answer");
}

#[test]
fn a_child_with_hooks_disabled_fires_none_and_keeps_no_transcript() {
    let world = World::new();
    world.install_logging_hooks();
    let fake = FakeAnthropic::replying("quiet");

    let (out, _) = run_claude(
        &world.home,
        &fake,
        &world.project,
        &[
            "-p",
            "say hi",
            "--settings",
            r#"{"disableAllHooks":true}"#,
            "--no-session-persistence",
        ],
    );
    assert_eq!(assert_ok(&out).trim(), "quiet");
    assert_eq!(world.hook_inputs(), Vec::<Value>::new(), "no hook fired");
    assert_eq!(world.transcripts(), Vec::<PathBuf>::new(), "no transcript");
    assert_eq!(fake.messages().len(), 1);
}

/// One raw HTTP/1.1 exchange with the stand-in: (status, body).
fn http(fake: &FakeAnthropic, method: &str, path: &str, body: &Value) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = fake.url().trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).expect("connect to the stand-in");
    let body = body.to_string();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn the_stand_in_answers_without_streaming_and_refuses_unknown_paths() {
    let fake = FakeAnthropic::replying("plain");
    let request = json!({
        "model": "claude-test",
        "max_tokens": 16,
        "messages": [{ "role": "user", "content": "say hi" }],
    });
    let (status, body) = http(&fake, "POST", "/v1/messages", &request);
    assert_eq!(status, 200, "{body}");
    let message: Value = serde_json::from_str(&body).expect("a JSON message");
    assert_eq!(message["type"], "message");
    assert_eq!(message["model"], "claude-test");
    assert_eq!(
        message["content"],
        json!([{ "type": "text", "text": "plain" }])
    );
    assert_eq!(message["stop_reason"], "end_turn");

    let (status, body) = http(&fake, "GET", "/v1/models", &Value::Null);
    assert_eq!(status, 404, "{body}");

    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].user_text(), "say hi");
    assert_eq!(requests[1].target, "/v1/models");
}
