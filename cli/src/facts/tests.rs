//! The facts of transcripts with known answers, and gathering that never blocks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::transcript::testing::{FIXTURES, transcript};

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

fn later() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

fn read(path: &Path) -> TranscriptFacts {
    read_transcript(path, later(), PriceTable::pinned()).unwrap()
}

// `transcript-facts.jsonl`, answered by hand. Its responses (all on 2026-04-10, Sonnet 4.5 still
// taking 1M-token prompts), in nano-dollars (tokens × thousandths of a dollar per MTok):
// - A, Sonnet 4.5, 3 lines: 3 in × 3,000 + 12,000 5m writes × 3,750 + 20,000 reads × 300
//   + 150 out × 15,000 = 9,000 + 45,000,000 + 6,000,000 + 2,250,000 = 53,259,000
// - B, Sonnet 4.5, 2 lines (output 5, then 420): 2 × 3,000 + 500 5m × 3,750 + 1,000 1h × 6,000
//   + 32,000 × 300 + 420 × 15,000 = 6,000 + 1,875,000 + 6,000,000 + 9,600,000 + 6,300,000
//   = 23,781,000
// - S1, Haiku 4.5 sidechain, 2 lines: 1,200 × 1,000 + 300 × 5,000 = 2,700,000
// - S2, Haiku 4.5 sidechain, 3 lines (id only, both ids, request id only): 800 × 1,000
//   + 100 × 5,000 = 1,300,000
// - C, Sonnet 4.5, 2 lines, prompt 150,000 + 60,000 = 210,000 > 200,000, so all at the tier:
//   150,000 × 6,000 + 60,000 × 600 + 2,000 × 22,500 = 900,000,000 + 36,000,000 + 45,000,000
//   = 981,000,000
// - `<synthetic>`: no tokens, no model.
// - D, Opus 4.5: 10 × 5,000 + 40,000 × 500 + 300 × 25,000 = 50,000 + 20,000,000 + 7,500,000
//   = 27,550,000
//
// Total 1,089,590,000 nano-dollars: $1.08959.
#[test]
fn every_fact_of_the_fixture_is_exact() {
    let facts = read(&fixture("transcript-facts.jsonl"));
    assert_eq!(
        facts,
        TranscriptFacts {
            cwd: Some("/home/dev/work/uploader".to_owned()),
            git_branch: Some("feat/retry".to_owned()),
            claude_version: Some("2.1.301".to_owned()),
            models: vec![
                "claude-sonnet-4-5-20250929".to_owned(), // A, B, C
                "claude-haiku-4-5-20251001".to_owned(),  // S1, S2
                "claude-opus-4-5-20251101".to_owned(),   // D
            ],
            tokens: Some(TokenTotals {
                input: 3 + 2 + 1_200 + 800 + 150_000 + 10,
                output: 150 + 420 + 300 + 100 + 2_000 + 300,
                cache_read: 20_000 + 32_000 + 60_000 + 40_000,
                cache_write: 12_000 + 1_500,
            }),
            cost_nanodollars: Some(1_089_590_000),
            unpriced_models: vec![],
            // The typed request, the one after the pause, the text block, `/review` with its
            // arguments; not the caveat, `/model`, its output, tool results, the subagent's
            // prompt, the request blob or the interruption.
            prompts: 4,
            // Read, Edit (written twice in its response), Write, Bash; not the subagent's Edit.
            tool_calls: 4,
            // src/upload.rs and src/retry.rs; not the file only read, nor the subagent's.
            files_touched: 2,
            // 10:00:00 to 10:00:30.5 (10:00:29, written out of order, adds nothing), then the
            // 19-minute pause does not count, then 10:20:00 to 10:25:40 (a 4:29 pause counts).
            active_ms: Some(30_500 + 340_000),
            claude_lines: None,
            entries: 29,
            // The last line, torn mid-write.
            skipped_lines: 1,
            complete: true,
        }
    );
}

