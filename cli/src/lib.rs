//! `cargo-ai`: records and queries Claude Code sessions in the team's sessions table,
//! signing every request with the caller's own AWS credentials (SigV4, `execute-api`).

// Public only what another crate uses: `main.rs` (aws, error), the end-to-end tests (aws,
// client), the benchmarks (facts) and the transcript tests in cli/tests (hooks, transcript).
mod atomic_file;
pub mod aws;
mod blocking;
pub mod client;
mod commands;
mod config;
mod context;
pub mod error;
pub mod facts;
mod files;
mod git;
pub mod hooks;
mod listing;
mod mcp_log;
mod mirror;
mod outbox;
mod render;
mod report;
mod send;
pub mod transcript;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::commands::Cli;

/// Parses `argv`, runs the command, prints the outcome; returns the process exit code.
pub async fn run(argv: impl IntoIterator<Item = OsString>) -> ExitCode {
    let mut argv: Vec<OsString> = argv.into_iter().collect();
    // Invoked as `cargo ai ...`, cargo passes "ai" as the first argument.
    if argv.get(1).is_some_and(|a| a == "ai") {
        argv.remove(1);
    }
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(usage_exit_code(&e));
        }
    };
    match commands::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// The exit code of a command line clap refused: a value that breaks the API's rules (a bad
/// session id, title or time) is invalid input, like the API's own refusal of it; anything else
/// is a usage error; `--help` and `--version` are not errors at all.
pub fn usage_exit_code(e: &clap::Error) -> u8 {
    let broke_a_rule = e.kind() == clap::error::ErrorKind::ValueValidation
        && std::error::Error::source(e).is_some_and(|s| s.is::<sessions_core::ApiError>());
    if broke_a_rule {
        error::EXIT_INVALID
    } else if e.use_stderr() {
        error::EXIT_USAGE
    } else {
        0
    }
}
