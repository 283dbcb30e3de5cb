//! The session's API responses, each counted once however many lines it was written as: its model, time and tokens.

// Claude Code writes one streamed API response as several lines (one per content block) that
// repeat the same `message.id`, `requestId` and usage: summing lines counts a response as many
// times as it has blocks. Responses are therefore keyed by message id and request id, either of
// which may be missing: lines are the same response when they share either. Their usage is merged
// field by field taking the largest, so that a version writing a growing usage (a partial count
// on the first block, the final one on the last) is counted at its final value too.

use std::collections::HashMap;

use sessions_core::Timestamp;

use super::entry::{Entry, Usage};

/// What one API response used, as the API bills it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    pub input: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    pub cache_read: u64,
    pub output: u64,
}

impl Tokens {
    /// The request's prompt as the long-context tiers count it: everything sent, cached or not.
    pub fn prompt(&self) -> u64 {
        self.input
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write_5m)
            .saturating_add(self.cache_write_1h)
    }

    pub fn is_zero(&self) -> bool {
        *self == Tokens::default()
    }

    /// Field by field the larger: two lines of one response.
    fn merge(self, other: Tokens) -> Tokens {
        Tokens {
            input: self.input.max(other.input),
            cache_write_5m: self.cache_write_5m.max(other.cache_write_5m),
            cache_write_1h: self.cache_write_1h.max(other.cache_write_1h),
            cache_read: self.cache_read.max(other.cache_read),
            output: self.output.max(other.output),
        }
    }
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// Index into `Responses::models`.
    pub model: Option<usize>,
    pub at: Option<Timestamp>,
    pub tokens: Option<Tokens>,
}

/// Every response of the transcript, in the order first seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Responses {
    pub list: Vec<Response>,
    /// Distinct model names, in the order first seen.
    pub models: Vec<String>,
    by_message_id: HashMap<String, usize>,
    by_request_id: HashMap<String, usize>,
}

impl Responses {
    /// Takes an `assistant` line (subagents' too: their usage is billed like any other).
    pub fn take(&mut self, entry: &Entry, at: Option<Timestamp>) {
        let Some(message) = &entry.message else {
            return;
        };
        let index = self.response(message.id.as_deref(), entry.request_id.as_deref());
        let model = message
            .model
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .map(|m| self.model_index(m));
        let response = &mut self.list[index];
        response.model = response.model.or(model);
        response.at = response.at.or(at);
        if let Some(usage) = &message.usage {
            let new = usage.tokens();
            response.tokens = Some(response.tokens.map_or(new, |old| old.merge(new)));
        }
    }

    /// The response a line belongs to: the one already seen with its message id or its request
    /// id, else a new one.
    fn response(&mut self, message_id: Option<&str>, request_id: Option<&str>) -> usize {
        let message_id = message_id.filter(|id| !id.is_empty());
        let request_id = request_id.filter(|id| !id.is_empty());
        let seen = message_id
            .and_then(|id| self.by_message_id.get(id))
            .or_else(|| request_id.and_then(|id| self.by_request_id.get(id)))
            .copied();
        let index = seen.unwrap_or_else(|| {
            self.list.push(Response::default());
            self.list.len() - 1
        });
        if let Some(id) = message_id {
            self.by_message_id.entry(id.to_owned()).or_insert(index);
        }
        if let Some(id) = request_id {
            self.by_request_id.entry(id.to_owned()).or_insert(index);
        }
        index
    }

    fn model_index(&mut self, model: &str) -> usize {
        match self.models.iter().position(|m| m == model) {
            Some(index) => index,
            None => {
                self.models.push(model.to_owned());
                self.models.len() - 1
            }
        }
    }
}
