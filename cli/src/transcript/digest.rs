//! What a transcript says about its session for a title and summary: its words from its head and tail, its counts from all of it.

use std::collections::{BTreeMap, BTreeSet};

use super::counts::Counts;

/// How much of a transcript's words are kept (its numbers come from all of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The conversation's words are kept from at most this many bytes at the end of the file.
    pub max_bytes: u64,
    /// When the file is longer than `max_bytes`, the words of its first this-many bytes are
    /// kept too: that is where the first prompt is.
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
    /// What the user asked, in order (in the head and tail); a slash command with arguments
    /// appears as `/name args`.
    pub prompts: Vec<String>,
    /// The first prompt that is not a slash command (else the first one): what the session is about.
    pub first_prompt: Option<String>,
    /// How often each tool was called (a call written on several lines is one call).
    pub tools: BTreeMap<String, usize>,
    /// Files edited or written, relative to the session's working directory when inside it.
    pub files: BTreeSet<String>,
    /// The end of the conversation's text as `User: ...\n\nAssistant: ...\n\n`, at most
    /// `Limits::tail_chars` bytes, starting at a line when the lines allow: input for an LLM.
    pub conversation_tail: String,
    /// The number of prompts in the whole transcript (`counts.prompts`): `prompts` may hold
    /// only those of its head and tail.
    pub prompt_count: usize,
    /// The session in numbers: prompts, tool calls, files touched, its span in time. The
    /// session's facts are these same numbers.
    pub counts: Counts,
    /// Lines that were not JSON, were torn mid-write, or were too long to read.
    pub skipped_lines: usize,
    /// The transcript was longer than `max_bytes + head_bytes`: `prompts`, `first_prompt` and
    /// `conversation_tail` come only from its head and tail (titles, tools, files and counts
    /// from all of it).
    pub partial: bool,
}
