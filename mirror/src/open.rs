//! Opening the mirror's file: a private file in WAL mode with our schema, whatever was there
//! before (nothing, an older or newer schema, a damaged file, someone else's database).

use std::fmt;
use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, ErrorCode};

use crate::error::{MirrorError, Result};
use crate::schema;

/// How long a writer waits for another process's write to finish before `MirrorError::Busy`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads through a memory map rather than a copy per page: a search touches a few thousand
/// scattered pages, and a year's mirror is a few hundred megabytes.
const MMAP_BYTES: i64 = 1 << 30;

/// What opening had to do to the file, for the caller to tell the user; the library never
/// prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The file was damaged, not a database, or a database that is not a mirror: it was moved
    /// to `moved_to` and an empty mirror was started in its place.
    SetAside { moved_to: PathBuf, reason: String },
    /// The mirror was written with another schema version: it was emptied and will be filled
    /// again by the next sync.
    Rebuilt { found_version: i64 },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::SetAside { moved_to, reason } => write!(
                f,
                "the local mirror was unusable ({reason}); moved it to {} and started a new one: the next sync fills it",
                moved_to.display()
            ),
            Notice::Rebuilt { found_version } => write!(
                f,
                "the local mirror had schema version {found_version} (this cargo-ai uses {}); emptied it: the next sync fills it",
                schema::VERSION
            ),
        }
    }
}

/// What the file holds, read before anything is written to it.
enum Found {
    Empty,
    Current,
    Unusable(Unusable),
}

/// A file that cannot be used as it is.
enum Unusable {
    OtherVersion(i64),
    Foreign(String),
}

/// Opens (creating if needed) the database at `path`, private to the user, in WAL mode, with
/// the current schema. Another process opening the same file at the same time waits on a lock
/// file beside it, so only one of them ever creates, rebuilds or sets aside.
pub(crate) fn open(path: &Path) -> Result<(Connection, Option<Notice>)> {
    create_parent(path)?;
    let lock = lock_beside(path)?;
    let mut notice = None;
    let conn = loop {
        create_private(path)?;
        let conn = connect(path)?;
        let found = match found(&conn) {
            Ok(Found::Current) => break conn,
            Ok(Found::Empty) => {
                schema::create(&conn).map_err(|e| MirrorError::sqlite(path, e))?;
                break conn;
            }
            Ok(Found::Unusable(unusable)) => unusable,
            Err(e) if is_damage(&e) => {
                Unusable::Foreign(format!("not a readable SQLite database: {e}"))
            }
            Err(e) => return Err(MirrorError::sqlite(path, e)),
        };
        // After one repair the file is gone, so the next round finds it empty; anything else
        // means something other than a mirror keeps writing there.
        if notice.is_some() {
            return Err(MirrorError::Io {
                path: path.to_owned(),
                action: "prepare",
                source: std::io::Error::other("the file changed while it was being rebuilt"),
            });
        }
        drop(conn);
        notice = Some(repair(path, found)?);
    };
    conn.pragma_update(None, "journal_mode", "WAL")
        .and_then(|()| conn.pragma_update(None, "synchronous", "NORMAL"))
        .and_then(|()| conn.pragma_update(None, "mmap_size", MMAP_BYTES))
        .map_err(|e| MirrorError::sqlite(path, e))?;
    drop(lock);
    Ok((conn, notice))
}

/// Empties a mirror of another schema version (it is only a copy); moves anything else
/// aside, where the user can still look at it.
fn repair(path: &Path, unusable: Unusable) -> Result<Notice> {
    match unusable {
        Unusable::OtherVersion(found_version) => {
            remove_with_journals(path)?;
            Ok(Notice::Rebuilt { found_version })
        }
        Unusable::Foreign(reason) => Ok(Notice::SetAside {
            moved_to: set_aside(path)?,
            reason,
        }),
    }
}

/// Moves the file at `path` (and its WAL) aside to `<path>.corrupt-<unix seconds>` and
/// returns where it went. Safe to call while other processes hold it open: they keep the old
/// file, and new opens get a fresh one.
pub(crate) fn set_aside(path: &Path) -> Result<PathBuf> {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut moved_to = PathBuf::from(format!("{}.corrupt-{seconds}", path.display()));
    let mut n = 1;
    while moved_to.exists() {
        moved_to = PathBuf::from(format!("{}.corrupt-{seconds}-{n}", path.display()));
        n += 1;
    }
    rename(path, &moved_to)?;
    // A WAL left beside a new file would be replayed into it: it goes with its database.
    for suffix in JOURNALS {
        let journal = with_suffix(path, suffix);
        if journal.exists() {
            rename(&journal, &with_suffix(&moved_to, suffix))?;
        }
    }
    Ok(moved_to)
}

const JOURNALS: [&str; 2] = ["-wal", "-shm"];

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|source| MirrorError::Io {
        path: from.to_owned(),
        action: "move aside",
        source,
    })
}

fn remove_with_journals(path: &Path) -> Result<()> {
    for file in std::iter::once(path.to_owned()).chain(JOURNALS.map(|s| with_suffix(path, s))) {
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(MirrorError::Io {
                    path: file,
                    action: "remove",
                    source: e,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

fn create_parent(path: &Path) -> Result<()> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| MirrorError::Io {
            path: dir.to_owned(),
            action: "create the directory",
            source,
        })
}

/// The file exists and only its owner can read it, before SQLite touches it; SQLite gives its
/// WAL the database's mode.
fn create_private(path: &Path) -> Result<()> {
    let io = |action| {
        move |source| MirrorError::Io {
            path: path.to_owned(),
            action,
            source,
        }
    };
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(io("create"))?;
    let mode = file
        .metadata()
        .map_err(io("read the mode of"))?
        .permissions()
        .mode()
        & 0o777;
    if mode != 0o600 {
        file.set_permissions(Permissions::from_mode(0o600))
            .map_err(io("make private"))?;
    }
    Ok(())
}

/// An exclusive lock on `<path>.lock`, held while the file is inspected and prepared.
fn lock_beside(path: &Path) -> Result<File> {
    let lock_path = with_suffix(path, ".lock");
    let io = |action| {
        move |source| MirrorError::Io {
            path: with_suffix(path, ".lock"),
            action,
            source,
        }
    };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&lock_path)
        .map_err(io("create the lock file"))?;
    file.lock().map_err(io("lock"))?;
    Ok(file)
}

fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(|e| MirrorError::sqlite(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| MirrorError::sqlite(path, e))?;
    Ok(conn)
}

fn found(conn: &Connection) -> rusqlite::Result<Found> {
    let application_id: i64 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    Ok(match (application_id, version, objects) {
        (0, 0, 0) => Found::Empty,
        (schema::APPLICATION_ID, schema::VERSION, _) => Found::Current,
        (schema::APPLICATION_ID, version, _) => Found::Unusable(Unusable::OtherVersion(version)),
        (0, _, _) => Found::Unusable(Unusable::Foreign(
            "an SQLite database that is not a mirror".to_owned(),
        )),
        (other, _, _) => Found::Unusable(Unusable::Foreign(format!(
            "an SQLite database of another application (id {other:#x})"
        ))),
    })
}

fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}
