//! Sessions this machine has seen start but not end, so that a session whose SessionEnd
//! never fired (a killed terminal) is caught up at a later SessionStart.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenSession {
    pub session_id: String,
    pub transcript_path: Option<PathBuf>,
    pub cwd: Option<PathBuf>,
    pub started_at: String,
}

fn dir() -> Option<PathBuf> {
    crate::outbox::state_dir().map(|d| d.join("open-sessions"))
}

/// A file name for a session id: ids are checked elsewhere, but never trust them as paths.
fn file_for(session_id: &str) -> Option<PathBuf> {
    let safe: String = session_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir().map(|d| d.join(format!("{safe}.json")))
}

pub fn record(session: &OpenSession) -> std::io::Result<()> {
    let Some(path) = file_for(&session.session_id) else {
        return Ok(());
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, serde_json::to_vec(session).unwrap_or_default())?;
    fs::rename(tmp, path)
}

pub fn forget(session_id: &str) {
    if let Some(path) = file_for(session_id) {
        let _ = fs::remove_file(path);
    }
}

/// When a session last did anything: its transcript's modification time.
pub fn last_activity(session: &OpenSession) -> Option<SystemTime> {
    session
        .transcript_path
        .as_ref()
        .and_then(|p| fs::metadata(p).ok()?.modified().ok())
}

/// Open sessions other than `current` idle for longer than `idle`: their SessionEnd never came.
pub fn abandoned(current: &str, idle: Duration) -> Vec<OpenSession> {
    let Some(dir) = dir() else { return Vec::new() };
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let now = SystemTime::now();
    entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| serde_json::from_slice::<OpenSession>(&fs::read(e.path()).ok()?).ok())
        .filter(|s| s.session_id != current)
        .filter(|s| {
            let since = last_activity(s).unwrap_or(SystemTime::UNIX_EPOCH);
            now.duration_since(since).unwrap_or_default() > idle
        })
        .collect()
}
