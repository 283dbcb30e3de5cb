//! Property tests of the session-end hook's reading of Claude Code transcripts, a format we do
//! not control: whatever the file holds (arbitrary bytes, or JSON lines shaped like user and
//! assistant entries, torn, oversized, nested oddly), the digest never fails or panics and
//! keeps its bounds; an LLM's reply of any shape never panics the parser; and the title and
//! summary the hook sends are always within the API's bounds; and the counts a summary states
//! are the facts the row gets, on every fixture and every generated file. The default case count keeps
//! this fast; the long run is the same tests with `PROPTEST_CASES=100000` (infra/fuzz/long).

use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::{Value, json};
use sessions_cli::facts::{PriceTable, SessionFacts, TranscriptFacts};
use sessions_cli::hooks::metadata;
use sessions_cli::hooks::summarize::parse_llm_reply;
use sessions_cli::hooks::worker::summarize;
use sessions_cli::transcript::{self, Digest, Limits, heuristic_summary, heuristic_title};
use sessions_core::fields::{SUMMARY_MAX_BYTES, TITLE_MAX_CHARS};
use sessions_core::{SessionId, Summary, Title};

// --- a small seeded generator (splitmix64): long and nested values from one shrinkable seed,
// cheap in a debug build, where a collection strategy costs a tree node per element ----------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len() as u64) as usize]
    }

    fn char(&mut self) -> char {
        const SPECIAL: &[char] = &[
            ' ', '\n', '\t', '\r', '\0', '\u{1}', '\u{7f}', '\u{85}', '\u{a0}', '\u{2028}', 'é',
            '€', '😀', '<', '>', '/', '{', '}', '"', '\\', '`', '…',
        ];
        let r = self.next();
        match r % 10 {
            0..=4 => char::from(0x20 + ((r >> 8) % 95) as u8),
            5..=6 => SPECIAL[((r >> 8) % SPECIAL.len() as u64) as usize],
            7 => char::from(((r >> 8) % 0x20) as u8),
            _ => char::from_u32(((r >> 8) % 0x11_0000) as u32).unwrap_or('\u{fffd}'),
        }
    }

    fn text(&mut self, max: u64) -> String {
        let n = self.below(max + 1);
        (0..n).map(|_| self.char()).collect()
    }

    /// Text as users and Claude Code write it: words, wrapper tags, reminders, commands.
    fn prose(&mut self) -> String {
        let mut out = String::new();
        for _ in 0..self.below(4) + 1 {
            let piece = match self.below(12) {
                0 => format!(
                    "<command-name>{}</command-name><command-message>{}</command-message><command-args>{}</command-args>",
                    self.pick(&["/model", "review", "/rename", "", "x"]),
                    self.text(8),
                    self.text(20)
                ),
                1 => format!("<system-reminder>{}</system-reminder>", self.text(30)),
                2 => format!("<system-reminder>{}", self.text(30)),
                3 => format!(
                    "<{}>{}</{0}>",
                    self.pick(&[
                        "bash-input",
                        "bash-stdout",
                        "local-command-stdout",
                        "user-prompt-submit-hook",
                        "b"
                    ]),
                    self.text(20)
                ),
                4 => "[Request interrupted by user]".to_owned(),
                5 => " \n\t ".to_owned(),
                6 => self.text(400),
                _ => self.text(60),
            };
            out.push_str(&piece);
        }
        out
    }

    fn content(&mut self) -> Value {
        match self.below(6) {
            0 => Value::String(self.prose()),
            1 => Value::Null,
            2 => Value::from(self.next() as i64),
            _ => {
                let blocks: Vec<Value> = (0..self.below(5))
                    .map(|_| match self.below(8) {
                        0 | 1 => json!({"type": "text", "text": self.prose()}),
                        2 => json!({"type": "text", "text": self.next() as i64}),
                        3 => json!({
                            "type": "tool_use",
                            "name": self.pick(&["Edit", "Write", "MultiEdit", "NotebookEdit", "Bash", "Read", ""]),
                            "input": {
                                "file_path": self.pick(&["/repo/src/a.rs", "/repo", "src/b.rs", "", " ", "/other/c.rs"]).to_owned() + &self.text(6),
                                "notebook_path": self.text(10),
                            },
                        }),
                        4 => json!({"type": "tool_use", "name": self.text(12), "input": self.text(10)}),
                        5 => json!({"type": "thinking", "thinking": self.text(40)}),
                        6 => json!({"type": "tool_result", "content": self.prose()}),
                        _ => json!({"type": self.text(6), "text": self.text(10)}),
                    })
                    .collect();
                Value::Array(blocks)
            }
        }
    }

    /// One transcript line: a user or assistant entry (mostly), a title entry, bookkeeping,
    /// or damage.
    fn line(&mut self) -> String {
        let kind = self.pick(&[
            "user",
            "user",
            "user",
            "assistant",
            "assistant",
            "assistant",
            "custom-title",
            "ai-title",
            "summary",
            "system",
            "api-request-blob",
            "other",
        ]);
        let mut entry = json!({"type": kind});
        match kind {
            "custom-title" => entry["customTitle"] = Value::String(self.text(60)),
            "ai-title" => entry["aiTitle"] = Value::String(self.text(60)),
            _ => {
                let content = self.content();
                entry["message"] = if self.chance(12) {
                    Value::String(self.text(10))
                } else {
                    json!({"role": kind, "content": content})
                };
            }
        }
        if self.chance(6) {
            entry["title"] = Value::String(self.text(30));
        }
        for flag in [
            "isMeta",
            "isSidechain",
            "isCompactSummary",
            "isVisibleInTranscriptOnly",
            "isApiErrorMessage",
        ] {
            if self.chance(10) {
                entry[flag] = if self.chance(3) {
                    Value::String("true".into())
                } else {
                    Value::Bool(true)
                };
            }
        }
        if self.chance(3) {
            entry["cwd"] = Value::String(self.pick(&["/repo", "/repo/", "", "/"]).to_owned());
        }
        let mut line = entry.to_string();
        match self.below(20) {
            0 => {
                let at = self.below(line.len() as u64 + 1) as usize;
                line = cut(&line, at).to_owned();
            }
            1 => line = self.text(80),
            2 => line = String::new(),
            3 => line = format!("{line}{line}"),
            _ => {}
        }
        line
    }

    /// A whole transcript: lines joined by `\n` or `\r\n`, maybe torn at the end.
    fn transcript(&mut self, lines: usize) -> Vec<u8> {
        let newline = if self.chance(5) { "\r\n" } else { "\n" };
        let mut out: Vec<u8> = Vec::new();
        for _ in 0..lines {
            let line = self.line();
            // Some lines with bytes that are not UTF-8.
            if self.chance(30) {
                out.extend_from_slice(&[0xff, 0xfe, b'{']);
            }
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(newline.as_bytes());
        }
        if self.chance(4) && !out.is_empty() {
            let keep = self.below(out.len() as u64) as usize;
            out.truncate(keep);
        }
        out
    }
}

