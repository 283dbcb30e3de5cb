//! `infra/local/up` and `infra/local/down` as a user runs them: idempotent, clear about busy
//! ports, and the stack they start records a session through the real CLI.

use std::path::Path;
use std::process::{Command, Output};

use sessions_e2e::{repo_root, workspace_bin};

fn script(name: &str, state: &Path, envs: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(repo_root().join("infra/local").join(name));
    cmd.env("SESSIONS_STATE_DIR", state)
        .env("SESSIONS_LOCAL_BIN", workspace_bin("sessions-local"))
        .env("SESSIONS_DYNAMODB_IN_MEMORY", "1")
        .env("SESSIONS_DYNAMODB_PORT", "0")
        .env("SESSIONS_PORT", "0");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run the infra script")
}

fn exports(out: &Output) -> Vec<(String, String)> {
    assert!(
        out.status.success(),
        "up failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn pid(state: &Path, name: &str) -> String {
    std::fs::read_to_string(state.join(format!("{name}.pid")))
        .expect("pid file")
        .trim()
        .to_owned()
}

/// Is the process running? A stopped process whose parent (often the container's init) has not
/// reaped it yet is a zombie, which `kill -0` still finds: it counts as stopped.
fn alive(pid: &str) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit_once(") ")
        .and_then(|(_, rest)| rest.chars().next());
    state.is_some_and(|s| !matches!(s, 'Z' | 'X'))
}

#[test]
fn up_is_idempotent_refuses_busy_ports_and_down_stops_everything() {
    let state = tempfile::tempdir().expect("temp dir");
    let first = exports(&script("up", state.path(), &[]));
    let names: Vec<&str> = first.iter().map(|(k, _)| k.as_str()).collect();
    for expected in [
        "AWS_ENDPOINT_URL_DYNAMODB",
        "CARGO_AI_ENDPOINT",
        "CARGO_AI_WORKSPACE",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        assert!(
            names.contains(&expected),
            "up prints export {expected}: {names:?}"
        );
    }
    let (dynamodb, server) = (
        pid(state.path(), "dynamodb"),
        pid(state.path(), "sessions-local"),
    );

    let second = exports(&script("up", state.path(), &[]));
    assert_eq!(second, first, "a second up changes nothing");
    assert_eq!(
        pid(state.path(), "dynamodb"),
        dynamodb,
        "one DynamoDB Local"
    );
    assert_eq!(pid(state.path(), "sessions-local"), server, "one server");

    // The stack records a session through the real CLI with exactly the printed settings.
    let mut cli = Command::new(workspace_bin("cargo-ai"));
    cli.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in &first {
        cli.env(k, v);
    }
    let out = cli
        .args([
            "workspaceManagement",
            "session",
            "upsert",
            "--session-id",
            "abc-123",
            "--title",
            "Claude Code session abc-123",
            "--summary",
            "Session in progress.",
        ])
        .output()
        .expect("run cargo-ai");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Another stack on the same API port is refused with a clear message, at once.
    let api_port = first
        .iter()
        .find(|(k, _)| k == "CARGO_AI_ENDPOINT")
        .and_then(|(_, v)| v.rsplit(':').next())
        .expect("endpoint has a port")
        .to_owned();
    let other = tempfile::tempdir().expect("temp dir");
    let busy = script("up", other.path(), &[("SESSIONS_PORT", api_port.clone())]);
    assert!(!busy.status.success(), "a busy port is an error");
    let stderr = String::from_utf8_lossy(&busy.stderr);
    assert!(
        stderr.contains(&format!("port {api_port} is already in use"))
            && stderr.contains("SESSIONS_PORT"),
        "{stderr}"
    );
    script("down", other.path(), &[]);

    let down = script("down", state.path(), &[]);
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    assert!(
        !alive(&dynamodb) && !alive(&server),
        "down stops both: {}",
        String::from_utf8_lossy(&down.stderr)
    );
}

