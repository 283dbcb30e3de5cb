//! `cargo-ai`: the command-line entry point. All the work is in the library; this maps the
//! outcome to output and a documented exit code.

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    sessions_cli::run(std::env::args_os()).await
}
