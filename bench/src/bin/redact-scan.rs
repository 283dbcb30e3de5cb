//! What the secret scanner costs: `redact()` on a 16 KiB summary without and with secrets, on a
//! 100-byte title, and the first call in a fresh process (building the keyword automaton for a
//! long text, compiling the regexes the text's keywords select) for titles and a summary.
//!
//!   redact-scan [--rounds N] [--fresh N]
//!
//! Prints one JSON object: per case, median and p95 in microseconds.

use std::hint::black_box;
use std::process::{Command, ExitCode};
use std::time::Instant;

use clap::Parser;
use serde_json::json;
use sessions_bench::percentile;
use sessions_redact::{redact, testdata};

const SUMMARY_BYTES: usize = 16 * 1024;
const TITLE: &str = "Fix the flaky outbox retry test after the SigV4 signing refactor (4f2a9c1)";
/// A title whose words gate the catch-all rules (token, key, password): the costlier first call.
const TITLE_WITH_KEYWORDS: &str = "Rotate the API token and the db password; cache key unchanged";
/// The title a session gets before anything names it: no keyword of any rule.
const SESSION_TITLE: &str = "Claude Code session abc-123";
/// A short title that gates the catch-all rules through "api", "key", "auth" and "token".
const TITLE_API_KEY: &str = "Fix API key rotation in the auth token refresh";

#[derive(Parser)]
struct Args {
    /// Timed calls per in-process case.
    #[arg(long, default_value_t = 500)]
    rounds: usize,
    /// Fresh processes for the first-call cases.
    #[arg(long, default_value_t = 30)]
    fresh: usize,
    /// Internal: time one first call of `redact(TEXT)` in this process and print microseconds.
    #[arg(long, hide = true)]
    first_call: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(text) = args.first_call {
        let started = Instant::now();
        black_box(redact(black_box(&text)));
        println!("{}", started.elapsed().as_secs_f64() * 1e6);
        return ExitCode::SUCCESS;
    }
    let (plain, with_secrets) = summaries();
    assert_eq!(
        redact(&plain),
        plain.as_str(),
        "the benign summary was altered"
    );
    assert_eq!(redact(&with_secrets).matches("[REDACTED:").count(), 5);
    let title = &TITLE[..TITLE.len().min(100)];
    let mut report = serde_json::Map::new();
    for (name, text) in [
        ("summary_16k_no_secret", plain.as_str()),
        ("summary_16k_5_secrets", with_secrets.as_str()),
        ("title_100b", title),
    ] {
        report.insert(name.into(), in_process(text, args.rounds));
    }
    for (name, text) in [
        ("first_call_title", TITLE),
        ("first_call_title_keywords", TITLE_WITH_KEYWORDS),
        ("first_call_session_title", SESSION_TITLE),
        ("first_call_title_api_key", TITLE_API_KEY),
        ("first_call_summary_16k", plain.as_str()),
    ] {
        match fresh_processes(text, args.fresh) {
            Ok(figures) => report.insert(name.into(), figures),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
    }
    println!("{}", serde_json::Value::Object(report));
    ExitCode::SUCCESS
}

/// 16 KiB of benign session texts, and the same with five corpus secrets spread through it.
fn summaries() -> (String, String) {
    let benign = testdata::benign();
    let mut plain = String::new();
    for line in benign.iter().cycle() {
        if plain.len() + line.len() + 1 > SUMMARY_BYTES {
            break;
        }
        plain.push_str(line);
        plain.push('\n');
    }
    let secrets = testdata::secrets();
    let picks = [
        "github-pat",
        "aws-secret-access-key-env",
        "slack-bot-token",
        "url-password-postgres",
        "openai-api-key",
    ];
    let inserts: Vec<&str> = picks
        .iter()
        .filter_map(|kind| {
            secrets
                .iter()
                .find(|c| c.kind == *kind)
                .map(|c| c.text.as_str())
        })
        .collect();
    let lines: Vec<&str> = plain.lines().collect();
    let step = lines.len() / (inserts.len() + 1);
    let mut with_secrets = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 && i % step == 0 && i / step <= inserts.len() {
            with_secrets.push_str(inserts[i / step - 1]);
            with_secrets.push('\n');
        }
        with_secrets.push_str(line);
        with_secrets.push('\n');
    }
    while with_secrets.len() > SUMMARY_BYTES {
        let cut = with_secrets.trim_end().rfind('\n').unwrap_or(0);
        with_secrets.truncate(cut + 1);
    }
    (plain, with_secrets)
}

fn in_process(text: &str, rounds: usize) -> serde_json::Value {
    for _ in 0..20 {
        black_box(redact(black_box(text)));
    }
    let mut micros: Vec<f64> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            black_box(redact(black_box(text)));
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    micros.sort_by(f64::total_cmp);
    figures(text, &micros)
}

fn fresh_processes(text: &str, runs: usize) -> Result<serde_json::Value, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut micros = Vec::with_capacity(runs);
    for _ in 0..runs {
        let out = Command::new(&me)
            .arg("--first-call")
            .arg(text)
            .output()
            .map_err(|e| e.to_string())?;
        let value = String::from_utf8_lossy(&out.stdout).trim().parse::<f64>();
        micros.push(value.map_err(|e| format!("first call printed no time: {e}"))?);
    }
    micros.sort_by(f64::total_cmp);
    Ok(figures(text, &micros))
}

fn figures(text: &str, sorted_micros: &[f64]) -> serde_json::Value {
    json!({
        "bytes": text.len(),
        "runs": sorted_micros.len(),
        "median_us": percentile(sorted_micros, 50.0),
        "p95_us": percentile(sorted_micros, 95.0),
    })
}
