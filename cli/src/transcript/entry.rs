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
    /// When this was written (RFC 3339).
    #[serde(with = "As::<DefaultOnError>")]
    pub timestamp: Option<String>,
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

/// A title given with `/rename`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CustomTitle {
    #[serde(with = "As::<DefaultOnError>")]
    custom_title: Option<String>,
    /// Read when the type's own field is absent.
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
    /// Read when the type's own field is absent.
    #[serde(with = "As::<DefaultOnError>")]
    title: Option<String>,
}

impl AiTitle {
    pub fn title(&self) -> Option<&str> {
        self.ai_title.as_deref().or(self.title.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::transcript::testing::FIXTURES;

    fn kind(entry: &Entry) -> &'static str {
        match entry {
            Entry::User(turn) if turn.is_aside() => "user (aside)",
            Entry::User(_) => "user",
            Entry::Assistant(turn) if turn.is_aside() => "assistant (aside)",
            Entry::Assistant(_) => "assistant",
            Entry::CustomTitle(_) => "custom-title",
            Entry::AiTitle(_) => "ai-title",
            Entry::Other => "other",
        }
    }

    fn fixture_entries(name: &str) -> Vec<Option<Entry>> {
        let bytes = std::fs::read(Path::new(FIXTURES).join(name)).unwrap();
        bytes
            .split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .map(Entry::parse)
            .collect()
    }

    #[test]
    fn real_lines_parse_into_their_kinds() {
        let kinds = |name| -> Vec<&str> {
            fixture_entries(name)
                .iter()
                .map(|e| e.as_ref().map_or("not json", kind))
                .collect()
        };
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
        let Some(Entry::Assistant(first_reply)) = &entries[8] else {
            panic!("{:?}", entries[8]);
        };
        assert_eq!(first_reply.cwd.as_deref(), Some("/home/dev/work/uploader"));
        let content = first_reply
            .message
            .as_ref()
            .and_then(|m| m.content.as_ref());
        let content = content.expect("content");
        assert_eq!(content.texts(), ["I'll start by reading the uploader."]);
        let tools: Vec<_> = content
            .tool_uses()
            .map(|t| (t.name.as_deref(), t.input.file_path.as_deref()))
            .collect();
        assert_eq!(
            tools,
            [(Some("Read"), Some("/home/dev/work/uploader/src/upload.rs"))]
        );

        let Some(Entry::User(prompt)) = &entries[4] else {
            panic!("{:?}", entries[4]);
        };
        let content = prompt.message.as_ref().and_then(|m| m.content.as_ref());
        assert!(matches!(content, Some(Content::Text(t)) if t.starts_with("The S3 uploader")));

        let Some(Entry::AiTitle(title)) = &entries[15] else {
            panic!("{:?}", entries[15]);
        };
        assert_eq!(title.title(), Some("Add jittered retry to S3 uploader"));
    }

    #[test]
    fn odd_shapes_read_as_absent_not_as_damage() {
        let parse = |line: &str| Entry::parse(line.as_bytes());
        // Valid JSON that is no entry: not damage.
        for line in ["3", "null", "[]", r#"{"no": "type"}"#, r#"{"type": 5}"#] {
            assert!(matches!(parse(line), Some(Entry::Other)), "{line}");
        }
        for line in ["", "not json", r#"{"type": "user""#, "1e400"] {
            assert!(parse(line).is_none(), "{line}");
        }
        let Some(Entry::User(turn)) = parse(
            r#"{"type": "user", "isMeta": "true", "cwd": 7, "message": {"content": [
                "a string", {"type": "text", "text": 5}, {"type": "text", "text": "kept"},
                {"type": "tool_use", "name": ["x"], "input": "not an object"}, {"type": "image"}
            ]}}"#,
        ) else {
            panic!("not a user entry");
        };
        assert!(!turn.is_aside());
        assert_eq!(turn.cwd, None);
        let content = turn.message.and_then(|m| m.content).expect("content");
        assert_eq!(content.texts(), ["kept"]);
        let names: Vec<_> = content.tool_uses().map(|t| t.name.clone()).collect();
        assert_eq!(names, [None]);
        let Some(Entry::User(turn)) = parse(r#"{"type": "user", "message": "text"}"#) else {
            panic!("not a user entry");
        };
        assert!(turn.message.is_none());
    }
}
