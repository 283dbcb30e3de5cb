//! The report for people in a terminal: the window's totals, a table per person and per
//! repository, the busiest days and the latest titles, fitted to the width like `session list`.
//! Commits, lines and cost per commit appear once some session knows its commits; where the
//! width is short, tokens give way first (cost says more), then lines.

use sessions_core::Timestamp;
use sessions_core::text::clip;

use crate::render::{dollars, duration, relative, short_who, thousands, unknown};
use crate::report::model::{Group, Report, Tally};

/// The narrowest a name column gets before rows run past the width.
const NAME_MIN: usize = 12;
/// The room a name keeps before a number column gives way: most user names and `owner/name`s.
const NAME_ROOM: usize = 24;

pub fn render(r: &Report, now: &Timestamp, width: Option<usize>) -> String {
    let mut out = format!("{}\n", heading(r));
    if r.totals.sessions == 0 {
        out.push_str("no sessions in this window\n");
        return out;
    }
    let t = &r.totals;
    out.push_str(&format!(
        "{} sessions, {} active, {} tokens, {} estimated\n",
        t.sessions,
        hours(t.active_s),
        t.tokens.map_or_else(unknown, thousands),
        t.cost_usd.map_or_else(unknown, dollars),
    ));
    let with_commits = t.sessions_with_commit_facts > 0;
    if with_commits {
        out.push_str(&format!(
            "{} commits (known for {} of {} sessions), {} lines, {} per commit\n",
            t.commits.map_or_else(unknown, thousands),
            t.sessions_with_commit_facts,
            t.sessions,
            lines(t),
            t.cost_per_commit.map_or_else(unknown, dollars),
        ));
    }
    out.push('\n');
    out.push_str(&table("PERSON", &r.people, who, with_commits, width));
    out.push('\n');
    out.push_str(&table(
        "REPO",
        &r.repos,
        |g| g.name.clone().unwrap_or_else(unknown),
        with_commits,
        width,
    ));
    out.push_str("\nBUSIEST DAYS\n");
    for day in &r.busiest_days {
        let s = if day.sessions == 1 { "" } else { "s" };
        out.push_str(&format!("  {}  {} session{s}\n", day.date, day.sessions));
    }
    out.push_str("\nRECENT\n");
    for item in &r.recent {
        let prefix = format!(
            "  {:<8}  {:<16}  ",
            relative(&item.created_at, now),
            clip(short_who(&item.user_arn), 16),
        );
        let room = width.map(|w| w.saturating_sub(prefix.chars().count()).max(10));
        let title = match room {
            Some(w) => clip(&item.title, w),
            None => item.title.as_str().into(),
        };
        out.push_str(&format!("{prefix}{title}\n"));
    }
    out
}

pub(crate) fn heading(r: &Report) -> String {
    let day = |t: &Timestamp| {
        t.to_string()
            .get(..16)
            .unwrap_or_default()
            .replace('T', " ")
    };
    match (&r.window.since, &r.window.until) {
        (Some(s), Some(u)) => format!("Sessions from {} to {} UTC", day(s), day(u)),
        (Some(s), None) => format!("Sessions since {} UTC", day(s)),
        (None, Some(u)) => format!("Sessions before {} UTC", day(u)),
        (None, None) => "All sessions".to_owned(),
    }
}

fn hours(active_s: Option<u64>) -> String {
    active_s.map_or_else(unknown, duration)
}

fn who(g: &Group) -> String {
    g.name
        .as_deref()
        .map_or_else(unknown, |arn| short_who(arn).to_owned())
}

fn lines(t: &Tally) -> String {
    crate::render::lines(t.lines_added, t.lines_removed)
}

/// The number columns, in order, and which give way when the width is short (tokens first).
const COLUMNS: [(&str, Option<u8>); 7] = [
    ("SESSIONS", None),
    ("ACTIVE", None),
    ("TOKENS", Some(0)),
    ("COST", None),
    ("COMMITS", None),
    ("LINES", Some(1)),
    ("$/COMMIT", None),
];
/// The last column without commits.
const WITHOUT_COMMITS: usize = 4;

