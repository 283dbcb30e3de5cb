//! Claude Code calls a tool of a stdio MCP server: the stand-in Anthropic API asks for the tool
//! by name, the real CLI runs it and brings its result back in the next request. The rig the
//! team-log server's tests build on, proved here with a stub server (tests/fixtures/mcp).

use std::path::Path;

use serde_json::json;
use sessions_e2e::fake_anthropic::{FakeAnthropic, claude_command, init_event, stream_json_events};
use sessions_e2e::fixtures;

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
