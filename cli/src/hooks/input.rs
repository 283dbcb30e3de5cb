//! What a Claude Code hook reads on stdin, parsed leniently: unknown fields are ignored
//! (the format grows between versions), only `session_id` is required, and an optional field
//! of an unexpected shape reads as absent.

use std::io::Read;
use std::path::PathBuf;

use serde::Deserialize;
use serde_with::{As, DefaultOnError};
use sessions_core::SessionId;

/// Hook input larger than this is not a hook input.
const MAX_INPUT_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Deserialize)]
pub struct HookInput {
    /// Checked against the API's rules as it is read: a hook never acts on an invalid id.
    pub session_id: SessionId,
    #[serde(default, with = "As::<DefaultOnError>")]
    pub transcript_path: Option<PathBuf>,
    #[serde(default, with = "As::<DefaultOnError>")]
    pub cwd: Option<PathBuf>,
    /// SessionStart: startup, resume, clear, compact, fork.
    #[serde(default, with = "As::<DefaultOnError>")]
    pub source: Option<String>,
    /// SessionEnd: clear, logout, prompt_input_exit, other, ...
    #[serde(default, with = "As::<DefaultOnError>")]
    pub reason: Option<String>,
    /// The session's own name, when it has one: given with `claude -n`, or by `/rename` in a
    /// resumed (or forked) session.
    #[serde(default, with = "As::<DefaultOnError>")]
    pub session_title: Option<String>,
    /// SessionStart of an interactive session: the model it starts with (`claude-opus-5-5`,
    /// or an alias's name with a suffix such as `[1m]`).
    #[serde(default, with = "As::<DefaultOnError>")]
    pub model: Option<String>,
    /// Set when a subagent, not the session itself, fired the hook: it shares the session's
    /// id, and its start or end is not the session's.
    #[serde(default, with = "As::<DefaultOnError>")]
    pub agent_id: Option<String>,
    /// The agent the session or subagent runs as (`claude --agent NAME`, or a subagent's type).
    #[serde(default, with = "As::<DefaultOnError>")]
    pub agent_type: Option<String>,
}

impl HookInput {
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes)
            .map_err(|e| format!("hook input is not the expected JSON: {e}"))
    }

    pub fn from_stdin() -> Result<Self, String> {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(MAX_INPUT_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read the hook input: {e}"))?;
        HookInput::parse(&bytes)
    }

    /// A subagent fired the hook: what it says is not about the session's row.
    pub fn is_subagent(&self) -> bool {
        self.agent_id
            .as_deref()
            .is_some_and(|id| !id.trim().is_empty())
    }

    /// The model the session starts with, as the API names it (`claude-opus-5-5[1m]` is
    /// `claude-opus-5-5` asked for a longer context).
    pub fn start_model(&self) -> Option<&str> {
        let model = self.model.as_deref()?.trim();
        let model = model
            .strip_suffix(']')
            .and_then(|m| m.rsplit_once('['))
            .map_or(model, |(name, _)| name.trim_end());
        (!model.is_empty()).then_some(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../tests/fixtures/claude-code/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn reads_every_fixture() {
        let start = HookInput::parse(&fixture("hook-session-start-resume.json")).unwrap();
        assert_eq!(
            start.session_id.as_str(),
            "7f3c2a10-4b5e-4c1d-9a77-2e1f0c9b8d01"
        );
        assert_eq!(start.source.as_deref(), Some("resume"));
        assert_eq!(start.session_title.as_deref(), Some("uploader: retries"));
        assert_eq!(start.start_model(), Some("claude-sonnet-4-5-20250929"));
        assert!(!start.is_subagent());
        for name in [
            "hook-session-start-startup.json",
            "hook-session-start-clear.json",
            "hook-session-start-compact.json",
            "hook-session-start-fork.json",
            "hook-session-start-named.json",
            "hook-session-start-subagent.json",
            "hook-session-end-clear.json",
            "hook-session-end-logout.json",
            "hook-session-end-other.json",
            "hook-session-end-prompt_input_exit.json",
            "hook-session-end-subagent.json",
        ] {
            let input = HookInput::parse(&fixture(name)).unwrap();
            assert!(input.transcript_path.is_some(), "{name}");
        }
        assert!(HookInput::parse(b"{}").is_err());
        assert!(HookInput::parse(b"not json").is_err());
        assert!(HookInput::parse(br#"{"session_id":"  "}"#).is_err());
        assert!(HookInput::parse(br#"{"session_id":"a/b"}"#).is_err());
    }

    #[test]
    fn what_2_1_332_adds_at_the_start_is_read() {
        let named = HookInput::parse(&fixture("hook-session-start-named.json")).unwrap();
        assert_eq!(named.source.as_deref(), Some("startup"));
        assert_eq!(named.session_title.as_deref(), Some("uploader: retries"));
        assert_eq!(named.model.as_deref(), Some("claude-opus-5-5[1m]"));
        assert_eq!(named.start_model(), Some("claude-opus-5-5"));

        // A fork names no origin in its input (its transcript does), and carries the title of
        // the session it continues, with numbers about the resumed context.
        let fork = HookInput::parse(&fixture("hook-session-start-fork.json")).unwrap();
        assert_eq!(fork.source.as_deref(), Some("fork"));
        assert_eq!(fork.session_title.as_deref(), Some("uploader: retries"));
        assert_eq!((fork.model, fork.agent_id), (None, None));

        // `claude -p` starts with no model in its input.
        let startup = HookInput::parse(&fixture("hook-session-start-startup.json")).unwrap();
        assert_eq!(startup.session_title, None);
    }

    #[test]
    fn a_subagents_hook_is_told_apart_from_the_sessions() {
        for name in [
            "hook-session-start-subagent.json",
            "hook-session-end-subagent.json",
        ] {
            let input = HookInput::parse(&fixture(name)).unwrap();
            assert!(input.is_subagent(), "{name}");
            assert_eq!(input.agent_type.as_deref(), Some("Explore"), "{name}");
            assert_eq!(
                input.session_id.as_str(),
                "7f3c2a10-4b5e-4c1d-9a77-2e1f0c9b8d01",
                "{name}: the session's own id"
            );
        }
        // `claude --agent NAME` runs the session itself as an agent: no agent id, its own row.
        let main = HookInput::parse(
            br#"{"session_id":"s1","source":"startup","agent_type":"reviewer","agent_id":" "}"#,
        )
        .unwrap();
        assert!(!main.is_subagent());
    }

    #[test]
    fn odd_shapes_of_the_optional_fields_read_as_absent() {
        let input = HookInput::parse(
            br#"{"session_id":"s1","model":{"id":"claude-opus-5-5"},"session_title":7,
                "agent_id":["a"],"source":null,"cwd":false,"extra":{"new":"field"}}"#,
        )
        .unwrap();
        assert_eq!(input.session_id.as_str(), "s1");
        assert_eq!(
            (
                input.model,
                input.session_title,
                input.agent_id,
                input.source
            ),
            (None, None, None, None)
        );
        assert_eq!(input.cwd, None);
        for (model, expected) in [
            ("claude-opus-5-5", Some("claude-opus-5-5")),
            ("claude-opus-5-5[1m]", Some("claude-opus-5-5")),
            (" claude-haiku-4-5 ", Some("claude-haiku-4-5")),
            ("[1m]", None),
            ("", None),
            ("odd]", Some("odd]")),
        ] {
            let input = HookInput::parse(
                serde_json::json!({"session_id": "s1", "model": model})
                    .to_string()
                    .as_bytes(),
            )
            .unwrap();
            assert_eq!(input.start_model(), expected, "{model:?}");
        }
    }
}
