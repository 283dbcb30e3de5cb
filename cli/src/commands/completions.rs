//! `cargo-ai completions <shell>`: shell completion scripts, generated from the same
//! definitions as the parser so they never drift.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::args::Cli;
use crate::error::CliError;

pub fn run(shell: Shell) -> Result<(), CliError> {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "cargo-ai",
        &mut std::io::stdout(),
    );
    Ok(())
}
