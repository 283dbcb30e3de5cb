//! Runs one command to its exit and prints, as JSON, the wall time from spawn to exit and the
//! command's peak resident memory (`ru_maxrss` from `wait4`). The parent is this small process,
//! not the benchmark's Python: a child's peak also counts the image it was forked from before
//! `exec`, which for Python is larger than the command itself.
//!
//!   peak-rss --stdout FILE -- BIN ARGS...      {"wall_ms": 1980.4, "max_rss_kib": 11232}

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use clap::Parser;
use serde_json::json;

#[derive(Parser)]
struct Cli {
    /// Where the command's stdout goes (default: /dev/null).
    #[arg(long)]
    stdout: Option<PathBuf>,
    /// The command and its arguments.
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

fn main() -> ExitCode {
    match run(&Cli::parse()) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("peak-rss: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<serde_json::Value, String> {
    let stdout = match &cli.stdout {
        Some(path) => {
            Stdio::from(File::create(path).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => Stdio::null(),
    };
    let started = Instant::now();
    let child = Command::new(&cli.command[0])
        .args(&cli.command[1..])
        .stdin(Stdio::null())
        .stdout(stdout)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", cli.command[0]))?;
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| e.to_string())?;
    let mut status = 0;
    // SAFETY: rusage is plain old data; wait4 fills it in for the child we just spawned.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } != pid {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    let wall = started.elapsed();
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!(
            "{} ended with wait status {status}",
            cli.command[0]
        ));
    }
    Ok(json!({
        "wall_ms": wall.as_secs_f64() * 1e3,
        // Linux reports kibibytes.
        "max_rss_kib": usage.ru_maxrss,
    }))
}
