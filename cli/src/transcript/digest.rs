//! Digesting a transcript file within limits: its head and tail in full, the middle only for titles.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

use super::conversation::Digester;
use super::counts::Counts;
use super::lines::{LineEnd, Lines};
use crate::files::open_regular;

/// Lines longer than this are skipped unread: the entries worth digesting are far smaller
/// (pasted files, images and tool output are what grow this big), and it bounds memory.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;
/// Title entries are tiny; between head and tail, longer lines are not even looked at.
const MAX_TITLE_LINE_BYTES: usize = 64 * 1024;

/// How much of a transcript is digested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The conversation is read from at most this many bytes at the end of the file.
    pub max_bytes: u64,
    /// When the file is longer than `max_bytes`, its first this-many bytes are read too:
    /// that is where the first prompt is.
    pub head_bytes: u64,
    /// The most bytes of `Digest::conversation_tail`.
    pub tail_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 8 * 1024 * 1024,
            head_bytes: 1024 * 1024,
            tail_chars: 60_000,
        }
    }
}

/// What a transcript says about its session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digest {
    /// The last non-empty `/rename` title.
    pub custom_title: Option<String>,
    /// The last non-empty title Claude Code generated for the session.
    pub ai_title: Option<String>,
    /// What the user asked, in order; a slash command with arguments appears as `/name args`.
    pub prompts: Vec<String>,
    /// The first prompt that is not a slash command (else the first one): what the session is about.
    pub first_prompt: Option<String>,
    /// How often each tool was called.
    pub tools: BTreeMap<String, usize>,
    /// Files edited or written, relative to the session's working directory when inside it.
    pub files: BTreeSet<String>,
    /// The end of the conversation's text as `User: ...\n\nAssistant: ...\n\n`, at most
    /// `Limits::tail_chars` bytes, starting at a line when the lines allow: input for an LLM.
    pub conversation_tail: String,
    /// The number of `prompts`.
    pub prompt_count: usize,
    /// The session in numbers: prompts, tool calls, files touched, its span in time.
    pub counts: Counts,
    /// Lines that were not JSON, were torn mid-write, or were too long to read.
    pub skipped_lines: usize,
    /// The transcript was longer than `max_bytes + head_bytes`: the counts above cover only its
    /// head and tail (titles cover all of it).
    pub partial: bool,
}

