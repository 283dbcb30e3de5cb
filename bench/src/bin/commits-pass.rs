//! The session-end worker's commit pass over a large repository: how long reading a session's
//! commits, their lines and patch ids and what is left uncommitted takes when the history
//! holds 100,000 commits. Not a test: prints the median of N runs per case.
//!
//!   commits-pass [--commits 100000] [--runs 7]
//!
//! The repository is made in the temporary directory with `git fast-import` (one pack, as a
//! clone has), checked out, and removed afterwards. Cases: a session that made its last 5
//! commits and leaves an edit uncommitted (the walk stops at HEAD at the start), and a session
//! whose start is no longer in the history (a rebase): the reader looks for the user's own
//! commits on every branch and gives up after its read bound.

use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use sessions_cli::facts::{Start, commit_facts};

#[derive(Parser)]
struct Args {
    /// Commits in the generated history.
    #[arg(long, default_value_t = 100_000)]
    commits: u64,
    #[arg(long, default_value_t = 7)]
    runs: usize,
}

const ME: &str = "dev@example.com";
const TEAMMATE: &str = "teammate@example.com";
/// The session's own commits, at the tip.
const MINE: u64 = 5;
const FILES: u64 = 100;
const EPOCH: i64 = 1_700_000_000;
/// The worker's read budget (hooks/worker.rs `READ_BUDGET`).
const READ_BUDGET: Duration = Duration::from_secs(3);

fn main() -> ExitCode {
    let args = Args::parse();
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("commits-pass: cannot make a temporary directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    if let Err(e) = generate(dir.path(), args.commits) {
        eprintln!("commits-pass: cannot make the repository: {e}");
        return ExitCode::FAILURE;
    }
    println!(
        "repository of {} commits made in {:.1} s ({:.1} MB of .git)",
        args.commits,
        started.elapsed().as_secs_f64(),
        size(&dir.path().join(".git")) as f64 / 1e6
    );
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("commits-pass: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let tip = |back: u64| rev(dir.path(), &format!("HEAD~{back}"));
    let until = EPOCH + args.commits as i64 * 60 + 60;
    let session_start = Start {
        head: Some(tip(MINE)),
        at: EPOCH + (args.commits - MINE) as i64 * 60 + 30,
    };
    let rebased_start = Start {
        // A commit id the history does not hold: what HEAD was before a rebase rewrote it.
        head: Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
        at: session_start.at,
    };
    for (what, start) in [
        ("a session's 5 commits on top", session_start),
        (
            "a rebased session (start not in the history)",
            rebased_start,
        ),
    ] {
        let mut times = Vec::with_capacity(args.runs.max(1));
        let mut last = None;
        for _ in 0..args.runs.max(1) {
            let began = Instant::now();
            let far = began + Duration::from_secs(600);
            last = runtime.block_on(commit_facts(
                Some(dir.path().to_owned()),
                Some(start.clone()),
                until,
                far,
            ));
            times.push(began.elapsed());
        }
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "commit pass, {what}: median {:.1} ms of {} runs (min {:.1} ms, max {:.1} ms), within the worker's {} s: {}",
            median.as_secs_f64() * 1e3,
            times.len(),
            times[0].as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3,
            READ_BUDGET.as_secs(),
            median < READ_BUDGET,
        );
        if let Some(change) = last {
            let lines = change.lines.as_ref();
            println!(
                "  commits {:?}, listed {}, lines +{} -{}, unknown {:?}",
                change.commit_count,
                change.commits.as_ref().map_or(0, Vec::len),
                lines.map_or(0, |l| l.added),
                lines.map_or(0, |l| l.removed),
                change.unknown,
            );
        }
    }
    ExitCode::SUCCESS
}

/// A repository of `commits` commits on `main`, each changing one of `FILES` files, the last
/// `MINE` by the user (the rest by a teammate), a minute apart; checked out with one edit left
/// uncommitted.
fn generate(dir: &Path, commits: u64) -> std::io::Result<()> {
    git(dir, &["init", "--quiet", "--initial-branch=main"])?;
    git(dir, &["config", "user.email", ME])?;
    let mut import = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .spawn()?;
    {
        let mut stream = std::io::BufWriter::new(import.stdin.take().expect("piped stdin"));
        for i in 1..=commits {
            let who = if i > commits - MINE { ME } else { TEAMMATE };
            let at = EPOCH + i as i64 * 60;
            let file = i % FILES;
            let message = format!("Adjust consumer {file} (change {i})\n");
            let content = format!(
                "// consumer {file}\npub const VERSION: u64 = {i};\npub fn retries() -> u32 {{ {} }}\n",
                i % 7
            );
            write!(
                stream,
                "commit refs/heads/main\nmark :{i}\nauthor Dev <{who}> {at} +0000\ncommitter Dev <{who}> {at} +0000\ndata {}\n{message}",
                message.len()
            )?;
            if i > 1 {
                writeln!(stream, "from :{}", i - 1)?;
            }
            write!(
                stream,
                "M 100644 inline src/consumer_{file}.rs\ndata {}\n{content}\n",
                content.len()
            )?;
        }
    }
    let status = import.wait()?;
    if !status.success() {
        return Err(std::io::Error::other(format!("git fast-import: {status}")));
    }
    git(dir, &["reset", "--quiet", "--hard", "main"])?;
    std::fs::write(dir.join("src/consumer_1.rs"), "// edited, not committed\n")?;
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> std::io::Result<String> {
    let out = Command::new("git").args(args).current_dir(dir).output()?;
    if !out.status.success() {
        return Err(std::io::Error::other(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn rev(dir: &Path, name: &str) -> String {
    git(dir, &["rev-parse", name]).unwrap_or_default()
}

/// Bytes of the files under `dir`.
fn size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut dirs = vec![dir.to_owned()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => dirs.push(entry.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}
