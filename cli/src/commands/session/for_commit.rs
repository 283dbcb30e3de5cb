//! `cargo-ai workspaceManagement session for-commit [REV]`: the session that made a commit, found by its id or, for a rebased or cherry-picked copy, by its patch id.

// Without a Scan: the repository's sessions are listed through its index, newest first, from
// the commit's time back `LOOKBACK`, and their stored `commits` are matched.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use serde_json::Value;
use sessions_core::facts::CommitFact;
use sessions_core::{Session, Timestamp};

use crate::blocking;
use crate::client::ListFilter;
use crate::commands::Output;
use crate::commands::print;
use crate::context::Context;
use crate::error::{CliError, Kind};
use crate::facts::git_facts;
use crate::git::{CommitInfo, Repo, SHORT_SHA};
use crate::listing::window::Window;
use crate::listing::{Selection, each_session};
use crate::render::Format;

/// How long before a commit the session that made it may have started.
const LOOKBACK: Duration = Duration::from_secs(14 * 24 * 3600);
/// Reading the commit and computing its patch id.
const READ_BUDGET: Duration = Duration::from_secs(10);

#[derive(Debug, clap::Args)]
pub struct ForCommitArgs {
    /// The commit: any revision of the repository here (HEAD, a branch or tag, a full or
    /// short id, HEAD~2).
    #[arg(value_name = "REV", default_value = "HEAD")]
    pub rev: String,

    #[command(flatten)]
    pub output: Output,
}

/// How a stored commit matched.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Match {
    Sha(CommitFact),
    PatchId(CommitFact),
}

pub async fn run(ctx: &Context, args: ForCommitArgs) -> Result<(), CliError> {
    let dir = std::env::current_dir().map_err(|e| {
        CliError::new(
            Kind::Invalid,
            format!("cannot read the current directory: {e}"),
        )
    })?;
    let rev = args.rev.clone();
    let read = blocking::within(Instant::now() + READ_BUDGET, move || {
        let repo = Repo::discover(&dir).ok_or_else(|| {
            CliError::new(
                Kind::Invalid,
                "not in a git repository: no session can be looked up",
            )
            .help("run it inside the repository the commit is in")
        })?;
        let info = repo
            .commit_info(&rev, Instant::now() + READ_BUDGET)
            .map_err(|why| {
                CliError::new(Kind::Invalid, why)
                    .help("name a commit as git does: HEAD, main, a1b2c3d, HEAD~2")
            })?;
        Ok::<_, CliError>((info, git_facts(&dir).repo))
    })
    .await
    .map_err(|_| CliError::new(Kind::Unavailable, "reading the repository took too long"))?;
    let (info, repo) = read?;
    let short = &info.id[..SHORT_SHA.min(info.id.len())];
    let Some(repo) = repo else {
        return Err(CliError::new(
            Kind::NotFound,
            format!("no session known for {short}: this repository has no remote, and sessions are found by their repository's remote"),
        )
        .help("add the team's remote (git remote add origin ...), as the sessions were recorded with it"));
    };
    if info.is_merge {
        return Err(CliError::new(
            Kind::NotFound,
            format!("no session known for {short}: it is a merge, and sessions record the commits they make, not merges"),
        )
        .help(format!("look up one of the commits it merges, like `for-commit {short}^2`")));
    }
    let committed = Timestamp::from_system_time(
        std::time::UNIX_EPOCH + Duration::from_secs(u64::try_from(info.committed_at).unwrap_or(0)),
    );
    let selection = Selection {
        filter: ListFilter {
            repo: Some(repo.clone()),
            ..ListFilter::default()
        },
        window: Window {
            since: Some(committed.plus_seconds(-(LOOKBACK.as_secs() as i64))),
            until: Some(committed.plus_seconds(1)),
        },
        search: None,
        limit: None,
        // The local mirror answers when it is on and keeps the window; else the API, through
        // the repository's index.
        mirror: true,
    };
    let mut by_patch: Option<(Session, CommitFact)> = None;
    let mut found: Option<(Session, Match)> = None;
    let notice = each_session(ctx, &selection, 100, &mut |_| {}, |session| {
        match find(&session, &info) {
            Some(Match::Sha(c)) => {
                found = Some((session, Match::Sha(c)));
                return ControlFlow::Break(());
            }
            Some(Match::PatchId(c)) if by_patch.is_none() => by_patch = Some((session, c)),
            _ => {}
        }
        ControlFlow::Continue(())
    })
    .await?;
    if let Some(notice) = notice.filter(|_| !ctx.quiet()) {
        eprintln!("{notice}");
    }
    let found = found.or_else(|| by_patch.map(|(s, c)| (s, Match::PatchId(c))));
    let Some((session, matched)) = found else {
        return Err(CliError::new(
            Kind::NotFound,
            format!(
                "no session known for {short} ({:?}): no session of {repo} in the {} days before it lists this commit or a copy of its change",
                info.subject,
                LOOKBACK.as_secs() / 86_400
            ),
        )
        .help("it was made outside a recorded session (by hand, by a teammate), before the log began, or it squashes several commits, which gives it a change of its own"));
    };
    show(&session, &info, &matched, args.output.format())
}

/// The stored commit that is `info`: the same id, else the same patch id (a rebased or
/// cherry-picked copy).
fn find(session: &Session, info: &CommitInfo) -> Option<Match> {
    let commits = session.facts.commits.as_ref()?;
    if let Some(c) = commits.iter().find(|c| c.sha == info.id) {
        return Some(Match::Sha(c.clone()));
    }
    let patch_id = info.patch_id.as_ref()?;
    commits
        .iter()
        .find(|c| c.patch_id.as_ref() == Some(patch_id))
        .map(|c| Match::PatchId(c.clone()))
}

fn show(
    session: &Session,
    info: &CommitInfo,
    matched: &Match,
    format: Format,
) -> Result<(), CliError> {
    let (by, stored) = match matched {
        Match::Sha(c) => ("sha", c),
        Match::PatchId(c) => ("patch_id", c),
    };
    if format == Format::Human {
        print::session(session, format)?;
        let line = match matched {
            Match::Sha(_) => format!("\n{} was made in this session.\n", info.id),
            Match::PatchId(c) => format!(
                "\n{} is a copy (same patch id) of {}, made in this session.\n",
                info.id, c.sha
            ),
        };
        return print::text(&line);
    }
    let mut json = serde_json::to_value(session)
        .map_err(|e| CliError::new(Kind::Unavailable, e.to_string()))?;
    if let Value::Object(object) = &mut json {
        object.insert(
            "matched_commit".to_owned(),
            serde_json::json!({ "sha": info.id, "matched_by": by, "stored": stored }),
        );
    }
    print::json(&json)
}
