//! Pages through the workspace's sessions, newest first, handing each one inside the window
//! (and matching `--search`) to the caller as it arrives, so that a long listing or report
//! never holds more than a page. Used by `session list` and `report` alike.

pub mod window;

use std::ops::ControlFlow;

use sessions_core::facts::check_repo;
use sessions_core::fields::LIST_MAX_LIMIT;
use sessions_core::{Cursor, Session};

use crate::client::{ApiClient, ListFilter};
use crate::context::Context;
use crate::error::{CliError, Kind};
use window::{Place, Window};

/// Which sessions to walk through.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub filter: ListFilter,
    pub window: Window,
    pub search: Option<Search>,
}

/// `--search`: text a session's title or summary contains, ignoring case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search(String);

impl Search {
    pub fn new(text: &str) -> Search {
        Search(text.to_lowercase())
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
/// sessions have come in after each page but the last, for a progress line.
pub async fn each_session(
    ctx: &Context,
    selection: &Selection,
    page_size: u32,
    fetched: &mut dyn FnMut(usize),
    mut each: impl FnMut(Session) -> ControlFlow<()>,
) -> Result<(), CliError> {
    let workspace = ctx.config.workspace()?;
    let client = ctx.connect().await?;
    walk(&client, workspace, selection, page_size, fetched, &mut each).await
}

/// `each_session` for a consumer that can fail (writing CSV or a page): its first error ends
/// the walk and is returned.
pub async fn try_each_session(
    ctx: &Context,
    selection: &Selection,
    page_size: u32,
    fetched: &mut dyn FnMut(usize),
    mut each: impl FnMut(Session) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let mut failed = None;
    each_session(ctx, selection, page_size, fetched, |session| {
        match each(session) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        }
    })
    .await?;
    failed.map_or(Ok(()), Err)
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
