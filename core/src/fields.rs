//! Validated session fields: each type's only constructor enforces every rule of
//! the API's input bounds, so holding one means it is valid.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};
use crate::text;

pub const SESSION_ID_MAX_CHARS: usize = 128;
pub const TITLE_MAX_CHARS: usize = 256;
pub const SUMMARY_MAX_BYTES: usize = 16_384;
pub const BODY_MAX_BYTES: usize = 64 * 1024;
pub const LIST_DEFAULT_LIMIT: u32 = 25;
pub const LIST_MAX_LIMIT: u32 = 100;

/// Serde, clap (`FromStr`) and `TryFrom<String>` all read these types through their one
/// constructor, `parse`, and write them as their text; so a value read from a file, the wire or
/// the command line is as valid as one built here.
macro_rules! parsed_from_text {
    ($($ty:ty),*) => {$(
        impl FromStr for $ty {
            type Err = ApiError;
            fn from_str(raw: &str) -> Result<Self, ApiError> {
                <$ty>::parse(raw)
            }
        }
        impl TryFrom<String> for $ty {
            type Error = ApiError;
            fn try_from(raw: String) -> Result<Self, ApiError> {
                <$ty>::parse(&raw)
            }
        }
        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.to_string()
            }
        }
    )*};
}

parsed_from_text!(WorkspaceId, SessionId, Title, Summary);

/// The workspace a session belongs to: a UUID, stored in its lowercase hyphenated form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WorkspaceId(uuid::Uuid);

impl WorkspaceId {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        uuid::Uuid::try_parse(raw)
            .ok()
            .filter(|_| raw.len() == 36)
            .map(WorkspaceId)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidWorkspaceUuid,
                    format!(
                        "workspace {:?} is not a UUID; expected the hyphenated form like 0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60",
                        clip(raw)
                    ),
                )
            })
    }
}

impl fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.hyphenated())
    }
}

/// A Claude Code session id: 1-128 characters of `[A-Za-z0-9._:-]`, not `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SessionId(String);

