//! One pass over a whole transcript: tokens and cost per API response (each counted once), models, activity.

// Claude Code writes one streamed API response as several lines (one per content block) that
// repeat the same `message.id`, `requestId` and usage: summing lines counts a response as many
// times as it has blocks. Responses are therefore keyed by message id and request id, either of
// which may be missing: lines are the same response when they share either. Their usage is merged
// field by field taking the largest, so that a version writing a growing usage (a partial count
// on the first block, the final one on the last) is counted at its final value too.
//
// What counts as a prompt, a tool call or a touched file follows the summary's digest: the same
// aside rule (`Turn::is_aside`), the same prompt rule (`prompt`), the same editing tools
// (`ToolUse::edited_file`). Subagents' (sidechain) work is an aside there, but their API usage is
// billed like any other, so it counts for tokens, cost and models.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::Path;
use std::time::Instant;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_with::{As, DefaultOnError};
use sessions_core::Timestamp;

use super::prices::{PriceTable, Tokens};
use crate::files::open_regular;
use crate::transcript::entry::{Content, Turn};
use crate::transcript::lines::{LineEnd, Lines};
use crate::transcript::prompt::prompt;

/// Longer lines are skipped unread. Larger than the digest's cap: a line that carries a
/// response's usage can also carry a whole file written by a tool, and its tokens still count.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;
/// A pause longer than this between two entries is time away, not activity.
const IDLE_MS: i128 = 5 * 60 * 1000;

/// What the transcript says about the session; `None` where it says nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TranscriptFacts {
    /// The working directory of the first entry that names one: where the session started.
    pub cwd: Option<String>,
    /// The last git branch the entries name (not `HEAD`, which is no branch).
    pub git_branch: Option<String>,
    /// The last Claude Code version the entries name.
    pub claude_version: Option<String>,
    /// Every model that answered, by number of responses, most first (ties: first seen first).
    pub models: Vec<String>,
    /// Token totals; `None` when no response carried a usage.
    pub tokens: Option<TokenTotals>,
    /// The estimated cost in nano-dollars; `None` without usage or when a model is unpriced.
    pub cost_nanodollars: Option<u64>,
    /// Models that answered with tokens but have no price.
    pub unpriced_models: Vec<String>,
    pub prompts: u64,
    pub tool_calls: u64,
    pub files_touched: u64,
    /// Milliseconds of activity; `None` when no entry had a time.
    pub active_ms: Option<u64>,
    /// Lines read as entries.
    pub entries: u64,
    /// Lines that were not JSON, were torn mid-write, or were too long to read.
    pub skipped_lines: u64,
    /// The whole file was read (not cut short by the deadline or a read error).
    pub complete: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenTotals {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    /// 5-minute and 1-hour writes together.
    pub cache_write: u64,
}

/// Reads the whole transcript at `path` (a regular file only), stopping at `deadline` with what
/// it has. Fails only when the file cannot be opened.
pub fn read_transcript(
    path: &Path,
    deadline: Instant,
    prices: &PriceTable,
) -> io::Result<TranscriptFacts> {
    let mut lines = Lines::new(open_regular(path)?);
    let mut pass = Pass::default();
    let mut buf = Vec::new();
    let complete = loop {
        if Instant::now() >= deadline {
            break false;
        }
        match lines.next_into(&mut buf, MAX_LINE_BYTES) {
            Ok(Some(end)) => pass.take_line(&buf, end),
            Ok(None) => break true,
            // What was read so far is still true.
            Err(_) => break false,
        }
    };
    Ok(pass.finish(prices, complete))
}

/// The parts of a transcript line the facts read. Every field of an unexpected shape reads as
/// absent; unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Line {
    #[serde(rename = "type", with = "As::<DefaultOnError>")]
    kind: Option<String>,
    #[serde(with = "As::<DefaultOnError>")]
    timestamp: Option<String>,
    #[serde(with = "As::<DefaultOnError>")]
    version: Option<String>,
    #[serde(with = "As::<DefaultOnError>")]
    cwd: Option<String>,
    #[serde(with = "As::<DefaultOnError>")]
    git_branch: Option<String>,
    #[serde(with = "As::<DefaultOnError>")]
    request_id: Option<String>,
    #[serde(with = "As::<DefaultOnError>")]
    is_meta: bool,
    #[serde(with = "As::<DefaultOnError>")]
    is_sidechain: bool,
    #[serde(with = "As::<DefaultOnError>")]
    is_compact_summary: bool,
    #[serde(with = "As::<DefaultOnError>")]
    is_visible_in_transcript_only: bool,
    #[serde(with = "As::<DefaultOnError>")]
    message: Option<Message>,
}

