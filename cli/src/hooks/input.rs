//! What a Claude Code hook reads on stdin, parsed leniently: unknown fields are ignored
//! (the format grows between versions), only `session_id` is required.

use std::io::Read;
use std::path::PathBuf;

use serde::Deserialize;
use sessions_core::SessionId;

/// Hook input larger than this is not a hook input.
const MAX_INPUT_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Deserialize)]
pub struct HookInput {
    /// Checked against the API's rules as it is read: a hook never acts on an invalid id.
    pub session_id: SessionId,
    #[serde(default)]
    pub transcript_path: Option<PathBuf>,
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// SessionStart: startup, resume, clear, compact, fork.
    #[serde(default)]
    pub source: Option<String>,
    /// SessionEnd: clear, logout, prompt_input_exit, other, ...
    #[serde(default)]
    pub reason: Option<String>,
    /// The session's title, when Claude Code already knows it (a resumed, renamed session).
    #[serde(default)]
    pub session_title: Option<String>,
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
        for name in [
            "hook-session-start-startup.json",
            "hook-session-start-clear.json",
            "hook-session-start-compact.json",
            "hook-session-end-clear.json",
            "hook-session-end-logout.json",
            "hook-session-end-other.json",
            "hook-session-end-prompt_input_exit.json",
        ] {
            let input = HookInput::parse(&fixture(name)).unwrap();
            assert!(input.transcript_path.is_some(), "{name}");
        }
        assert!(HookInput::parse(b"{}").is_err());
        assert!(HookInput::parse(b"not json").is_err());
        assert!(HookInput::parse(br#"{"session_id":"  "}"#).is_err());
        assert!(HookInput::parse(br#"{"session_id":"a/b"}"#).is_err());
    }
}
