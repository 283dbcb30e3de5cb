//! Renderings of the same values as text: tables and details for people, CSV for
//! spreadsheets, and how numbers, times and people read. Nothing here prints; `commands/`
//! writes what it renders.

pub mod csv;

use sessions_core::text::clip;
use sessions_core::{Facts, Session, Timestamp, Usd};

/// Which rendering: for people, one JSON document, one JSON object per line, or CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Jsonl,
    Csv,
}

/// "5m ago", "3h ago", "2d ago", or the date when older than a month.
pub fn relative(timestamp: &str, now: &Timestamp) -> String {
    let Ok(t) = timestamp.parse::<Timestamp>() else {
        return timestamp.to_owned();
    };
    let seconds = (now.unix_millis() - t.unix_millis()) / 1000;
    match seconds {
        s if s < 0 => "in the future".to_owned(),
        s if s < 60 => "just now".to_owned(),
        s if s < 3600 => format!("{}m ago", s / 60),
        s if s < 86_400 => format!("{}h ago", s / 3600),
        s if s < 30 * 86_400 => format!("{}d ago", s / 86_400),
        _ => timestamp.get(..10).unwrap_or(timestamp).to_owned(),
    }
}

fn status(session: &Session, now: &Timestamp) -> String {
    match &session.finished_at {
        Some(f) => format!("finished {}", relative(f, now)),
        None => "in progress".to_owned(),
    }
}

/// Who created it, short: the last part of the ARN (a user name or SSO e-mail).
fn who(session: &Session) -> &str {
    short_who(&session.user_arn)
}

/// The last part of an ARN: a user name or SSO e-mail.
pub fn short_who(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The width to fit tables to: the terminal's, else `COLUMNS`, else none (no truncation).
pub fn width() -> Option<usize> {
    terminal_size::terminal_size()
        .map(|(w, _)| usize::from(w.0))
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
}

/// One session for people: its title, each field and known fact on a line, its summary.
pub fn session_detail(s: &Session, now: &Timestamp) -> String {
    let mut out = format!("{}\n\n", s.title);
    for (label, value) in [
        ("session", s.session_id.clone()),
        ("status", status(s, now)),
        (
            "created",
            format!("{} ({})", relative(&s.created_at, now), s.created_at),
        ),
        (
            "updated",
            format!("{} ({})", relative(&s.updated_at, now), s.updated_at),
        ),
        ("by", s.user_arn.clone()),
        ("user_uuid", s.user_uuid.clone()),
        ("uuid", s.uuid.clone()),
        ("workspace", s.workspace_uuid.clone()),
    ]
    .into_iter()
    .chain(fact_lines(&s.facts))
    {
        out.push_str(&format!("  {label:<10} {value}\n"));
    }
    out.push_str(&format!("\n{}\n", s.summary));
    out
}

/// The least room the title keeps before the fact columns (repo, active time, cost) give way.
const TITLE_MIN_WITH_FACTS: usize = 30;

/// Fact columns that join the table together.
struct FactTier {
    headers: &'static [&'static str],
    cells: fn(&Session) -> Vec<String>,
    /// Some session must know one of these facts for the columns to appear.
    known: fn(&Facts) -> bool,
}

/// Each group of fact columns joins when some session knows one of its facts and the title
/// keeps its room beside them; commits only after the repository, time and cost (when those
/// do not fit, neither do the commits).
const FACT_TIERS: [FactTier; 2] = [
    FactTier {
        headers: &["REPO", "ACTIVE", "COST"],
        cells: fact_columns,
        known: |f| f.repo.is_some() || f.active_s.is_some() || f.cost_usd.is_some(),
    },
    FactTier {
        headers: &["COMMITS", "LINES"],
        cells: commit_columns,
        known: |f| f.commit_count.is_some() || f.lines_added.is_some(),
    },
];

