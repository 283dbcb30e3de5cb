//! The `cargo-ai` plugin and the marketplace this repository is, under the real Claude Code
//! CLI: both validate, the plugin installs from the marketplace and comes with a team's
//! settings, its hooks are the ones `cargo-ai hooks install` writes and record a session, its
//! team-log server (the real `cargo-ai mcp`) answers a tool call from the team's log, and a
//! missing `cargo-ai` is named without breaking the session.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sessions_e2e::fake_anthropic::{
    FakeAnthropic, Release, claude_bin, init_event, put_first_on_path, stream_json_events,
    user_text,
};
use sessions_e2e::{Stack, alice, cargo_ai_path, new_workspace, repo_root};

use crate::mcp_tools::{QUERY, assert_found_the_teammate, seed_team_log, server_env};

const MARKETPLACE: &str = "sessions";
const PLUGIN_ID: &str = "cargo-ai@sessions";
/// How the plugin's hooks start cargo-ai: through its launcher, quoted for paths with spaces.
const LAUNCHER: &str = r#""${CLAUDE_PLUGIN_ROOT}/scripts/cargo-ai""#;
/// The plugin's MCP server as Claude Code names it, and its search tool.
const SERVER: &str = "plugin:cargo-ai:team-log";
const SEARCH_TOOL: &str = "mcp__plugin_cargo-ai_team-log__search_sessions";

fn plugin_dir() -> PathBuf {
    repo_root().join("plugin")
}

/// A temporary HOME, a project, and a directory for programs to put on PATH.
struct World {
    _dir: tempfile::TempDir,
    home: PathBuf,
    project: PathBuf,
    bin: PathBuf,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        // Canonical, so paths compare equal to the ones Claude Code reports.
        let root = dir.path().canonicalize().expect("canonical temp dir");
        let [home, project, bin] = ["home", "project", "bin"].map(|d| root.join(d));
        for d in [&home, &project, &bin] {
            std::fs::create_dir_all(d).expect("create a test dir");
        }
        World {
            _dir: dir,
            home,
            project,
            bin,
        }
    }

    /// `claude` in the project, aimed at `fake`, with `bin` first on PATH.
    fn claude(&self, fake: &FakeAnthropic) -> Command {
        self.claude_of(Release::Current, fake)
    }

    /// `claude` of `release` in the project, aimed at `fake`, with `bin` first on PATH.
    fn claude_of(&self, release: Release, fake: &FakeAnthropic) -> Command {
        let mut cmd = release.command(&self.home, &fake.url());
        put_first_on_path(&mut cmd, &self.bin);
        cmd.current_dir(&self.project);
        cmd
    }

    fn write_json(&self, path: &Path, value: &Value) {
        std::fs::create_dir_all(path.parent().expect("a parent dir")).expect("create dirs");
        std::fs::write(path, serde_json::to_vec_pretty(value).expect("JSON")).expect("write");
    }
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "exited with {}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn json_of(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    json_of(&text)
}

#[test]
fn the_plugin_and_the_marketplace_pass_claude_plugin_validate() {
    plugin_and_marketplace_validate(Release::Current);
}

#[test]
fn the_oldest_supported_claude_code_validates_them_too() {
    plugin_and_marketplace_validate(Release::Oldest);
}

