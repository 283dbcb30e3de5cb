//! Transcripts for the tests: the checked-in fixtures, and files written line by line.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::digest::{Digest, Limits};
use super::read::read;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/claude-code");
pub const FIRST_PROMPT: &str = "The S3 uploader in src/upload.rs gives up on the first 503. Add exponential backoff with full jitter, max 5 attempts, and a unit test.";

/// The digest of the transcript at `path`, read with no deadline to speak of.
pub fn digest(path: &Path, limits: Limits) -> io::Result<Digest> {
    read(path, limits, Instant::now() + Duration::from_secs(600)).map(|t| t.digest)
}

pub fn fixture(name: &str) -> Digest {
    let path = Path::new(FIXTURES).join(name);
    digest(&path, Limits::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A transcript in a temporary directory, one JSON entry (or raw line) per element.
pub fn transcript(lines: &[String]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.jsonl");
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

pub fn user(text: &str) -> String {
    json!({"type": "user", "isSidechain": false, "message": {"role": "user", "content": text}})
        .to_string()
}

pub fn user_entry(extra: Value, content: Value) -> String {
    let mut entry = json!({"type": "user", "message": {"role": "user", "content": content}});
    if let (Some(entry), Some(extra)) = (entry.as_object_mut(), extra.as_object()) {
        entry.extend(extra.clone());
    }
    entry.to_string()
}

pub fn assistant(text: &str) -> String {
    json!({"type": "assistant", "message": {"role": "assistant", "content": [{"type": "text", "text": text}]}})
        .to_string()
}

pub fn custom_title(title: &str) -> String {
    json!({"type": "custom-title", "customTitle": title, "sessionId": "s"}).to_string()
}
