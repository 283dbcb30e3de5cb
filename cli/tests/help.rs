//! `--help` teaches: every command answers it with an example, and a mistyped command gets a
//! suggestion. (Also makes `cargo test --workspace` build the `cargo-ai` binary that the
//! end-to-end tests run.)

use std::process::Command;

fn cargo_ai(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-ai"))
        .args(args)
        .env_clear()
        .output()
        .expect("run cargo-ai");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_command_has_help_with_an_example() {
    for command in [
        vec!["--help"],
        vec!["workspaceManagement", "--help"],
        vec!["workspaceManagement", "session", "--help"],
        vec!["workspaceManagement", "session", "upsert", "--help"],
        vec!["workspaceManagement", "session", "delete", "--help"],
    ] {
        let (code, stdout, _) = cargo_ai(&command);
        assert_eq!(code, 0, "{command:?}");
        assert!(
            stdout.contains("Example"),
            "{command:?} --help shows an example:\n{stdout}"
        );
    }
}

#[test]
fn mistyped_commands_get_a_suggestion() {
    let (code, _, stderr) = cargo_ai(&["workspaceManagement", "sesion"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("similar") && stderr.contains("session"),
        "{stderr}"
    );
}
