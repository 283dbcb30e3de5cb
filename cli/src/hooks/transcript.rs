//! Reads a Claude Code session transcript into a bounded digest (prompts, tools, files, titles,
//! the conversation's tail) from which the session-end hook makes a title and a summary.
//!
//! The transcript is JSONL written while the session runs, in a format internal to Claude Code
//! that changes between versions: every line is parsed defensively, and only `user`/`assistant`
//! entries count as the conversation (bookkeeping entries such as `api-request-blob` carry the
//! system prompt and injected context, never the user's words). Memory stays bounded whatever the
//! file's size: a long transcript is digested from its head and its tail, and the part between is
//! only scanned for `/rename` and AI titles, which can be written at any point of a session.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use serde_json::Value;

/// Lines longer than this are skipped unread: the entries worth digesting are far smaller
/// (pasted files, images and tool output are what grow this big), and it bounds memory.
const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;
/// Title entries are tiny; between head and tail, longer lines are not even looked at.
const MAX_TITLE_LINE_BYTES: usize = 64 * 1024;
/// Tools whose `file_path`/`notebook_path` input is a file the session changed.
const EDITING_TOOLS: [&str; 4] = ["Edit", "Write", "MultiEdit", "NotebookEdit"];
/// User text starting with one of these tags is Claude Code's own doing (command echoes, shell
/// mode, hook output, injected reminders), not something the user asked for.
const WRAPPER_TAGS: [&str; 11] = [
    "command-name",
    "command-message",
    "command-args",
    "local-command-stdout",
    "local-command-stderr",
    "local-command-caveat",
    "bash-input",
    "bash-stdout",
    "bash-stderr",
    "system-reminder",
    "user-prompt-submit-hook",
];
/// Marks where the middle of a long transcript was left out of the conversation tail.
const GAP_MARKER: &str = "[… the middle of the session is left out …]\n\n";
const TITLE_MAX_CHARS: usize = 80;
const SUMMARY_PROMPT_CHARS: usize = 200;
const SUMMARY_MAX_TOOLS: usize = 8;
const SUMMARY_MAX_FILES: usize = 5;
const SUMMARY_NAME_CHARS: usize = 120;

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
    /// Lines that were not JSON, were torn mid-write, or were too long to read.
    pub skipped_lines: usize,
    /// The transcript was longer than `max_bytes + head_bytes`: the counts above cover only its
    /// head and tail (titles cover all of it).
    pub partial: bool,
}

/// Digests the transcript at `path`. Fails only when the file cannot be read; its content never
/// makes this fail.
pub fn digest(path: &Path, limits: Limits) -> io::Result<Digest> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let tail_start = len.saturating_sub(limits.max_bytes);
    let head_end = limits.head_bytes.min(tail_start);
    let mut digester = Digester::new(limits.tail_chars);
    digester.digest.partial = head_end < tail_start;
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
            digester.tail.mark_gap();
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

/// A title from the first prompt: its first line, whitespace collapsed, cut at a word.
pub fn heuristic_title(d: &Digest) -> Option<String> {
    let prompt = d.first_prompt.as_deref()?;
    let line = prompt.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(cut_at_word(&collapse_whitespace(line), TITLE_MAX_CHARS))
}

/// A summary made without an LLM: how many prompts, the first and last, the tools used and the
/// files changed. Never empty, and far below the API's 16384 bytes.
pub fn heuristic_summary(d: &Digest) -> String {
    let quote = |p: &str| {
        format!(
            "\"{}\"",
            cut_at_word(&collapse_whitespace(p), SUMMARY_PROMPT_CHARS)
        )
    };
    let at_least = if d.partial { "at least " } else { "" };
    let mut parts = Vec::new();
    match (d.first_prompt.as_deref(), d.prompts.last()) {
        (None, _) | (_, None) => parts.push("No prompts.".to_owned()),
        (Some(first), Some(last)) if d.prompt_count <= 1 || first == last => {
            let count = d.prompt_count.max(1);
            let noun = if count == 1 { "prompt" } else { "prompts" };
            parts.push(format!("{at_least}{count} {noun}: {}.", quote(first)));
        }
        (Some(first), Some(last)) => parts.push(format!(
            "{at_least}{} prompts. First: {}. Last: {}.",
            d.prompt_count,
            quote(first),
            quote(last)
        )),
    }
    if !d.tools.is_empty() {
        let mut tools: Vec<(&String, &usize)> = d.tools.iter().collect();
        tools.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let shown: Vec<String> = tools
            .iter()
            .take(SUMMARY_MAX_TOOLS)
            .map(|(name, n)| format!("{} ×{n}", cut_chars(name, SUMMARY_NAME_CHARS)))
            .collect();
        parts.push(format!(
            "Tools: {}{}.",
            shown.join(", "),
            more(tools.len(), SUMMARY_MAX_TOOLS)
        ));
    }
    if !d.files.is_empty() {
        let shown: Vec<String> = d
            .files
            .iter()
            .take(SUMMARY_MAX_FILES)
            .map(|f| cut_chars(f, SUMMARY_NAME_CHARS))
            .collect();
        parts.push(format!(
            "Files: {}{}.",
            shown.join(", "),
            more(d.files.len(), SUMMARY_MAX_FILES)
        ));
    }
    let mut summary = parts.join(" ");
    if let Some(first) = summary.get(..1) {
        summary = first.to_uppercase() + &summary[1..];
    }
    summary
}

