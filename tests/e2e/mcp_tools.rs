//! Claude Code calls a tool of a stdio MCP server: the stand-in Anthropic API asks for the tool
//! by name, the real CLI runs it and brings its result back in the next request. First the rig
//! with a stub server (tests/fixtures/mcp), then the real `cargo-ai mcp` answering from a
//! team log seeded through the API into DynamoDB Local, also driven by an independent client
//! (the official Python SDK, mcp/tests/protocol.py).

use std::path::Path;

use serde_json::{Value, json};
use sessions_e2e::fake_anthropic::{FakeAnthropic, claude_command, init_event, stream_json_events};
use sessions_e2e::{Key, Signed, Stack, alice, bob, cargo_ai_path, fixtures, new_workspace};

/// The teammate's session Claude should find, and two it must never see.
pub const FOUND: &str = "bob-uploader-retries";
pub const DELETED: &str = "bob-uploader-dropped";
pub const ELSEWHERE: &str = "other-team-retries";
/// What Claude searches for.
pub const QUERY: &str = "uploader retries";

/// When the seeded sessions finished.
const FINISHED_AT: &str = "2026-11-20T10:00:00.000Z";
const REPO: &str = "github.com/acme/uploader";
const FOUND_TITLE: &str = "Add jittered retries to the S3 uploader";
const FOUND_SUMMARY: &str = "Wrapped upload() in a retry loop with jittered exponential backoff; the flaky upload test passes now.";

async fn put(stack: &Stack, ws: &str, id: &str, key: &Key, title: &str, summary: &str) {
    put_at(stack, ws, id, key, title, summary, FINISHED_AT).await;
}

async fn put_at(
    stack: &Stack,
    ws: &str,
    id: &str,
    key: &Key,
    title: &str,
    summary: &str,
    at: &str,
) {
    let body = json!({
        "title": title, "summary": summary,
        "finished_at": at, "observed_at": at,
        "repo": REPO, "branch": "retries",
    });
    let reply = Signed::new("PUT", stack.session_url(ws, id))
        .json(&body)
        .send_as(key)
        .await;
    assert!(reply.status < 300, "seed {id}: {}", reply.json);
}

/// Through the real API: Bob's session on the uploader's retries in `ws`, one of his he
/// deleted, and a session on the same in another workspace.
pub async fn seed_team_log(stack: &Stack, ws: &str) {
    put(stack, ws, FOUND, bob(), FOUND_TITLE, FOUND_SUMMARY).await;
    put(
        stack,
        ws,
        DELETED,
        bob(),
        "Uploader retries, first try",
        "Tried fixed-delay retries in the uploader; dropped.",
    )
    .await;
    let deleted = Signed::new("DELETE", stack.session_url(ws, DELETED))
        .send_as(bob())
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.json);
    put(
        stack,
        &new_workspace(),
        ELSEWHERE,
        alice(),
        "Uploader retries in another team",
        "Another workspace's uploader retries.",
    )
    .await;
}

/// The environment `cargo-ai mcp` needs to read `ws` at `stack` as Alice, its mirror under
/// `state`.
pub fn server_env(stack: &Stack, ws: &str, state: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("CARGO_AI_ENDPOINT", stack.url.clone()),
        ("CARGO_AI_WORKSPACE", ws.to_owned()),
        ("CARGO_AI_STATE_DIR", state.display().to_string()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", alice().access_key_id.to_owned()),
        (
            "AWS_SECRET_ACCESS_KEY",
            alice().secret_access_key.to_owned(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
    ]
}

/// The search's tool_result holds Bob's session, and neither the deleted one nor the other
/// workspace's.
pub fn assert_found_the_teammate(fake: &FakeAnthropic, tool: &str) -> String {
    let results = fake.tool_results();
    assert_eq!(results.len(), 1, "one tool call came back: {results:#?}");
    let result = &results[0];
    assert_eq!(result.tool_name, tool);
    assert!(!result.is_error, "{result:?}");
    assert!(
        result.text.contains(FOUND) && result.text.contains("jittered retries"),
        "{}",
        result.text
    );
    for never in [DELETED, ELSEWHERE] {
        assert!(!result.text.contains(never), "{never} in {}", result.text);
    }
    result.text.clone()
}

/// `claude -p PROMPT` with the MCP servers of `mcp_config`, allowed to call `tool`, reporting
/// in stream-json; MCP tools offered up front rather than behind tool search.
fn claude_with_mcp(
    home: &Path,
    fake: &FakeAnthropic,
    mcp_config: &Path,
    tool: &str,
    prompt: &str,
) -> std::process::Output {
    claude_command(home, &fake.url())
        .env("ENABLE_TOOL_SEARCH", "false")
        .args(["-p", prompt, "--mcp-config"])
        .arg(mcp_config)
        .args(["--allowedTools", tool])
        .args(["--output-format", "stream-json", "--verbose"])
        .output()
        .expect("run claude")
}

#[test]
fn a_tool_of_an_mcp_server_is_called_and_its_result_comes_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("create HOME");
    let config = dir.path().join("mcp.json");
    let servers = json!({ "mcpServers": { "team-log": {
        "command": "python3",
        "args": [fixtures::mcp_stub_server()],
    }}});
    std::fs::write(&config, servers.to_string()).expect("write the MCP config");
    let fake = FakeAnthropic::replying("Bob already fixed the uploader retries.");
    fake.call_tool("__search_sessions", json!({ "query": "uploader retries" }));

    let tool = "mcp__team-log__search_sessions";
    let out = claude_with_mcp(&home, &fake, &config, tool, "Fix the uploader retries");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "claude failed: {stderr}");

    let events = stream_json_events(&out.stdout);
    let init = init_event(&events);
    assert_eq!(
        init["mcp_servers"],
        json!([{ "name": "team-log", "status": "connected", "source": "dynamic" }]),
        "the server connects"
    );
    let first = &fake.messages()[0];
    assert!(
        first.tool_names().iter().any(|t| t == tool),
        "the first request offers the tool: {:?}",
        first.tool_names()
    );

    let results = fake.tool_results();
    assert_eq!(results.len(), 1, "one tool call came back: {results:#?}");
    let result = &results[0];
    assert_eq!(result.tool_name, tool);
    assert_eq!(result.input, json!({ "query": "uploader retries" }));
    assert!(!result.is_error, "{result:?}");
    assert_eq!(
        result.text,
        "STUB TEAM LOG: 1 session matches 'uploader retries': bob fixed the uploader retries."
    );
    let answer = events.last().expect("a result event");
    assert_eq!(answer["type"], "result");
    assert_eq!(answer["result"], "Bob already fixed the uploader retries.");
    assert_eq!(fake.messages().len(), 2, "the call, then its result");
}

