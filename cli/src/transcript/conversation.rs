//! The conversation's words in a digest: what was asked, the titles, and the end of the conversation as text.

use sessions_core::redaction::redact;

use super::digest::Digest;
use super::entry::{Entry, Kind};
use super::prompt::Prompt;
use super::tail::{Speaker, Tail};

/// Builds the text of a `Digest` entry by entry; the numbers are the pass's.
pub struct Digester {
    digest: Digest,
    tail: Tail,
    first_prompt_is_command: bool,
}

impl Digester {
    /// `partial`: only the head and tail of the file will be taken, not its middle.
    pub fn new(tail_limit: usize, partial: bool) -> Self {
        Digester {
            digest: Digest {
                partial,
                ..Digest::default()
            },
            tail: Tail::new(tail_limit),
            first_prompt_is_command: false,
        }
    }

    /// The middle of the file is left out from here on.
    pub fn mark_gap(&mut self) {
        self.tail.mark_gap();
    }

    /// The digest's text; its counts are left to the caller.
    pub fn finish(mut self) -> Digest {
        self.digest.conversation_tail = self.tail.finish();
        self.digest
    }

    /// The last non-empty title of each kind wins, wherever in the file it is.
    pub fn take_title(&mut self, entry: &Entry) {
        let slot = match entry.kind() {
            Kind::CustomTitle => &mut self.digest.custom_title,
            Kind::AiTitle => &mut self.digest.ai_title,
            _ => return,
        };
        if let Some(title) = entry.title().map(str::trim).filter(|t| !t.is_empty()) {
            *slot = Some(redact(title).into_owned());
        }
    }

    /// A prompt of the head or the tail.
    pub fn take_prompt(&mut self, prompt: Prompt) {
        let (prompt, is_command) = match prompt {
            Prompt::Typed(text) => (text, false),
            Prompt::Command(command) => (command, true),
        };
        self.tail.say(Speaker::User, &prompt);
        // Titles and summaries are cut from prompts; a secret cut in half is no longer
        // recognisable, so secrets go before anything is cut. (The tail is only read by the
        // local `claude -p`, which saw the session anyway.)
        let prompt = redact(&prompt).into_owned();
        // A typed prompt says more about the session than a slash command.
        if self.digest.first_prompt.is_none() || (self.first_prompt_is_command && !is_command) {
            self.digest.first_prompt = Some(prompt.clone());
            self.first_prompt_is_command = is_command;
        }
        self.digest.prompts.push(prompt);
    }

    /// A reply of the head or the tail: its words, not its tool calls (those are counted).
    pub fn take_reply(&mut self, entry: &Entry) {
        // An API error is Claude Code's message, not the assistant's words.
        if entry.is_api_error_message {
            return;
        }
        for text in entry.content().map(|c| c.texts()).unwrap_or_default() {
            let text = text.trim();
            if !text.is_empty() {
                self.tail.say(Speaker::Assistant, text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use sessions_core::Timestamp;

    use crate::transcript::counts::Counts;
    use crate::transcript::digest::{Digest, Limits};
    use crate::transcript::heuristic::{TITLE_MAX_CHARS, heuristic_summary, heuristic_title};
    use crate::transcript::testing::*;

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

    fn counts(
        prompts: usize,
        tool_calls: usize,
        files_touched: usize,
        first: &str,
        last: &str,
    ) -> Counts {
        let at = |t: &str| Some(Timestamp::parse("test", t).unwrap());
        Counts {
            prompts,
            tool_calls,
            files_touched,
            first_at: at(first),
            last_at: at(last),
            partial: false,
        }
    }

    /// The digest of each checked-in transcript, field by field, as the reader has always made it.
    #[test]
    fn every_fixture_digests_as_before() {
        let first_prompt = FIRST_PROMPT.to_owned();
        let done = "Assistant: Done: upload() now retries 503s with exponential backoff and full \
                    jitter (5 attempts max), and a unit test covers it.\n\n";
        let basic = Digest {
            custom_title: None,
            ai_title: Some("Add jittered retry to S3 uploader".to_owned()),
            prompts: vec![
                first_prompt.clone(),
                "Also log each retry at warn level.".to_owned(),
            ],
            first_prompt: Some(first_prompt.clone()),
            tools: [("Bash", 1), ("Edit", 1), ("Read", 1)]
                .map(|(name, n)| (name.to_owned(), n))
                .into(),
            files: ["src/upload.rs".to_owned()].into(),
            conversation_tail: format!(
                "User: {FIRST_PROMPT}\n\nAssistant: I'll start by reading the uploader.\n\n{done}\
                 User: Also log each retry at warn level.\n\n\
                 Assistant: Each retry now logs attempt number and delay at warn level.\n\n"
            ),
            prompt_count: 2,
            counts: counts(
                2,
                3,
                1,
                "2026-11-20T09:00:00.000Z",
                "2026-11-20T09:03:09.000Z",
            ),
            skipped_lines: 0,
            partial: false,
        };
        assert_eq!(fixture("transcript-basic.jsonl"), basic);

        let titles = Digest {
            custom_title: Some("uploader: retries".to_owned()),
            ai_title: Some("Add jittered retry to S3 uploader".to_owned()),
            prompts: vec![first_prompt.clone()],
            first_prompt: Some(first_prompt.clone()),
            tools: [("Read".to_owned(), 1)].into(),
            files: Default::default(),
            conversation_tail: format!(
                "User: {FIRST_PROMPT}\n\nAssistant: I'll start by reading the uploader.\n\n{done}"
            ),
            prompt_count: 1,
            counts: counts(
                1,
                1,
                0,
                "2026-11-20T09:00:05.000Z",
                "2026-11-20T09:01:15.000Z",
            ),
            skipped_lines: 0,
            partial: false,
        };
        assert_eq!(fixture("transcript-titles.jsonl"), titles);

        let broken = "caf\u{FFFD} \u{FFFD} broken bytes";
        let torn = Digest {
            custom_title: None,
            ai_title: None,
            prompts: vec![first_prompt.clone(), broken.to_owned()],
            first_prompt: Some(first_prompt),
            tools: Default::default(),
            files: Default::default(),
            conversation_tail: format!("User: {FIRST_PROMPT}\n\nUser: {broken}\n\n{done}"),
            prompt_count: 2,
            counts: counts(
                2,
                0,
                0,
                "2026-11-20T09:00:05.000Z",
                "2026-11-20T09:01:15.000Z",
            ),
            skipped_lines: 2,
            partial: false,
        };
        assert_eq!(fixture("transcript-torn.jsonl"), torn);
    }
}