#[test]
fn an_unpriced_model_leaves_the_cost_unknown_and_is_named() {
    let mut lines: Vec<String> = std::fs::read_to_string(fixture("transcript-facts.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.push(
        json!({"type": "assistant", "timestamp": "2026-04-10T10:26:00Z", "requestId": "req_X",
               "message": {"id": "msg_X", "model": "claude-experimental-9",
                           "usage": {"input_tokens": 100, "output_tokens": 10}}})
        .to_string(),
    );
    let (_dir, path) = transcript(&lines);
    let facts = read(&path);
    assert_eq!(facts.cost_nanodollars, None);
    assert_eq!(facts.unpriced_models, ["claude-experimental-9"]);
    // One response, as many as Opus: the one seen first ranks first.
    assert_eq!(
        facts.models,
        [
            "claude-sonnet-4-5-20250929",
            "claude-haiku-4-5-20251001",
            "claude-opus-4-5-20251101",
            "claude-experimental-9"
        ]
    );
    assert_eq!(facts.tokens.map(|t| t.input), Some(152_015 + 100));

    let gathered = gather_from(&path, None);
    assert_eq!(gathered.facts.cost_usd, None);
    assert_eq!(gathered.unpriced_models, ["claude-experimental-9"]);
    assert_eq!(gathered.facts.input_tokens, Some(152_115));
}

#[test]
fn lines_without_ids_are_each_a_response_and_a_zero_usage_costs_nothing() {
    let line = |model: &str, input: u64| {
        json!({"type": "assistant", "message": {"model": model, "usage": {"input_tokens": input}}})
            .to_string()
    };
    let (_dir, path) = transcript(&[
        line("claude-haiku-4-5", 1_000),
        line("claude-haiku-4-5", 1_000),
        // No usage at all on a line of an unknown model: nothing to price.
        json!({"type": "assistant", "message": {"model": "claude-unknown"}}).to_string(),
        line("claude-unknown", 0),
    ]);
    let facts = read(&path);
    assert_eq!(facts.tokens.map(|t| t.input), Some(2_000));
    // No time on the lines: the latest price, 2,000 × $1 per MTok.
    assert_eq!(facts.cost_nanodollars, Some(2_000_000));
    assert_eq!(facts.models, ["claude-haiku-4-5", "claude-unknown"]);
    assert_eq!(facts.active_ms, None);
}

#[test]
fn a_transcript_that_says_nothing_gives_no_counts() {
    let (_dir, path) = transcript(&["not json".to_owned()]);
    let facts = read(&path);
    assert_eq!(facts.entries, 0);
    assert_eq!(facts.skipped_lines, 1);
    assert_eq!(facts.tokens, None);
    assert_eq!(facts.cost_nanodollars, None);
    let gathered = gather_from(&path, None).facts;
    assert_eq!(
        (gathered.prompts, gathered.tool_calls, gathered.input_tokens),
        (None, None, None)
    );
    assert_eq!(gathered.cost_usd, None);
    assert!(gathered.host.is_some());
}

#[test]
fn the_digests_fixtures_read_without_surprises() {
    let torn = read(&fixture("transcript-torn.jsonl"));
    assert_eq!(torn.skipped_lines, 2);
    assert!(torn.complete);
    let basic = read(&fixture("transcript-basic.jsonl"));
    assert_eq!(basic.prompts, 2, "the digest's count");
    assert_eq!(basic.tool_calls, 3, "the digest's count");
    assert_eq!(basic.files_touched, 1, "the digest's count");
    assert_eq!(basic.git_branch.as_deref(), Some("feat/retry"));
}

/// Gathering, as the worker does it, from a runtime of its own.
fn gather(
    transcript: Option<&Path>,
    cwd: Option<&Path>,
    end_reason: Option<&str>,
    deadline: Instant,
) -> SessionFacts {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(SessionFacts::gather(transcript, cwd, end_reason, deadline))
}

fn gather_from(transcript: &Path, cwd: Option<&Path>) -> SessionFacts {
    gather(Some(transcript), cwd, Some("prompt_input_exit"), later())
}

#[test]
fn gathering_joins_git_the_transcript_and_the_hook_input() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("uploader");
    std::fs::create_dir(&work).unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(&work)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    git(&[
        "remote",
        "add",
        "origin",
        "https://bob:TOKEN@github.com/acme/uploader.git",
    ]);

    let gathered = gather_from(&fixture("transcript-facts.jsonl"), Some(&work));
    let facts = &gathered.facts;
    let json = serde_json::to_value(&gathered).unwrap();
    let host = facts.host.clone().expect("a host name");
    assert_eq!(
        json,
        json!({
            "repo": "github.com/acme/uploader",
            // Git's branch, not the transcript's `feat/retry`.
            "branch": "main",
            "cwd": work.to_str().unwrap(),
            "host": host,
            "claude_version": "2.1.301",
            "models": ["claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-5-20251101"],
            "input_tokens": 152_015,
            "output_tokens": 3_270,
            "cache_read_tokens": 152_000,
            "cache_write_tokens": 13_500,
            "cost_usd": 1.08959,
            "prompts": 4,
            "tool_calls": 4,
            "files_touched": 2,
            "active_s": 370,
            "end_reason": "prompt_input_exit",
        })
    );
    assert!(gathered.transcript_complete);
    assert!(!json.to_string().contains("TOKEN"));
    // Field order is the API's.
    let keys: Vec<String> = serde_json::to_value(facts)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys.first().map(String::as_str), Some("repo"));
    assert_eq!(keys.last().map(String::as_str), Some("end_reason"));
    assert_eq!(
        serde_json::from_value::<Facts>(json).unwrap().cost_usd,
        Some(Usd::from_micros(1_089_590))
    );

    // Without a working directory from the hook: the transcript's (no repo there), and its branch.
    let facts = gather_from(&fixture("transcript-facts.jsonl"), None).facts;
    assert_eq!(facts.cwd.as_deref(), Some("/home/dev/work/uploader"));
    assert_eq!(facts.branch.as_deref(), Some("feat/retry"));
    assert_eq!(facts.repo, None);
}

