//! One pass over a transcript file, each line parsed once: the digest's words from its head and tail, the session's numbers from all of it.

// The title and summary (the digest) and the session's facts (tokens, cost, models, counts)
// are computed from this one pass, so the summary's counts and the row's facts are the same
// numbers. What counts:
// - a prompt: a `user` entry that is not an aside (`Entry::is_aside`) whose text is one
//   (`prompt`);
// - a tool call: a `tool_use` block of a reply that is not an aside, once per call id (Claude
//   Code may write the same call again on another line of its response);
// - a file touched: an editing tool's file, one per absolute path; shown relative to the
//   session's working directory (the first one the transcript names) when inside it: shorter in
//   a summary and the same on every machine. One directory for the whole session, so that two
//   files never show as one, nor one as two;
// - tokens, cost and models: every response once (`Responses`), subagents' too: their usage is
//   billed like any other.
// Memory stays bounded whatever the file's size: the words are kept from the head and the tail
// only; the middle adds its counts and titles. The pass stops at its deadline with what it has.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::io;
use std::path::Path;
use std::time::Instant;

use sessions_core::Timestamp;

use super::conversation::Digester;
use super::counts::Counts;
use super::digest::{Digest, Limits};
use super::entry::{Entry, Kind, NotAnEntry};
use super::lines::{LineEnd, Lines};
use super::prompt::prompt;
use super::responses::Responses;
use crate::blocking::{self, TimedOut};
use crate::files::open_regular;

/// Longer lines are skipped unread. A line that carries a response's usage can also carry a
/// whole file written by a tool, and its tokens still count; longer ones are pasted files,
/// images and tool output, and the cap bounds memory.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;
/// A pause longer than this between two entries is time away, not activity.
const IDLE_MS: i128 = 5 * 60 * 1000;

/// What one pass over a transcript read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    /// The words for a title and summary, and the session's counts.
    pub digest: Digest,
    /// The working directory of the first entry that names one: where the session started.
    pub cwd: Option<String>,
    /// The last git branch the entries name (not `HEAD`, which is no branch).
    pub git_branch: Option<String>,
    /// The last Claude Code version the entries name.
    pub claude_version: Option<String>,
    /// Every API response, once.
    pub responses: Responses,
    /// Lines Claude's own edits added and removed: the last `cost-state` entry's totals.
    pub claude_lines: Option<(u64, u64)>,
    /// Milliseconds of activity; `None` when no entry had a time.
    pub active_ms: Option<u64>,
    /// Lines read as entries (JSON objects).
    pub entries: u64,
    /// The whole file was read (not cut short by the deadline or a read error).
    pub complete: bool,
}

/// Why a transcript was not read.
#[derive(Debug)]
pub enum Unread {
    /// Missing, unreadable, or not a regular file (a FIFO or a device would block or never end).
    Failed(io::Error),
    /// Its file system did not answer by the deadline.
    TimedOut,
}

impl fmt::Display for Unread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unread::Failed(e) => write!(f, "not read: {e}"),
            Unread::TimedOut => f.write_str("not read in time"),
        }
    }
}

/// Reads the transcript at `path` once, stopping at `deadline` with what it has. Fails only
/// when the file cannot be opened or is not a regular file; its content never makes this fail.
/// Blocking: from async code, `read_within`.
pub fn read(path: &Path, limits: Limits, deadline: Instant) -> io::Result<Transcript> {
    let file = open_regular(path)?;
    let len = file.metadata()?.len();
    let tail_start = len.saturating_sub(limits.max_bytes);
    let head_end = limits.head_bytes.min(tail_start);
    let mut pass = Pass::new(Digester::new(limits.tail_chars, head_end < tail_start));
    let mut lines = Lines::new(file);
    let mut buf = Vec::new();
    let mut in_middle = false;
    let complete = loop {
        if Instant::now() >= deadline {
            break false;
        }
        let start = lines.offset;
        // A line that starts before the tail counts as the middle.
        let middle = start >= head_end && start < tail_start;
        if middle && !in_middle {
            in_middle = true;
            pass.digester.mark_gap();
        }
        match lines.next_into(&mut buf, MAX_LINE_BYTES) {
            Ok(Some(end)) => pass.take_line(&buf, end, !middle),
            Ok(None) => break true,
            // What was read so far is still true.
            Err(_) => break false,
        }
    };
    Ok(pass.finish(complete))
}