impl SessionId {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let fail = |why: &str| {
            Err(ApiError::new(
                ErrorCode::InvalidSessionId,
                format!(
                    "session id {:?} {why}; use 1-{SESSION_ID_MAX_CHARS} characters of A-Z a-z 0-9 . _ : -",
                    clip(raw)
                ),
            ))
        };
        if raw.is_empty() {
            return fail("is empty");
        }
        if raw.chars().count() > SESSION_ID_MAX_CHARS {
            return fail("is too long");
        }
        if raw == "." || raw == ".." {
            return fail("is a path segment");
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
        {
            return fail(&format!("contains {bad:?}"));
        }
        Ok(SessionId(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A session title: 1-256 characters, not blank, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Title(String);

impl Title {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let fail = |why: String| Err(ApiError::new(ErrorCode::InvalidTitle, why));
        if raw.trim().is_empty() {
            return fail(
                "title is empty; give a short line saying what the session is about".into(),
            );
        }
        let chars = raw.chars().count();
        if chars > TITLE_MAX_CHARS {
            return fail(format!(
                "title is {chars} characters; the limit is {TITLE_MAX_CHARS}: shorten it (the summary holds the detail)"
            ));
        }
        if let Some(bad) = raw.chars().find(|c| c.is_control()) {
            return fail(format!(
                "title contains the control character {bad:?}; titles are one line of printable text"
            ));
        }
        Ok(Title(raw.to_owned()))
    }

    /// The seed recipe's title for a session that has none yet: `Claude Code session <id>`.
    pub fn placeholder(session: &SessionId) -> Self {
        // A session id is at most 128 printable characters: the title is always within the rules.
        Title(format!("Claude Code session {session}"))
    }

    /// Cuts `raw` down to a valid title without secrets (control characters become spaces,
    /// the length is clipped on a character boundary). Returns `None` when nothing printable is left.
    pub fn truncating(raw: &str) -> Option<Self> {
        // Secrets go before the cut: half a secret is no longer recognisable.
        let raw = sessions_redact::redact(raw);
        let cleaned: String = raw
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let cleaned = cleaned.trim();
        let clipped = text::prefix_chars(cleaned, TITLE_MAX_CHARS);
        Title::parse(clipped.trim_end()).ok()
    }

    /// What is left of a title that was nothing but a secret.
    pub(crate) fn redacted_only() -> Self {
        Title("[REDACTED]".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Title {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A session summary: 1-16384 bytes of text; newlines and tabs allowed, other control characters not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Summary(String);

impl Summary {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let fail = |why: String| Err(ApiError::new(ErrorCode::InvalidSummary, why));
        if raw.trim().is_empty() {
            return fail("summary is empty; give a sentence or two about what happened".into());
        }
        if raw.len() > SUMMARY_MAX_BYTES {
            return fail(format!(
                "summary is {} bytes; the limit is {SUMMARY_MAX_BYTES} bytes: shorten it",
                raw.len()
            ));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return fail(format!(
                "summary contains the control character {bad:?}; only newlines and tabs are allowed"
            ));
        }
        Ok(Summary(raw.to_owned()))
    }

    /// The seed recipe's summary for a session still running.
    pub fn placeholder() -> Self {
        Summary("Session in progress.".to_owned())
    }

    /// Cuts `raw` down to a valid summary without secrets (stray control characters become
    /// spaces, the length is clipped on a character boundary).
    pub fn truncating(raw: &str) -> Option<Self> {
        // Secrets go before the cut: half a secret is no longer recognisable.
        let raw = sessions_redact::redact(raw);
        let cleaned: String = raw
            .chars()
            .map(|c| {
                if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        let end = cleaned.floor_char_boundary(SUMMARY_MAX_BYTES);
        Summary::parse(cleaned[..end].trim()).ok()
    }

    /// What is left of a summary that was nothing but a secret.
    pub(crate) fn redacted_only() -> Self {
        Summary("[REDACTED]".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An opaque pagination cursor handed out by `list` and given back to continue.
/// Only its alphabet is checked here; the server decodes and checks the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        if raw.is_empty()
            || raw.len() > Self::MAX_LEN
            || !raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ApiError::new(
                ErrorCode::InvalidQuery,
                "cursor is not one this API handed out; pass `next_cursor` from the previous page unchanged",
            ));
        }
        Ok(Cursor(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A rejected value as an error message quotes it: its first 80 characters, then "…".
pub(crate) fn clip(raw: &str) -> Cow<'_, str> {
    text::clip(raw, 81)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;

    #[test]
    fn session_id_rules() {
        for ok in [
            "abc-123",
            "7f3c2a10-4b5e-4c1d-9a77-2e1f0c9b8d01",
            "a.b:c_d-e",
            "x",
            "...",
        ] {
            assert!(SessionId::parse(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(129);
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "a b",
            "é",
            "a%2Fb",
            "a\0",
            long.as_str(),
        ] {
            let err = SessionId::parse(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidSessionId, "{bad:?}");
        }
        assert!(SessionId::parse(&"a".repeat(128)).is_ok());
    }

    #[test]
    fn workspace_rules() {
        let ws = WorkspaceId::parse("0B9F3D4E-8A61-4F2C-9D3E-5C7B1A2E4F60").unwrap();
        assert_eq!(ws.to_string(), "0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60");
        for bad in [
            "",
            "nope",
            "0b9f3d4e8a614f2c9d3e5c7b1a2e4f60",
            "{0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60}",
        ] {
            assert_eq!(
                WorkspaceId::parse(bad).unwrap_err().code,
                ErrorCode::InvalidWorkspaceUuid
            );
        }
    }

    #[test]
    fn title_rules() {
        assert!(Title::parse("Wire up workspace_management.sessions").is_ok());
        assert!(Title::parse(&"é".repeat(256)).is_ok());
        for bad in ["", "   ", "a\nb", "tab\there", "\u{7f}", "\u{85}"] {
            assert_eq!(
                Title::parse(bad).unwrap_err().code,
                ErrorCode::InvalidTitle,
                "{bad:?}"
            );
        }
        assert_eq!(
            Title::parse(&"é".repeat(257)).unwrap_err().code,
            ErrorCode::InvalidTitle
        );
    }

    #[test]
    fn title_truncating_keeps_what_fits() {
        let t = Title::truncating(&format!("line one\nline two {}", "x".repeat(400))).unwrap();
        assert_eq!(t.as_str().chars().count(), 256);
        assert!(t.as_str().starts_with("line one line two"));
        assert!(Title::truncating("\n\t ").is_none());
    }

    #[test]
    fn placeholders_keep_the_rules() {
        let longest = SessionId::parse(&"a".repeat(SESSION_ID_MAX_CHARS)).unwrap();
        let title = Title::placeholder(&longest);
        assert_eq!(Title::parse(title.as_str()), Ok(title));
        assert_eq!(
            Title::placeholder(&SessionId::parse("abc-123").unwrap()).as_str(),
            "Claude Code session abc-123"
        );
        let summary = Summary::placeholder();
        assert_eq!(Summary::parse(summary.as_str()), Ok(summary));
    }

    #[test]
    fn summary_rules() {
        assert!(Summary::parse("one\ntwo\r\n\tthree").is_ok());
        assert!(Summary::parse(&"a".repeat(16_384)).is_ok());
        assert_eq!(
            Summary::parse(&"a".repeat(16_385)).unwrap_err().code,
            ErrorCode::InvalidSummary
        );
        assert_eq!(
            Summary::parse("").unwrap_err().code,
            ErrorCode::InvalidSummary
        );
        assert_eq!(
            Summary::parse("nul\0").unwrap_err().code,
            ErrorCode::InvalidSummary
        );
        let long = Summary::truncating(&"é".repeat(10_000)).unwrap();
        assert!(long.as_str().len() <= 16_384);
    }

    #[test]
    fn serde_reads_through_parse_and_writes_the_text() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Row {
            workspace: WorkspaceId,
            session_id: SessionId,
            title: Title,
            summary: Summary,
            at: Timestamp,
        }
        let text = r#"{"workspace":"0B9F3D4E-8A61-4F2C-9D3E-5C7B1A2E4F60","session_id":"abc-123","title":"t","summary":"s\nmore","at":"2026-11-24T08:02:28.5+01:00"}"#;
        let row: Row = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::to_string(&row).unwrap(),
            r#"{"workspace":"0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60","session_id":"abc-123","title":"t","summary":"s\nmore","at":"2026-11-24T07:02:28.500Z"}"#
        );
        let refusals = [
            ("workspace", "nope", WorkspaceId::parse("nope").map(drop)),
            ("session_id", "a/b", SessionId::parse("a/b").map(drop)),
            ("title", "", Title::parse("").map(drop)),
            ("summary", "nul\0", Summary::parse("nul\0").map(drop)),
            (
                "at",
                "yesterday",
                "yesterday".parse::<Timestamp>().map(drop),
            ),
        ];
        for (field, bad, refusal) in refusals {
            let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
            value[field] = bad.into();
            let e = serde_json::from_value::<Row>(value)
                .unwrap_err()
                .to_string();
            assert!(e.contains(&refusal.unwrap_err().message), "{field}: {e}");
        }
    }

    #[test]
    fn text_parses_as_the_constructor_does() {
        assert_eq!(
            "abc".parse::<SessionId>().unwrap(),
            SessionId::parse("abc").unwrap()
        );
        let e = "24/11/2026".parse::<Timestamp>().unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidTimestamp);
        assert!(
            e.message.starts_with("\"24/11/2026\" is not a timestamp"),
            "{}",
            e.message
        );
        assert_eq!(String::from(Title::parse("t").unwrap()), "t");
    }

    #[test]
    fn cursor_alphabet() {
        assert!(Cursor::parse("eyJhIjoiYiJ9").is_ok());
        for bad in ["", "a b", "a+b", "a/b", "a="] {
            assert!(Cursor::parse(bad).is_err());
        }
    }
}
