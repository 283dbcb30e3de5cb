//! Hands the workspace's sessions inside the window (and matching `--search`) to the caller,
//! newest first: from the local mirror when it is on and covers the window, else paging
//! through the API so that a long listing or report never holds more than a page. Used by
//! `session list` and `report` alike.

pub mod window;

use std::ops::ControlFlow;
use std::time::Instant;

use sessions_core::facts::check_repo;
use sessions_core::fields::LIST_MAX_LIMIT;
use sessions_core::{Cursor, Session, Timestamp, WorkspaceId};
use sessions_mirror::{Mirror, MirrorError, SearchQuery, prune_cutoff};

use crate::client::{ApiClient, ListFilter};
use crate::context::Context;
use crate::error::{CliError, Kind};
use crate::mirror::{self, Fresh, FreshNotice, SyncError, SyncOptions};
use window::{Place, Window};

/// Which sessions to walk through.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub filter: ListFilter,
    pub window: Window,
    pub search: Option<Search>,
    /// The most sessions the caller takes (`None`: every one).
    pub limit: Option<usize>,
    /// Whether the local mirror may answer (when the configuration has it on).
    pub mirror: bool,
}

/// `--search`: text a session's title or summary contains, ignoring case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search(String);

impl Search {
    pub fn new(text: &str) -> Search {
        Search(text.to_lowercase())
    }

    pub fn text(&self) -> &str {
        &self.0
    }

    /// Whether the title or the summary contains the text, in any case. The API stores them
    /// as written, so the match is made here, on each page as it arrives.
    pub fn matches(&self, session: &Session) -> bool {
        session.title.to_lowercase().contains(&self.0)
            || session.summary.to_lowercase().contains(&self.0)
    }
}

impl Selection {
    fn keeps(&self, session: &Session) -> bool {
        self.search.as_ref().is_none_or(|s| s.matches(session))
    }
}

/// `--repo`: the form the hooks record, so that a URL or a bare name is caught here with the fix.
pub fn parse_repo(raw: &str) -> Result<String, String> {
    let repo = raw.trim();
    check_repo(repo).map_err(|why| format!("{repo:?} {why}"))?;
    Ok(repo.to_owned())
}

/// Calls `each` with every selected session, newest first, until the listing reaches the
/// window's start, ends, or `each` breaks. `page_size` bounds the first request: a listing
/// that stops after a few sessions should not fetch a full page. `fetched` hears how many
/// sessions have come in after each page but the last, for a progress line. Returns what the
/// user should know about a mirror's answer (how old it is when the API could not be reached).
pub async fn each_session(
    ctx: &Context,
    selection: &Selection,
    page_size: u32,
    fetched: &mut dyn FnMut(usize),
    mut each: impl FnMut(Session) -> ControlFlow<()>,
) -> Result<Option<FreshNotice>, CliError> {
    let workspace = ctx.config.workspace()?;
    let client = ctx.connect().await?;
    let notice = match from_mirror(ctx, &client, workspace, selection).await? {
        Ok((sessions, notice)) => {
            for session in sessions {
                if each(session).is_break() {
                    break;
                }
            }
            return Ok(notice);
        }
        Err(notice) => notice,
    };
    walk(&client, workspace, selection, page_size, fetched, &mut each).await?;
    Ok(notice)
}

/// Whether reads of this configuration and selection go to the mirror: it is on, and the
/// window starts inside the days it keeps.
pub fn mirror_covers(ctx: &Context, window: &Window, allowed: bool) -> bool {
    allowed
        && ctx.config.mirror_on()
        && window
            .since
            .is_none_or(|since| since >= prune_cutoff(Timestamp::now(), ctx.config.mirror_days()))
}

/// The mirror for a read, synced first when it is stale (within a time bound), and what the
/// user should know about its answers. `Err`: it has never finished a sync, so it has nothing
/// to answer with; the read goes to the API, and the notice says why.
pub async fn fresh_mirror(
    ctx: &Context,
    client: &ApiClient,
    workspace: &WorkspaceId,
) -> Result<Result<Fresh, FreshNotice>, CliError> {
    let path = mirror::place(&ctx.config)?;
    let options = SyncOptions {
        // A person reading expects what was just written: an unchanged workspace costs one
        // request.
        fresh_for: std::time::Duration::ZERO,
        ..SyncOptions::from_config(&ctx.config)
    };
    let fresh = mirror::fresh(client, workspace, &path, &options).await?;
    Ok(match fresh.notice {
        Some(notice @ FreshNotice::NeverSynced { .. }) => Err(notice),
        _ => Ok(fresh),
    })
}

/// Runs a read of the mirror off the async threads.
pub async fn read_mirror<T: Send + 'static>(
    mirror: Mirror,
    work: impl FnOnce(&Mirror) -> Result<T, MirrorError> + Send + 'static,
) -> Result<T, CliError> {
    let deadline = Instant::now() + mirror::READ_SYNC_BUDGET;
    crate::blocking::within(deadline, move || work(&mirror))
        .await
        .map_err(SyncError::from)?
        .map_err(mirror_read_error)
}

/// A failed read of the mirror: an empty search is the caller's to fix; anything else the
/// mirror's.
pub fn mirror_read_error(e: MirrorError) -> CliError {
    match e {
        MirrorError::EmptyQuery => CliError::new(Kind::Usage, e.to_string()),
        e => SyncError::Mirror(e).into(),
    }
}