/// `read` off the async threads, given up at `deadline` even if the file system stalls.
pub async fn read_within(
    path: &Path,
    limits: Limits,
    deadline: Instant,
) -> Result<Transcript, Unread> {
    let path = path.to_owned();
    match blocking::within(deadline, move || read(&path, limits, deadline)).await {
        Ok(Ok(transcript)) => Ok(transcript),
        Ok(Err(e)) => Err(Unread::Failed(e)),
        Err(TimedOut) => Err(Unread::TimedOut),
    }
}

/// The state of the pass over the lines.
struct Pass {
    transcript: Transcript,
    digester: Digester,
    counts: Counts,
    skipped_lines: usize,
    tools: BTreeMap<String, usize>,
    tool_ids: HashSet<String>,
    /// Files touched, by absolute path (as the tools name them).
    files: BTreeSet<String>,
    /// The latest entry time so far, in Unix milliseconds.
    last_time: Option<i128>,
}

impl Pass {
    fn new(digester: Digester) -> Self {
        Pass {
            transcript: Transcript::default(),
            digester,
            counts: Counts::default(),
            skipped_lines: 0,
            tools: BTreeMap::new(),
            tool_ids: HashSet::new(),
            files: BTreeSet::new(),
            last_time: None,
        }
    }

    /// `words`: the line is in the head or the tail, where the conversation's words are kept.
    fn take_line(&mut self, bytes: &[u8], end: LineEnd, words: bool) {
        if end == LineEnd::Overlong {
            self.skipped_lines += 1;
            return;
        }
        match Entry::parse(bytes) {
            Ok(entry) => self.take(&entry, words),
            Err(NotAnEntry::OtherJson) => {}
            // Blank lines are neither entries nor damage.
            Err(NotAnEntry::Damaged) if bytes.iter().all(u8::is_ascii_whitespace) => {}
            Err(NotAnEntry::Damaged) => self.skipped_lines += 1,
        }
    }

    fn take(&mut self, entry: &Entry, words: bool) {
        self.transcript.entries += 1;
        let at = entry
            .timestamp
            .as_deref()
            .and_then(|t| Timestamp::parse("timestamp", t).ok());
        if let Some(at) = at {
            self.take_time(at.unix_millis());
        }
        self.take_context(entry);
        let kind = entry.kind();
        if let (Kind::User | Kind::Assistant, Some(at)) = (kind, at) {
            self.counts.saw_time(at);
        }
        match kind {
            Kind::User if !entry.is_aside() => {
                if let Some(prompt) = entry.content().and_then(|c| prompt(c.texts())) {
                    self.counts.prompts += 1;
                    if words {
                        self.digester.take_prompt(prompt);
                    }
                }
            }
            Kind::Assistant => {
                self.transcript.responses.take(entry, at);
                if !entry.is_aside() {
                    self.take_tool_calls(entry);
                    if words {
                        self.digester.take_reply(entry);
                    }
                }
            }
            Kind::CustomTitle | Kind::AiTitle => self.digester.take_title(entry),
            _ => {}
        }
    }

    /// Where and with what the session ran, as the entries say.
    fn take_context(&mut self, entry: &Entry) {
        let known =
            |value: &Option<String>| value.as_ref().filter(|v| !v.trim().is_empty()).cloned();
        let t = &mut self.transcript;
        if let Some(version) = known(&entry.version) {
            t.claude_version = Some(version);
        }
        if t.cwd.is_none() {
            t.cwd = known(&entry.cwd);
        }
        if let Some(branch) = known(&entry.git_branch).filter(|b| b != "HEAD") {
            t.git_branch = Some(branch);
        }
        if entry.kind.as_deref() == Some("cost-state")
            && let (Some(added), Some(removed)) =
                (entry.total_lines_added, entry.total_lines_removed)
        {
            t.claude_lines = Some((added, removed));
        }
    }

    fn take_tool_calls(&mut self, entry: &Entry) {
        for tool_use in entry.content().into_iter().flat_map(|c| c.tool_uses()) {
            // The same call written again on another line of its response is one call.
            let first_time = tool_use
                .id
                .as_ref()
                .is_none_or(|id| self.tool_ids.insert(id.clone()));
            if !first_time {
                continue;
            }
            self.counts.tool_calls += 1;
            if let Some(name) = &tool_use.name {
                *self.tools.entry(name.clone()).or_default() += 1;
            }
            if let Some(path) = tool_use.edited_file() {
                self.files.insert(absolute(path, entry.cwd.as_deref()));
            }
        }
    }

