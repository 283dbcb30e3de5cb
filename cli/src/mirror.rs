//! The local mirror in the CLI: where each (endpoint, workspace) mirror file lives, the sync
//! that fills it from the API's change feed, and the freshness check every read goes through.
//! The only code that knows both the API client and the mirror; it returns values and never
//! prints.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::Url;
use sessions_core::wire::{Change as FeedChange, ChangePage};
use sessions_core::{Cursor, Timestamp, WorkspaceId};
use sessions_mirror::{Change, Mirror, MirrorError, Notice, prune_cutoff};
use uuid::Uuid;

use crate::blocking;
use crate::client::{ApiClient, RequestError};
use crate::config::Config;
use crate::error::{CliError, Kind};
use crate::outbox::{STATE_DIR_ENV, state_dir};

/// How far before the first page's server time the next sync starts. A write the server
/// stamped just before that time may reach the change feed's index a little later (the index
/// is eventually consistent) and two servers' clocks differ a little: re-reading two minutes
/// costs a few rows, each applied harmlessly twice, and misses nothing.
pub const OVERLAP: Duration = Duration::from_secs(120);

/// A mirror synced this recently answers a read without asking the API first (a long-running
/// reader's default, so that a burst of reads costs one sync).
pub const FRESH_FOR: Duration = Duration::from_secs(60);

/// How long a read waits for the sync it starts; past it the read answers from the mirror as
/// it is and says how old it is.
pub const READ_SYNC_BUDGET: Duration = Duration::from_secs(3);

/// Times a busy mirror (another `cargo-ai` writing for longer than SQLite's busy timeout) is
/// tried again before giving up.
const BUSY_ATTEMPTS: u32 = 3;

/// Names the mirror files: a UUIDv5 of endpoint and workspace under this namespace, so the
/// same pair always finds the same file and two pairs never share one.
const FILE_NAMESPACE: Uuid = Uuid::from_u128(0x7d1c_52a4_0f3e_4b8a_9c61_2e5d_8a4f_b370);

/// Where the mirror of `workspace` at `endpoint` lives under the state directory: one file
/// per pair, so switching workspace or endpoint never mixes rows.
pub fn mirror_path(state_dir: &Path, endpoint: &Url, workspace: &WorkspaceId) -> PathBuf {
    let key = format!("{}\n{}", endpoint.as_str().trim_end_matches('/'), workspace);
    let name = Uuid::new_v5(&FILE_NAMESPACE, key.as_bytes());
    state_dir.join("mirror").join(format!("{name}.sqlite3"))
}

/// Where the configured endpoint and workspace's mirror lives.
pub fn place(config: &Config) -> Result<PathBuf, CliError> {
    let dir = state_dir().ok_or_else(|| {
        CliError::new(Kind::Config, "no state directory for the local mirror")
            .help(format!("set {STATE_DIR_ENV} or HOME"))
    })?;
    Ok(mirror_path(&dir, config.endpoint()?, config.workspace()?))
}

/// How a sync runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    /// Sessions created longer ago than this are pruned from the mirror after the sync.
    pub mirror_days: u32,
    /// Changes per page (`None`: as many as the API serves in one page).
    pub page_limit: Option<u32>,
    /// A read syncs first when the last sync is older than this (see `fresh`).
    pub fresh_for: Duration,
}

impl SyncOptions {
    pub fn from_config(config: &Config) -> Self {
        SyncOptions {
            mirror_days: config.mirror_days(),
            page_limit: None,
            fresh_for: FRESH_FOR,
        }
    }
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            mirror_days: sessions_mirror::DEFAULT_MIRROR_DAYS,
            page_limit: None,
            fresh_for: FRESH_FOR,
        }
    }
}

/// How far a running sync has come, after each page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub pages: u32,
    /// Changes received so far.
    pub changes: usize,
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// Requests to the change feed (pages).
    pub pages: u32,
    pub written: usize,
    pub deleted: usize,
    /// Changes the mirror already held in a newer version.
    pub skipped: usize,
    /// Sessions dropped for being older than the mirror's window.
    pub pruned: usize,
    /// Whether this sync started from nothing (no cursor).
    pub first: bool,
    /// Where the next sync starts (the server's clock).
    pub cursor: Timestamp,
    pub elapsed: Duration,
    /// What opening the mirror had to do to its file.
    pub notice: Option<Notice>,
}

/// Why a sync did not finish. Whatever pages it applied stay applied; the cursor is only
/// moved after the last page, so the next sync reads them again (harmlessly).
#[derive(Debug)]
pub enum SyncError {
    /// The API could not be reached or refused.
    Request(RequestError),
    /// The mirror's file could not be used.
    Mirror(MirrorError),
    /// Not done by its deadline.
    TimedOut,
}