/// `infra/local/up` builds its binaries where cargo puts them (here a `CARGO_TARGET_DIR`
/// given explicitly, as many users set it globally), and the build it asks for is the one
/// `cargo test` already made: same profile, same features, nothing compiled again. This is
/// what lets `infra/demo` and `infra/test` share one build.
#[test]
fn up_finds_the_build_in_cargo_target_dir_and_reuses_the_test_build() {
    let bin = workspace_bin("sessions-local");
    let target_dir = bin
        .parent()
        .and_then(Path::parent)
        .expect("<target>/debug/sessions-local")
        .to_owned();
    let state = tempfile::tempdir().expect("temp dir");
    let mut up = Command::new(repo_root().join("infra/local/up"));
    // As from a user's shell: without what cargo sets for a test process (CARGO_PKG_NAME,
    // CARGO_MANIFEST_DIR, ...), which some build scripts (ring's) track as inputs.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if (name.starts_with("CARGO_") && name != "CARGO_HOME") || name == "OUT_DIR" {
            up.env_remove(name.as_ref());
        }
    }
    let out = up
        .env("SESSIONS_STATE_DIR", state.path())
        .env_remove("SESSIONS_LOCAL_BIN")
        .env_remove("SESSIONS_PROFILE")
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("SESSIONS_DYNAMODB_IN_MEMORY", "1")
        .env("SESSIONS_DYNAMODB_PORT", "0")
        .env("SESSIONS_PORT", "0")
        .output()
        .expect("run infra/local/up");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let exported = exports(&out);
    let server = pid(state.path(), "sessions-local");
    let running = std::fs::read_link(format!("/proc/{server}/exe")).expect("server's executable");
    script("down", state.path(), &[]);

    assert!(
        exported.iter().any(|(k, _)| k == "CARGO_AI_ENDPOINT"),
        "{exported:?}"
    );
    assert_eq!(
        running, bin,
        "the server runs the binary in CARGO_TARGET_DIR"
    );
    assert!(
        !stderr.contains("Compiling"),
        "infra/local/up rebuilt what cargo test had built: a feature or profile differs between `cargo build` and `cargo test --workspace` (run the tests as infra/test does: cargo test --workspace):\n{stderr}"
    );
}

/// A process the test started, killed when the test ends however it ends.
struct Bystander(std::process::Child);

impl Bystander {
    fn start() -> Bystander {
        Bystander(
            Command::new("sleep")
                .arg("300")
                .spawn()
                .expect("start sleep"),
        )
    }

    fn pid(&self) -> String {
        self.0.id().to_string()
    }

    /// Still running: not exited (a killed child stays a zombie until reaped, which `kill -0`
    /// would count as alive).
    fn running(&mut self) -> bool {
        self.0.try_wait().expect("wait on sleep").is_none()
    }
}

impl Drop for Bystander {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// After a reboot the pids in the state dir can belong to anything: `down` stops only what the
/// stack started. One pid file names an unrelated program; the other names a process whose
/// command line is the recorded one but whose start time is not (the pid was reused). Neither
/// is signalled, and both stale files are removed with a message.
#[test]
fn down_leaves_alone_a_process_that_only_has_the_pid_of_ours() {
    let state = tempfile::tempdir().expect("temp dir");
    let mut unrelated = Bystander::start();
    let mut reused = Bystander::start();
    let dynamodb_pid = state.path().join("dynamodb.pid");
    let server_pid = state.path().join("sessions-local.pid");
    std::fs::write(&dynamodb_pid, format!("{}\n", unrelated.pid())).expect("write pid file");
    std::fs::write(&server_pid, format!("{}\n", reused.pid())).expect("write pid file");
    std::fs::write(
        state.path().join("sessions-local.started"),
        "1\nsleep\n300\n",
    )
    .expect("write the launch record");

    let down = script("down", state.path(), &[]);

    let stderr = String::from_utf8_lossy(&down.stderr);
    assert!(down.status.success(), "{stderr}");
    assert!(
        unrelated.running(),
        "down killed an unrelated process: {stderr}"
    );
    assert!(
        reused.running(),
        "down killed a process that reused a pid: {stderr}"
    );
    assert!(
        !dynamodb_pid.exists() && !server_pid.exists(),
        "stale pid files removed"
    );
    assert!(
        !state.path().join("sessions-local.started").exists(),
        "the launch record goes with its pid file"
    );
    for pid in [unrelated.pid(), reused.pid()] {
        assert!(
            stderr.contains(&format!("pid {pid} is not the"))
                && stderr.contains("leaving that process alone"),
            "says why it left pid {pid} alone: {stderr}"
        );
    }
}