    /// Time only moves forward: an entry written out of order adds nothing.
    fn take_time(&mut self, millis: i128) {
        let active = self.transcript.active_ms.get_or_insert(0);
        if let Some(last) = self.last_time {
            let gap = millis - last;
            if gap > 0 && gap <= IDLE_MS {
                *active = active.saturating_add(gap as u64);
            }
        }
        self.last_time = Some(self.last_time.map_or(millis, |last| last.max(millis)));
    }

    fn finish(self, complete: bool) -> Transcript {
        let Pass {
            mut transcript,
            digester,
            mut counts,
            skipped_lines,
            tools,
            files,
            ..
        } = self;
        let mut digest = digester.finish();
        let cwd = transcript.cwd.as_deref();
        digest.files = files.iter().map(|path| relative_to(path, cwd)).collect();
        counts.files_touched = digest.files.len();
        counts.partial = !complete;
        digest.prompt_count = counts.prompts;
        digest.counts = counts;
        digest.tools = tools;
        digest.skipped_lines = skipped_lines;
        transcript.digest = digest;
        transcript.complete = complete;
        transcript
    }
}

/// `path` as an absolute path: tools name absolute ones; a relative one is taken from `cwd`.
fn absolute(path: &str, cwd: Option<&str>) -> String {
    match cwd {
        Some(cwd) if Path::new(path).is_relative() => {
            Path::new(cwd).join(path).display().to_string()
        }
        _ => path.to_owned(),
    }
}

/// `path` relative to `cwd` when inside it.
fn relative_to(path: &str, cwd: Option<&str>) -> String {
    cwd.and_then(|cwd| Path::new(path).strip_prefix(cwd).ok())
        .and_then(Path::to_str)
        .filter(|relative| !relative.is_empty())
        .unwrap_or(path)
        .to_owned()
}
#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::io::{BufWriter, Write};
    use std::time::{Duration, Instant};

    use serde_json::json;

    use super::*;
    use crate::transcript::heuristic::{heuristic_summary, heuristic_title};
    use crate::transcript::tail::GAP_MARKER;
    use crate::transcript::testing::*;

    /// Where the digest and the facts used to count differently: a call written on two lines of
    /// its response was two calls in one and one in the other; a file was one per absolute path
    /// in one and one per path relative to each entry's directory in the other.
    #[test]
    fn a_repeated_call_and_a_file_named_two_ways_count_once() {
        let reply = |cwd: &str, id: &str, name: &str, file: &str| {
            json!({"type": "assistant", "cwd": cwd, "message": {"id": id, "content": [
                {"type": "tool_use", "id": format!("toolu_{id}"), "name": name,
                 "input": {"file_path": file}}
            ]}})
            .to_string()
        };
        let (_dir, path) = transcript(&[
            user("go"),
            reply("/w", "1", "Edit", "/w/src/lib.rs"),
            // The same call again, on another line of its response.
            reply("/w", "1", "Edit", "/w/src/lib.rs"),
            // The session moved into src/: the same file, and another one.
            reply("/w/src", "2", "Write", "/w/src/lib.rs"),
            reply("/w/src", "3", "Write", "main.rs"),
            reply("/w/src", "4", "Edit", "/elsewhere/notes.md"),
        ]);
        let read = read(
            &path,
            Limits::default(),
            Instant::now() + Duration::from_secs(60),
        )
        .unwrap();
        let d = &read.digest;
        assert_eq!(d.counts.tool_calls, 4);
        assert_eq!(d.tools.get("Edit"), Some(&2));
        assert_eq!(
            d.files.iter().collect::<Vec<_>>(),
            ["/elsewhere/notes.md", "src/lib.rs", "src/main.rs"]
        );
        assert_eq!(d.counts.files_touched, 3);
        assert!(heuristic_summary(d).contains("Tools: Edit ×2, Write ×2."));
    }

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
        // The words are the head's and the tail's; the count is the whole file's, exact.
        assert_eq!(d.prompt_count, 402);
        assert!(heuristic_summary(&d).starts_with("402 prompts. First: "));
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
        // Every prompt counted, though only the head's and the tail's are kept.
        let prompts = round + 2;
        assert_eq!(d.prompt_count, prompts);
        assert!(
            summary.starts_with(&format!("{prompts} prompts. ")),
            "{summary}"
        );
        assert!(summary.contains("Edit ×"), "{summary}");
    }
}