impl Line {
    /// The digest's rule: Claude Code's injected messages, subagents' work, compaction summaries.
    fn is_aside(&self) -> bool {
        Turn::<()> {
            is_meta: self.is_meta,
            is_sidechain: self.is_sidechain,
            is_compact_summary: self.is_compact_summary,
            is_visible_in_transcript_only: self.is_visible_in_transcript_only,
            ..Turn::default()
        }
        .is_aside()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Message {
    #[serde(with = "As::<DefaultOnError>")]
    id: Option<String>,
    #[serde(with = "As::<DefaultOnError>")]
    model: Option<String>,
    #[serde(with = "As::<DefaultOnError>")]
    usage: Option<Usage>,
    #[serde(with = "As::<DefaultOnError>")]
    content: Option<Content>,
}

/// The API's `usage` of one response.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Usage {
    #[serde(with = "As::<DefaultOnError>")]
    input_tokens: Option<u64>,
    #[serde(with = "As::<DefaultOnError>")]
    output_tokens: Option<u64>,
    #[serde(with = "As::<DefaultOnError>")]
    cache_read_input_tokens: Option<u64>,
    /// All cache writes, whatever their lifetime.
    #[serde(with = "As::<DefaultOnError>")]
    cache_creation_input_tokens: Option<u64>,
    /// The writes split by lifetime, which are priced differently; absent in older versions.
    #[serde(with = "As::<DefaultOnError>")]
    cache_creation: Option<CacheCreation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CacheCreation {
    #[serde(with = "As::<DefaultOnError>")]
    ephemeral_5m_input_tokens: Option<u64>,
    #[serde(with = "As::<DefaultOnError>")]
    ephemeral_1h_input_tokens: Option<u64>,
}

impl Usage {
    /// Writes not said to be 1-hour ones are priced as 5-minute ones, the default lifetime.
    fn tokens(&self) -> Tokens {
        let split = self.cache_creation.as_ref();
        let one_hour = split.and_then(|s| s.ephemeral_1h_input_tokens).unwrap_or(0);
        let five_minutes = split.and_then(|s| s.ephemeral_5m_input_tokens).unwrap_or(0);
        let writes = self
            .cache_creation_input_tokens
            .unwrap_or(five_minutes.saturating_add(one_hour));
        let one_hour = one_hour.min(writes);
        Tokens {
            input: self.input_tokens.unwrap_or(0),
            cache_write_5m: writes - one_hour,
            cache_write_1h: one_hour,
            cache_read: self.cache_read_input_tokens.unwrap_or(0),
            output: self.output_tokens.unwrap_or(0),
        }
    }
}

/// One API response, however many lines it was written as.
#[derive(Debug, Default)]
struct Response {
    /// Index into `Pass::model_names`.
    model: Option<usize>,
    at: Option<Timestamp>,
    tokens: Option<Tokens>,
}

/// The state of the pass over the lines.
#[derive(Debug, Default)]
struct Pass {
    facts: TranscriptFacts,
    responses: Vec<Response>,
    by_message_id: HashMap<String, usize>,
    by_request_id: HashMap<String, usize>,
    /// Distinct model names, in the order first seen.
    model_names: Vec<String>,
    tool_ids: HashSet<String>,
    files: HashSet<String>,
    /// The latest entry time so far, in Unix milliseconds.
    last_time: Option<i128>,
}

impl Pass {
    fn take_line(&mut self, bytes: &[u8], end: LineEnd) {
        if end == LineEnd::Overlong {
            self.facts.skipped_lines += 1;
            return;
        }
        let text = String::from_utf8_lossy(bytes);
        // Only an object can be an entry.
        if text.trim_start().starts_with('{')
            && let Ok(line) = serde_json::from_str::<Line>(&text)
        {
            self.take(line);
        } else if !text.trim().is_empty() && serde_json::from_str::<IgnoredAny>(&text).is_err() {
            self.facts.skipped_lines += 1;
        }
    }

    fn take(&mut self, line: Line) {
        self.facts.entries += 1;
        let at = line
            .timestamp
            .as_deref()
            .and_then(|t| Timestamp::parse("timestamp", t).ok());
        if let Some(at) = at {
            self.take_time(at.unix_millis());
        }
        let known =
            |value: &Option<String>| value.as_ref().filter(|v| !v.trim().is_empty()).cloned();
        if let Some(version) = known(&line.version) {
            self.facts.claude_version = Some(version);
        }
        if self.facts.cwd.is_none() {
            self.facts.cwd = known(&line.cwd);
        }
        if let Some(branch) = known(&line.git_branch).filter(|b| b != "HEAD") {
            self.facts.git_branch = Some(branch);
        }
        match line.kind.as_deref() {
            Some("user") if !line.is_aside() => {
                let content = line.message.as_ref().and_then(|m| m.content.as_ref());
                if content.is_some_and(|c| prompt(c.texts()).is_some()) {
                    self.facts.prompts += 1;
                }
            }
            Some("assistant") => self.take_response(line, at),
            _ => {}
        }
    }

    /// Time only moves forward: an entry written out of order adds nothing.
    fn take_time(&mut self, millis: i128) {
        if let Some(last) = self.last_time {
            let gap = millis - last;
            if gap > 0 && gap <= IDLE_MS {
                let active = self.facts.active_ms.get_or_insert(0);
                *active = active.saturating_add(gap as u64);
            }
        }
        self.facts.active_ms.get_or_insert(0);
        self.last_time = Some(self.last_time.map_or(millis, |last| last.max(millis)));
    }

    fn take_response(&mut self, line: Line, at: Option<Timestamp>) {
        let aside = line.is_aside();
        let Some(message) = line.message else {
            return;
        };
        let index = self.response(message.id, line.request_id);
        let model = message
            .model
            .filter(|m| !m.trim().is_empty())
            .map(|m| self.model_index(m));
        let response = &mut self.responses[index];
        response.model = response.model.or(model);
        response.at = response.at.or(at);
        if let Some(usage) = &message.usage {
            let new = usage.tokens();
            response.tokens = Some(match response.tokens {
                Some(old) => Tokens {
                    input: old.input.max(new.input),
                    cache_write_5m: old.cache_write_5m.max(new.cache_write_5m),
                    cache_write_1h: old.cache_write_1h.max(new.cache_write_1h),
                    cache_read: old.cache_read.max(new.cache_read),
                    output: old.output.max(new.output),
                },
                None => new,
            });
        }
        if aside {
            return;
        }
        for tool_use in message.content.iter().flat_map(Content::tool_uses) {
            // The same call written again on another line of its response is one call.
            let first_time = tool_use
                .id
                .as_ref()
                .is_none_or(|id| self.tool_ids.insert(id.clone()));
            if first_time {
                self.facts.tool_calls += 1;
            }
            if let Some(path) = tool_use.edited_file() {
                self.files.insert(path.to_owned());
            }
        }
    }

    /// The response a line belongs to: the one already seen with its message id or its request
    /// id, else a new one.
    fn response(&mut self, message_id: Option<String>, request_id: Option<String>) -> usize {
        let message_id = message_id.filter(|id| !id.is_empty());
        let request_id = request_id.filter(|id| !id.is_empty());
        let seen = message_id
            .as_ref()
            .and_then(|id| self.by_message_id.get(id))
            .or_else(|| {
                request_id
                    .as_ref()
                    .and_then(|id| self.by_request_id.get(id))
            })
            .copied();
        let index = seen.unwrap_or_else(|| {
            self.responses.push(Response::default());
            self.responses.len() - 1
        });
        if let Some(id) = message_id {
            self.by_message_id.entry(id).or_insert(index);
        }
        if let Some(id) = request_id {
            self.by_request_id.entry(id).or_insert(index);
        }
        index
    }

    fn model_index(&mut self, model: String) -> usize {
        match self.model_names.iter().position(|m| *m == model) {
            Some(index) => index,
            None => {
                self.model_names.push(model);
                self.model_names.len() - 1
            }
        }
    }

    fn finish(mut self, prices: &PriceTable, complete: bool) -> TranscriptFacts {
        self.facts.complete = complete;
        self.facts.files_touched = self.files.len() as u64;
        // Claude Code's own stand-in messages (`<synthetic>`) are no model.
        let is_model = |name: &str| !name.starts_with('<');
        let mut responses_per_model = vec![0u64; self.model_names.len()];
        for model in self.responses.iter().filter_map(|r| r.model) {
            responses_per_model[model] += 1;
        }
        let mut ranked: Vec<usize> = (0..self.model_names.len())
            .filter(|&m| is_model(&self.model_names[m]))
            .collect();
        // Stable: equal counts keep the order first seen.
        ranked.sort_by_key(|&m| std::cmp::Reverse(responses_per_model[m]));
        self.facts.models = ranked
            .iter()
            .map(|&m| self.model_names[m].clone())
            .collect();

        let mut totals: Option<TokenTotals> = None;
        let mut cost: u64 = 0;
        let mut unpriced: Vec<String> = Vec::new();
        for response in &self.responses {
            let Some(tokens) = response.tokens else {
                continue;
            };
            let total = totals.get_or_insert_default();
            total.input = total.input.saturating_add(tokens.input);
            total.output = total.output.saturating_add(tokens.output);
            total.cache_read = total.cache_read.saturating_add(tokens.cache_read);
            total.cache_write = total
                .cache_write
                .saturating_add(tokens.cache_write_5m)
                .saturating_add(tokens.cache_write_1h);
            if tokens.is_zero() {
                continue;
            }
            let model = response.model.map(|m| self.model_names[m].as_str());
            match model.and_then(|m| prices.nanodollars(m, response.at, &tokens)) {
                Some(nanos) => cost = cost.saturating_add(nanos),
                None => {
                    let name = model.unwrap_or("(no model named)").to_owned();
                    if !unpriced.contains(&name) {
                        unpriced.push(name);
                    }
                }
            }
        }
        self.facts.tokens = totals;
        self.facts.cost_nanodollars = (totals.is_some() && unpriced.is_empty()).then_some(cost);
        self.facts.unpriced_models = unpriced;
        self.facts
    }
}