/// Finds the `{"title": ..., "summary": ...}` object in an LLM's reply, whether bare, inside
/// prose or inside a code fence, with or without other keys. Returns both strings as they are.
pub fn parse_llm_reply(reply: &str) -> Option<(String, String)> {
    reply.match_indices('{').find_map(|(i, _)| {
        let value = serde_json::Deserializer::from_str(&reply[i..])
            .into_iter::<Value>()
            .next()?
            .ok()?;
        let title = value.get("title")?.as_str()?;
        let summary = value.get("summary")?.as_str()?;
        (!title.trim().is_empty() && !summary.trim().is_empty())
            .then(|| (title.to_owned(), summary.to_owned()))
    })
}

/// How a line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineEnd {
    Newline,
    /// The file ended first: the writer may be mid-line.
    EndOfFile,
    /// Longer than the cap; its bytes were passed over, not kept.
    Overlong,
}

/// Lines of bytes read through a fixed buffer, so that no line costs more memory than the cap.
struct Lines<R> {
    reader: BufReader<R>,
    offset: u64,
}

impl<R: Read> Lines<R> {
    fn new(inner: R) -> Self {
        Lines {
            reader: BufReader::with_capacity(64 * 1024, inner),
            offset: 0,
        }
    }

    /// Reads the next line (without its newline) into `buf`, keeping at most `cap` bytes of it.
    /// `None` at the end of the file.
    fn next_into(&mut self, buf: &mut Vec<u8>, cap: usize) -> io::Result<Option<LineEnd>> {
        buf.clear();
        let mut overlong = false;
        let mut read_any = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                let end = if overlong {
                    LineEnd::Overlong
                } else {
                    LineEnd::EndOfFile
                };
                return Ok(read_any.then_some(end));
            }
            read_any = true;
            let newline = available.iter().position(|&b| b == b'\n');
            let chunk = &available[..newline.unwrap_or(available.len())];
            if !overlong {
                if buf.len() + chunk.len() > cap {
                    overlong = true;
                    buf.clear();
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            let used = newline.map_or(available.len(), |i| i + 1);
            self.reader.consume(used);
            self.offset += used as u64;
            if newline.is_some() {
                return Ok(Some(if overlong {
                    LineEnd::Overlong
                } else {
                    LineEnd::Newline
                }));
            }
        }
    }
}

/// Who said a piece of the conversation.
#[derive(Debug, Clone, Copy)]
enum Speaker {
    User,
    Assistant,
}

/// The end of the conversation, kept to about `limit` bytes while it is read.
struct Tail {
    turns: VecDeque<String>,
    bytes: usize,
    limit: usize,
}

impl Tail {
    fn push(&mut self, turn: String) {
        self.bytes += turn.len();
        self.turns.push_back(turn);
        while let Some(front) = self.turns.front() {
            if self.bytes - front.len() < self.limit {
                break;
            }
            self.bytes -= front.len();
            self.turns.pop_front();
        }
    }

    fn say(&mut self, speaker: Speaker, text: &str) {
        let label = match speaker {
            Speaker::User => "User",
            Speaker::Assistant => "Assistant",
        };
        self.push(format!("{label}: {text}\n\n"));
    }

