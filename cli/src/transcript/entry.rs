//! The transcript entries the digest reads, typed and lenient where Claude Code's format drifts.

// The format is Claude Code's, not ours, and changes between versions: a field of an unexpected
// shape reads as absent and an unknown entry or block type as `Other`, so that neither costs the
// rest of the line. Unknown fields are ignored.

use serde::Deserialize;
use serde_with::{As, DefaultOnError, Same, VecSkipError};

/// One line of a transcript. Claude Code writes many kinds (`summary`, `system`,
/// `file-history-snapshot`, `api-request-blob`, `cost-state`, ...); only these say what the
/// session was about.
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
pub enum Entry {
    #[serde(rename = "user")]
    User(Turn<UserMessage>),
    #[serde(rename = "assistant")]
    Assistant(Turn<AssistantMessage>),
    #[serde(rename = "custom-title")]
    CustomTitle(CustomTitle),
    #[serde(rename = "ai-title")]
    AiTitle(AiTitle),
    /// Any other entry type, or JSON that is no entry at all.
    #[serde(other)]
    Other,
}

impl Entry {
    /// Reads one line; bytes that are not UTF-8 become U+FFFD rather than costing the line.
    /// `None` when the line is not JSON (torn mid-write, or damaged).
    pub fn parse(bytes: &[u8]) -> Option<Entry> {
        let text = String::from_utf8_lossy(bytes);
        // Only an object can be an entry (serde would also read some arrays as one).
        if text.trim_start().starts_with('{')
            && let Ok(entry) = serde_json::from_str(&text)
        {
            return Some(entry);
        }
        serde_json::from_str::<serde_json::Value>(&text)
            .is_ok()
            .then_some(Entry::Other)
    }
}

/// A `user` or `assistant` entry: one message of the conversation, or Claude Code's own
/// bookkeeping dressed as one (the flags say which).
#[derive(Debug, Default, Deserialize)]
#[serde(
    default,
    rename_all = "camelCase",
    bound(deserialize = "M: Deserialize<'de> + Default")
)]
pub struct Turn<M> {
    #[serde(with = "As::<DefaultOnError>")]
    pub message: Option<M>,
    /// The session's working directory when this was written.
    #[serde(with = "As::<DefaultOnError>")]
    pub cwd: Option<String>,
    /// Injected by Claude Code (caveats, reminders), not said by anyone.
    #[serde(with = "As::<DefaultOnError>")]
    pub is_meta: bool,
    /// A subagent's work.
    #[serde(with = "As::<DefaultOnError>")]
    pub is_sidechain: bool,
    /// The summary written when the conversation was compacted.
    #[serde(with = "As::<DefaultOnError>")]
    pub is_compact_summary: bool,
    #[serde(with = "As::<DefaultOnError>")]
    pub is_visible_in_transcript_only: bool,
    /// An API error Claude Code reports in the assistant's place.
    #[serde(with = "As::<DefaultOnError>")]
    pub is_api_error_message: bool,
}

impl<M> Turn<M> {
    /// Part of the file but not of the conversation the user had: Claude Code's injected
    /// messages, subagents' work, the summary written at compaction.
    pub fn is_aside(&self) -> bool {
        self.is_meta
            || self.is_sidechain
            || self.is_compact_summary
            || self.is_visible_in_transcript_only
    }
}

/// What the user side of the conversation sent: a prompt, Claude Code's wrappers around a
/// command, or tool results.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserMessage {
    #[serde(with = "As::<DefaultOnError>")]
    pub content: Option<Content>,
}

/// One reply of the model: its text, thinking and tool calls.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssistantMessage {
    #[serde(with = "As::<DefaultOnError>")]
    pub content: Option<Content>,
}

/// A message's content: plain text, or blocks.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Blocks(#[serde(with = "As::<VecSkipError<Same>>")] Vec<ContentBlock>),
}

impl Content {
    /// The text of the content: the string itself, or its `text` blocks (not thinking, tool
    /// calls, tool results or images).
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Content::Text(text) => vec![text],
            Content::Blocks(blocks) => blocks
                .iter()
                .filter_map(|block| match block {
                    ContentBlock::Text { text } => text.as_deref(),
                    _ => None,
                })
                .collect(),
        }
    }

    /// The tool calls among the blocks.
    pub fn tool_uses(&self) -> impl Iterator<Item = &ToolUse> {
        let blocks = match self {
            Content::Text(_) => &[][..],
            Content::Blocks(blocks) => blocks,
        };
        blocks.iter().filter_map(|block| match block {
            ContentBlock::ToolUse(tool_use) => Some(tool_use),
            _ => None,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Text {
        #[serde(default, with = "As::<DefaultOnError>")]
        text: Option<String>,
    },
    ToolUse(ToolUse),
    /// Thinking, tool results, images, and whatever comes next.
    #[serde(other)]
    Other,
}

/// The model calling a tool.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ToolUse {
    #[serde(with = "As::<DefaultOnError>")]
    pub name: Option<String>,
    #[serde(with = "As::<DefaultOnError>")]
    pub input: ToolInput,
}

/// The parts of a tool's input the digest reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ToolInput {
    /// The file an `Edit`, `Write`, `MultiEdit` or `Read` works on.
    #[serde(with = "As::<DefaultOnError>")]
    pub file_path: Option<String>,
    /// The notebook a `NotebookEdit` changes.
    #[serde(with = "As::<DefaultOnError>")]
    pub notebook_path: Option<String>,
}

/// A title given with `/rename`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CustomTitle {
    #[serde(with = "As::<DefaultOnError>")]
    custom_title: Option<String>,
    /// Where some versions put it.
    #[serde(with = "As::<DefaultOnError>")]
    title: Option<String>,
}

impl CustomTitle {
    pub fn title(&self) -> Option<&str> {
        self.custom_title.as_deref().or(self.title.as_deref())
    }
}

/// A title Claude Code generated for the session.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AiTitle {
    #[serde(with = "As::<DefaultOnError>")]
    ai_title: Option<String>,
    /// Where some versions put it.
    #[serde(with = "As::<DefaultOnError>")]
    title: Option<String>,
}

impl AiTitle {
    pub fn title(&self) -> Option<&str> {
        self.ai_title.as_deref().or(self.title.as_deref())
    }
}
