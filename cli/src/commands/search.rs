//! `cargo-ai search` (also `workspaceManagement session search`): the team's sessions that
//! best match some words, ranked, from the local mirror; through the API (substring match,
//! newest first) when the mirror is off.

use std::io::IsTerminal;
use std::ops::ControlFlow;

use serde::Serialize;
use sessions_core::{Session, Timestamp};
use sessions_mirror::{Marks, SearchQuery, person_name};

use crate::client::ListFilter;
use crate::commands::print::{self, Report};
use crate::context::Context;
use crate::error::{CliError, Kind};
use crate::listing::window::Window;
use crate::listing::{
    Search, Selection, each_session, fresh_mirror, mirror_covers, parse_repo, read_mirror,
};
use crate::mirror::FreshNotice;

const BOLD: &str = "\x1b[1m";
const PLAIN: &str = "\x1b[0m";

#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Words to look for in titles, summaries, repositories, branches and names: stems
    /// ("retries" finds "retry"), prefixes (upload*), "quoted phrases"; sessions matching
    /// more of the words rank higher.
    #[arg(value_name = "QUERY", required = true, num_args = 1..)]
    pub query: Vec<String>,

    /// Only sessions in this git repository, written host/owner/name (github.com/acme/uploader).
    #[arg(long, value_name = "HOST/OWNER/NAME", value_parser = parse_repo)]
    pub repo: Option<String>,

    /// Only sessions this IAM ARN created (`cargo-ai whoami` prints yours).
    #[arg(long, value_name = "ARN")]
    pub user: Option<String>,

    /// Only sessions you created.
    #[arg(long, conflicts_with = "user")]
    pub mine: bool,

    /// Only sessions created since then: a duration (30m, 12h, 7d, 2w) or a date/time.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    /// Show at most this many sessions, best first.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: u32,

    /// Ask the API alone (no local mirror, no sync): slower, and a plain substring match.
    #[arg(long)]
    pub no_sync: bool,

    /// Print a JSON array of hits, best first.
    #[arg(long)]
    pub json: bool,
}

/// One session found, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Found {
    session_id: String,
    title: String,
    user_arn: String,
    created_at: String,
    finished_at: Option<String>,
    repo: Option<String>,
    branch: Option<String>,
    /// Higher is better; 0 when the API answered (it does not rank).
    score: f64,
    /// A passage of the best-matching text, the matched words marked on a terminal.
    snippet: String,
}

impl Found {
    fn new(session: Session, score: f64, snippet: String) -> Found {
        let facts = *session.facts;
        Found {
            session_id: session.session_id,
            title: session.title,
            user_arn: session.user_arn,
            created_at: session.created_at,
            finished_at: session.finished_at,
            repo: facts.repo,
            branch: facts.branch,
            score,
            snippet: snippet.replace(['\n', '\r'], " "),
        }
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct Hits(Vec<Found>);

impl Report for Hits {
    fn human(&self) -> String {
        if self.0.is_empty() {
            return "no session matches\n".to_owned();
        }
        let mut out = String::new();
        for hit in &self.0 {
            let when = hit.created_at.get(..16).unwrap_or(&hit.created_at);
            let place = match (&hit.repo, &hit.branch) {
                (Some(repo), Some(branch)) => format!("  {repo} ({branch})"),
                (Some(repo), None) => format!("  {repo}"),
                _ => String::new(),
            };
            out.push_str(&format!(
                "{}  {}{place}  {}\n  {}\n  {}\n\n",
                person_name(&hit.user_arn),
                when.replace('T', " "),
                hit.session_id,
                hit.title,
                hit.snippet
            ));
        }
        out
    }
}

pub async fn run(ctx: &Context, args: SearchArgs) -> Result<(), CliError> {
    let text = args.query.join(" ");
    if !text.chars().any(char::is_alphanumeric) {
        return Err(CliError::new(
            Kind::Usage,
            format!("the search {text:?} has no words to look for"),
        )
        .help("type words from a title or summary, e.g. cargo-ai search upload retries"));
    }
    let window = Window::parse(args.since.as_deref(), None, &Timestamp::now())?;
    let workspace = ctx.config.workspace()?;
    let client = ctx.connect().await?;
    let fresh = if mirror_covers(ctx, &window, !args.no_sync) {
        fresh_mirror(ctx, &client, workspace).await?.map_err(Some)
    } else {
        Err(None)
    };
    let (hits, notice) = if let Ok(fresh) = fresh {
        let mut query = SearchQuery::new(text);
        query.repo = args.repo;
        query.user_arn = if args.mine {
            Some(client.whoami().await?.user_arn)
        } else {
            args.user
        };
        query.since = window.since;
        query.limit = args.limit as usize;
        if !args.json && std::io::stdout().is_terminal() {
            query.marks = Marks {
                start: BOLD.to_owned(),
                end: PLAIN.to_owned(),
            };
        }
        let found = read_mirror(fresh.mirror, move |m| m.search(&query)).await?;
        let hits = found
            .into_iter()
            .map(|hit| Found::new(hit.session, hit.score, hit.snippet))
            .collect();
        (hits, fresh.notice)
    } else {
        (
            through_api(ctx, &args, window, &text).await?,
            fresh.err().flatten(),
        )
    };
    if let Some(notice) = notice.filter(|_| !ctx.quiet()) {
        say(&notice);
    }
    print::report(&Hits(hits), args.json)
}

fn say(notice: &FreshNotice) {
    eprintln!("{notice}");
}

/// Today's search through the API: every page, the sessions whose title or summary contains
/// the text, newest first.
async fn through_api(
    ctx: &Context,
    args: &SearchArgs,
    window: Window,
    text: &str,
) -> Result<Vec<Found>, CliError> {
    let search = Search::new(text);
    let selection = Selection {
        filter: ListFilter {
            mine: args.mine,
            user: args.user.clone(),
            repo: args.repo.clone(),
            branch: None,
        },
        window,
        search: Some(search.clone()),
        limit: Some(args.limit as usize),
        mirror: false,
    };
    let mut found = Vec::new();
    let limit = args.limit as usize;
    each_session(
        ctx,
        &selection,
        sessions_core::fields::LIST_MAX_LIMIT,
        &mut |_| {},
        |session| {
            let snippet = excerpt(&session, search.text());
            found.push(Found::new(session, 0.0, snippet));
            if found.len() == limit {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    )
    .await?;
    Ok(found)
}

/// A few words of the summary around the first place it contains `needle` (any case), else
/// its start.
fn excerpt(session: &Session, needle: &str) -> String {
    const AROUND: usize = 60;
    let summary = &session.summary;
    let at = summary.to_lowercase().find(needle).unwrap_or(0);
    let floor = |i: usize| {
        (0..=i)
            .rev()
            .find(|&j| summary.is_char_boundary(j))
            .unwrap_or(0)
    };
    let start = floor(at.saturating_sub(AROUND).min(summary.len()));
    let end = floor((at + needle.len() + AROUND).min(summary.len()));
    let mut text = summary[start..end].to_owned();
    if start > 0 {
        text.insert(0, '…');
    }
    if end < summary.len() {
        text.push('…');
    }
    text
}
