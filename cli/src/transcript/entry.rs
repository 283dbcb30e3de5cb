//! The transcript's entries, typed and lenient where Claude Code's format drifts: the one model of a line that the digest and the facts both read.

// The format is Claude Code's, not ours, and changes between versions: a field of an unexpected
// shape reads as absent and an unknown block type as `Other`, so that neither costs the rest of
// the line. Unknown fields are ignored. One flat shape for every entry type, because the facts
// read the time, version, working directory and branch of every kind of entry, not only of the
// conversation's.

use serde::Deserialize;
use serde_with::{As, DefaultOnError, Same, VecSkipError};

/// Why a line of a transcript is no entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAnEntry {
    /// Valid JSON that is no object: no damage either.
    OtherJson,
    /// Not JSON: torn mid-write, or damaged.
    Damaged,
}

/// The kinds of entry that say what a session was about. Claude Code writes many more
/// (`summary`, `system`, `file-history-snapshot`, `api-request-blob`, `cost-state`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Assistant,
    CustomTitle,
    AiTitle,
    Other,
}

/// One line of a transcript.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Entry {
    #[serde(rename = "type", with = "As::<DefaultOnError>")]
    pub kind: Option<String>,
    /// When this was written (RFC 3339).
    #[serde(with = "As::<DefaultOnError>")]
    pub timestamp: Option<String>,
    /// The Claude Code version that wrote it.
    #[serde(with = "As::<DefaultOnError>")]
    pub version: Option<String>,
    /// The session's working directory when this was written.
    #[serde(with = "As::<DefaultOnError>")]
    pub cwd: Option<String>,
    #[serde(with = "As::<DefaultOnError>")]
    pub git_branch: Option<String>,
    /// The API request an assistant line answers: the lines of one streamed response share it.
    #[serde(with = "As::<DefaultOnError>")]
    pub request_id: Option<String>,
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
    /// A `user` or `assistant` entry's message.
    #[serde(with = "As::<DefaultOnError>")]
    pub message: Option<Message>,
    /// Lines Claude's edits added and removed so far (`cost-state` entries).
    #[serde(with = "As::<DefaultOnError>")]
    pub total_lines_added: Option<u64>,
    #[serde(with = "As::<DefaultOnError>")]
    pub total_lines_removed: Option<u64>,
    /// A `/rename` title (`custom-title` entries).
    #[serde(with = "As::<DefaultOnError>")]
    custom_title: Option<String>,
    /// A title Claude Code generated (`ai-title` entries).
    #[serde(with = "As::<DefaultOnError>")]
    ai_title: Option<String>,
    /// Read when the title entry's own field is absent.
    #[serde(with = "As::<DefaultOnError>")]
    title: Option<String>,
}

impl Entry {
    /// Reads one line; bytes that are not UTF-8 become U+FFFD rather than costing the line.
    pub fn parse(bytes: &[u8]) -> Result<Entry, NotAnEntry> {
        let text = String::from_utf8_lossy(bytes);
        // Only an object can be an entry (serde would also read some arrays as one).
        if text.trim_start().starts_with('{')
            && let Ok(entry) = serde_json::from_str(&text)
        {
            return Ok(entry);
        }
        // A `Value`, not `IgnoredAny`: a number no float holds (`1e400`) is damage too.
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(_) => Err(NotAnEntry::OtherJson),
            Err(_) => Err(NotAnEntry::Damaged),
        }
    }

    pub fn kind(&self) -> Kind {
        match self.kind.as_deref() {
            Some("user") => Kind::User,
            Some("assistant") => Kind::Assistant,
            Some("custom-title") => Kind::CustomTitle,
            Some("ai-title") => Kind::AiTitle,
            _ => Kind::Other,
        }
    }

    /// Part of the file but not of the conversation the user had: Claude Code's injected
    /// messages, subagents' work, the summary written at compaction.
    pub fn is_aside(&self) -> bool {
        self.is_meta
            || self.is_sidechain
            || self.is_compact_summary
            || self.is_visible_in_transcript_only
    }

    /// The message's content, when it has one.
    pub fn content(&self) -> Option<&Content> {
        self.message.as_ref()?.content.as_ref()
    }

    /// The title a `custom-title` or `ai-title` entry gives.
    pub fn title(&self) -> Option<&str> {
        let own = match self.kind() {
            Kind::CustomTitle => &self.custom_title,
            Kind::AiTitle => &self.ai_title,
            _ => return None,
        };
        own.as_deref().or(self.title.as_deref())
    }
}