/// The real server: `cargo-ai mcp` from `--mcp-config` answers Claude's search from the mirror
/// it synced from DynamoDB Local through the API: the teammate's session, nothing deleted,
/// nothing of another workspace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cargo_ai_mcp_answers_claude_with_a_teammates_session() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    seed_team_log(&stack, &ws).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("create HOME");
    let env: serde_json::Map<String, Value> = server_env(&stack, &ws, &dir.path().join("state"))
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into()))
        .collect();
    let config = dir.path().join("mcp.json");
    let servers = json!({ "mcpServers": { "team-log": {
        "command": cargo_ai_path(), "args": ["mcp"], "env": env,
    }}});
    std::fs::write(&config, servers.to_string()).expect("write the MCP config");
    let fake = FakeAnthropic::replying("Bob already added jittered retries to the uploader.");
    fake.call_tool("__search_sessions", json!({ "query": QUERY }));

    let tool = "mcp__team-log__search_sessions";
    let out = tokio::task::spawn_blocking(move || {
        let out = claude_with_mcp(&home, &fake, &config, tool, "Fix the uploader retries");
        (out, fake)
    })
    .await
    .expect("join");
    let (out, fake) = out;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "claude failed: {stderr}");
    let events = stream_json_events(&out.stdout);
    assert_eq!(
        init_event(&events)["mcp_servers"],
        json!([{ "name": "team-log", "status": "connected", "source": "dynamic" }]),
        "the server connects"
    );
    let text = assert_found_the_teammate(&fake, tool);
    println!("tool_result:\n{text}");
    let answer = events.last().expect("a result event");
    assert_eq!(
        answer["result"],
        "Bob already added jittered retries to the uploader."
    );
}