/// Digests the transcript at `path`. Fails only when the file cannot be read or is not a
/// regular file (a FIFO or a device would block or never end); its content never makes this fail.
pub fn digest(path: &Path, limits: Limits) -> io::Result<Digest> {
    let file = open_regular(path)?;
    let len = file.metadata()?.len();
    let tail_start = len.saturating_sub(limits.max_bytes);
    let head_end = limits.head_bytes.min(tail_start);
    let mut digester = Digester::new(limits.tail_chars, head_end < tail_start);
    let mut lines = Lines::new(file);
    let mut buf = Vec::new();
    let mut in_middle = false;
    loop {
        let start = lines.offset;
        // A line that starts before the tail counts as the middle, as if the tail had been
        // sought to and its first partial line dropped.
        let middle = start >= head_end && start < tail_start;
        if middle && !in_middle {
            in_middle = true;
            digester.mark_gap();
        }
        let cap = if middle {
            MAX_TITLE_LINE_BYTES
        } else {
            MAX_LINE_BYTES
        };
        let Some(end) = lines.next_into(&mut buf, cap)? else {
            break;
        };
        if middle {
            if end != LineEnd::Overlong && contains(&buf, b"-title") {
                digester.take_title_line(&buf);
            }
        } else {
            digester.take_line(&buf, end);
        }
    }
    Ok(digester.finish())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::io::{BufWriter, Write};
    use std::time::Instant;

    use serde_json::json;

    use super::*;
    use crate::transcript::heuristic::{heuristic_summary, heuristic_title};
    use crate::transcript::tail::GAP_MARKER;
    use crate::transcript::testing::*;

    #[test]
    fn an_empty_file_digests_to_nothing_but_still_has_a_summary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.jsonl");
        std::fs::write(&path, "").unwrap();
        let d = digest(&path, Limits::default()).unwrap();
        assert_eq!(d, Digest::default());
        assert_eq!(heuristic_title(&d), None);
        assert_eq!(heuristic_summary(&d), "No prompts.");
    }

    #[test]
    fn a_missing_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        assert!(digest(&dir.path().join("absent.jsonl"), Limits::default()).is_err());
    }

    #[test]
    fn a_line_longer_than_the_cap_is_skipped() {
        let huge = user(&"x".repeat(MAX_LINE_BYTES + 1024));
        let (_dir, path) = transcript(std::slice::from_ref(&huge));
        let d = digest(&path, Limits::default()).unwrap();
        assert_eq!(d.skipped_lines, 1);
        assert!(d.prompts.is_empty());
        assert!(d.conversation_tail.is_empty());

        // Reading goes on at the next line.
        let (_dir, path) = transcript(&[user("before"), huge, user("after"), custom_title("kept")]);
        let d = digest(&path, Limits::default()).unwrap();
        assert_eq!(d.skipped_lines, 1);
        assert_eq!(d.prompts, ["before", "after"]);
        assert_eq!(d.custom_title.as_deref(), Some("kept"));
    }

    #[test]
    fn a_long_transcript_is_read_from_head_and_tail_and_scanned_for_titles_between() {
        let mut lines = vec![
            custom_title("early"),
            user("first: what this session is about"),
        ];
        lines.extend((0..200).map(|i| user(&format!("middle prompt {i}"))));
        lines.push(custom_title("renamed midway"));
        lines.push(json!({"type": "ai-title", "aiTitle": "generated midway"}).to_string());
        lines.extend((200..400).map(|i| user(&format!("middle prompt {i}"))));
        lines.push(user("last: wrap it up"));
        lines.push(assistant(&"line of the reply\n".repeat(40)));
        let (_dir, path) = transcript(&lines);
        let limits = Limits {
            max_bytes: 4096,
            head_bytes: 1024,
            tail_chars: 500,
        };
        let d = digest(&path, limits).unwrap();
        assert!(d.partial);
        assert_eq!(
            d.first_prompt.as_deref(),
            Some("first: what this session is about")
        );
        assert_eq!(d.custom_title.as_deref(), Some("renamed midway"));
        assert_eq!(d.ai_title.as_deref(), Some("generated midway"));
        assert_eq!(
            d.prompts.last().map(String::as_str),
            Some("last: wrap it up")
        );
        assert!(
            d.prompts.len() < 100,
            "{} prompts kept of 402",
            d.prompts.len()
        );
        assert!(!d.prompts.iter().any(|p| p == "middle prompt 200"));
        assert_eq!(
            d.skipped_lines, 0,
            "a line cut by the tail's start is not damage"
        );
        assert!(d.conversation_tail.len() <= 500);
        assert!(
            d.conversation_tail.starts_with("line of the reply\n"),
            "{}",
            d.conversation_tail
        );
        assert!(
            heuristic_summary(&d).starts_with(&format!("At least {} prompts.", d.prompt_count))
        );
    }

    #[test]
    fn the_tail_keeps_the_gap_visible() {
        let mut lines = vec![user("head prompt")];
        lines.extend((0..100).map(|i| user(&"padding ".repeat(20 + i % 7))));
        lines.push(assistant("only this is in the tail"));
        let (_dir, path) = transcript(&lines);
        let limits = Limits {
            max_bytes: 300,
            head_bytes: 50,
            tail_chars: 10_000,
        };
        let d = digest(&path, limits).unwrap();
        assert_eq!(
            d.conversation_tail,
            format!("User: head prompt\n\n{GAP_MARKER}Assistant: only this is in the tail\n\n")
        );
    }

    #[test]
    fn only_regular_files_are_digested() {
        // Opening a FIFO for reading waits for a writer; /dev/zero never ends.
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("transcript.jsonl");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let begun = Instant::now();
        for path in [fifo.as_path(), Path::new("/dev/zero"), dir.path()] {
            let refused = digest(path, Limits::default()).unwrap_err();
            assert_eq!(refused.kind(), io::ErrorKind::InvalidInput, "{path:?}");
        }
        assert!(begun.elapsed().as_secs() < 1);
    }

    #[test]
    fn fifty_megabytes_are_digested_in_bounded_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.jsonl");
        let mut out = BufWriter::new(File::create(&path).unwrap());
        let session = "7f3c2a10-4b5e-4c1d-9a77-2e1f0c9b8d01";
        let common = format!(
            r#""sessionId": "{session}", "cwd": "/home/dev/work/billing", "version": "2.1.239", "gitBranch": "main", "userType": "external", "isSidechain": false"#
        );
        let output = "    let attempt = backoff.next().ok_or(Error::GaveUp)?;\\n".repeat(150);
        let mut write = |line: String| {
            out.write_all(line.as_bytes()).unwrap();
            out.write_all(b"\n").unwrap();
            line.len() as u64 + 1
        };
        let mut size = 0;
        size += write(format!(
            r#"{{"type": "user", {common}, "isMeta": true, "message": {{"role": "user", "content": "<local-command-caveat>Caveat: local commands.</local-command-caveat>"}}}}"#
        ));
        size += write(format!(
            r#"{{"type": "user", {common}, "uuid": "u0", "message": {{"role": "user", "content": "Move the billing service from SQS to the new queue, keep the retry budget."}}}}"#
        ));
        size += write(format!(
            r#"{{"type": "custom-title", "customTitle": "billing: queue migration", "sessionId": "{session}"}}"#
        ));
        let mut round = 0;
        while size < 50 * 1024 * 1024 {
            round += 1;
            size += write(format!(
                r#"{{"type": "user", {common}, "uuid": "u{round}", "message": {{"role": "user", "content": "Round {round}: now adjust consumer {round} and rerun its tests."}}}}"#
            ));
            size += write(format!(
                r#"{{"type": "assistant", {common}, "uuid": "a{round}", "message": {{"id": "msg_{round}", "role": "assistant", "content": [{{"type": "thinking", "thinking": "Consider the consumer.", "signature": "sig"}}, {{"type": "text", "text": "Adjusting consumer {round}."}}, {{"type": "tool_use", "id": "toolu_{round}", "name": "Edit", "input": {{"file_path": "/home/dev/work/billing/src/consumer_{}.rs", "old_string": "a", "new_string": "b"}}}}], "usage": {{"input_tokens": 2400, "output_tokens": 95}}}}}}"#,
                round % 40
            ));
            size += write(format!(
                r#"{{"type": "user", {common}, "uuid": "r{round}", "message": {{"role": "user", "content": [{{"type": "tool_result", "tool_use_id": "toolu_{round}", "content": "{output}"}}]}}}}"#
            ));
            if round == 3000 {
                size += write(format!(
                    r#"{{"type": "ai-title", "aiTitle": "Billing queue migration", "sessionId": "{session}"}}"#
                ));
            }
        }
        size += write(format!(
            r#"{{"type": "user", {common}, "uuid": "last", "message": {{"role": "user", "content": "Finally, write the changelog entry."}}}}"#
        ));
        out.flush().unwrap();
        drop(out);
        assert!(size >= 50 * 1024 * 1024);

        let started = Instant::now();
        let d = digest(&path, Limits::default()).unwrap();
        eprintln!(
            "digest of a {:.1} MB transcript ({round} rounds): {:?}, {} prompts kept, tail {} bytes",
            size as f64 / 1e6,
            started.elapsed(),
            d.prompts.len(),
            d.conversation_tail.len()
        );
        assert!(d.partial);
        assert_eq!(
            d.first_prompt.as_deref(),
            Some("Move the billing service from SQS to the new queue, keep the retry budget.")
        );
        assert_eq!(d.custom_title.as_deref(), Some("billing: queue migration"));
        assert_eq!(d.ai_title.as_deref(), Some("Billing queue migration"));
        assert_eq!(
            d.prompts.last().map(String::as_str),
            Some("Finally, write the changelog entry.")
        );
        // Only the head and tail are kept: a fraction of the rounds.
        assert!(
            d.prompts.len() < round / 4,
            "{} prompts kept of {round}",
            d.prompts.len()
        );
        assert!(d.files.len() <= 40);
        assert!(d.files.contains("src/consumer_1.rs"));
        assert!(d.conversation_tail.len() <= Limits::default().tail_chars);
        assert!(
            d.conversation_tail
                .ends_with("User: Finally, write the changelog entry.\n\n")
        );
        assert!(!d.conversation_tail.contains("Consider the consumer"));
        assert_eq!(d.skipped_lines, 0);
        let summary = heuristic_summary(&d);
        assert!(summary.starts_with("At least "), "{summary}");
        assert!(summary.contains("Edit ×"), "{summary}");
    }
}