    /// Only worth saying when something came before the gap.
    fn mark_gap(&mut self) {
        if !self.turns.is_empty() {
            self.push(GAP_MARKER.to_owned());
        }
    }

    fn finish(self) -> String {
        let text: String = self.turns.into_iter().collect();
        if text.len() <= self.limit {
            return text;
        }
        let cut = ceil_char_boundary(&text, text.len() - self.limit);
        // Start at a line if one starts soon after the cut; a long unbroken line is cut inside
        // rather than lose most of the tail.
        let window = ceil_char_boundary(&text, cut + self.limit / 8);
        let start = text[cut..window].find('\n').map_or(cut, |i| cut + i + 1);
        text[start..].trim_start_matches('\n').to_owned()
    }
}

/// Builds a `Digest` entry by entry.
struct Digester {
    digest: Digest,
    tail: Tail,
    first_prompt_is_command: bool,
}

impl Digester {
    fn new(tail_limit: usize) -> Self {
        Digester {
            digest: Digest::default(),
            tail: Tail {
                turns: VecDeque::new(),
                bytes: 0,
                limit: tail_limit,
            },
            first_prompt_is_command: false,
        }
    }

    fn finish(mut self) -> Digest {
        self.digest.prompt_count = self.digest.prompts.len();
        self.digest.conversation_tail = self.tail.finish();
        self.digest
    }

    fn take_line(&mut self, bytes: &[u8], end: LineEnd) {
        if end == LineEnd::Overlong {
            self.digest.skipped_lines += 1;
            return;
        }
        match parse_entry(bytes) {
            Some(entry) => self.take_entry(&entry),
            // Blank lines are neither entries nor damage.
            None if bytes.iter().all(u8::is_ascii_whitespace) => {}
            None => self.digest.skipped_lines += 1,
        }
    }

    fn take_title_line(&mut self, bytes: &[u8]) {
        if let Some(entry) = parse_entry(bytes) {
            self.take_title(&entry);
        }
    }

    fn take_entry(&mut self, entry: &Value) {
        match entry.get("type").and_then(Value::as_str) {
            Some("user") if !is_aside(entry) => self.take_user(entry),
            Some("assistant") if !is_aside(entry) => self.take_assistant(entry),
            _ => self.take_title(entry),
        }
    }

