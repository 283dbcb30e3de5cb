//! `cargo-ai completions <shell>`: shell completion scripts, generated from the same
//! definitions as the parser so they never drift.

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;
use crate::error::CliError;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> Result<(), CliError> {
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "cargo-ai",
        &mut std::io::stdout(),
    );
    Ok(())
}