/// A whole session of `cargo-ai mcp` driven over stdio: every byte it writes to stdout is
/// JSON-RPC; `get_session` finds the teammate's session and not the deleted one; a bad
/// argument is a tool error that says how to call the tool; and with the API gone, the
/// server still answers from its mirror and says the sync failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cargo_ai_mcp_speaks_only_json_rpc_and_answers_from_its_mirror() {
    use tokio::io::AsyncWriteExt;

    let mut stack = Stack::start().await;
    let ws = new_workspace();
    seed_team_log(&stack, &ws).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let calls = [
        json!({"name": "search_sessions", "arguments": {"query": QUERY}}),
        json!({"name": "get_session", "arguments": {"session_id": FOUND}}),
        json!({"name": "get_session", "arguments": {"session_id": DELETED}}),
        json!({"name": "recent_sessions", "arguments": {"repo": "acme/uploader"}}),
        json!({"name": "search_sessions", "arguments": {"query": "x", "limit": 99}}),
    ];
    let env = server_env(&stack, &ws, &state);
    // `pause`: how long to wait before the calls (for the background sync to have tried).
    let run = |calls: &[Value], pause: std::time::Duration| {
        let mut input = vec![
            json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "e2e", "version": "1"}}}),
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        ];
        for (i, call) in calls.iter().enumerate() {
            input.push(
                json!({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call", "params": call}),
            );
        }
        let mut cmd = tokio::process::Command::new(cargo_ai_path());
        cmd.arg("mcp")
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", dir.path())
            .envs(env.clone())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        async move {
            let mut child = cmd.spawn().expect("run cargo-ai mcp");
            let mut stdin = child.stdin.take().expect("stdin");
            let mut answers = Vec::new();
            let stdout = child.stdout.take().expect("stdout");
            let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
            // One request at a time, as a client waits for each answer.
            for message in input {
                stdin
                    .write_all(format!("{message}\n").as_bytes())
                    .await
                    .expect("write");
                if message.get("id").is_none() {
                    tokio::time::sleep(pause).await;
                    continue;
                }
                let line =
                    tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
                        .await
                        .expect("an answer in time")
                        .expect("read")
                        .expect("a line");
                let answer: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON-RPC ({e}): {line:?}"));
                assert_eq!(answer["jsonrpc"], "2.0", "{line}");
                answers.push(answer);
            }
            drop(stdin);
            let rest = lines.next_line().await.expect("read");
            assert_eq!(rest, None, "stdout after the last answer");
            assert!(child.wait().await.expect("wait").success());
            answers
        }
    };
    let text = |answer: &Value| {
        answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    let answers = run(&calls, std::time::Duration::ZERO).await;
    assert_eq!(answers[0]["result"]["serverInfo"]["name"], "sessions");
    assert!(text(&answers[1]).contains(FOUND), "{}", answers[1]);
    let got = text(&answers[2]);
    assert!(
        got.contains("jittered exponential backoff") && got.contains("bob"),
        "{got}"
    );
    assert!(text(&answers[3]).contains("No session"), "{}", answers[3]);
    assert!(text(&answers[4]).contains(FOUND), "{}", answers[4]);
    assert_eq!(answers[5]["result"]["isError"], true, "{}", answers[5]);
    assert!(text(&answers[5]).contains("pass 1-20"), "{}", answers[5]);

    // The API gone: the mirror answers, and says its latest sync failed.
    stack.stop_server().await;
    let offline = run(&calls[..1], std::time::Duration::from_secs(2)).await;
    let found = text(&offline[1]);
    assert!(
        found.contains(FOUND) && found.contains("sync failed"),
        "{found}"
    );
}

/// The second, independent client: the official MCP Python SDK spawns the real `cargo-ai mcp`
/// (a private HOME and state dir, Alice's local credentials, her session as
/// `CLAUDE_CODE_SESSION_ID`) against a log seeded through the API into DynamoDB Local: a
/// teammate's two sessions, one deleted, one of another workspace and Alice's own. It runs a
/// whole session (initialize, tools/list, each tool, bad arguments, every stdout byte read as
/// JSON-RPC); then, with the API stopped, a second server answers from the mirror and says
/// its age and the failed sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_client_drives_the_real_cargo_ai_mcp() {
    const NEWER: &str = "bob-uploader-metrics";
    const MINE: &str = "alice-uploader-retries-now";
    let (python, script) = fixtures::mcp_python_client();
    let mut stack = Stack::start().await;
    let ws = new_workspace();
    seed_team_log(&stack, &ws).await;
    put_at(
        &stack,
        &ws,
        NEWER,
        bob(),
        "Upload metrics for the uploader",
        "Counted retries and failures of the uploader in a histogram.",
        "2026-11-21T10:00:00.000Z",
    )
    .await;
    // Alice's own session, the one the server runs in: it matches the query and is newest.
    put_at(
        &stack,
        &ws,
        MINE,
        alice(),
        "Uploader retries again",
        "Looking at the uploader retries right now.",
        "2026-11-22T10:00:00.000Z",
    )
    .await;

    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("create HOME");
    let mut env: serde_json::Map<String, Value> =
        server_env(&stack, &ws, &dir.path().join("state"))
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into()))
            .collect();
    env.insert("HOME".into(), home.display().to_string().into());
    let spec = json!({
        "env": env, "query": QUERY, "repo": REPO,
        "found": FOUND, "title": FOUND_TITLE, "summary": FOUND_SUMMARY, "finished_at": FINISHED_AT,
        "newer": NEWER, "deleted": DELETED, "elsewhere": ELSEWHERE, "me": MINE,
    });
    let spec_file = dir.path().join("spec.json");
    std::fs::write(&spec_file, spec.to_string()).expect("write the spec");

    let client = |phase: &'static str| {
        let mut cmd = tokio::process::Command::new(&python);
        cmd.arg(&script)
            .args(["--live", phase])
            .arg(&spec_file)
            .arg("--")
            .arg(cargo_ai_path())
            .arg("mcp")
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &home)
            .env("PYTHONDONTWRITEBYTECODE", "1");
        async move {
            let out = cmd.output().await.expect("run the Python MCP client");
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "the {phase} checks failed ({}):\n{stdout}\n{stderr}",
                out.status
            );
            // The script's own closing line: no check may be silently skipped.
            let closing = stdout.lines().last().unwrap_or_default();
            assert!(
                closing.ends_with(" passed, 0 failed") && !closing.starts_with("0 "),
                "{stdout}\n{stderr}"
            );
            stdout
        }
    };
    let online = client("online").await;
    println!("{online}");
    stack.stop_server().await;
    let offline = client("offline").await;
    println!("{offline}");
}