    fn take_title(&mut self, entry: &Value) {
        let (slot, field) = match entry.get("type").and_then(Value::as_str) {
            Some("custom-title") => (&mut self.digest.custom_title, "customTitle"),
            Some("ai-title") => (&mut self.digest.ai_title, "aiTitle"),
            _ => return,
        };
        let title = entry
            .get(field)
            .or_else(|| entry.get("title"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty());
        if let Some(title) = title {
            *slot = Some(title.to_owned());
        }
    }

    fn take_user(&mut self, entry: &Value) {
        let Some(content) = entry.get("message").and_then(|m| m.get("content")) else {
            return;
        };
        let mut typed = Vec::new();
        let mut command = None;
        for text in texts(content) {
            if let Some(tag) = leading_tag(text).filter(|t| WRAPPER_TAGS.contains(t)) {
                if tag.starts_with("command-") {
                    command = slash_command(text);
                }
                continue;
            }
            if text
                .trim_start()
                .starts_with("[Request interrupted by user")
            {
                continue;
            }
            let text = strip_element(text, "system-reminder");
            let text = text.trim();
            if !text.is_empty() {
                typed.push(text.to_owned());
            }
        }
        if !typed.is_empty() {
            self.take_prompt(typed.join("\n\n"), false);
        } else if let Some(command) = command {
            self.take_prompt(command, true);
        }
    }

    fn take_prompt(&mut self, prompt: String, is_command: bool) {
        self.tail.say(Speaker::User, &prompt);
        if self.digest.first_prompt.is_none() || (self.first_prompt_is_command && !is_command) {
            self.digest.first_prompt = Some(prompt.clone());
            self.first_prompt_is_command = is_command;
        }
        self.digest.prompts.push(prompt);
    }

    fn take_assistant(&mut self, entry: &Value) {
        let Some(content) = entry.get("message").and_then(|m| m.get("content")) else {
            return;
        };
        // An API error is Claude Code's message, not the assistant's words.
        if !flag(entry, "isApiErrorMessage") {
            for text in texts(content) {
                let text = text.trim();
                if !text.is_empty() {
                    self.tail.say(Speaker::Assistant, text);
                }
            }
        }
        let Some(blocks) = content.as_array() else {
            return;
        };
        let cwd = entry.get("cwd").and_then(Value::as_str);
        for block in blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
        {
            let Some(name) = block.get("name").and_then(Value::as_str) else {
                continue;
            };
            *self.digest.tools.entry(name.to_owned()).or_default() += 1;
            if !EDITING_TOOLS.contains(&name) {
                continue;
            }
            let input = block.get("input");
            let path = input
                .and_then(|i| i.get("file_path").or_else(|| i.get("notebook_path")))
                .and_then(Value::as_str)
                .filter(|p| !p.trim().is_empty());
            if let Some(path) = path {
                self.digest.files.insert(relative_to(path, cwd));
            }
        }
    }
}

fn parse_entry(bytes: &[u8]) -> Option<Value> {
    serde_json::from_str(&String::from_utf8_lossy(bytes)).ok()
}

fn flag(entry: &Value, name: &str) -> bool {
    entry.get(name).and_then(Value::as_bool) == Some(true)
}

/// Entries that are part of the file but not of the conversation the user had: Claude Code's
/// injected messages, subagents' work, the summary written at compaction.
fn is_aside(entry: &Value) -> bool {
    [
        "isMeta",
        "isSidechain",
        "isCompactSummary",
        "isVisibleInTranscriptOnly",
    ]
    .iter()
    .any(|name| flag(entry, name))
}

/// The text of a message's content: the string itself, or its `text` blocks (not `thinking`,
/// `tool_use`, `tool_result` or images).
fn texts(content: &Value) -> Vec<&str> {
    match content {
        Value::String(text) => vec![text.as_str()],
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect(),
        _ => Vec::new(),
    }
}

/// The name of the tag `text` starts with, as in `<command-name>`.
fn leading_tag(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('<')?;
    let end = rest.find(['>', ' ', '\n'])?;
    Some(&rest[..end])
}

/// The inner text of the first `<name>...</name>` element in `text`.
fn element<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text.find(&open)? + open.len();
    let len = text[start..].find(&close)?;
    Some(&text[start..start + len])
}

/// `text` without its `<name>...</name>` elements (an unclosed one runs to the end).
fn strip_element(text: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut kept = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        kept.push_str(&rest[..start]);
        rest = match rest[start..].find(&close) {
            Some(len) => &rest[start + len + close.len()..],
            None => "",
        };
    }
    kept.push_str(rest);
    kept
}

/// What the user typed for a slash command with arguments, as `/name args`. Without arguments
/// (`/model`, `/clear`) a command says nothing about the work, so it is not a prompt.
fn slash_command(wrapper: &str) -> Option<String> {
    let args = element(wrapper, "command-args")
        .map(str::trim)
        .filter(|a| !a.is_empty())?;
    let name = element(wrapper, "command-name")
        .or_else(|| element(wrapper, "command-message"))
        .map(str::trim)
        .filter(|n| !n.is_empty())?;
    let slash = if name.starts_with('/') { "" } else { "/" };
    Some(format!("{slash}{name} {args}"))
}

