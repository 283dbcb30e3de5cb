//! Nothing lost: upserts that could not be delivered wait here, one file per entry, until a
//! later `cargo-ai` call (or `cargo-ai outbox flush`) delivers them, oldest first.
//!
//! Files are written atomically (`atomic_file`: temp file, fsync, rename, fsync of the directory), so a
//! crash leaves either the whole entry or none. An entry is deleted only after the API
//! confirmed it; a crash between delivery and deletion redelivers it, and the API's
//! `observed_at` rule answers the repeat with 409 (already applied), so nothing is duplicated.
//! One flusher at a time holds an exclusive lock; a second one skips instead of double-sending.
//! What to send and when to give up is `send`'s business; this module only keeps the files.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sessions_core::{SessionId, Timestamp, UpsertBody, WorkspaceId};
use url::Url;

use crate::atomic_file;
use crate::client::{Upsert, Write as WriteMode};
use crate::error::{CliError, Kind};

pub const STATE_DIR_ENV: &str = "CARGO_AI_STATE_DIR";

/// One upsert waiting for delivery. Every value is checked as the file is read: an entry that
/// breaks a rule is set aside unread, with the reason, never sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub endpoint: Url,
    pub workspace: WorkspaceId,
    pub session_id: SessionId,
    pub body: UpsertBody,
    #[serde(default)]
    pub create_only: bool,
    /// The AWS profile the update was made with (`None`: the default chain), so that it is
    /// delivered as the same identity.
    #[serde(default)]
    pub profile: Option<String>,
    pub queued_at: Timestamp,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub last_error: Option<String>,
}

impl Entry {
    /// An upsert that could not be delivered to `endpoint` (signed as `profile`) because of `why`.
    pub fn new(endpoint: Url, profile: Option<String>, upsert: Upsert, why: &CliError) -> Self {
        Entry {
            endpoint,
            workspace: upsert.workspace,
            session_id: upsert.session_id,
            body: upsert.body,
            create_only: upsert.write == WriteMode::CreateOnly,
            profile,
            queued_at: Timestamp::now(),
            attempts: 1,
            last_error: Some(why.message.clone()),
        }
    }

    /// The upsert to send again.
    pub fn upsert(&self) -> Upsert {
        Upsert {
            workspace: self.workspace,
            session_id: self.session_id.clone(),
            body: self.body.clone(),
            write: if self.create_only {
                WriteMode::CreateOnly
            } else {
                WriteMode::Upsert
            },
        }
    }
}

/// An entry the API refused for good, kept for the user to see.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failed {
    pub entry: Entry,
    pub reason: String,
    pub failed_at: Timestamp,
}

/// An entry in `failed/`: refused by the API, or not readable as an entry (and why).
#[derive(Debug, Clone)]
pub enum SetAside {
    Refused(Box<Failed>),
    Unreadable(String),
}

/// Where an unreadable entry is set aside (a name `failed()` tells from a refused one's).
const UNREADABLE_PREFIX: &str = "unreadable-";

pub struct Outbox {
    dir: PathBuf,
}

/// The per-user state directory: `CARGO_AI_STATE_DIR`, else the platform's state (or local
/// data) directory, under `cargo-ai/`.
pub fn state_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(STATE_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("cargo-ai"))
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> CliError {
    CliError::new(
        Kind::Config,
        format!("cannot {what} {}: {e}", path.display()),
    )
    .help(format!(
        "check that the directory is writable, or set {STATE_DIR_ENV} to one that is"
    ))
}

impl Outbox {
    pub fn open() -> Result<Outbox, CliError> {
        let dir = state_dir().ok_or_else(|| {
            CliError::new(Kind::Config, "no state directory for the outbox")
                .help(format!("set {STATE_DIR_ENV} or HOME"))
        })?;
        Outbox::at(dir.join("outbox"))
    }