/// A message of the conversation: a prompt, Claude Code's wrappers around a command, tool
/// results; or one reply of the model with its text, thinking, tool calls and usage.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Message {
    /// The API response's id: the lines of one streamed response share it.
    #[serde(with = "As::<DefaultOnError>")]
    pub id: Option<String>,
    #[serde(with = "As::<DefaultOnError>")]
    pub model: Option<String>,
    #[serde(with = "As::<DefaultOnError>")]
    pub usage: Option<Usage>,
    #[serde(with = "As::<DefaultOnError>")]
    pub content: Option<Content>,
}

/// The API's `usage` of one response.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Usage {
    #[serde(with = "As::<DefaultOnError>")]
    pub input_tokens: Option<u64>,
    #[serde(with = "As::<DefaultOnError>")]
    pub output_tokens: Option<u64>,
    #[serde(with = "As::<DefaultOnError>")]
    pub cache_read_input_tokens: Option<u64>,
    /// All cache writes, whatever their lifetime.
    #[serde(with = "As::<DefaultOnError>")]
    pub cache_creation_input_tokens: Option<u64>,
    /// The writes split by lifetime, which are priced differently; absent in older versions.
    #[serde(with = "As::<DefaultOnError>")]
    pub cache_creation: Option<CacheCreation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CacheCreation {
    #[serde(with = "As::<DefaultOnError>")]
    pub ephemeral_5m_input_tokens: Option<u64>,
    #[serde(with = "As::<DefaultOnError>")]
    pub ephemeral_1h_input_tokens: Option<u64>,
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

/// Tools whose `file_path`/`notebook_path` input is a file the session changed.
const EDITING_TOOLS: [&str; 4] = ["Edit", "Write", "MultiEdit", "NotebookEdit"];

/// The model calling a tool.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ToolUse {
    /// The call's own id (`toolu_...`): the same call repeated on several lines is one call.
    #[serde(with = "As::<DefaultOnError>")]
    pub id: Option<String>,
    #[serde(with = "As::<DefaultOnError>")]
    pub name: Option<String>,
    #[serde(with = "As::<DefaultOnError>")]
    pub input: ToolInput,
}

impl ToolUse {
    /// The file this call writes or edits, if it is an editing tool and names one.
    pub fn edited_file(&self) -> Option<&str> {
        if !EDITING_TOOLS.contains(&self.name.as_deref()?) {
            return None;
        }
        self.input
            .file_path
            .as_deref()
            .or(self.input.notebook_path.as_deref())
            .filter(|p| !p.trim().is_empty())
    }
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::transcript::testing::FIXTURES;