/// The sessions as a table, fitted to `width`: the title takes what the other columns leave.
/// The repository, active time and cost columns appear when some session knows them and the
/// width leaves the title room beside them.
pub fn table_text(items: &[Session], now: &Timestamp, width: Option<usize>) -> String {
    if items.is_empty() {
        return "no sessions\n".to_owned();
    }
    let mut headers = vec!["CREATED", "STATUS", "BY", "SESSION"];
    let mut rows: Vec<Vec<String>> = items
        .iter()
        .map(|s| {
            vec![
                relative(&s.created_at, now),
                status(s, now),
                clip(who(s), 24).into_owned(),
                clip(&s.session_id, 36).into_owned(),
            ]
        })
        .collect();
    let widths = |headers: &[&str], rows: &[Vec<String>]| -> Vec<usize> {
        let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
        for row in rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        widths
    };
    for tier in FACT_TIERS {
        if !items.iter().any(|s| (tier.known)(&s.facts)) {
            continue;
        }
        let mut wider_rows = rows.clone();
        for (row, s) in wider_rows.iter_mut().zip(items) {
            row.extend((tier.cells)(s));
        }
        let wider = [&headers[..], tier.headers].concat();
        let fixed: usize = widths(&wider, &wider_rows).iter().map(|w| w + 2).sum();
        if width.is_some_and(|w| w < fixed + TITLE_MIN_WITH_FACTS) {
            break;
        }
        headers = wider;
        rows = wider_rows;
    }
    let widths = widths(&headers, &rows);
    let fixed: usize = widths.iter().map(|w| w + 2).sum();
    let title_width = width.map(|w| w.saturating_sub(fixed).max(10));
    let line = |cells: &[&str], title: &str| {
        let mut out = String::new();
        for (cell, w) in cells.iter().zip(&widths) {
            out.push_str(&format!("{cell:<w$}  "));
        }
        let title = match title_width {
            Some(w) => clip(title, w),
            None => title.into(),
        };
        format!("{out}{title}\n")
    };
    let mut out = line(&headers, "TITLE");
    for (row, session) in rows.iter().zip(items) {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        out.push_str(&line(&cells, &session.title));
    }
    out
}

/// How every rendering shows a fact that no session recorded: a dash, never 0.
pub fn unknown() -> String {
    "-".to_owned()
}

/// A session's commits and its lines added and removed (`+40 -7`), `-` where unknown.
fn commit_columns(s: &Session) -> Vec<String> {
    let f = &s.facts;
    vec![
        f.commit_count.map_or_else(unknown, thousands),
        lines(f.lines_added, f.lines_removed),
    ]
}

/// Lines added and removed as `+1,234 -56`, `-` when unknown.
pub fn lines(added: Option<u64>, removed: Option<u64>) -> String {
    match (added, removed) {
        (Some(a), Some(r)) => format!("+{} -{}", thousands(a), thousands(r)),
        _ => unknown(),
    }
}

/// A session's repository, active time and cost, `-` where unknown.
fn fact_columns(s: &Session) -> Vec<String> {
    vec![
        s.facts
            .repo
            .as_deref()
            .map_or_else(unknown, |r| clip(r, 40).into_owned()),
        s.facts.active_s.map_or_else(unknown, duration),
        s.facts.cost_usd.map_or_else(unknown, dollars),
    ]
}

/// Seconds as people read a session's length: `1h 02m`, `12m`, `45s`.
pub fn duration(seconds: u64) -> String {
    match (seconds / 3600, seconds % 3600 / 60) {
        (0, 0) => format!("{seconds}s"),
        (0, minutes) => format!("{minutes}m"),
        (hours, minutes) => format!("{hours}h {minutes:02}m"),
    }
}

/// An estimate in dollars and cents: `$1.09`; under half a cent but not nothing, `<$0.01`.
pub fn dollars(cost: Usd) -> String {
    let cents = (cost.micros() + 5_000) / 10_000;
    if cents == 0 && cost.micros() > 0 {
        return "<$0.01".to_owned();
    }
    format!("${}.{:02}", cents / 100, cents % 100)
}

