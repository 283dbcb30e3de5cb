//! The transcript's facts: tokens and cost per API response, models, counts and activity, from the one pass that also makes the digest.

use std::io;
use std::path::Path;
use std::time::Instant;

use super::prices::PriceTable;
use crate::transcript::{self, Limits, Responses, Transcript};

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
    /// Lines Claude's own edits added and removed, as Claude Code counts them.
    pub claude_lines: Option<(u64, u64)>,
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
    transcript::read(path, Limits::default(), deadline).map(|t| TranscriptFacts::of(&t, prices))
}

impl TranscriptFacts {
    /// The facts of a transcript read: its counts are the digest's own.
    pub fn of(t: &Transcript, prices: &PriceTable) -> TranscriptFacts {
        let counts = &t.digest.counts;
        let mut facts = TranscriptFacts {
            cwd: t.cwd.clone(),
            git_branch: t.git_branch.clone(),
            claude_version: t.claude_version.clone(),
            prompts: counts.prompts as u64,
            tool_calls: counts.tool_calls as u64,
            files_touched: counts.files_touched as u64,
            active_ms: t.active_ms,
            claude_lines: t.claude_lines,
            entries: t.entries,
            skipped_lines: t.digest.skipped_lines as u64,
            complete: t.complete,
            ..TranscriptFacts::default()
        };
        facts.price(&t.responses, prices);
        facts
    }

    /// Models ranked by responses, tokens summed, each response priced on its own.
    fn price(&mut self, responses: &Responses, prices: &PriceTable) {
        let names = &responses.models;
        // Claude Code's own stand-in messages (`<synthetic>`) are no model.
        let is_model = |name: &str| !name.starts_with('<');
        let mut responses_per_model = vec![0u64; names.len()];
        for model in responses.list.iter().filter_map(|r| r.model) {
            responses_per_model[model] += 1;
        }
        let mut ranked: Vec<usize> = (0..names.len()).filter(|&m| is_model(&names[m])).collect();
        // Stable: equal counts keep the order first seen.
        ranked.sort_by_key(|&m| std::cmp::Reverse(responses_per_model[m]));
        self.models = ranked.iter().map(|&m| names[m].clone()).collect();

        let mut totals: Option<TokenTotals> = None;
        let mut cost: u64 = 0;
        let mut unpriced: Vec<String> = Vec::new();
        for response in &responses.list {
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
            let model = response.model.map(|m| names[m].as_str());
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
        self.tokens = totals;
        self.cost_nanodollars = (totals.is_some() && unpriced.is_empty()).then_some(cost);
        self.unpriced_models = unpriced;
    }
}