#[test]
fn nothing_known_serializes_to_nothing() {
    assert_eq!(serde_json::to_string(&Facts::default()).unwrap(), "{}");
    let facts = gather(None, None, None, later()).facts;
    assert_eq!(facts.prompts, None);
    assert_eq!(facts.cost_usd, None);
    assert_eq!(facts.repo, None);
}

#[test]
fn the_home_directory_is_written_as_a_tilde() {
    let Some(home) = dirs::home_dir().and_then(|h| h.to_str().map(str::to_owned)) else {
        panic!("no home directory to test with");
    };
    assert_eq!(
        home_as_tilde(&format!("{home}/work/uploader")),
        "~/work/uploader"
    );
    assert_eq!(home_as_tilde(&home), "~");
    assert_eq!(
        home_as_tilde(&format!("{home}x/work")),
        format!("{home}x/work")
    );
    assert_eq!(home_as_tilde("/elsewhere/work"), "/elsewhere/work");
}

/// A transcript that is a FIFO (no writer: opening it to read would wait forever) or a device
/// that never ends: gathering returns at once, with what it knows without them.
#[cfg(unix)]
#[test]
fn a_fifo_or_dev_zero_transcript_never_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("session.jsonl");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for path in [fifo.as_path(), Path::new("/dev/zero")] {
        let started = Instant::now();
        let facts = gather(Some(path), Some(dir.path()), Some("other"), later()).facts;
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(500),
            "{}: {took:?}",
            path.display()
        );
        assert_eq!(facts.end_reason.as_deref(), Some("other"));
        assert!(facts.host.is_some());
        assert_eq!((facts.prompts, facts.input_tokens), (None, None));
        assert!(read_transcript(path, later(), PriceTable::pinned()).is_err());
    }
}

/// The deadline bounds the pass however long the transcript: it returns what it read by then.
#[test]
fn the_deadline_cuts_a_long_transcript_short() {
    let line = json!({"type": "user", "timestamp": "2026-04-10T10:00:00Z",
                      "message": {"content": "a prompt"}})
    .to_string();
    let (_dir, path) = transcript(&vec![line; 100_000]);
    let started = Instant::now();
    let gathered = gather(
        Some(&path),
        None,
        None,
        Instant::now() + Duration::from_millis(20),
    );
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert!(!gathered.transcript_complete);
    let past = read_transcript(&path, Instant::now(), PriceTable::pinned()).unwrap();
    assert!(!past.complete);
    assert_eq!(past.entries, 0);
    assert_eq!(read(&path).prompts, 100_000);
}

/// Claude Code counts the lines its edits changed in `cost-state` entries; the last one holds
/// the session's totals.
#[test]
fn claude_lines_are_the_last_cost_states() {
    let facts = read(&fixture("transcript-basic.jsonl"));
    assert_eq!(facts.claude_lines, Some((38, 4)));
}