/// A count with thousands separators: `152,015`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The lines `session get` shows for the facts that are known.
fn fact_lines(f: &Facts) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    let mut add = |label, value: Option<String>| {
        if let Some(value) = value {
            lines.push((label, value));
        }
    };
    add("repo", f.repo.clone());
    add("branch", f.branch.clone());
    add(
        "duration",
        f.active_s.map(|s| format!("{} active", duration(s))),
    );
    let tokens: Vec<String> = [
        (f.input_tokens, "in"),
        (f.output_tokens, "out"),
        (f.cache_read_tokens, "cache read"),
        (f.cache_write_tokens, "cache write"),
    ]
    .into_iter()
    .filter_map(|(n, what)| n.map(|n| format!("{} {what}", thousands(n))))
    .collect();
    add("tokens", (!tokens.is_empty()).then(|| tokens.join(" / ")));
    add(
        "cost",
        f.cost_usd.map(|c| format!("{} (estimate)", dollars(c))),
    );
    add("models", f.models.as_ref().map(|m| m.join(", ")));
    add("ended", f.end_reason.clone());
    add("changed", changed(f));
    add("commits", f.commit_count.map(|n| n.to_string()));
    for c in f.commits.iter().flatten() {
        let short = c.sha.get(..crate::git::SHORT_SHA).unwrap_or(&c.sha);
        let by = if c.claude { " (with Claude)" } else { "" };
        add(
            "",
            Some(format!(
                "{short} +{} -{} {}{by}",
                c.added, c.removed, c.subject
            )),
        );
    }
    lines
}

