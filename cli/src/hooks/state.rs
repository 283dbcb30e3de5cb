//! Sessions this machine has seen start but not end, so that a session whose SessionEnd
//! never fired (a killed terminal) is caught up at a later SessionStart.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sessions_core::{SessionId, Timestamp};

use super::log;
use super::process::Process;
use crate::atomic_file;
use crate::files::read_small;

/// An open session's file holds a few paths and ids.
const MAX_STATE_FILE_BYTES: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenSession {
    pub session_id: SessionId,
    pub transcript_path: Option<PathBuf>,
    pub cwd: Option<PathBuf>,
    /// When its latest SessionStart (startup, resume, compact, ...) ran.
    pub started_at: Timestamp,
    /// The Claude Code process the session runs in, when `/proc` could name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claude: Option<Process>,
    /// Where git's HEAD was at the start, when the directory is a repository: the session's
    /// commits are those made since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_start: Option<GitStart>,
}

/// HEAD when a session started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitStart {
    /// Its commit; none on an unborn branch.
    pub head: Option<String>,
    /// The branch, or the short commit of a detached HEAD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
}

impl GitStart {
    /// HEAD in the repository holding `dir`; `None` outside one. Blocking reads.
    pub fn read(dir: &Path) -> Option<GitStart> {
        let repo = crate::git::Repo::discover(dir)?;
        // No HEAD to read (a reftable repository): unknown, not an unborn branch.
        let head = repo.head()?;
        Some(GitStart {
            head: repo.head_commit(),
            branch: Some(head.short_name().to_owned()),
        })
    }
}

fn dir() -> Option<PathBuf> {
    crate::outbox::state_dir().map(|d| d.join("open-sessions"))
}

/// Where the claims of sessions' ends are: one empty file per ended session.
fn ended_dir() -> Option<PathBuf> {
    crate::outbox::state_dir().map(|d| d.join("ended"))
}

/// A claim older than this is of a session long over: swept at a start.
const CLAIM_KEPT: Duration = Duration::from_secs(7 * 86_400);

/// A file name for a session id. Valid ids hold no `/`, but `.` and `:` are not for file names.
fn file_for(session_id: &SessionId) -> Option<PathBuf> {
    dir().map(|d| d.join(format!("{}.json", file_stem(session_id))))
}

fn file_stem(session_id: &SessionId) -> String {
    let safe: String = session_id
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    safe
}

pub fn record(session: &OpenSession) -> std::io::Result<()> {
    let Some(path) = file_for(&session.session_id) else {
        return Ok(());
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    atomic_file::write(&path, &serde_json::to_vec(session)?)
}

/// The open session `session_id`, if this machine recorded its start.
pub fn read(session_id: &SessionId) -> Option<OpenSession> {
    serde_json::from_slice(&fs::read(file_for(session_id)?).ok()?).ok()
}

pub fn forget(session_id: &SessionId) {
    if let Some(path) = file_for(session_id) {
        let _ = fs::remove_file(path);
    }
}

/// Claims a session's end for this hook: true once per end, however many SessionEnd hooks
/// (the plugin's and the settings' when both are installed) or catch-ups race for it. The
/// claim is creating `ended/<id>` (`create_new` is atomic); the next SessionStart of the
/// session (a resume) clears it. Where nothing can be written, every hook claims: recording
/// an end twice is better than never.
pub fn claim_end(session_id: &SessionId) -> bool {
    forget(session_id);
    let Some(dir) = ended_dir() else { return true };
    let marker = dir.join(file_stem(session_id));
    let created = fs::create_dir_all(&dir).and_then(|()| {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&marker)
    });
    match created {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
        Err(e) => {
            log::line(&format!(
                "{}: {e}; ending the session anyway",
                marker.display()
            ));
            true
        }
    }
}

/// The session runs (again): its next end is to be claimed.
pub fn unclaim_end(session_id: &SessionId) {
    if let Some(dir) = ended_dir() {
        let _ = fs::remove_file(dir.join(file_stem(session_id)));
    }
}