    pub fn at(dir: PathBuf) -> Result<Outbox, CliError> {
        fs::create_dir_all(dir.join("failed")).map_err(|e| io_error("create", &dir, e))?;
        Ok(Outbox { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores an entry durably. Its file name sorts by when the user acted, then by when it
    /// was queued, so delivery follows the order things happened.
    pub fn enqueue(&self, entry: &Entry) -> Result<PathBuf, CliError> {
        let compact: String = entry
            .body
            .observed_at
            .to_string()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let name = format!("{compact}-{}.json", uuid::Uuid::new_v4().simple());
        let path = self.dir.join(name);
        write_atomically(&path, entry)?;
        Ok(path)
    }

    /// Pending entries, oldest first. Unreadable files are moved aside, never deleted.
    pub fn pending(&self) -> Result<Vec<(PathBuf, Entry)>, CliError> {
        let mut names: Vec<PathBuf> = fs::read_dir(&self.dir)
            .map_err(|e| io_error("read", &self.dir, e))?
            .filter_map(|d| d.ok().map(|d| d.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        let mut entries = Vec::with_capacity(names.len());
        for path in names {
            let parsed = fs::read(&path)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Entry>(&bytes).ok());
            match parsed {
                Some(entry) => entries.push((path, entry)),
                None => {
                    let aside = self.dir.join("failed").join(format!(
                        "{UNREADABLE_PREFIX}{}",
                        path.file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    ));
                    let _ = fs::rename(&path, aside);
                }
            }
        }
        Ok(entries)
    }

    /// Entries set aside: refused by the API (with the reason), or unreadable (with why).
    pub fn failed(&self) -> Result<Vec<(PathBuf, SetAside)>, CliError> {
        let dir = self.dir.join("failed");
        let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
            .map_err(|e| io_error("read", &dir, e))?
            .filter_map(|d| d.ok().map(|d| d.path()))
            .collect();
        paths.sort();
        Ok(paths
            .into_iter()
            .map(|p| {
                let failed = read_failed(&p);
                (p, failed)
            })
            .collect())
    }

    /// Keeps an entry whose delivery failed for now, counting the attempt and saying why.
    pub fn keep(&self, path: &Path, mut entry: Entry, e: &CliError) -> Result<(), CliError> {
        entry.attempts += 1;
        entry.last_error = Some(e.message.clone());
        write_atomically(path, &entry)
    }

    /// Removes a delivered (or superseded) entry.
    pub fn remove(&self, path: &Path) -> Result<(), CliError> {
        match fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove", path, e)),
        }
    }

    /// Moves an entry the API refused for good to `failed/`, with the reason, for the user to see.
    pub fn set_aside(&self, path: &Path, entry: Entry, e: &CliError) -> Result<(), CliError> {
        let name = path.file_name().map(|n| n.to_owned()).unwrap_or_default();
        let failed = Failed {
            entry,
            reason: match e.code {
                Some(code) => format!("{} [{code}]", e.message),
                None => e.message.clone(),
            },
            failed_at: Timestamp::now(),
        };
        write_atomically(&self.dir.join("failed").join(name), &failed)?;
        self.remove(path)
    }

    /// The flush lock, if no other process holds it. Released when dropped, or by the OS
    /// when the process dies.
    pub fn try_lock(&self) -> Result<Option<File>, CliError> {
        let path = self.dir.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_error("open", &path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(io_error("lock", &path, e)),
        }
    }
}

/// A refused entry, or why the file is not one: for an entry set aside unread, why it could
/// not be read as an entry.
fn read_failed(path: &Path) -> SetAside {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return SetAside::Unreadable(e.to_string()),
    };
    let unread = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with(UNREADABLE_PREFIX));
    if unread {
        return SetAside::Unreadable(match serde_json::from_slice::<Entry>(&bytes) {
            Err(e) => e.to_string(),
            Ok(_) => "set aside unread; it reads now: move it back to deliver it".to_owned(),
        });
    }
    match serde_json::from_slice(&bytes) {
        Ok(failed) => SetAside::Refused(Box::new(failed)),
        Err(e) => SetAside::Unreadable(e.to_string()),
    }
}

/// Writes `value` as the whole of `path`, atomically and durably.
fn write_atomically<T: Serialize>(path: &Path, value: &T) -> Result<(), CliError> {
    let bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| CliError::new(Kind::Config, format!("cannot encode an outbox entry: {e}")))?;
    atomic_file::write(path, &bytes).map_err(|e| io_error("write", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(observed_at: &str) -> Entry {
        let at: Timestamp = observed_at.parse().unwrap();
        Entry {
            endpoint: Url::parse("http://127.0.0.1:1").unwrap(),
            workspace: "0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60".parse().unwrap(),
            session_id: "s1".parse().unwrap(),
            body: UpsertBody {
                title: "t".parse().unwrap(),
                summary: "s".parse().unwrap(),
                finished_at: None,
                observed_at: at,
                facts: Default::default(),
            },
            create_only: false,
            profile: None,
            queued_at: at,
            attempts: 0,
            last_error: None,
        }
    }

    /// An entry exactly as earlier versions wrote it.
    const EARLIER_ENTRY: &str = r#"{
  "endpoint": "http://127.0.0.1:8787/",
  "workspace": "0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60",
  "session_id": "s1",
  "body": {
    "title": "t",
    "summary": "s",
    "finished_at": null,
    "observed_at": "2026-11-20T09:00:01.000Z"
  },
  "create_only": true,
  "profile": null,
  "queued_at": "2026-11-20T09:00:01.250Z",
  "attempts": 1,
  "last_error": "cannot reach http://127.0.0.1:8787/: connection failed"
}"#;

    #[test]
    fn entries_written_earlier_still_load_and_write_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::at(dir.path().join("outbox")).unwrap();
        let path = outbox.dir().join("20261120T090001000Z-earlier.json");
        fs::write(&path, EARLIER_ENTRY).unwrap();
        let pending = outbox.pending().unwrap();
        assert_eq!(pending.len(), 1);
        let (_, entry) = &pending[0];
        assert_eq!(entry.upsert().write, WriteMode::CreateOnly);
        assert_eq!(serde_json::to_string_pretty(entry).unwrap(), EARLIER_ENTRY);
    }

