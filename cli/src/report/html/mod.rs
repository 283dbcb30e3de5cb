//! `report --html FILE`: the report as one self-contained page (inline CSS, JS and SVG, no
//! network) with charts and a table of every session that can be sorted, filtered and searched.
//!
//! Rows are rendered as sessions arrive and parked in an anonymous temporary file, so memory
//! stays bounded by people, repositories and days however many sessions the window holds; the
//! page is assembled once the totals are known and renamed over FILE, whole or not at all.

mod chart;
mod row;

use std::collections::HashMap;
use std::fs::{File, Permissions};
use std::io::{self, BufWriter, Seek, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use maud::{DOCTYPE, Markup, PreEscaped, html};
use sessions_core::{Session, Timestamp};

use crate::error::{CliError, Kind};
use crate::render::{dollars, duration, short_who, thousands, unknown};
use crate::report::model::{Group, Report, Tally};
use crate::report::text::heading;

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The colours people get in the charts and the table, in the order of their session counts;
/// everyone past the palette shares `OTHERS`. Chosen to read on light and dark backgrounds.
const PALETTE: [&str; 8] = [
    "#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7",
];
const OTHERS: &str = "#9c9c9c";

/// Where the page goes: a file, replaced only once it is complete, or a stream the command
/// gives (stdout, for `-`).
pub struct HtmlReport {
    target: Target,
    rows: BufWriter<File>,
    /// Each person's index in the order they appeared; their colour is known only at the end.
    people: HashMap<String, usize>,
    sessions: u64,
}

enum Target {
    File(PathBuf),
    Stream(Box<dyn Write>),
}

impl HtmlReport {
    /// A page written to `out` as a whole once it is complete.
    pub fn streamed(out: Box<dyn Write>) -> Result<HtmlReport, CliError> {
        HtmlReport::with_target(Target::Stream(out))
    }

    /// Checks that `path` can be written before any session is fetched, so that a typo in the
    /// directory fails in a second rather than after paging through the window.
    pub fn create(path: &Path) -> Result<HtmlReport, CliError> {
        let dir = parent(path);
        if !dir.is_dir() {
            return Err(CliError::new(
                Kind::Invalid,
                format!(
                    "cannot write {}: {} is not a directory",
                    path.display(),
                    dir.display()
                ),
            )
            .help("create the directory first, or name a file in an existing one"));
        }
        if path.is_dir() {
            return Err(CliError::new(
                Kind::Invalid,
                format!("cannot write {}: it is a directory", path.display()),
            )
            .help("name a file, like --html report.html"));
        }
        HtmlReport::with_target(Target::File(path.to_owned()))
    }

    fn with_target(target: Target) -> Result<HtmlReport, CliError> {
        let rows = tempfile::tempfile().map_err(|e| io_error("a temporary file", &e))?;
        Ok(HtmlReport {
            target,
            rows: BufWriter::new(rows),
            people: HashMap::new(),
            sessions: 0,
        })
    }

    /// Renders one session's row (sessions arrive newest first: the table's initial order).
    pub fn add(&mut self, session: &Session) -> Result<(), CliError> {
        let next = self.people.len();
        let person = *self.people.entry(session.user_arn.clone()).or_insert(next);
        let markup = row::render(session, person);
        self.rows
            .write_all(markup.into_string().as_bytes())
            .map_err(|e| io_error("a temporary file", &e))?;
        self.sessions += 1;
        Ok(())
    }

    /// Writes the page around the rows, to its file (atomically) or stdout. Returns the bytes
    /// written.
    pub fn finish(self, report: &Report, now: &Timestamp) -> Result<u64, CliError> {
        let colours = self.colours(report);
        let (head, tail) = page(report, now, self.sessions, &colours);
        let mut rows = self
            .rows
            .into_inner()
            .map_err(|e| io_error("a temporary file", e.error()))?;
        rows.rewind()
            .map_err(|e| io_error("a temporary file", &e))?;
        match self.target {
            Target::Stream(mut out) => assemble(&mut out, &head, &mut rows, &tail)
                .map_err(|e| io_error("standard output", &e)),
            Target::File(path) => {
                // A new file gets what `fs::write` would give it; a replaced one keeps its own.
                let permissions = std::fs::metadata(&path)
                    .map(|m| m.permissions())
                    .unwrap_or_else(|_| Permissions::from_mode(0o666));
                let mut file = tempfile::Builder::new()
                    .prefix(".tmp-report-")
                    .permissions(permissions)
                    .tempfile_in(parent(&path))
                    .map_err(|e| io_error(&path.display().to_string(), &e))?;
                let written = assemble(file.as_file_mut(), &head, &mut rows, &tail)
                    .map_err(|e| io_error(&path.display().to_string(), &e))?;
                file.persist(&path)
                    .map_err(|e| io_error(&path.display().to_string(), &e.error))?;
                Ok(written)
            }
        }
    }

    /// CSS giving each person index (`.p0`, `.p1`...) the colour of their rank in the report.
    fn colours(&self, report: &Report) -> Colours {
        let mut by_arn = HashMap::new();
        for (rank, group) in report.people.iter().enumerate() {
            if let Some(arn) = &group.name {
                by_arn.insert(arn.clone(), PALETTE.get(rank).copied().unwrap_or(OTHERS));
            }
        }
        let mut css = String::new();
        for (arn, index) in &self.people {
            let colour = by_arn.get(arn).copied().unwrap_or(OTHERS);
            css.push_str(&format!(".p{index}{{--person:{colour}}}"));
        }
        Colours { by_arn, css }
    }
}

/// Each person's colour, and the CSS that paints their rows.
pub(crate) struct Colours {
    by_arn: HashMap<String, &'static str>,
    css: String,
}

impl Colours {
    pub(crate) fn of(&self, arn: &str) -> &'static str {
        self.by_arn.get(arn).copied().unwrap_or(OTHERS)
    }
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn io_error(what: &str, e: &io::Error) -> CliError {
    CliError::new(Kind::Invalid, format!("cannot write {what}: {e}"))
}

fn assemble(out: &mut impl Write, head: &str, rows: &mut File, tail: &str) -> io::Result<u64> {
    let mut out = BufWriter::new(out);
    out.write_all(head.as_bytes())?;
    let copied = io::copy(rows, &mut out)?;
    out.write_all(tail.as_bytes())?;
    out.flush()?;
    Ok(head.len() as u64 + copied + tail.len() as u64)
}

/// The page before the table's rows and after them.
fn page(report: &Report, now: &Timestamp, sessions: u64, colours: &Colours) -> (String, String) {
    const MARK: &str = "<!--rows-->";
    let title = heading(report);
    let generated = now.to_string();
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="generator" content="cargo-ai report";
                title { (title) }
                style { (PreEscaped(STYLE)) (PreEscaped(&colours.css)) }
            }
            body {
                header {
                    h1 { "Team sessions" }
                    p.window { (title) ". Generated " (generated.get(..16).unwrap_or(&generated).replace('T', " ")) " UTC." }
                }
                (totals(&report.totals, report))
                @if sessions > 0 {
                    section.charts {
                        figure.wide {
                            figcaption { "Sessions per day, by person" }
                            (chart::days(report, now, colours))
                        }
                        figure {
                            figcaption { "Estimated cost per repository" }
                            (chart::repos(&report.repos, chart::Measure::Cost))
                        }
                        figure {
                            figcaption { "Active time per repository" }
                            (chart::repos(&report.repos, chart::Measure::Active))
                        }
                    }
                    (people(report, colours))
                    (repos(report))
                }
                section.sessions {
                    h2 { "Sessions" }
                    (controls(report, sessions))
                    table #sessions {
                        thead { tr {
                            (header("started", "Started (UTC)", true))
                            (header("who", "Who", false))
                            (header("repo", "Repository", false))
                            (header("branch", "Branch", false))
                            (header("title", "Title", false))
                            (header("duration", "Duration", false))
                            (header("active", "Active", false))
                            (header("cost", "Cost", false))
                            (header("commits", "Commits", false))
                            (header("state", "State", false))
                        } }
                        tbody { (PreEscaped(MARK)) }
                    }
                    @if sessions == 0 { p.empty { "No sessions in this window." } }
                }
                footer {
                    p { "Costs are estimates from the price table pinned in cargo-ai. "
                        "\"-\" marks a fact the session did not record. "
                        "Commits and lines count the sessions that recorded them (in a git repository); "
                        "the others are unknown, not zero. Cost per commit: the cost of the sessions "
                        "that made commits divided by their commits. "
                        "Click a title for its summary and commits; click a column to sort." }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    let page = markup.into_string();
    match page.split_once(MARK) {
        Some((head, tail)) => (head.to_owned(), tail.to_owned()),
        None => (page, String::new()),
    }
}

fn header(key: &str, label: &str, sorted: bool) -> Markup {
    let numeric = matches!(key, "started" | "duration" | "active" | "cost" | "commits");
    html! {
        th scope="col" aria-sort=[sorted.then_some("descending")] class=[numeric.then_some("num")] {
            button type="button" data-sort=(key) { (label) }
        }
    }
}

fn totals(t: &Tally, report: &Report) -> Markup {
    let repos = report.repos.iter().filter(|g| g.name.is_some()).count();
    html! {
        section.totals aria-label="Totals" {
            div { strong { (thousands(t.sessions)) } span { "sessions" } }
            div { strong { (report.people.len()) } span { "people" } }
            div { strong { (repos) } span { "repositories" } }
            div { strong { (t.active_s.map_or_else(unknown, duration)) } span { "active" } }
            div { strong { (t.tokens.map_or_else(unknown, thousands)) } span { "tokens" } }
            div { strong { (t.cost_usd.map_or_else(unknown, dollars)) } span { "estimated cost" } }
            @if t.sessions_with_commit_facts > 0 {
                div #total-commits title={ "known for " (t.sessions_with_commit_facts) " of " (t.sessions) " sessions" } {
                    strong { (t.commits.map_or_else(unknown, thousands)) } span { "commits" }
                }
                div { strong { (lines(t)) } span { "lines" } }
                div { strong { (t.cost_per_commit.map_or_else(unknown, dollars)) } span { "per commit" } }
            }
        }
    }
}