/// Removes the claims of ends older than `CLAIM_KEPT`: those sessions will not resume now.
pub fn sweep_claims() {
    let Some(Ok(entries)) = ended_dir().map(fs::read_dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > CLAIM_KEPT);
        if old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// When a session last did anything: its transcript's modification time, or its latest
/// start if that is later or there is no transcript yet (Claude Code writes it lazily).
pub fn last_activity(session: &OpenSession) -> Option<Timestamp> {
    let written = session
        .transcript_path
        .as_ref()
        .and_then(|p| fs::metadata(p).ok()?.modified().ok())
        .map(Timestamp::from_system_time);
    written.max(Some(session.started_at))
}

/// Whether a session's end will never come: its Claude Code process is gone; or, where that
/// cannot be told (no process recorded, no `/proc`), it has been idle longer than `idle`.
fn is_abandoned(session: &OpenSession, file: &Path, idle: Duration, now: Timestamp) -> bool {
    if let Some(alive) = session.claude.and_then(|p| p.is_alive()) {
        return !alive;
    }
    let since = last_activity(session).or_else(|| {
        fs::metadata(file)
            .and_then(|m| m.modified())
            .ok()
            .map(Timestamp::from_system_time)
    });
    let idle = i128::try_from(idle.as_millis()).unwrap_or(i128::MAX);
    since.is_some_and(|t| now.unix_millis() - t.unix_millis() > idle)
}

/// Open sessions other than `current` whose SessionEnd never came (see `is_abandoned`).
pub fn abandoned(current: &SessionId, idle: Duration) -> Vec<OpenSession> {
    let Some(dir) = dir() else { return Vec::new() };
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let now = Timestamp::now();
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|path| path.extension().is_some_and(|x| x == "json"))
        .filter_map(|path| {
            let text = read_small(&path, MAX_STATE_FILE_BYTES)?;
            let session = match serde_json::from_str::<OpenSession>(&text) {
                Ok(session) => session,
                Err(e) => {
                    log::line(&format!(
                        "{}: not an open session ({e}); left as it is",
                        path.display()
                    ));
                    return None;
                }
            };
            (&session.session_id != current && is_abandoned(&session, &path, idle, now))
                .then_some(session)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: Duration = Duration::from_secs(30 * 60);

    fn session(dir: &Path, started: Timestamp, claude: Option<Process>) -> OpenSession {
        OpenSession {
            session_id: SessionId::parse("s-1").unwrap(),
            // Claude Code has not written it yet.
            transcript_path: Some(dir.join("s-1.jsonl")),
            cwd: None,
            started_at: started,
            claude,
            git_start: None,
        }
    }

    fn me() -> Process {
        Process::of(std::process::id()).expect("/proc in tests")
    }

    #[test]
    fn a_fresh_session_without_a_transcript_is_not_abandoned() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s-1.json");
        let now = Timestamp::now();
        let fresh = session(dir.path(), now, None);
        assert!(!is_abandoned(&fresh, &file, IDLE, now));
        assert_eq!(
            last_activity(&fresh),
            Some(now),
            "its start counts as activity"
        );
        // Without a process to ask, the idle rule decides.
        let old = session(dir.path(), now.plus_seconds(-3600), None);
        assert!(is_abandoned(&old, &file, IDLE, now));
    }

    #[test]
    fn a_session_is_over_when_its_process_is_gone_and_not_before() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s-1.json");
        let now = Timestamp::now();
        let idle_but_running = session(dir.path(), now.plus_seconds(-3600), Some(me()));
        assert!(!is_abandoned(&idle_but_running, &file, IDLE, now));
        let gone = Process {
            start_time: me().start_time + 1,
            ..me()
        };
        let fresh_but_gone = session(dir.path(), now, Some(gone));
        assert!(is_abandoned(&fresh_but_gone, &file, IDLE, now));
    }

    #[test]
    fn older_state_files_without_a_process_still_read() {
        let old = r#"{"session_id":"s-1","transcript_path":null,"cwd":null,"started_at":"2026-01-01T00:00:00.000Z"}"#;
        let session: OpenSession = serde_json::from_str(old).unwrap();
        assert_eq!(session.claude, None);
    }
}