/// The selected sessions from the mirror, when it answers for this selection; else why not,
/// if the user should know.
async fn from_mirror(
    ctx: &Context,
    client: &ApiClient,
    workspace: &WorkspaceId,
    selection: &Selection,
) -> Result<Result<(Vec<Session>, Option<FreshNotice>), Option<FreshNotice>>, CliError> {
    if !mirror_covers(ctx, &selection.window, selection.mirror) {
        return Ok(Err(None));
    }
    let Fresh { mirror, notice } = match fresh_mirror(ctx, client, workspace).await? {
        Ok(fresh) => fresh,
        Err(notice) => return Ok(Err(Some(notice))),
    };
    let user_arn = if selection.filter.mine {
        Some(client.whoami().await?.user_arn)
    } else {
        selection.filter.user.clone()
    };
    let selection = selection.clone();
    let sessions = read_mirror(mirror, move |m| select(m, &selection, user_arn)).await?;
    Ok(Ok((sessions, notice)))
}

/// The selection, newest first, from the mirror: a `--search` ranks its matches (the best
/// thousand) and lists them newest first like any listing.
fn select(
    mirror: &Mirror,
    selection: &Selection,
    user_arn: Option<String>,
) -> Result<Vec<Session>, MirrorError> {
    let Selection {
        filter,
        window,
        search,
        limit,
        ..
    } = selection;
    let branch = filter.branch.as_deref();
    let mut sessions = match search {
        Some(search) => {
            let mut query = SearchQuery::new(search.text());
            query.repo = filter.repo.clone();
            query.user_arn = user_arn;
            query.since = window.since;
            query.limit = usize::MAX;
            let mut found: Vec<Session> = mirror
                .search(&query)?
                .into_iter()
                .map(|hit| hit.session)
                .collect();
            found.sort_by(|a, b| {
                b.created_at
                    .cmp(&a.created_at)
                    .then_with(|| a.session_id.cmp(&b.session_id))
            });
            found
        }
        None => mirror.list(&sessions_mirror::ListFilter {
            user_arn,
            repo: filter.repo.clone(),
            since: window.since,
            until: window.until,
            // The branch is not a column the mirror filters on: count after it.
            limit: limit.filter(|_| branch.is_none()),
        })?,
    };
    sessions.retain(|s| {
        window.place(&s.created_at) == Place::Inside
            && branch.is_none_or(|b| s.facts.branch.as_deref() == Some(b))
    });
    if let Some(n) = limit {
        sessions.truncate(*n);
    }
    Ok(sessions)
}

/// `each_session` for a consumer that can fail (writing CSV or a page): its first error ends
/// the walk and is returned.
pub async fn try_each_session(
    ctx: &Context,
    selection: &Selection,
    page_size: u32,
    fetched: &mut dyn FnMut(usize),
    mut each: impl FnMut(Session) -> Result<(), CliError>,
) -> Result<Option<FreshNotice>, CliError> {
    let mut failed = None;
    let notice = each_session(ctx, selection, page_size, fetched, |session| {
        match each(session) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        }
    })
    .await?;
    failed.map_or(Ok(notice), Err)
}

async fn walk(
    client: &ApiClient,
    workspace: &sessions_core::WorkspaceId,
    selection: &Selection,
    page_size: u32,
    fetched: &mut dyn FnMut(usize),
    each: &mut impl FnMut(Session) -> ControlFlow<()>,
) -> Result<(), CliError> {
    let mut cursor: Option<Cursor> = None;
    let mut want = page_size.clamp(1, LIST_MAX_LIMIT);
    let mut seen = 0usize;
    loop {
        let page = client
            .list_page(workspace, want, &selection.filter, cursor.as_ref())
            .await?;
        for session in page.sessions {
            seen += 1;
            match selection.window.place(&session.created_at) {
                Place::Newer => continue,
                Place::Older => return Ok(()),
                Place::Inside => {}
            }
            if selection.keeps(&session) && each(session).is_break() {
                return Ok(());
            }
        }
        let Some(next) = page.next_cursor else {
            return Ok(());
        };
        cursor = Some(Cursor::parse(&next).map_err(|_| {
            CliError::new(
                Kind::Unavailable,
                "the endpoint returned a malformed cursor",
            )
        })?);
        // Past the first page the listing is long: fetch the largest pages the API serves.
        want = LIST_MAX_LIMIT;
        fetched(seen);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(title: &str, summary: &str) -> Session {
        Session {
            uuid: "u".into(),
            session_id: "s".into(),
            user_uuid: "uu".into(),
            workspace_uuid: "w".into(),
            title: title.into(),
            summary: summary.into(),
            created_at: "2026-11-24T11:00:00.000Z".into(),
            finished_at: None,
            updated_at: "2026-11-24T11:00:00.000Z".into(),
            user_arn: "arn:aws:iam::1:user/alice".into(),
            facts: Default::default(),
        }
    }

    #[test]
    fn repo_forms() {
        assert_eq!(
            parse_repo(" github.com/acme/uploader ").unwrap(),
            "github.com/acme/uploader"
        );
        for bad in [
            "uploader",
            "https://github.com/acme/uploader",
            "git@github.com:acme/uploader",
        ] {
            assert!(
                parse_repo(bad).unwrap_err().contains("host/owner/name"),
                "{bad}"
            );
        }
    }

    #[test]
    fn search_ignores_case_in_title_and_summary() {
        let search = Search::new("Retry");
        assert!(search.matches(&session("Fix the RETRY loop", "")));
        assert!(search.matches(&session("Uploads", "added a retry with backoff")));
        assert!(!search.matches(&session("Uploads", "added backoff")));
        assert!(Search::new("ÜBER").matches(&session("über alles", "")));
    }
}