/// `+1,234 −56`, or `-` when no session knows its lines.
fn lines(t: &Tally) -> String {
    match (t.lines_added, t.lines_removed) {
        (Some(a), Some(r)) => format!("+{} \u{2212}{}", thousands(a), thousands(r)),
        _ => unknown(),
    }
}

/// The People or Repositories table: a line per group, the commit columns once some session
/// knows its commits.
fn groups(
    [class, heading, first]: [&str; 3],
    report: &Report,
    groups: &[Group],
    row: impl Fn(&Group, Markup) -> Markup,
) -> Markup {
    let commits = report.totals.sessions_with_commit_facts > 0;
    html! {
        section class=(class) {
            h2 { (heading) }
            table {
                thead { tr {
                    th scope="col" { (first) }
                    th.num scope="col" { "Sessions" }
                    th.num scope="col" { "Active" }
                    th.num scope="col" { "Tokens" }
                    th.num scope="col" { "Cost" }
                    @if commits {
                        th.num scope="col" { "Commits" }
                        th.num scope="col" { "Lines" }
                        th.num scope="col" { "Per commit" }
                    }
                } }
                tbody {
                    @for g in groups {
                        @let t = &g.tally;
                        (row(g, html! {
                            td.num { (thousands(t.sessions)) }
                            td.num { (t.active_s.map_or_else(unknown, duration)) }
                            td.num { (t.tokens.map_or_else(unknown, thousands)) }
                            td.num { (t.cost_usd.map_or_else(unknown, dollars)) }
                            @if commits {
                                td.num { (t.commits.map_or_else(unknown, thousands)) }
                                td.num { (lines(t)) }
                                td.num { (t.cost_per_commit.map_or_else(unknown, dollars)) }
                            }
                        }))
                    }
                }
            }
        }
    }
}

