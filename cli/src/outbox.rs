//! Nothing lost: upserts that could not be delivered wait here, one file per entry, until a
//! later `cargo-ai` call (or `cargo-ai outbox flush`) delivers them, oldest first.
//!
//! Files are written atomically (temp file, fsync, rename, fsync of the directory), so a
//! crash leaves either the whole entry or none. An entry is deleted only after the API
//! confirmed it; a crash between delivery and deletion redelivers it, and the API's
//! `observed_at` rule answers the repeat with 409 (already applied), so nothing is duplicated.
//! One flusher at a time holds an exclusive lock; a second one skips instead of double-sending.
//! What to send and when to give up is `send`'s business; this module only keeps the files.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sessions_core::{Timestamp, UpsertBody};

use crate::error::{CliError, Kind};

pub const STATE_DIR_ENV: &str = "CARGO_AI_STATE_DIR";

/// One upsert waiting for delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub endpoint: String,
    pub workspace: String,
    pub session_id: String,
    pub body: UpsertBody,
    #[serde(default)]
    pub create_only: bool,
    /// The AWS profile the update was made with (`None`: the default chain), so that it is
    /// delivered as the same identity.
    #[serde(default)]
    pub profile: Option<String>,
    pub queued_at: String,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub last_error: Option<String>,
}

/// An entry the API refused for good, kept for the user to see.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failed {
    pub entry: Entry,
    pub reason: String,
    pub failed_at: String,
}

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
                        "unreadable-{}",
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

    pub fn failed(&self) -> Result<Vec<(PathBuf, Option<Failed>)>, CliError> {
        let dir = self.dir.join("failed");
        let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
            .map_err(|e| io_error("read", &dir, e))?
            .filter_map(|d| d.ok().map(|d| d.path()))
            .collect();
        paths.sort();
        Ok(paths
            .into_iter()
            .map(|p| {
                let failed = fs::read(&p)
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok());
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
            failed_at: Timestamp::now().to_string(),
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

fn write_atomically<T: Serialize>(path: &Path, value: &T) -> Result<(), CliError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    let bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| CliError::new(Kind::Config, format!("cannot encode an outbox entry: {e}")))?;
    let written = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_error("write", path, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(observed_at: &str) -> Entry {
        Entry {
            endpoint: "http://127.0.0.1:1".into(),
            workspace: "0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60".into(),
            session_id: "s1".into(),
            body: UpsertBody {
                title: "t".into(),
                summary: "s".into(),
                finished_at: None,
                observed_at: observed_at.into(),
            },
            create_only: false,
            profile: None,
            queued_at: observed_at.into(),
            attempts: 0,
            last_error: None,
        }
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
        let order: Vec<&str> = pending
            .iter()
            .map(|(_, e)| e.body.observed_at.as_str())
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