    fn kind(parsed: &Result<Entry, NotAnEntry>) -> &'static str {
        let entry = match parsed {
            Ok(entry) => entry,
            Err(NotAnEntry::Damaged) => return "not json",
            Err(NotAnEntry::OtherJson) => return "other",
        };
        match entry.kind() {
            Kind::User if entry.is_aside() => "user (aside)",
            Kind::User => "user",
            Kind::Assistant if entry.is_aside() => "assistant (aside)",
            Kind::Assistant => "assistant",
            Kind::CustomTitle => "custom-title",
            Kind::AiTitle => "ai-title",
            Kind::Other => "other",
        }
    }

    fn fixture_entries(name: &str) -> Vec<Result<Entry, NotAnEntry>> {
        let bytes = std::fs::read(Path::new(FIXTURES).join(name)).unwrap();
        bytes
            .split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .map(Entry::parse)
            .collect()
    }

    #[test]
    fn real_lines_parse_into_their_kinds() {
        let kinds = |name| -> Vec<&str> { fixture_entries(name).iter().map(kind).collect() };
        assert_eq!(
            kinds("transcript-basic.jsonl"),
            [
                "other", // file-history-snapshot
                "user (aside)",
                "user",  // a slash command without arguments
                "other", // queue-operation
                "user",
                "other", // attachment
                "other", // api-request-blob, role user
                "other", // api-request-blob, role system
                "assistant",
                "user", // tool result
                "assistant",
                "user",
                "assistant (aside)", // sidechain
                "assistant",
                "user",
                "ai-title",
                "assistant",
                "other", // system
                "other", // summary
                "user",
                "assistant",
                "other", // last-prompt
                "other", // cost-state
            ]
        );
        assert_eq!(
            kinds("transcript-titles.jsonl"),
            [
                "user",
                "assistant",
                "ai-title",
                "custom-title",
                "custom-title",
                "assistant"
            ]
        );
        assert_eq!(
            kinds("transcript-torn.jsonl"),
            ["user", "user", "not json", "assistant", "not json"]
        );
    }

    #[test]
    fn real_lines_keep_the_fields_the_digest_reads() {
        let entries = fixture_entries("transcript-basic.jsonl");
        let Ok(first_reply) = &entries[8] else {
            panic!("{:?}", entries[8]);
        };
        assert_eq!(first_reply.kind(), Kind::Assistant);
        assert_eq!(first_reply.cwd.as_deref(), Some("/home/dev/work/uploader"));
        let content = first_reply.content().expect("content");
        assert_eq!(content.texts(), ["I'll start by reading the uploader."]);
        let tools: Vec<_> = content
            .tool_uses()
            .map(|t| (t.name.as_deref(), t.input.file_path.as_deref()))
            .collect();
        assert_eq!(
            tools,
            [(Some("Read"), Some("/home/dev/work/uploader/src/upload.rs"))]
        );

        let Ok(prompt) = &entries[4] else {
            panic!("{:?}", entries[4]);
        };
        assert_eq!(prompt.kind(), Kind::User);
        let content = prompt.content();
        assert!(matches!(content, Some(Content::Text(t)) if t.starts_with("The S3 uploader")));

        let Ok(title) = &entries[15] else {
            panic!("{:?}", entries[15]);
        };
        assert_eq!(title.kind(), Kind::AiTitle);
        assert_eq!(title.title(), Some("Add jittered retry to S3 uploader"));
    }

    #[test]
    fn odd_shapes_read_as_absent_not_as_damage() {
        let parse = |line: &str| Entry::parse(line.as_bytes());
        // Valid JSON that is no entry of the conversation: not damage.
        for line in ["3", "null", "[]"] {
            assert_eq!(parse(line).err(), Some(NotAnEntry::OtherJson), "{line}");
        }
        for line in [r#"{"no": "type"}"#, r#"{"type": 5}"#] {
            assert!(
                matches!(parse(line), Ok(e) if e.kind() == Kind::Other),
                "{line}"
            );
        }
        for line in ["", "not json", r#"{"type": "user""#, "1e400"] {
            assert_eq!(parse(line).err(), Some(NotAnEntry::Damaged), "{line}");
        }
        let Ok(turn) = parse(
            r#"{"type": "user", "isMeta": "true", "cwd": 7, "message": {"content": [
                "a string", {"type": "text", "text": 5}, {"type": "text", "text": "kept"},
                {"type": "tool_use", "name": ["x"], "input": "not an object"}, {"type": "image"}
            ]}}"#,
        ) else {
            panic!("not an entry");
        };
        assert_eq!(turn.kind(), Kind::User);
        assert!(!turn.is_aside());
        assert_eq!(turn.cwd, None);
        let content = turn.message.and_then(|m| m.content).expect("content");
        assert_eq!(content.texts(), ["kept"]);
        let names: Vec<_> = content.tool_uses().map(|t| t.name.clone()).collect();
        assert_eq!(names, [None]);
        let Ok(turn) = parse(r#"{"type": "user", "message": "text"}"#) else {
            panic!("not an entry");
        };
        assert_eq!(turn.kind(), Kind::User);
        assert!(turn.message.is_none());
    }
}
