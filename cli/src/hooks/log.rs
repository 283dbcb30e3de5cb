//! The hooks' own log: hooks must never print into a Claude Code session or fail it, so
//! everything they have to say goes to `<state dir>/hooks.log` (rotated at 1 MiB).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

use sessions_core::Timestamp;

const MAX_LOG_BYTES: u64 = 1024 * 1024;

pub fn path() -> Option<PathBuf> {
    crate::outbox::state_dir().map(|d| d.join("hooks.log"))
}

/// Appends one line, without secrets (a message may quote a title or an error's text);
/// failures to log are ignored (there is nowhere else to say it).
pub fn line(message: &str) {
    let message = sessions_core::redaction::redact(message);
    let Some(path) = path() else { return };
    if let Some(dir) = path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    if fs::metadata(&path).is_ok_and(|m| m.len() > MAX_LOG_BYTES) {
        let _ = fs::rename(&path, path.with_extension("log.1"));
    }
    if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(&path) {
        let _ = writeln!(
            file,
            "{} [{}] {message}",
            Timestamp::now(),
            std::process::id()
        );
    }
}