impl SyncError {
    /// A failure that says nothing about the mirror's contents: the network, the endpoint
    /// failing, the deadline. A read then answers from the mirror as it is.
    pub fn is_offline(&self) -> bool {
        match self {
            SyncError::Request(e) => e.is_retryable(),
            SyncError::TimedOut => true,
            SyncError::Mirror(_) => false,
        }
    }
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncError::Request(e) => write!(f, "{e}"),
            SyncError::Mirror(e) => write!(f, "{e}"),
            SyncError::TimedOut => f.write_str("the API did not answer in time"),
        }
    }
}

impl std::error::Error for SyncError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SyncError::Request(e) => Some(e),
            SyncError::Mirror(e) => Some(e),
            SyncError::TimedOut => None,
        }
    }
}

/// A sync's failure as a command reports it.
impl From<SyncError> for CliError {
    fn from(e: SyncError) -> CliError {
        match e {
            SyncError::Request(e) => e.into(),
            SyncError::Mirror(e) => CliError::new(Kind::Unavailable, e.to_string())
                .help("run `cargo-ai sync` again; `cargo-ai sync --status` shows the mirror's file")
                .caused_by(e),
            SyncError::TimedOut => CliError::new(
                Kind::Unavailable,
                "the sync did not finish in time",
            )
            .help("run `cargo-ai sync` again: it goes on from where the last finished sync ended")
            .retryable(),
        }
    }
}

impl From<RequestError> for SyncError {
    fn from(e: RequestError) -> Self {
        SyncError::Request(e)
    }
}

impl From<MirrorError> for SyncError {
    fn from(e: MirrorError) -> Self {
        SyncError::Mirror(e)
    }
}

impl From<blocking::TimedOut> for SyncError {
    fn from(_: blocking::TimedOut) -> Self {
        SyncError::TimedOut
    }
}

/// Opens the mirror at `path` off the async threads, by `deadline`: a damaged file is set
/// aside and a new one started (the returned mirror's `notice()` says so), a busy one is
/// tried again.
pub async fn open(path: &Path, deadline: Instant) -> Result<Mirror, SyncError> {
    let path = path.to_owned();
    on_blocking_thread(deadline, move || {
        let mut attempt = 1;
        loop {
            match Mirror::open(&path) {
                Err(e) if e.is_busy() && attempt < BUSY_ATTEMPTS => attempt += 1,
                other => return other,
            }
        }
    })
    .await
}

/// Runs mirror work on a thread of its own by `deadline`: a damaged mirror met in the work is
/// set aside, rebuilt and the work run once more on the new one; a busy one is tried again.
async fn with_mirror<T: Send + 'static>(
    mirror: Mirror,
    deadline: Instant,
    work: impl Fn(&mut Mirror) -> Result<T, MirrorError> + Send + 'static,
) -> Result<(Mirror, T), SyncError> {
    on_blocking_thread(deadline, move || {
        let mut mirror = mirror;
        let mut attempt = 1;
        loop {
            match work(&mut mirror) {
                Ok(value) => return Ok((mirror, value)),
                Err(e) if e.is_busy() && attempt < BUSY_ATTEMPTS => attempt += 1,
                Err(e) if e.is_corrupt() && attempt < BUSY_ATTEMPTS => {
                    attempt = BUSY_ATTEMPTS;
                    mirror = mirror.rebuild()?;
                }
                Err(e) => return Err(e),
            }
        }
    })
    .await
}

async fn on_blocking_thread<T: Send + 'static>(
    deadline: Instant,
    work: impl FnOnce() -> Result<T, MirrorError> + Send + 'static,
) -> Result<T, SyncError> {
    Ok(blocking::within(deadline, work).await??)
}