/// `text` cut to at most `at` bytes, on a character boundary.
fn cut(text: &str, at: usize) -> &str {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    &text[..at]
}

fn limits() -> impl Strategy<Value = Limits> {
    prop_oneof![
        1 => Just(Limits::default()),
        3 => (0u64..4096, 0u64..2048, 0usize..600).prop_map(|(max_bytes, head_bytes, tail_chars)| Limits {
            max_bytes,
            head_bytes,
            tail_chars,
        }),
    ]
}

/// Transcript files: JSON lines shaped like Claude Code's, or arbitrary bytes.
fn transcript_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (any::<u64>(), 0usize..40).prop_map(|(seed, lines)| Rng(seed).transcript(lines)),
        1 => proptest::collection::vec(any::<u8>(), 0..2048),
        1 => (any::<u64>(), 0usize..8192).prop_map(|(seed, n)| {
            let mut rng = Rng(seed);
            (0..n).map(|_| rng.next() as u8).collect()
        }),
    ]
}

fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(bytes).expect("write transcript");
    file.flush().expect("flush");
    file
}

/// What every digest keeps to, whatever the file said.
fn check_digest(d: &Digest, len: u64, limits: Limits) -> Result<(), TestCaseError> {
    // The words come from the head and tail of a long transcript, the count from all of it.
    if d.partial {
        prop_assert!(d.prompt_count >= d.prompts.len());
    } else {
        prop_assert_eq!(d.prompt_count, d.prompts.len());
    }
    prop_assert_eq!(d.prompt_count, d.counts.prompts);
    // A call without a tool name counts, but has no name to be listed under.
    prop_assert!(d.tools.values().sum::<usize>() <= d.counts.tool_calls);
    prop_assert_eq!(d.counts.files_touched, d.files.len());
    prop_assert!(
        d.conversation_tail.len() <= limits.tail_chars,
        "tail of {} bytes over {}",
        d.conversation_tail.len(),
        limits.tail_chars
    );
    prop_assert_eq!(
        d.partial,
        u128::from(len) > u128::from(limits.max_bytes) + u128::from(limits.head_bytes)
    );
    if let Some(first) = &d.first_prompt {
        prop_assert!(d.prompts.contains(first));
    } else {
        prop_assert!(d.prompts.is_empty());
    }
    for prompt in &d.prompts {
        prop_assert!(!prompt.trim().is_empty());
    }
    for title in [&d.custom_title, &d.ai_title].into_iter().flatten() {
        prop_assert!(!title.is_empty() && title.trim() == title);
    }
    if let Some(title) = heuristic_title(d) {
        prop_assert!(!title.trim().is_empty());
        prop_assert!(title.chars().count() <= TITLE_MAX_CHARS, "{title:?}");
    }
    let summary = heuristic_summary(d);
    prop_assert!(!summary.trim().is_empty());
    prop_assert!(
        summary.len() <= SUMMARY_MAX_BYTES,
        "{} bytes",
        summary.len()
    );
    let cleaned = Summary::truncating(&summary);
    prop_assert!(cleaned.is_some(), "{summary:?}");
    Ok(())
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

proptest! {
    /// The digest never fails on what a file holds, and keeps its bounds.
    #[test]
    fn digest_never_panics_and_keeps_its_bounds(bytes in transcript_bytes(), limits in limits()) {
        let file = write_temp(&bytes);
        let far = Instant::now() + Duration::from_secs(600);
        let read = transcript::read(file.path(), limits, far)
            .map_err(|e| TestCaseError::fail(format!("digest failed on a readable file: {e}")))?;
        check_digest(&read.digest, bytes.len() as u64, limits)?;
        // The row's facts are the summary's counts, whatever the file held.
        let facts = TranscriptFacts::of(&read, PriceTable::pinned());
        let counts = read.digest.counts;
        prop_assert_eq!(
            (facts.prompts, facts.tool_calls, facts.files_touched),
            (counts.prompts as u64, counts.tool_calls as u64, counts.files_touched as u64)
        );
    }

    /// What the session-end worker sends, made without an LLM from any transcript (or none),
    /// is always a title and a summary the API accepts.
    #[test]
    fn the_hook_always_sends_a_title_and_summary_within_the_api_bounds(
        bytes in transcript_bytes(),
        session_id in "[A-Za-z0-9._:-]{1,128}",
        readable in any::<bool>(),
    ) {
        let file = write_temp(&bytes);
        let missing = file.path().with_extension("missing");
        let path: &Path = if readable { file.path() } else { &missing };
        prop_assume!(session_id != "." && session_id != "..");
        let session_id = SessionId::parse(&session_id).map_err(|e| TestCaseError::fail(e.message))?;
        let summarized = runtime().block_on(summarize(&session_id, Some(path), None, None));
        prop_assert!(
            Title::parse(summarized.title.as_str()).is_ok(),
            "title {:?} (from {})", summarized.title, summarized.sources.0
        );
        prop_assert!(
            Summary::parse(summarized.summary.as_str()).is_ok(),
            "summary {:?} (from {})", summarized.summary, summarized.sources.1
        );
    }

    /// Any reply from `claude -p` is read without panicking; a title/summary object in it is
    /// found wherever it is, and what is found is never blank.
    #[test]
    fn llm_replies_of_any_shape_never_panic(
        seed in any::<u64>(),
        raw in any::<String>(),
        shape in 0u8..6,
    ) {
        let mut rng = Rng(seed);
        let title = rng.text(40);
        let summary = rng.text(200);
        let object = json!({"title": title, "summary": summary, "other": rng.text(5)}).to_string();
        let reply = match shape {
            0 => raw.clone(),
            1 => object.clone(),
            2 => format!("{}\n```json\n{object}\n```\n{}", rng.prose(), rng.text(20)),
            3 => format!("{{{raw}{object}"),
            4 => cut(&object, rng.below(object.len() as u64) as usize).to_owned(),
            _ => format!("{} {{\"title\": {}, \"summary\": 5}} {}", rng.text(10), json!(title), rng.prose()),
        };
        let found = parse_llm_reply(&reply);
        if let Some((t, s)) = &found {
            prop_assert!(!t.trim().is_empty() && !s.trim().is_empty());
        }
        if shape == 1 || shape == 2 {
            let expected = (!title.trim().is_empty() && !summary.trim().is_empty())
                .then(|| (title.clone(), summary.clone()));
            prop_assert_eq!(found, expected);
        }
        // The worker cleans whatever it found into the API's bounds, or falls back.
        if let Some((t, s)) = parse_llm_reply(&reply) {
            if let Some(t) = Title::truncating(&t) {
                prop_assert!(Title::parse(t.as_str()).is_ok());
            }
            if let Some(s) = Summary::truncating(&s) {
                prop_assert!(Summary::parse(s.as_str()).is_ok());
            }
        }
    }
}

/// Every checked-in transcript, gathered as the session-end worker gathers it: the counts its
/// summary states are the facts its row gets, because both come from the one pass.
#[test]
fn on_every_fixture_the_summarys_counts_are_the_rows_facts() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/claude-code");
    let mut transcripts: Vec<_> = std::fs::read_dir(&fixtures)
        .expect("the fixtures directory")
        .map(|entry| entry.expect("a fixture").path())
        .filter(|path| path.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    transcripts.sort();
    assert!(transcripts.len() >= 4, "{transcripts:?}");
    for path in &transcripts {
        let far = Instant::now() + Duration::from_secs(600);
        let gathered = runtime().block_on(SessionFacts::gather(Some(path), None, None, far));
        let digest = gathered.digest.as_ref().expect("the fixture is read");
        let (counts, facts) = (&digest.counts, &gathered.facts);
        let shown = path.display();
        assert_eq!(facts.prompts, Some(counts.prompts as u64), "{shown}");
        assert_eq!(facts.tool_calls, Some(counts.tool_calls as u64), "{shown}");
        assert_eq!(
            facts.files_touched,
            Some(counts.files_touched as u64),
            "{shown}"
        );
        assert_eq!(digest.prompt_count, counts.prompts, "{shown}");
        assert_eq!(digest.files.len(), counts.files_touched, "{shown}");
        // The two summaries say these numbers.
        let said = metadata::summary(counts);
        let count = |n: usize, one: &str| {
            let noun = if n == 1 {
                one.to_owned()
            } else {
                format!("{one}s")
            };
            format!("{n} {noun}")
        };
        for expected in [
            count(counts.prompts, "prompt"),
            count(counts.tool_calls, "tool call"),
        ] {
            assert!(
                said.contains(&expected),
                "{shown}: {said:?} lacks {expected:?}"
            );
        }
        let heuristic = heuristic_summary(digest);
        if counts.prompts > 1 {
            assert!(
                heuristic.starts_with(&format!("{} prompts. ", counts.prompts)),
                "{shown}: {heuristic}"
            );
        }
        let listed: usize = digest.tools.values().sum();
        assert_eq!(listed, counts.tool_calls, "{shown}: every call has a name");
    }
}