fn plugin_and_marketplace_validate(release: Release) {
    let world = World::new();
    // Validation makes no API call.
    let fake = FakeAnthropic::replying("unused");
    let validate = |path: &Path| {
        let out = world
            .claude_of(release, &fake)
            .args(["plugin", "validate", "--strict", "--json"])
            .arg(path)
            .output()
            .expect("run claude plugin validate");
        json_of(&ok(&out))
    };

    let plugin = validate(&plugin_dir());
    assert_eq!(plugin["success"], true, "{plugin:#}");
    assert_eq!(plugin["manifest"]["type"], "plugin");
    assert_eq!(plugin["manifest"]["errors"], json!([]), "{plugin:#}");
    assert_eq!(plugin["manifest"]["warnings"], json!([]), "{plugin:#}");
    let provides = &plugin["provides"];
    assert_eq!(
        provides["hooks"],
        json!([
            { "event": "SessionStart", "type": "command",
              "command": format!("{LAUNCHER} hooks session-start") },
            { "event": "SessionEnd", "type": "command",
              "command": format!("{LAUNCHER} hooks session-end") },
        ])
    );
    assert_eq!(
        provides["mcpServers"],
        json!([{ "name": "team-log", "type": "stdio",
                 "target": "${CLAUDE_PLUGIN_ROOT}/scripts/cargo-ai", "args": ["mcp"] }])
    );
    assert_eq!(provides["skills"], json!(["cargo-ai:team-log"]));
    let manifest = read_json(&plugin_dir().join(".claude-plugin/plugin.json"));
    assert_eq!(
        manifest["version"],
        env!("CARGO_PKG_VERSION"),
        "the plugin's version is the workspace's"
    );
    for none in ["commands", "agents", "bin"] {
        assert_eq!(provides[none], json!([]), "no {none}");
    }

    let marketplace = validate(&repo_root());
    assert_eq!(marketplace["success"], true, "{marketplace:#}");
    assert_eq!(marketplace["manifest"]["type"], "marketplace");
    assert_eq!(marketplace["manifest"]["errors"], json!([]));
    assert_eq!(marketplace["manifest"]["warnings"], json!([]));
}

/// One way to run the hooks: the plugin's differ from what `cargo-ai hooks install` writes
/// only in how they find `cargo-ai`.
#[test]
fn the_plugins_hooks_are_the_ones_hooks_install_writes() {
    let world = World::new();
    let init = Command::new("git")
        .args(["init", "-q"])
        .current_dir(&world.project)
        .output()
        .expect("run git init");
    ok(&init);
    let install = Command::new(cargo_ai_path())
        .args(["hooks", "install", "--project"])
        .current_dir(&world.project)
        .env("HOME", &world.home)
        .env("CARGO_AI_STATE_DIR", world.home.join("state"))
        .output()
        .expect("run cargo-ai hooks install");
    ok(&install);
    let installed = read_json(&world.project.join(".claude/settings.json"))["hooks"].clone();

    let mut plugin = read_json(&plugin_dir().join("hooks/hooks.json"))["hooks"].clone();
    let commands = plugin
        .as_object_mut()
        .expect("hooks by event")
        .values_mut()
        .flat_map(|groups| groups.as_array_mut().expect("a list of groups"))
        .flat_map(|group| group["hooks"].as_array_mut().expect("a list of hooks"))
        .map(|hook| &mut hook["command"]);
    for command in commands {
        let text = command.as_str().expect("a command string");
        let rest = text
            .strip_prefix(LAUNCHER)
            .unwrap_or_else(|| panic!("the plugin's hook runs its launcher: {text}"));
        *command = format!("cargo-ai{rest}").into();
    }
    assert_eq!(plugin, installed);
}

#[test]
fn the_marketplace_installs_the_plugin_in_a_fresh_home() {
    let world = World::new();
    let fake = FakeAnthropic::replying("unused");
    let claude = |args: &[&str]| {
        let out = world.claude(&fake).args(args).output().expect("run claude");
        ok(&out)
    };
    let repo = repo_root().canonicalize().expect("canonical repo root");
    let repo_arg = repo.display().to_string();

    claude(&["plugin", "marketplace", "add", &repo_arg]);
    claude(&["plugin", "install", PLUGIN_ID]);

    let marketplaces = json_of(&claude(&["plugin", "marketplace", "list", "--json"]));
    assert!(
        marketplaces.as_array().into_iter().flatten().any(|m| {
            m["name"] == MARKETPLACE && m["source"] == "directory" && m["path"] == repo_arg
        }),
        "{marketplaces:#}"
    );
    let plugins = json_of(&claude(&["plugin", "list", "--json"]));
    let ours = plugins
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["id"] == PLUGIN_ID)
        .unwrap_or_else(|| panic!("{PLUGIN_ID} is installed: {plugins:#}"));
    assert_eq!(
        (&ours["enabled"], &ours["scope"]),
        (&json!(true), &json!("user"))
    );
    assert_eq!(ours["mcpServers"]["team-log"]["args"], json!(["mcp"]));

    // The installed copy is the plugin, launcher still executable.
    let installed = PathBuf::from(ours["installPath"].as_str().expect("installPath"));
    assert!(
        installed.starts_with(&world.home),
        "{}",
        installed.display()
    );
    let launcher = std::fs::metadata(installed.join("scripts/cargo-ai")).expect("the launcher");
    assert_ne!(launcher.permissions().mode() & 0o111, 0, "executable");
    for file in [
        ".claude-plugin/plugin.json",
        "hooks/hooks.json",
        ".mcp.json",
        "skills/team-log/SKILL.md",
    ] {
        assert_eq!(
            std::fs::read(installed.join(file)).ok(),
            std::fs::read(plugin_dir().join(file)).ok(),
            "{file}"
        );
    }
}