/// Brings the mirror at `path` up to date with `workspace`'s change feed: every page from the
/// stored cursor (from the start of the mirror's window on a first sync), each applied in one
/// transaction as it arrives; then the cursor moves to the first page's server time less
/// `OVERLAP`, and sessions older than the window are pruned. Interrupted anywhere (killed,
/// offline, past `deadline`), it loses nothing: the cursor has not moved, and the next sync
/// applies the same pages again, which changes nothing twice.
pub async fn sync_once(
    client: &ApiClient,
    workspace: &WorkspaceId,
    path: &Path,
    options: &SyncOptions,
    deadline: Instant,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<SyncReport, SyncError> {
    let begun = Instant::now();
    let mirror = open(path, deadline).await?;
    let notice = mirror.notice().cloned();
    let (mut mirror, cursor) = with_mirror(mirror, deadline, |m| m.cursor()).await?;
    let first = cursor.is_none();
    let since = cursor.unwrap_or_else(|| {
        prune_cutoff(Timestamp::now(), options.mirror_days).plus_seconds(-overlap_seconds())
    });
    let mut done = Progress::default();
    let mut report = SyncReport {
        pages: 0,
        written: 0,
        deleted: 0,
        skipped: 0,
        pruned: 0,
        first,
        cursor: since,
        elapsed: Duration::ZERO,
        notice,
    };
    let mut page_cursor: Option<Cursor> = None;
    let mut next_since = None;
    // The page received last, applied while the next one is fetched: the API's time and the
    // mirror's writes overlap instead of adding up.
    let mut received: Option<Vec<Change>> = None;
    let mut more = true;
    while more || received.is_some() {
        let fetch = async {
            if !more {
                return Ok(None);
            }
            let page = tokio::time::timeout_at(
                deadline.into(),
                client.list_changes(workspace, since, page_cursor.as_ref(), options.page_limit),
            )
            .await
            .map_err(|_| SyncError::TimedOut)??;
            Ok::<_, SyncError>(Some(page))
        };
        let (fetched, applied) = tokio::join!(fetch, apply_page(mirror, received.take(), deadline));
        let (returned, applied) = applied?;
        mirror = returned;
        if let Some(applied) = applied {
            report.written += applied.written;
            report.deleted += applied.deleted;
            report.skipped += applied.skipped;
            progress(done);
        }
        let Some(ChangePage {
            changes,
            next_cursor,
            server_time,
        }) = fetched?
        else {
            continue;
        };
        next_since.get_or_insert(server_time);
        done.pages += 1;
        done.changes += changes.len();
        received = Some(changes.into_iter().map(to_mirror_change).collect());
        match next_cursor {
            Some(raw) => page_cursor = Some(Cursor::parse(&raw).map_err(RequestError::Api)?),
            None => more = false,
        }
    }
    report.pages = done.pages;
    // The first page's time: every change after it is on this page or a later one, or will be
    // seen again from here.
    let reached = next_since
        .unwrap_or(since)
        .plus_seconds(-overlap_seconds())
        .max(since);
    let days = options.mirror_days;
    let (_, pruned) = with_mirror(mirror, deadline, move |m| {
        let now = Timestamp::now();
        m.set_cursor(reached, now)?;
        m.prune(prune_cutoff(now, days))
    })
    .await?;
    report.pruned = pruned;
    report.cursor = reached;
    report.elapsed = begun.elapsed();
    Ok(report)
}

/// Applies a received page (if any) in one transaction, on a blocking thread.
async fn apply_page(
    mirror: Mirror,
    changes: Option<Vec<Change>>,
    deadline: Instant,
) -> Result<(Mirror, Option<sessions_mirror::Applied>), SyncError> {
    match changes {
        Some(changes) => {
            let (mirror, applied) =
                with_mirror(mirror, deadline, move |m| m.apply(changes.clone())).await?;
            Ok((mirror, Some(applied)))
        }
        None => Ok((mirror, None)),
    }
}

fn overlap_seconds() -> i64 {
    i64::try_from(OVERLAP.as_secs()).unwrap_or(i64::MAX)
}

fn to_mirror_change(change: FeedChange) -> Change {
    match change {
        FeedChange::Session(session) => Change::Live(session),
        FeedChange::Deleted(tombstone) => Change::Deleted {
            session_id: tombstone.session_id,
            updated_at: tombstone.updated_at,
        },
    }
}

/// A mirror ready to read, and what the reader should tell the user about it.
pub struct Fresh {
    pub mirror: Mirror,
    pub notice: Option<FreshNotice>,
}

/// Something the user should know about the answers a mirror gives.
#[derive(Debug)]
pub enum FreshNotice {
    /// The sync before the read did not finish (no network, the API failing, too slow): the
    /// answers are as of the last sync.
    Stale {
        last_sync: Timestamp,
        why: SyncError,
    },
    /// The mirror has never finished a sync, and the one before this read did not either: it
    /// has nothing to answer with, and the read goes to the API.
    NeverSynced { why: SyncError },
    /// Opening had to set aside or empty the file.
    Opened(Notice),
}

impl fmt::Display for FreshNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FreshNotice::Stale { last_sync, why } => write!(
                f,
                "answering from the local mirror, last synced {} ago ({last_sync}): {why}",
                age(*last_sync)
            ),
            FreshNotice::NeverSynced { why } => write!(
                f,
                "the local mirror has not finished its first sync ({why}), so this answer comes \
                 from the API; `cargo-ai sync` fills it once (with progress), then reads are local"
            ),
            FreshNotice::Opened(notice) => write!(f, "{notice}"),
        }
    }
}

