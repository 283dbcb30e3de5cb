//! The session-facts pass over a large transcript: how long the hooks' worker spends reading
//! tokens, cost, models and activity from the whole file. Not a test: prints the median of N
//! runs and the throughput.
//!
//!   facts-pass [--megabytes 50] [--runs 7]
//!
//! The transcript is generated in the temporary directory from the kinds of lines Claude Code
//! writes (prompts, responses streamed as several lines, tool results, subagents, request blobs)
//! and removed afterwards.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use sessions_cli::facts::{PriceTable, read_transcript};

#[derive(Parser)]
struct Args {
    /// Size of the generated transcript.
    #[arg(long, default_value_t = 50)]
    megabytes: u64,
    #[arg(long, default_value_t = 7)]
    runs: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let path = std::env::temp_dir().join(format!("facts-pass-{}.jsonl", std::process::id()));
    let outcome = generate(&path, args.megabytes * 1024 * 1024)
        .map(|bytes| measure(&path, bytes, args.runs.max(1)));
    let _ = std::fs::remove_file(&path);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("facts-pass: cannot write {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

fn measure(path: &Path, bytes: u64, runs: usize) {
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        let far = started + Duration::from_secs(600);
        last = read_transcript(path, far, PriceTable::pinned()).ok();
        times.push(started.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let mb = bytes as f64 / 1e6;
    println!(
        "facts pass over {mb:.1} MB: median {:.0} ms of {runs} runs (min {:.0} ms, max {:.0} ms), {:.0} MB/s",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        mb / median.as_secs_f64(),
    );
    if let Some(facts) = last {
        println!(
            "  {} entries, {} prompts, {} tool calls, models {:?}, cost ${:.2}, complete: {}",
            facts.entries,
            facts.prompts,
            facts.tool_calls,
            facts.models,
            facts.cost_nanodollars.unwrap_or(0) as f64 / 1e9,
            facts.complete
        );
    }
}

/// Writes rounds of a realistic session until the file has `size` bytes; returns its size.
fn generate(path: &Path, size: u64) -> std::io::Result<u64> {
    let mut out = BufWriter::new(File::create(path)?);
    let common = r#""sessionId": "7f3c2a10-4b5e-4c1d-9a77-2e1f0c9b8d01", "cwd": "/home/dev/work/billing", "version": "2.1.300", "gitBranch": "main", "userType": "external""#;
    let output = "    let attempt = backoff.next().ok_or(Error::GaveUp)?;\\n".repeat(120);
    let mut written = 0u64;
    let mut round = 0u64;
    while written < size {
        round += 1;
        let (minute, second) = ((round / 60) % 60, round % 60);
        let ts = format!(
            "2026-11-20T{:02}:{minute:02}:{second:02}.000Z",
            8 + round / 3600 % 12
        );
        let mut lines = vec![format!(
            r#"{{"type": "user", "timestamp": "{ts}", "isSidechain": false, {common}, "uuid": "u{round}", "message": {{"role": "user", "content": "Round {round}: adjust consumer {round} and rerun its tests."}}}}"#
        )];
        if round.is_multiple_of(10) {
            lines.push(format!(
                r#"{{"type": "api-request-blob", "sessionId": "s", "hash": "h{round}", "message": {{"role": "user", "content": [{{"type": "text", "text": "<system-reminder>gitStatus: {output}</system-reminder>"}}]}}}}"#
            ));
        }
        let usage = format!(
            r#"{{"input_tokens": 4, "cache_creation_input_tokens": 900, "cache_read_input_tokens": {}, "cache_creation": {{"ephemeral_5m_input_tokens": 900, "ephemeral_1h_input_tokens": 0}}, "output_tokens": 180, "service_tier": "standard"}}"#,
            20_000 + round % 50_000
        );
        let (model, side) = if round.is_multiple_of(7) {
            ("claude-haiku-4-5-20251001", "true")
        } else {
            ("claude-sonnet-4-5-20250929", "false")
        };
        let blocks = [
            r#"{"type": "thinking", "thinking": "Consider the consumer and its retry budget.", "signature": "c2lnbmF0dXJl"}"#.to_owned(),
            format!(r#"{{"type": "text", "text": "Adjusting consumer {round}."}}"#),
            format!(
                r#"{{"type": "tool_use", "id": "toolu_{round}", "name": "Edit", "input": {{"file_path": "/home/dev/work/billing/src/consumer_{}.rs", "old_string": "a", "new_string": "b"}}}}"#,
                round % 40
            ),
        ];
        for block in blocks {
            lines.push(format!(
                r#"{{"type": "assistant", "timestamp": "{ts}", "isSidechain": {side}, {common}, "requestId": "req_{round}", "message": {{"id": "msg_{round}", "type": "message", "role": "assistant", "model": "{model}", "content": [{block}], "stop_reason": null, "usage": {usage}}}}}"#
            ));
        }
        lines.push(format!(
            r#"{{"type": "user", "timestamp": "{ts}", "isSidechain": {side}, {common}, "uuid": "r{round}", "message": {{"role": "user", "content": [{{"type": "tool_result", "tool_use_id": "toolu_{round}", "content": "{output}"}}]}}}}"#
        ));
        for line in lines {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
            written += line.len() as u64 + 1;
        }
    }
    out.flush()?;
    Ok(written)
}