/// The stream-json events of `claude -p "say hi"` in the world's project.
fn say_hi(world: &World, fake: &FakeAnthropic, extra: &[&str]) -> Vec<Value> {
    let out = world
        .claude(fake)
        .args([
            "-p",
            "say hi",
            "--output-format",
            "stream-json",
            "--verbose",
        ])
        .args(extra)
        .output()
        .expect("run claude");
    stream_json_events(ok(&out).as_bytes())
}

fn plugin_sources(init: &Value) -> Vec<String> {
    init["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["source"].as_str().map(str::to_owned))
        .collect()
}

fn server<'a>(init: &'a Value, name: &str) -> Option<&'a Value> {
    init["mcp_servers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["name"] == name)
}

/// The `hook_response` events of one hook event (`SessionStart`).
fn hook_responses<'a>(events: &'a [Value], event: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["subtype"] == "hook_response" && e["hook_event"] == event)
        .collect()
}

/// A team commits the marketplace and the plugin to the project's settings; Claude Code loads
/// the plugin once the project is trusted (never before). Without `cargo-ai` installed, the
/// session goes on: the hook fails with the install command and the server shows as failed.
#[test]
fn a_teams_settings_bring_the_plugin_to_a_trusted_project() {
    let world = World::new();
    let settings = json!({
        "extraKnownMarketplaces": {
            MARKETPLACE: { "source": { "source": "directory", "path": repo_root() } },
        },
        "enabledPlugins": { PLUGIN_ID: true },
    });
    world.write_json(&world.project.join(".claude/settings.json"), &settings);
    let fake = FakeAnthropic::replying("hi");

    let untrusted = say_hi(&world, &fake, &[]);
    let init = init_event(&untrusted);
    assert!(
        !plugin_sources(init).contains(&PLUGIN_ID.to_owned()),
        "an untrusted project installs no plugin: {init:#}"
    );
    assert_eq!(server(init, SERVER), None);

    // What accepting the trust dialog records.
    let trust = json!({ "projects": { world.project.display().to_string(): {
        "hasTrustDialogAccepted": true,
    }}});
    world.write_json(&world.home.join(".claude.json"), &trust);
    let events = say_hi(&world, &fake, &[]);
    let init = init_event(&events);
    assert!(
        plugin_sources(init).contains(&PLUGIN_ID.to_owned()),
        "the team's plugin is loaded: {init:#}"
    );
    assert_eq!(init.get("plugin_errors"), None, "{init:#}");
    assert_eq!(
        server(init, SERVER).map(|s| &s["status"]),
        Some(&json!("failed")),
        "no cargo-ai on PATH: {init:#}"
    );
    let starts = hook_responses(&events, "SessionStart");
    assert_eq!(starts.len(), 1, "{events:#?}");
    let start = starts[0];
    assert_eq!(start["exit_code"], 1, "a failed hook, not a blocking one");
    assert_eq!(start["stdout"], "", "nothing reaches Claude's context");
    let stderr = start["stderr"].as_str().unwrap_or_default();
    assert!(
        stderr.contains("`cargo-ai` command is not installed")
            && stderr.contains("cargo install --locked --path cli"),
        "{stderr}"
    );
    let result = events.last().expect("a result event");
    assert_eq!(
        (&result["subtype"], &result["result"]),
        (&json!("success"), &json!("hi"))
    );
}