/// How long ago `at` was, in a person's words (`45 s`, `12 min`, `3 h`, `2 days`).
pub fn age(at: Timestamp) -> String {
    let millis = (Timestamp::now().unix_millis() - at.unix_millis()).max(0);
    let seconds = millis / 1000;
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        s if s < 2 * 86_400 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

/// The mirror at `path` for a read: synced first when its last sync is older than
/// `options.fresh_for`, for at most `READ_SYNC_BUDGET`. When that sync cannot finish for want
/// of the network (or time), the mirror answers as it is and the notice says how old it is
/// (`NeverSynced`: it has nothing to answer with); any other failure (refused credentials, a
/// workspace not allowed) is an error.
pub async fn fresh(
    client: &ApiClient,
    workspace: &WorkspaceId,
    path: &Path,
    options: &SyncOptions,
) -> Result<Fresh, SyncError> {
    let deadline = Instant::now() + READ_SYNC_BUDGET;
    let mirror = open(path, deadline).await?;
    let opened = mirror.notice().cloned().map(FreshNotice::Opened);
    let (mirror, last_sync) = with_mirror(mirror, deadline, |m| m.last_sync()).await?;
    let recent = last_sync.is_some_and(|at| {
        let millis = Timestamp::now().unix_millis() - at.unix_millis();
        (0..options.fresh_for.as_millis() as i128).contains(&millis)
    });
    if recent {
        return Ok(Fresh {
            mirror,
            notice: opened,
        });
    }
    drop(mirror);
    let synced = sync_once(client, workspace, path, options, deadline, &mut |_| {}).await;
    let notice = match synced {
        Ok(report) => report.notice.map(FreshNotice::Opened).or(opened),
        Err(why) if why.is_offline() => Some(match last_sync {
            Some(last_sync) => FreshNotice::Stale { last_sync, why },
            None => FreshNotice::NeverSynced { why },
        }),
        Err(e) => return Err(e),
    };
    // The sync's deadline may have passed; reading needs its own moment.
    let mirror = open(path, Instant::now() + READ_SYNC_BUDGET).await?;
    Ok(Fresh { mirror, notice })
}

#[cfg(test)]
mod tests {
    use aws_credential_types::provider::SharedCredentialsProvider;

    use super::*;
    use crate::aws::AwsIdentity;

    /// A client for an endpoint nothing listens on.
    fn offline_client() -> ApiClient {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let endpoint = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        drop(listener);
        let keys = sessions_aws::static_credentials("AKIDEXAMPLE", "secret");
        let identity = AwsIdentity::new(SharedCredentialsProvider::new(keys), "us-east-1".into());
        ApiClient::new(endpoint, identity).unwrap().single_attempt()
    }

    #[tokio::test]
    async fn offline_a_synced_mirror_answers_with_its_age_and_a_new_one_cannot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite3");
        let workspace = WorkspaceId::parse("0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60").unwrap();
        let client = offline_client();
        let options = SyncOptions::default();

        let never = fresh(&client, &workspace, &path, &options).await.unwrap();
        let notice = never.notice.expect("a notice");
        assert!(
            matches!(notice, FreshNotice::NeverSynced { .. }),
            "{notice}"
        );
        assert!(notice.to_string().contains("cargo-ai sync"), "{notice}");

        let mut mirror = never.mirror;
        let an_hour_ago = Timestamp::now().plus_seconds(-3600);
        mirror.set_cursor(an_hour_ago, an_hour_ago).unwrap();
        drop(mirror);
        let stale = fresh(&client, &workspace, &path, &options).await.unwrap();
        let notice = stale.notice.expect("a notice");
        assert!(matches!(notice, FreshNotice::Stale { .. }), "{notice}");
        assert!(notice.to_string().contains("60 min ago"), "{notice}");

        // Fresh enough: no request at all, no notice.
        let mut mirror = stale.mirror;
        mirror.set_cursor(an_hour_ago, Timestamp::now()).unwrap();
        drop(mirror);
        let recent = fresh(&client, &workspace, &path, &options).await.unwrap();
        assert!(recent.notice.is_none());
    }

    #[test]
    fn each_endpoint_and_workspace_has_its_own_file_and_keeps_it() {
        let dir = Path::new("/state");
        let a = WorkspaceId::parse("0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60").unwrap();
        let b = WorkspaceId::parse("1b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60").unwrap();
        let one = Url::parse("https://one.example/").unwrap();
        let two = Url::parse("https://two.example/").unwrap();
        let path = mirror_path(dir, &one, &a);
        assert_eq!(path, mirror_path(dir, &one, &a));
        assert_eq!(
            path,
            mirror_path(dir, &Url::parse("https://one.example").unwrap(), &a)
        );
        assert_ne!(path, mirror_path(dir, &one, &b));
        assert_ne!(path, mirror_path(dir, &two, &a));
        assert!(path.starts_with("/state/mirror"));
    }
}
