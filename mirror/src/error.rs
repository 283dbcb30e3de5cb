//! What can go wrong with the mirror, typed so that a caller can tell a busy database (wait or
//! retry) from a damaged one (set it aside and rebuild) from a query with nothing to search.

use std::error::Error;
use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum MirrorError {
    /// Another process held the write lock for longer than the busy timeout.
    Busy {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// The file is damaged (or stopped being a database after it was opened).
    /// `Mirror::rebuild` sets it aside and starts an empty one.
    Corrupt {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// A stored row does not read back as a session.
    BadRow {
        session_id: String,
        source: serde_json::Error,
    },
    /// Creating the directory, setting the file's mode or moving a file aside failed.
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    /// Any other SQLite failure.
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// The query holds no word to search for: it was empty, or only operators or punctuation.
    EmptyQuery,
}

impl MirrorError {
    /// Sorts a SQLite failure into busy, corrupt or other.
    pub(crate) fn sqlite(path: &std::path::Path, source: rusqlite::Error) -> Self {
        let path = path.to_owned();
        match source.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                MirrorError::Busy { path, source }
            }
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                MirrorError::Corrupt { path, source }
            }
            _ => MirrorError::Sqlite { path, source },
        }
    }

    pub fn is_busy(&self) -> bool {
        matches!(self, MirrorError::Busy { .. })
    }

    pub fn is_corrupt(&self) -> bool {
        matches!(self, MirrorError::Corrupt { .. })
    }
}

impl fmt::Display for MirrorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MirrorError::Busy { path, .. } => write!(
                f,
                "the local mirror {} is busy: another cargo-ai is writing to it; try again in a moment",
                path.display()
            ),
            MirrorError::Corrupt { path, .. } => write!(
                f,
                "the local mirror {} is damaged; delete it (or move it aside) and the next sync rebuilds it",
                path.display()
            ),
            MirrorError::BadRow { session_id, .. } => write!(
                f,
                "session {session_id} in the local mirror does not read back; the next sync rewrites it"
            ),
            MirrorError::Io { path, action, .. } => {
                write!(f, "could not {action} {}", path.display())
            }
            MirrorError::Sqlite { path, .. } => {
                write!(f, "the local mirror {} failed", path.display())
            }
            MirrorError::EmptyQuery => f.write_str(
                "the search has no words to look for; type words from a title or summary, e.g. `upload retries`",
            ),
        }
    }
}

impl Error for MirrorError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            MirrorError::Busy { source, .. }
            | MirrorError::Corrupt { source, .. }
            | MirrorError::Sqlite { source, .. } => Some(source),
            MirrorError::BadRow { source, .. } => Some(source),
            MirrorError::Io { source, .. } => Some(source),
            MirrorError::EmptyQuery => None,
        }
    }
}

pub type Result<T, E = MirrorError> = std::result::Result<T, E>;
