//! The local mirror of a workspace's sessions: one SQLite file (WAL, FTS5) that the sync fills
//! from the API and that `session list`, `search`, `report` and the MCP server read, so reading
//! the team's log never waits on the network. Blocking calls, typed errors, no printing; it
//! knows the session model, not HTTP or the commands.

mod error;
mod open;
mod query;
mod read;
mod schema;
mod search;
mod store;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use error::{MirrorError, Result};
pub use open::{BUSY_TIMEOUT, Notice};
pub use query::MAX_TERMS;
pub use read::{ListFilter, Status};
pub use schema::VERSION as SCHEMA_VERSION;
pub use search::{Among, Hit, Marks, SearchQuery, WINDOW as SEARCH_WINDOW};
pub use store::{Applied, Change, DEFAULT_MIRROR_DAYS, prune_cutoff};

/// An open mirror. One per (endpoint, workspace) file; several processes may open the same
/// file, and their writes take turns.
pub struct Mirror {
    conn: Connection,
    path: PathBuf,
    notice: Option<Notice>,
}

impl Mirror {
    /// Opens the mirror at `path`, creating it (and its directory) if needed: mode 0600, WAL,
    /// a busy timeout. A file of another schema version is emptied; a damaged or foreign file
    /// is moved aside to `<path>.corrupt-<seconds>`. Either way `notice()` says what happened.
    pub fn open(path: impl AsRef<Path>) -> Result<Mirror> {
        let path = path.as_ref().to_owned();
        let (conn, notice) = open::open(&path)?;
        Ok(Mirror { conn, path, notice })
    }

    /// Moves the file aside (as `open` does with a damaged one) and opens a new, empty
    /// mirror: for a `MirrorError::Corrupt` met after opening, in a page `open` did not read.
    pub fn rebuild(self) -> Result<Mirror> {
        let Mirror { conn, path, .. } = self;
        drop(conn);
        let moved_to = open::set_aside(&path)?;
        let mut mirror = Mirror::open(&path)?;
        mirror.notice = Some(Notice::SetAside {
            moved_to,
            reason: "damaged".to_owned(),
        });
        Ok(mirror)
    }

    /// What opening had to do to the file, for the caller to show the user.
    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fail(&self) -> impl Fn(rusqlite::Error) -> MirrorError + '_ {
        |e| MirrorError::sqlite(&self.path, e)
    }
}

/// The person's name in an IAM ARN: the part after the last `/` (a user name or an SSO
/// e-mail), searched as part of each session.
pub fn person_name(user_arn: &str) -> &str {
    user_arn.rsplit('/').next().unwrap_or(user_arn)
}