/// `path` relative to `cwd` when inside it: shorter in a summary, and the same on every machine.
fn relative_to(path: &str, cwd: Option<&str>) -> String {
    cwd.and_then(|cwd| Path::new(path).strip_prefix(cwd).ok())
        .and_then(Path::to_str)
        .filter(|relative| !relative.is_empty())
        .unwrap_or(path)
        .to_owned()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn ceil_char_boundary(text: &str, index: usize) -> usize {
    (index..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len())
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` cut to at most `max` characters, at a word boundary when one is near, with "…".
fn cut_at_word(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let keep = max.saturating_sub(1);
    let head: String = text.chars().take(keep).collect();
    let ends_a_word = text.chars().nth(keep).is_some_and(char::is_whitespace);
    let at_word = head
        .rfind(char::is_whitespace)
        .filter(|&i| !ends_a_word && head[..i].chars().count() >= max / 2)
        .map_or(head.as_str(), |i| &head[..i]);
    format!("{}…", at_word.trim_end())
}

/// `text` cut to at most `max` characters, with "…" when cut.
fn cut_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let head: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{head}…")
}

fn more(total: usize, shown: usize) -> String {
    if total > shown {
        format!(" (+{} more)", total - shown)
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufWriter, Write};
    use std::path::PathBuf;
    use std::time::Instant;

    use serde_json::json;

    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/claude-code");
    const FIRST_PROMPT: &str = "The S3 uploader in src/upload.rs gives up on the first 503. Add exponential backoff with full jitter, max 5 attempts, and a unit test.";

    fn fixture(name: &str) -> Digest {
        let path = Path::new(FIXTURES).join(name);
        digest(&path, Limits::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// A transcript in a temporary directory, one JSON entry (or raw line) per element.
    fn transcript(lines: &[String]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.jsonl");
        let mut text = lines.join("\n");
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn user(text: &str) -> String {
        json!({"type": "user", "isSidechain": false, "message": {"role": "user", "content": text}})
            .to_string()
    }

    fn user_entry(extra: Value, content: Value) -> String {
        let mut entry = json!({"type": "user", "message": {"role": "user", "content": content}});
        if let (Some(entry), Some(extra)) = (entry.as_object_mut(), extra.as_object()) {
            entry.extend(extra.clone());
        }
        entry.to_string()
    }

    fn assistant(text: &str) -> String {
        json!({"type": "assistant", "message": {"role": "assistant", "content": [{"type": "text", "text": text}]}})
            .to_string()
    }

    fn custom_title(title: &str) -> String {
        json!({"type": "custom-title", "customTitle": title, "sessionId": "s"}).to_string()
    }

    #[test]
    fn basic_keeps_the_conversation_and_nothing_else() {
        let d = fixture("transcript-basic.jsonl");
        assert_eq!(
            d.prompts,
            [FIRST_PROMPT, "Also log each retry at warn level."]
        );
        assert_eq!(d.first_prompt.as_deref(), Some(FIRST_PROMPT));
        assert_eq!(d.prompt_count, 2);
        let tools: Vec<(&str, usize)> = d.tools.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(tools, [("Bash", 1), ("Edit", 1), ("Read", 1)]);
        assert_eq!(d.files.iter().collect::<Vec<_>>(), ["src/upload.rs"]);
        assert_eq!(
            d.ai_title.as_deref(),
            Some("Add jittered retry to S3 uploader")
        );
        assert_eq!(d.custom_title, None);
        assert_eq!(d.skipped_lines, 0);
        assert!(!d.partial);

        let tail = &d.conversation_tail;
        assert!(
            tail.starts_with(&format!(
                "User: {FIRST_PROMPT}\n\nAssistant: I'll start by reading the uploader.\n\n"
            )),
            "{tail}"
        );
        assert!(
            tail.contains("Assistant: Done: upload() now retries 503s"),
            "{tail}"
        );
        assert!(
            tail.ends_with(
                "Assistant: Each retry now logs attempt number and delay at warn level.\n\n"
            ),
            "{tail}"
        );
        let not_the_conversation = [
            "Caveat",                     // isMeta caveat
            "command-name",               // slash command wrapper without arguments
            "/model",                     //
            "SIDECHAIN",                  // subagent
            "system-reminder",            // api-request-blob, role user
            "gitStatus",                  //
            "Primary working directory",  // api-request-blob, role system
            "Need to read the file",      // thinking
            "test result: ok",            // tool_result
            "has been updated",           // tool_result
            "Uploader retry with jitter", // summary entry
            "Conversation compacted",     // system entry
            "totalCostUSD",               // cost-state
        ];
        for text in not_the_conversation {
            assert!(
                !tail.contains(text),
                "{text:?} leaked into the tail:\n{tail}"
            );
            assert!(
                d.prompts.iter().all(|p| !p.contains(text)),
                "{text:?} leaked into the prompts"
            );
        }

        let title = heuristic_title(&d).unwrap();
        assert_eq!(
            title,
            "The S3 uploader in src/upload.rs gives up on the first 503. Add exponential…"
        );
        assert!(title.chars().count() <= TITLE_MAX_CHARS);
        let summary = heuristic_summary(&d);
        assert_eq!(
            summary,
            format!(
                "2 prompts. First: \"{FIRST_PROMPT}\". Last: \"Also log each retry at warn level.\". \
                 Tools: Bash ×1, Edit ×1, Read ×1. Files: src/upload.rs."
            )
        );
    }

    #[test]
    fn the_last_non_empty_custom_title_wins() {
        let d = fixture("transcript-titles.jsonl");
        assert_eq!(d.custom_title.as_deref(), Some("uploader: retries"));
        assert_eq!(
            d.ai_title.as_deref(),
            Some("Add jittered retry to S3 uploader")
        );
        assert_eq!(d.prompts, [FIRST_PROMPT]);
    }

    #[test]
    fn torn_lines_are_skipped_and_the_rest_is_read() {
        let d = fixture("transcript-torn.jsonl");
        assert_eq!(d.prompts.len(), 2, "{:?}", d.prompts);
        assert_eq!(d.prompts[0], FIRST_PROMPT);
        assert!(
            d.prompts[1].starts_with("caf\u{FFFD}"),
            "{:?}",
            d.prompts[1]
        );
        assert!(d.prompts[1].ends_with("broken bytes"), "{:?}", d.prompts[1]);
        // "this line is not json" and the last line, cut off mid-write.
        assert_eq!(d.skipped_lines, 2);
        assert!(
            d.conversation_tail
                .contains("Assistant: Done: upload() now retries 503s")
        );
        assert!(!heuristic_summary(&d).is_empty());
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
    fn claude_codes_own_user_messages_are_not_prompts() {
        let (_dir, path) = transcript(&[
            user("<command-message>model</command-message>\n<command-name>/model</command-name>\n<command-args></command-args>"),
            user("<local-command-stdout>Set model to opus</local-command-stdout>"),
            user("<command-message>review</command-message>\n<command-name>/review</command-name>\n<command-args>the retry PR</command-args>"),
            user("<bash-input>ls</bash-input>"),
            user("<bash-stdout>src</bash-stdout><bash-stderr></bash-stderr>"),
            user_entry(json!({"isCompactSummary": true}), json!("This session is being continued from a previous conversation.")),
            user_entry(json!({}), json!([{"type": "text", "text": "[Request interrupted by user for tool use]"}])),
            user_entry(
                json!({}),
                json!([
                    {"type": "text", "text": "Fix the flaky test.<system-reminder>injected</system-reminder>"},
                    {"type": "text", "text": "<system-reminder>The user opened src/lib.rs</system-reminder>"},
                    {"type": "image", "source": {"type": "base64", "data": "AAAA"}},
                    {"type": "tool_result", "tool_use_id": "t", "content": "output"}
                ]),
            ),
            assistant("Looking."),
            json!({"type": "assistant", "isApiErrorMessage": true, "message": {"role": "assistant", "content": [{"type": "text", "text": "API Error: overloaded"}]}}).to_string(),
            json!({"type": "assistant", "cwd": "/w", "message": {"role": "assistant", "content": [
                {"type": "tool_use", "name": "Write", "input": {"file_path": "/w/src/new.rs", "content": "x"}},
                {"type": "tool_use", "name": "NotebookEdit", "input": {"notebook_path": "/elsewhere/a.ipynb"}},
                {"type": "tool_use", "name": "Read", "input": {"file_path": "/w/src/read.rs"}},
                {"type": "tool_use", "name": "MultiEdit", "input": {"file_path": "/w/src/new.rs", "edits": []}}
            ]}})
            .to_string(),
        ]);
        let d = digest(&path, Limits::default()).unwrap();
        assert_eq!(d.prompts, ["/review the retry PR", "Fix the flaky test."]);
        // A typed prompt says more about the session than a slash command.
        assert_eq!(d.first_prompt.as_deref(), Some("Fix the flaky test."));
        assert_eq!(
            d.conversation_tail,
            "User: /review the retry PR\n\nUser: Fix the flaky test.\n\nAssistant: Looking.\n\n"
        );
        assert_eq!(
            d.files.iter().collect::<Vec<_>>(),
            ["/elsewhere/a.ipynb", "src/new.rs"]
        );
        assert_eq!(d.tools.values().sum::<usize>(), 4);
        assert_eq!(d.skipped_lines, 0);
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
    fn the_tail_starts_at_a_line_and_keeps_the_gap_visible() {
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

        let mut tail = Tail {
            turns: VecDeque::new(),
            bytes: 0,
            limit: 200,
        };
        for i in 0..50 {
            tail.say(Speaker::User, &format!("prompt {i} é"));
        }
        let text = tail.finish();
        assert!(text.len() <= 200 && text.len() > 150, "{text:?}");
        assert!(text.starts_with("User: prompt "), "{text:?}");
        assert!(text.ends_with("User: prompt 49 é\n\n"));
    }

    #[test]
    fn one_long_unbroken_reply_is_cut_inside_rather_than_lost() {
        let mut tail = Tail {
            turns: VecDeque::new(),
            bytes: 0,
            limit: 1000,
        };
        tail.say(Speaker::Assistant, &"é".repeat(5000));
        let text = tail.finish();
        assert!(text.len() <= 1000 && text.len() >= 990, "{}", text.len());
        assert!(text.ends_with("é\n\n"));
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

    #[test]
    fn the_heuristic_summary_stays_small_whatever_the_digest() {
        let long = "word ".repeat(20_000);
        let d = Digest {
            prompts: vec![long.clone(), "é".repeat(50_000)],
            first_prompt: Some(long.clone()),
            tools: (0..500)
                .map(|i| (format!("mcp__server__{}{i}", "t".repeat(300)), i))
                .collect(),
            files: (0..500)
                .map(|i| format!("{}/{i}.rs", "d".repeat(1000)))
                .collect(),
            prompt_count: 2,
            ..Digest::default()
        };
        let summary = heuristic_summary(&d);
        assert!(summary.len() < 4096, "{} bytes", summary.len());
        assert!(summary.contains("(+492 more)."), "{summary}");
        assert!(summary.contains("(+495 more)."), "{summary}");

        let title = heuristic_title(&d).unwrap();
        assert_eq!(title.chars().count(), 80, "{title}");
        assert!(title.ends_with("word…"), "{title}");
    }

    #[test]
    fn a_heuristic_title_uses_the_first_non_blank_line() {
        let d = Digest {
            first_prompt: Some("\n  \n   Fix   the\tflaky   test\nin CI please".to_owned()),
            ..Digest::default()
        };
        assert_eq!(heuristic_title(&d).as_deref(), Some("Fix the flaky test"));
        let unbroken = Digest {
            first_prompt: Some("x".repeat(300)),
            ..Digest::default()
        };
        assert_eq!(
            heuristic_title(&unbroken),
            Some(format!("{}…", "x".repeat(79)))
        );
    }

    #[test]
    fn llm_replies_yield_their_title_and_summary() {
        let expected = Some(("Retry uploads".to_owned(), "Added backoff.".to_owned()));
        let bare = r#"{"title": "Retry uploads", "summary": "Added backoff."}"#;
        assert_eq!(parse_llm_reply(bare), expected);
        let prose = format!("Here is the JSON you asked for: {bare} Hope it helps {{:");
        assert_eq!(parse_llm_reply(&prose), expected);
        let fenced = format!("Sure.\n```json\n{bare}\n```\n");
        assert_eq!(parse_llm_reply(&fenced), expected);
        let extra = r#"{"title": "Retry uploads", "tags": ["a"], "meta": {"x": 1}, "summary": "Added backoff."}"#;
        assert_eq!(parse_llm_reply(extra), expected);
        let braces =
            r#"{"title": "Fix {x} in \"fmt\"", "summary": "Replaced `{}` with `{:?}`; see }{."}"#;
        assert_eq!(
            parse_llm_reply(braces),
            Some((
                "Fix {x} in \"fmt\"".to_owned(),
                "Replaced `{}` with `{:?}`; see }{.".to_owned()
            ))
        );
        let nested = r#"{"result": {"title": "Retry uploads", "summary": "Added backoff."}}"#;
        assert_eq!(parse_llm_reply(nested), expected);
        let example_first = format!(r#"Format: {{"title": "..."}}. Answer: {bare}"#);
        assert_eq!(parse_llm_reply(&example_first), expected);
    }

    #[test]
    fn llm_replies_without_both_fields_yield_nothing() {
        for reply in [
            "",
            "I could not summarize this session.",
            "{{{{ not json }",
            r#"{"title": "Retry uploads"}"#,
            r#"{"title": "Retry uploads", "summary": ""}"#,
            r#"{"title": "  ", "summary": "Added backoff."}"#,
            r#"{"title": 3, "summary": "Added backoff."}"#,
            r#"["title", "summary"]"#,
            r#"{"title": "Retry uploads", "summary": "Added back"#,
        ] {
            assert_eq!(parse_llm_reply(reply), None, "{reply:?}");
        }
    }
}