fn people(report: &Report, colours: &Colours) -> Markup {
    groups(
        ["people", "People", "Who"],
        report,
        &report.people,
        |g, numbers| {
            let arn = g.name.as_deref().unwrap_or("-");
            html! {
                tr data-person=(arn) title="Show only their sessions" {
                    td title=(arn) {
                        span.dot style={ "--person:" (colours.of(arn)) } {}
                        (short_who(arn))
                    }
                    (numbers)
                }
            }
        },
    )
}

fn repos(report: &Report) -> Markup {
    groups(
        ["repos", "Repositories", "Repository"],
        report,
        &report.repos,
        |g, numbers| {
            html! {
                tr data-repo=(g.name.as_deref().unwrap_or("-")) title="Show only its sessions" {
                    td { (g.name.as_deref().unwrap_or("no repository")) }
                    (numbers)
                }
            }
        },
    )
}

fn controls(report: &Report, sessions: u64) -> Markup {
    html! {
        div.controls role="search" {
            label { "Search " input #search type="search" placeholder="title, summary or commit" autocomplete="off"; }
            label { "Person "
                select #person {
                    option value="" { "everyone" }
                    @for g in &report.people {
                        @if let Some(arn) = &g.name {
                            option value=(arn) { (short_who(arn)) " (" (g.tally.sessions) ")" }
                        }
                    }
                }
            }
            label { "Repository "
                select #repo {
                    option value="" { "all" }
                    @for g in &report.repos {
                        @match &g.name {
                            Some(repo) => option value=(repo) { (repo) " (" (g.tally.sessions) ")" },
                            None => option value="-" { "no repository (" (g.tally.sessions) ")" },
                        }
                    }
                }
            }
            output #shown aria-live="polite" { (sessions) " of " (sessions) " sessions" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::window::Window;
    use crate::report::model::Builder;

    #[test]
    fn a_missing_directory_or_a_directory_is_refused_before_any_fetch() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope/report.html");
        let e = HtmlReport::create(&missing).err().unwrap();
        assert!(e.message.contains("is not a directory"), "{}", e.message);
        let e = HtmlReport::create(dir.path()).err().unwrap();
        assert!(e.message.contains("it is a directory"), "{}", e.message);
    }

    #[test]
    fn the_page_is_whole_and_self_contained() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        let page = HtmlReport::create(&path).unwrap();
        let report = Builder::default().finish(Window::default());
        let now: Timestamp = "2026-11-28T09:00:00.000Z".parse().unwrap();
        let written = page.finish(&report, &now).unwrap();
        let html = std::fs::read_to_string(&path).unwrap();
        assert_eq!(written, html.len() as u64);
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.ends_with("</html>"), "{html}");
        assert!(html.contains("No sessions in this window."));
        assert!(html.contains(r#"<tbody></tbody>"#), "{html}");
        for remote in ["http://", "https://", "src=", "@import", "url("] {
            assert!(!html.contains(remote), "{remote} in the page");
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }
}