/// The whole chain through the plugin: `claude -p --plugin-dir` runs a session whose hooks are
/// the plugin's, with the `cargo-ai` from this build on PATH; the row lands in DynamoDB Local
/// with the summary the end worker asked the real `claude -p` for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plugins_hooks_record_the_session() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let world = World::new();
    std::fs::write(
        world.project.join(".cargo-ai.toml"),
        format!("endpoint = \"{}\"\nworkspace = \"{ws}\"\n", stack.url),
    )
    .expect("write .cargo-ai.toml");
    std::os::unix::fs::symlink(cargo_ai_path(), world.bin.join("cargo-ai"))
        .expect("put cargo-ai on PATH");
    let state = world.home.join("cargo-ai-state");
    let fake = FakeAnthropic::start(|body| {
        if user_text(body).contains("Read the Claude Code transcript") {
            r#"{"title": "Teach the uploader to retry", "summary": "The user asked for retries in the uploader; Claude explained the plan."}"#.to_owned()
        } else {
            "Sure: wrap upload() in a retry loop with jittered backoff.".to_owned()
        }
    });

    let mut claude = world.claude(&fake);
    claude
        .args(["-p", "Add retries to the uploader", "--plugin-dir"])
        .arg(plugin_dir())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", alice().access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", alice().secret_access_key)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("CARGO_AI_STATE_DIR", &state)
        .env("CARGO_AI_CLAUDE", claude_bin());
    let out = tokio::task::spawn_blocking(move || claude.output())
        .await
        .expect("join")
        .expect("run claude");
    assert_eq!(
        ok(&out).trim(),
        "Sure: wrap upload() in a retry loop with jittered backoff.",
        "the hooks print nothing"
    );
    let session_id = fake.messages()[0]
        .header("x-claude-code-session-id")
        .expect("the session id header")
        .to_owned();

    let deadline = Instant::now() + Duration::from_secs(40);
    let row = loop {
        let row = stack.raw_item(&ws, &session_id).await;
        if let Some(row) = row.filter(|r| r.contains_key("finished_at")) {
            break row;
        }
        assert!(
            Instant::now() < deadline,
            "no finished row for {session_id}; hooks log: {}",
            std::fs::read_to_string(state.join("hooks.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let text = |name: &str| row.get(name).and_then(|v| v.as_s().ok()).cloned();
    assert_eq!(
        text("summary").as_deref(),
        Some("The user asked for retries in the uploader; Claude explained the plan.")
    );
    assert_eq!(text("user_arn").as_deref(), Some(alice().arn));
    assert_eq!(text("end_reason").as_deref(), Some("other"));
    assert_eq!(stack.item_count().await, 1);
}

/// The plugin's `.mcp.json` starts the real `cargo-ai mcp` through the launcher, Claude Code
/// calls its search under the plugin's name, and the answer is the teammate's session seeded
/// through the API (nothing deleted, nothing of another workspace); the plugin's hooks record
/// the session itself meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plugins_team_log_server_answers_a_tool_call() {
    team_log_server_answers_a_tool_call(Release::Current).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oldest_supported_claude_code_calls_the_plugins_tool_too() {
    team_log_server_answers_a_tool_call(Release::Oldest).await;
}

async fn team_log_server_answers_a_tool_call(release: Release) {
    let stack = Stack::start().await;
    let ws = new_workspace();
    seed_team_log(&stack, &ws).await;
    let world = World::new();
    std::os::unix::fs::symlink(cargo_ai_path(), world.bin.join("cargo-ai"))
        .expect("put cargo-ai on PATH");
    let fake = FakeAnthropic::replying("Bob already fixed the uploader retries.");
    fake.call_tool("__search_sessions", json!({ "query": QUERY }));

    let mut claude = world.claude_of(release, &fake);
    claude
        .env("ENABLE_TOOL_SEARCH", "false")
        .envs(server_env(&stack, &ws, &world.home.join("cargo-ai-state")))
        .args(["-p", "Fix the uploader retries", "--plugin-dir"])
        .arg(plugin_dir())
        .args(["--allowedTools", SEARCH_TOOL])
        .args(["--output-format", "stream-json", "--verbose"]);
    let (out, fake) = tokio::task::spawn_blocking(move || (claude.output(), fake))
        .await
        .expect("join");
    let out = out.expect("run claude");
    let events = stream_json_events(ok(&out).as_bytes());
    let init = init_event(&events);
    assert_eq!(init["claude_code_version"], release.version());
    assert_eq!(
        server(init, SERVER),
        Some(&json!({ "name": SERVER, "status": "connected", "source": "plugin" })),
        "{init:#}"
    );
    assert_eq!(init.get("plugin_errors"), None, "{init:#}");
    assert!(plugin_sources(init).contains(&"cargo-ai@inline".to_owned()));
    for hook in hook_responses(&events, "SessionStart") {
        assert_eq!(
            (&hook["exit_code"], &hook["stdout"]),
            (&json!(0), &json!(""))
        );
    }

    assert_found_the_teammate(&fake, SEARCH_TOOL);
    let result = events.last().expect("a result event");
    assert_eq!(result["result"], "Bob already fixed the uploader retries.");
    let session_id = fake.messages()[0]
        .header("x-claude-code-session-id")
        .expect("the session id header")
        .to_owned();
    assert!(
        stack.raw_item(&ws, &session_id).await.is_some(),
        "the plugin's hooks recorded the session"
    );
}

/// The launcher runs the real `cargo-ai`: never itself (were the plugin's scripts on PATH),
/// and from cargo's bin directory when PATH lacks it (Claude Code started from a desktop).
#[test]
fn the_launcher_finds_cargo_ai_in_cargos_bin_dir_and_never_runs_itself() {
    let world = World::new();
    let launcher = plugin_dir().join("scripts/cargo-ai");
    let scripts = launcher.parent().expect("the scripts dir");
    let run = |home: &Path| {
        Command::new(&launcher)
            .arg("--version")
            .env_clear()
            .env("HOME", home)
            .env("PATH", format!("{}:/usr/bin:/bin", scripts.display()))
            .output()
            .expect("run the launcher")
    };

    let missing = run(&world.home);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&missing.stdout), "");
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("cargo install --locked --path cli"),
        "{stderr}"
    );

    let cargo_bin = world.home.join(".cargo/bin");
    std::fs::create_dir_all(&cargo_bin).expect("create ~/.cargo/bin");
    std::os::unix::fs::symlink(cargo_ai_path(), cargo_bin.join("cargo-ai"))
        .expect("install cargo-ai in ~/.cargo/bin");
    let found = run(&world.home);
    let direct = Command::new(cargo_ai_path())
        .arg("--version")
        .output()
        .expect("run cargo-ai --version");
    assert_eq!(ok(&found), ok(&direct));
}

