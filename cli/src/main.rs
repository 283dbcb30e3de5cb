//! `cargo-ai`: the command-line entry point. All the work is in the library; this maps the
//! outcome to output and a documented exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Before any thread exists: keep the AWS chain off instance metadata unless on EC2.
    sessions_cli::aws::bound_instance_metadata();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(sessions_cli::error::EXIT_UNAVAILABLE);
        }
    };
    runtime.block_on(sessions_cli::run(std::env::args_os()))
}