/// The session's change, committed or not, and how much of it Claude's edits made.
fn changed(f: &Facts) -> Option<String> {
    let (added, removed) = (f.lines_added?, f.lines_removed?);
    let mut text = format!("+{added} -{removed}");
    if let Some(files) = f.files_changed {
        text.push_str(&format!(
            " in {files} file{}",
            if files == 1 { "" } else { "s" }
        ));
    }
    if let (Some(a), Some(r)) = (f.claude_lines_added, f.claude_lines_removed) {
        text.push_str(&format!(" (Claude's edits +{a} -{r})"));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(title: &str, created: &str, finished: Option<&str>) -> Session {
        Session {
            uuid: "u".into(),
            session_id: "abc-123".into(),
            user_uuid: "uu".into(),
            workspace_uuid: "w".into(),
            title: title.into(),
            summary: "s".into(),
            created_at: created.into(),
            finished_at: finished.map(str::to_owned),
            updated_at: created.into(),
            user_arn: "arn:aws:sts::1:assumed-role/Dev/alice@example.com".into(),
            facts: Default::default(),
        }
    }

    #[test]
    fn relative_times() {
        let now = Timestamp::parse("now", "2026-11-24T12:00:00Z").unwrap();
        assert_eq!(relative("2026-11-24T11:59:30.000Z", &now), "just now");
        assert_eq!(relative("2026-11-24T11:55:00.000Z", &now), "5m ago");
        assert_eq!(relative("2026-11-24T09:00:00.000Z", &now), "3h ago");
        assert_eq!(relative("2026-11-20T12:00:00.000Z", &now), "4d ago");
        assert_eq!(relative("2026-01-20T12:00:00.000Z", &now), "2026-01-20");
    }

    #[test]
    fn table_fits_the_width() {
        let now = Timestamp::parse("now", "2026-11-24T12:00:00Z").unwrap();
        let items = [
            session(
                &"A long title ".repeat(20),
                "2026-11-24T11:00:00.000Z",
                None,
            ),
            session(
                "Short",
                "2026-11-24T10:00:00.000Z",
                Some("2026-11-24T11:30:00.000Z"),
            ),
        ];
        let text = table_text(&items, &now, Some(80));
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{line:?}");
        }
        assert!(
            text.contains("in progress")
                && text.contains("finished 30m ago")
                && text.contains("alice@example.com")
        );
        assert!(text.contains('…'));
        let wide = table_text(&items, &now, None);
        assert!(wide.contains(&"A long title ".repeat(20).trim_end().to_string()));
    }

    #[test]
    fn facts_read_plainly() {
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(12 * 60 + 5), "12m");
        assert_eq!(duration(3720), "1h 02m");
        assert_eq!(dollars(Usd::from_micros(1_089_590)), "$1.09");
        assert_eq!(dollars(Usd::from_micros(1_095_000)), "$1.10");
        assert_eq!(dollars(Usd::from_micros(0)), "$0.00");
        assert_eq!(dollars(Usd::from_micros(4_999)), "<$0.01");
        assert_eq!(thousands(152_015), "152,015");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    fn with_facts(mut s: Session) -> Session {
        s.facts = Box::new(Facts {
            repo: Some("github.com/acme/uploader".into()),
            branch: Some("main".into()),
            models: Some(vec!["claude-opus-4-5".into(), "claude-haiku-4-5".into()]),
            input_tokens: Some(1200),
            output_tokens: Some(3400),
            cache_read_tokens: Some(56_000),
            cache_write_tokens: Some(7800),
            cost_usd: Some(Usd::from_micros(1_089_590)),
            active_s: Some(3720),
            end_reason: Some("prompt_input_exit".into()),
            commit_count: Some(1),
            lines_added: Some(40),
            lines_removed: Some(7),
            files_changed: Some(3),
            claude_lines_added: Some(31),
            claude_lines_removed: Some(5),
            commits: Some(vec![sessions_core::facts::CommitFact {
                sha: "3f2a9c1e0b7d4a5f8c6e2d1b0a9f8e7d6c5b4a39".into(),
                patch_id: None,
                subject: "Retry uploads".into(),
                added: 30,
                removed: 5,
                uncounted_files: None,
                claude: true,
            }]),
            ..Facts::default()
        });
        s
    }

    #[test]
    fn get_shows_the_known_facts() {
        let now = Timestamp::parse("now", "2026-11-24T12:00:00Z").unwrap();
        let text = session_detail(
            &with_facts(session("T", "2026-11-24T11:00:00.000Z", None)),
            &now,
        );
        for line in [
            "  repo       github.com/acme/uploader\n",
            "  branch     main\n",
            "  duration   1h 02m active\n",
            "  tokens     1,200 in / 3,400 out / 56,000 cache read / 7,800 cache write\n",
            "  cost       $1.09 (estimate)\n",
            "  models     claude-opus-4-5, claude-haiku-4-5\n",
            "  ended      prompt_input_exit\n",
            "  changed    +40 -7 in 3 files (Claude's edits +31 -5)\n",
            "  commits    1\n",
            "             3f2a9c1 +30 -5 Retry uploads (with Claude)\n",
        ] {
            assert!(text.contains(line), "{line:?} in {text}");
        }
        let bare = session_detail(&session("T", "2026-11-24T11:00:00.000Z", None), &now);
        assert!(!bare.contains("repo") && !bare.contains("cost"), "{bare}");
    }

    #[test]
    fn list_shows_fact_columns_when_there_is_room() {
        let now = Timestamp::parse("now", "2026-11-24T12:00:00Z").unwrap();
        let items = [
            with_facts(session("With facts", "2026-11-24T11:00:00.000Z", None)),
            session("Without", "2026-11-24T10:00:00.000Z", None),
        ];
        let wide = table_text(&items, &now, Some(160));
        let lines: Vec<&str> = wide.lines().collect();
        assert!(
            lines[0].contains("REPO") && lines[0].contains("ACTIVE") && lines[0].contains("COST"),
            "{wide}"
        );
        assert!(
            lines[1].contains("github.com/acme/uploader")
                && lines[1].contains("1h 02m")
                && lines[1].contains("$1.09"),
            "{wide}"
        );
        assert!(
            lines[0].contains("COMMITS  LINES") && lines[1].contains("1        +40 -7"),
            "{wide}"
        );
        let medium = table_text(&items, &now, Some(130));
        assert!(
            medium.contains("REPO") && !medium.contains("COMMITS"),
            "commits give way first: {medium}"
        );
        assert!(lines[2].contains(" - "), "unknown facts are a dash: {wide}");
        assert!(wide.lines().all(|l| l.chars().count() <= 160));
        let narrow = table_text(&items, &now, Some(80));
        assert!(
            !narrow.contains("REPO") && narrow.lines().all(|l| l.chars().count() <= 80),
            "{narrow}"
        );
        assert!(table_text(&items, &now, None).contains("REPO"));
        let none = [session("Without", "2026-11-24T10:00:00.000Z", None)];
        assert!(!table_text(&none, &now, Some(200)).contains("REPO"));
    }
}
