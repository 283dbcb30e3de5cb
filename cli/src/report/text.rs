//! The report for people in a terminal: the window's totals, a table per person and per
//! repository, the busiest days and the latest titles, fitted to the width like `session list`.

use sessions_core::Timestamp;
use sessions_core::text::clip;

use crate::render::{dollars, duration, relative, short_who, thousands, unknown};
use crate::report::model::{Group, Report, Tally};

/// The narrowest a name column gets before rows run past the width.
const NAME_MIN: usize = 12;

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
    out.push('\n');
    out.push_str(&table("PERSON", &r.people, who, width));
    out.push('\n');
    out.push_str(&table(
        "REPO",
        &r.repos,
        |g| g.name.clone().unwrap_or_else(unknown),
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

/// One table of groups: the name column takes what the numbers leave of the width.
fn table(
    title: &str,
    groups: &[Group],
    name: impl Fn(&Group) -> String,
    width: Option<usize>,
) -> String {
    let headers = ["SESSIONS", "ACTIVE", "TOKENS", "COST"];
    let rows: Vec<(String, [String; 4])> =
        groups.iter().map(|g| (name(g), cells(&g.tally))).collect();
    let mut widths = headers.map(str::len);
    for (_, cells) in &rows {
        for (w, cell) in widths.iter_mut().zip(cells) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let numbers: usize = widths.iter().map(|w| w + 2).sum();
    let longest = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .chain([title.len()])
        .max()
        .unwrap_or(0);
    let name_width = match width {
        Some(w) => longest.min(w.saturating_sub(numbers + 2).max(NAME_MIN)),
        None => longest,
    };
    let line = |name: &str, cells: &[&str]| {
        let mut out = format!("{:<name_width$}", clip(name, name_width));
        for (cell, w) in cells.iter().zip(&widths) {
            out.push_str(&format!("  {cell:>w$}"));
        }
        format!("{}\n", out.trim_end())
    };
    let mut out = line(title, &headers);
    for (name, cells) in &rows {
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        out.push_str(&line(name, &cells));
    }
    out
}

fn cells(t: &Tally) -> [String; 4] {
    [
        t.sessions.to_string(),
        hours(t.active_s),
        t.tokens.map_or_else(unknown, thousands),
        t.cost_usd.map_or_else(unknown, dollars),
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
        let bob = text.lines().find(|l| l.starts_with("bob")).unwrap();
        assert_eq!(
            bob.split_whitespace().collect::<Vec<_>>(),
            ["bob", "1", "-", "-", "-"],
            "unknown is a dash"
        );
        assert!(text.contains("2026-11-20  2 sessions"));
        assert!(text.contains("3h ago    bob"));
        assert!(text.contains('…'));
        let wide = render(&report(), &now, None);
        assert!(wide.contains(&"very-long-name".repeat(8)));
    }

    #[test]
    fn an_empty_window_says_so() {
        let mut r = report();
        r.totals = Tally::default();
        let now = Timestamp::parse("now", "2026-11-24T12:00:00Z").unwrap();
        assert!(render(&r, &now, Some(80)).contains("no sessions in this window"));
    }
}