/// How a project gets the team-log server and the hooks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Setup {
    /// `cargo-ai hooks install --mcp`: the project's settings and `.mcp.json`.
    HooksInstall,
    /// That and the plugin (`--plugin-dir`) at once.
    Both,
}

/// A session in a trusted project set up as `setup`, with the real `cargo-ai` on PATH and the
/// real `claude -p` as the summarizer: Claude calls the search tool and finds the teammate's
/// session, and the hooks record the session once, with one summary.
async fn session_with(setup: Setup) {
    let stack = Stack::start().await;
    let ws = new_workspace();
    seed_team_log(&stack, &ws).await;
    let world = World::new();
    ok(&Command::new("git")
        .args(["init", "-q"])
        .current_dir(&world.project)
        .output()
        .expect("run git init"));
    std::os::unix::fs::symlink(cargo_ai_path(), world.bin.join("cargo-ai"))
        .expect("put cargo-ai on PATH");
    let install = Command::new(cargo_ai_path())
        .args(["hooks", "install", "--mcp"])
        .current_dir(&world.project)
        .env("HOME", &world.home)
        .env("PATH", format!("{}:/usr/bin:/bin", world.bin.display()))
        .output()
        .expect("run cargo-ai hooks install --mcp");
    ok(&install);
    let trust = json!({ "projects": { world.project.display().to_string(): {
        "hasTrustDialogAccepted": true,
    }}});
    world.write_json(&world.home.join(".claude.json"), &trust);
    let state = world.home.join("cargo-ai-state");
    let fake = FakeAnthropic::start(|body| {
        if user_text(body).contains("Read the Claude Code transcript") {
            r#"{"title": "Ask the team about uploader retries", "summary": "Claude found Bob's jittered retries in the team log."}"#.to_owned()
        } else {
            "Bob already fixed the uploader retries.".to_owned()
        }
    });
    // The project's server's tool, not the plugin's (`..._cargo-ai_team-log__...`).
    fake.call_tool("__team-log__search_sessions", json!({ "query": QUERY }));
    let tool = "mcp__team-log__search_sessions";

    let mut claude = world.claude(&fake);
    claude
        .env("ENABLE_TOOL_SEARCH", "false")
        .envs(server_env(&stack, &ws, &state))
        .env("CARGO_AI_CLAUDE", claude_bin())
        .args(["-p", "Fix the uploader retries"])
        .args(["--allowedTools", tool])
        .args(["--output-format", "stream-json", "--verbose"]);
    if setup == Setup::Both {
        claude.arg("--plugin-dir").arg(plugin_dir());
    }
    let (out, fake) = tokio::task::spawn_blocking(move || (claude.output(), fake))
        .await
        .expect("join");
    let events = stream_json_events(ok(&out.expect("run claude")).as_bytes());
    let init = init_event(&events);
    assert_eq!(
        server(init, "team-log").map(|s| &s["status"]),
        Some(&json!("connected")),
        "{init:#}"
    );
    if setup == Setup::Both {
        assert_eq!(
            server(init, SERVER).map(|s| &s["status"]),
            Some(&json!("connected"))
        );
        assert_eq!(
            hook_responses(&events, "SessionStart").len(),
            2,
            "both hooks ran"
        );
    }
    assert_found_the_teammate(&fake, tool);
    let session_id = fake.messages()[0]
        .header("x-claude-code-session-id")
        .expect("the session id header")
        .to_owned();

    let deadline = Instant::now() + Duration::from_secs(40);
    let log = || std::fs::read_to_string(state.join("hooks.log")).unwrap_or_default();
    loop {
        let row = stack.raw_item(&ws, &session_id).await;
        if row.is_some_and(|r| r.contains_key("finished_at")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no finished row; hooks log: {}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Long enough for a second end worker, had there been one, to ask for its summary.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let summaries = fake
        .messages()
        .iter()
        .filter(|m| m.user_text().contains("Read the Claude Code transcript"))
        .count();
    assert_eq!(summaries, 1, "one summary; hooks log: {}", log());
    let row = stack.raw_item(&ws, &session_id).await.expect("the row");
    let summary = row.get("summary").and_then(|v| v.as_s().ok()).cloned();
    assert_eq!(
        summary.as_deref(),
        Some("Claude found Bob's jittered retries in the team log.")
    );
    if setup == Setup::Both {
        assert!(
            log().contains("already ended by another hook"),
            "the second SessionEnd hook stood down: {}",
            log()
        );
    }
}

/// `cargo-ai hooks install --mcp` alone: the project's `.mcp.json` server answers Claude and
/// the project's hooks record the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_install_mcp_serves_the_team_log_and_records_the_session() {
    session_with(Setup::HooksInstall).await;
}

/// The plugin and `hooks install --mcp` both: two SessionStart and two SessionEnd hooks run,
/// and the session is still one row with one summary (one `claude -p`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plugin_and_hooks_install_together_record_a_session_once() {
    session_with(Setup::Both).await;
}