    #[test]
    fn an_entry_breaking_a_rule_is_set_aside_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::at(dir.path().join("outbox")).unwrap();
        let bad = EARLIER_ENTRY.replace("\"s1\"", "\"a/b\"");
        fs::write(outbox.dir().join("20261120T090001000Z-bad.json"), bad).unwrap();
        assert!(outbox.pending().unwrap().is_empty(), "never sent");
        let failed = outbox.failed().unwrap();
        assert_eq!(failed.len(), 1);
        let SetAside::Unreadable(reason) = &failed[0].1 else {
            panic!("{failed:?}");
        };
        assert!(reason.contains("session id \"a/b\""), "{reason}");
    }

    #[test]
    fn entries_come_back_oldest_first_and_torn_files_are_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::at(dir.path().join("outbox")).unwrap();
        outbox.enqueue(&entry("2026-11-20T09:00:02.000Z")).unwrap();
        outbox.enqueue(&entry("2026-11-20T09:00:01.000Z")).unwrap();
        fs::write(
            outbox.dir().join("20261120T090000000Z-torn.json"),
            b"{\"endpoint\":",
        )
        .unwrap();
        // A temp file of a write that crashed before its rename is not an entry.
        fs::write(outbox.dir().join(".tmp-crashed"), b"{").unwrap();
        let pending = outbox.pending().unwrap();
        let order: Vec<String> = pending
            .iter()
            .map(|(_, e)| e.body.observed_at.to_string())
            .collect();
        assert_eq!(
            order,
            ["2026-11-20T09:00:01.000Z", "2026-11-20T09:00:02.000Z"]
        );
        assert_eq!(
            outbox.failed().unwrap().len(),
            1,
            "the torn file is kept aside, not deleted"
        );
    }

    #[test]
    fn one_flusher_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::at(dir.path().join("outbox")).unwrap();
        let held = outbox.try_lock().unwrap();
        assert!(held.is_some());
        assert!(outbox.try_lock().unwrap().is_none());
        drop(held);
        assert!(outbox.try_lock().unwrap().is_some());
    }
}