/// One table of groups: the name column takes what the numbers leave of the width.
fn table(
    title: &str,
    groups: &[Group],
    name: impl Fn(&Group) -> String,
    with_commits: bool,
    width: Option<usize>,
) -> String {
    let count = if with_commits {
        COLUMNS.len()
    } else {
        WITHOUT_COMMITS
    };
    let rows: Vec<(String, Vec<String>)> = groups
        .iter()
        .map(|g| (name(g), cells(&g.tally)[..count].to_vec()))
        .collect();
    let longest = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .chain([title.len()])
        .max()
        .unwrap_or(0);
    let column_widths = |shown: &[usize]| -> Vec<usize> {
        shown
            .iter()
            .map(|&c| {
                rows.iter()
                    .map(|(_, cells)| cells[c].chars().count())
                    .chain([COLUMNS[c].0.len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    };
    let mut shown: Vec<usize> = (0..count).collect();
    for give_way in 0..=1 {
        let numbers: usize = column_widths(&shown).iter().map(|w| w + 2).sum();
        if width.is_none_or(|w| numbers + NAME_ROOM.min(longest) <= w) {
            break;
        }
        shown.retain(|&c| COLUMNS[c].1 != Some(give_way));
    }
    let widths = column_widths(&shown);
    let numbers: usize = widths.iter().map(|w| w + 2).sum();
    let name_width = match width {
        Some(w) => longest.min(w.saturating_sub(numbers).max(NAME_MIN)),
        None => longest,
    };
    let line = |name: &str, cells: &[&str]| {
        let mut out = format!("{:<name_width$}", clip(name, name_width));
        for (cell, w) in cells.iter().zip(&widths) {
            out.push_str(&format!("  {cell:>w$}"));
        }
        format!("{}\n", out.trim_end())
    };
    let headers: Vec<&str> = shown.iter().map(|&c| COLUMNS[c].0).collect();
    let mut out = line(title, &headers);
    for (name, cells) in &rows {
        let cells: Vec<&str> = shown.iter().map(|&c| cells[c].as_str()).collect();
        out.push_str(&line(name, &cells));
    }
    out
}

fn cells(t: &Tally) -> [String; 7] {
    [
        t.sessions.to_string(),
        hours(t.active_s),
        t.tokens.map_or_else(unknown, thousands),
        t.cost_usd.map_or_else(unknown, dollars),
        t.commits.map_or_else(unknown, thousands),
        lines(t),
        t.cost_per_commit.map_or_else(unknown, dollars),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::window::Window;
    use crate::report::model::{Day, Recent};
    use sessions_core::Usd;

    fn report() -> Report {
        let known = Tally {
            sessions: 2,
            active_s: Some(5400),
            tokens: Some(1_234_567),
            cost_usd: Some(Usd::from_micros(12_340_000)),
            sessions_with_commit_facts: 2,
            commits: Some(4),
            lines_added: Some(1_520),
            lines_removed: Some(87),
            cost_per_commit: Some(Usd::from_micros(3_085_000)),
            ..Tally::default()
        };
        let bare = Tally {
            sessions: 1,
            ..Tally::default()
        };
        Report {
            window: Window {
                since: Some(Timestamp::parse("s", "2026-11-17T00:00:00Z").unwrap()),
                until: None,
            },
            totals: known.clone(),
            people: vec![
                Group {
                    name: Some("arn:aws:sts::1:assumed-role/Dev/alice@example.com".into()),
                    tally: known.clone(),
                },
                Group {
                    name: Some("arn:aws:iam::1:user/bob".into()),
                    tally: bare.clone(),
                },
            ],
            repos: vec![
                Group {
                    name: Some(format!("github.com/acme/{}", "very-long-name".repeat(8))),
                    tally: known,
                },
                Group {
                    name: None,
                    tally: bare,
                },
            ],
            busiest_days: vec![Day {
                date: "2026-11-20".into(),
                sessions: 2,
            }],
            days: Vec::new(),
            recent: vec![Recent {
                created_at: "2026-11-24T09:00:00.000Z".into(),
                user_arn: "arn:aws:iam::1:user/bob".into(),
                repo: None,
                session_id: "s".into(),
                title: "A long title ".repeat(20),
            }],
        }
    }

    #[test]
    fn tables_read_and_fit_the_width() {
        let now = Timestamp::parse("now", "2026-11-24T12:00:00Z").unwrap();
        let text = render(&report(), &now, Some(80));
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{line:?}");
        }
        assert!(
            text.starts_with("Sessions since 2026-11-17 00:00 UTC\n"),
            "{text}"
        );
        assert!(text.contains("2 sessions, 1h 30m active, 1,234,567 tokens, $12.34 estimated"));
        let alice = text
            .lines()
            .find(|l| l.starts_with("alice@example.com"))
            .unwrap();
        assert!(
            alice.contains("1h 30m") && alice.contains("$12.34"),
            "{alice}"
        );
        assert!(
            text.contains(
                "4 commits (known for 2 of 2 sessions), +1,520 -87 lines, $3.09 per commit"
            ),
            "{text}"
        );
        let bob = text.lines().find(|l| l.starts_with("bob")).unwrap();
        assert_eq!(
            bob.split_whitespace().collect::<Vec<_>>(),
            ["bob", "1", "-", "-", "-", "-", "-"],
            "unknown is a dash; at 80 columns tokens give way to commits"
        );
        let header = text.lines().find(|l| l.starts_with("PERSON")).unwrap();
        assert_eq!(
            header.split_whitespace().collect::<Vec<_>>(),
            [
                "PERSON", "SESSIONS", "ACTIVE", "COST", "COMMITS", "LINES", "$/COMMIT"
            ]
        );
        assert!(
            alice.contains("+1,520 -87") && alice.contains("$3.09"),
            "{alice}"
        );
        assert!(text.contains("2026-11-20  2 sessions"));
        assert!(text.contains("3h ago    bob"));
        assert!(text.contains('…'));
        let wide = render(&report(), &now, None);
        assert!(wide.contains(&"very-long-name".repeat(8)));
        assert!(
            wide.contains("1,234,567") && wide.contains("$/COMMIT"),
            "{wide}"
        );
        let narrow = render(&report(), &now, Some(60));
        let header = narrow.lines().find(|l| l.starts_with("PERSON")).unwrap();
        assert!(
            !header.contains("LINES") && header.contains("COMMITS"),
            "{narrow}"
        );
    }

    #[test]
    fn without_commit_facts_no_commit_columns() {
        let mut r = report();
        for g in r.people.iter_mut().chain(r.repos.iter_mut()) {
            g.tally = Tally {
                sessions: g.tally.sessions,
                ..Tally::default()
            };
        }
        r.totals.sessions_with_commit_facts = 0;
        let now = Timestamp::parse("now", "2026-11-24T12:00:00Z").unwrap();
        let text = render(&r, &now, Some(80));
        assert!(
            !text.contains("COMMITS") && !text.contains("commits"),
            "{text}"
        );
        assert!(text.contains("TOKENS"), "{text}");
    }

    #[test]
    fn an_empty_window_says_so() {
        let mut r = report();
        r.totals = Tally::default();
        let now = Timestamp::parse("now", "2026-11-24T12:00:00Z").unwrap();
        assert!(render(&r, &now, Some(80)).contains("no sessions in this window"));
    }
}