/// `hooks doctor` takes the installed plugin's hooks for ours, and warns when the settings
/// hold them too.
#[test]
fn hooks_doctor_recognises_the_plugins_hooks() {
    let world = World::new();
    let fake = FakeAnthropic::replying("unused");
    let claude = |args: &[&str]| ok(&world.claude(&fake).args(args).output().expect("claude"));
    let repo = repo_root().canonicalize().expect("canonical repo root");
    claude(&["plugin", "marketplace", "add", &repo.display().to_string()]);
    claude(&["plugin", "install", PLUGIN_ID]);
    let cargo_ai = |args: &[&str]| {
        let out = Command::new(cargo_ai_path())
            .args(args)
            .current_dir(&world.project)
            .env("HOME", &world.home)
            .env("CARGO_AI_STATE_DIR", world.home.join("state"))
            .output()
            .expect("run cargo-ai");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    let doctor = cargo_ai(&["hooks", "doctor"]);
    let plugin_line = doctor
        .lines()
        .find(|l| l.contains(&format!("the {PLUGIN_ID} plugin (")))
        .unwrap_or_else(|| panic!("{doctor}"));
    assert!(
        plugin_line.starts_with("ok ") && plugin_line.ends_with("SessionStart, SessionEnd"),
        "{doctor}"
    );
    assert!(doctor.contains("ok   hooks are installed"), "{doctor}");
    assert!(!doctor.contains("both by the"), "{doctor}");

    cargo_ai(&["hooks", "install", "--user"]);
    let doctor = cargo_ai(&["hooks", "doctor"]);
    assert!(
        doctor.contains(&format!(
            "warn the hooks are installed both by the {PLUGIN_ID} plugin and in settings"
        )),
        "{doctor}"
    );
}
