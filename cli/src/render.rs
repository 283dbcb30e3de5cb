//! Two renderings of the same values: readable text for people, JSON for scripts.

use std::io::{self, Write};

use serde::Serialize;
use sessions_core::text::clip;
use sessions_core::{Session, Timestamp};

use crate::error::{CliError, Kind};

/// Which rendering: for people, one JSON document, or one JSON object per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Jsonl,
}

fn write_err(e: io::Error) -> CliError {
    CliError::new(Kind::Unavailable, format!("cannot write the output: {e}"))
}

/// Prints `value` as one pretty JSON document.
pub fn json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::new(Kind::Unavailable, e.to_string()))?;
    writeln!(io::stdout(), "{text}").map_err(write_err)
}

/// A report (`whoami`, `config show`, `outbox status`): one value, printed for people or,
/// with `--json`, as the value itself.
pub trait Report: Serialize {
    /// The rendering for people.
    fn human(&self) -> String;
}

/// Prints `report` for people, or as one JSON document.
pub fn report<R: Report>(report: &R, as_json: bool) -> Result<(), CliError> {
    if as_json {
        json(report)
    } else {
        write!(io::stdout(), "{}", report.human()).map_err(write_err)
    }
}

/// Prints each item as one JSON line.
pub fn jsonl<T: Serialize>(items: &[T]) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    for item in items {
        let line = serde_json::to_string(item)
            .map_err(|e| CliError::new(Kind::Unavailable, e.to_string()))?;
        writeln!(out, "{line}").map_err(write_err)?;
    }
    Ok(())
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
    session
        .user_arn
        .rsplit('/')
        .next()
        .unwrap_or(&session.user_arn)
}

/// The width to fit tables to: the terminal's, else `COLUMNS`, else none (no truncation).
fn width() -> Option<usize> {
    terminal_size::terminal_size()
        .map(|(w, _)| usize::from(w.0))
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
}

pub fn sessions(items: &[Session], format: Format) -> Result<(), CliError> {
    match format {
        Format::Json => json(&items),
        Format::Jsonl => jsonl(items),
        Format::Human => sessions_table(items, &Timestamp::now(), width()),
    }
}

pub fn session(item: &Session, format: Format) -> Result<(), CliError> {
    match format {
        Format::Json => json(item),
        Format::Jsonl => jsonl(std::slice::from_ref(item)),
        Format::Human => {
            let text = session_detail(item, &Timestamp::now());
            write!(io::stdout(), "{text}").map_err(write_err)
        }
    }
}

fn session_detail(s: &Session, now: &Timestamp) -> String {
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
    ] {
        out.push_str(&format!("  {label:<10} {value}\n"));
    }
    out.push_str(&format!("\n{}\n", s.summary));
    out
}

pub fn table_text(items: &[Session], now: &Timestamp, width: Option<usize>) -> String {
    if items.is_empty() {
        return "no sessions\n".to_owned();
    }
    let rows: Vec<[String; 5]> = items
        .iter()
        .map(|s| {
            [
                relative(&s.created_at, now),
                status(s, now),
                clip(who(s), 24).into_owned(),
                clip(&s.session_id, 36).into_owned(),
                s.title.clone(),
            ]
        })
        .collect();
    let headers = ["CREATED", "STATUS", "BY", "SESSION", "TITLE"];
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (i, cell) in row.iter().enumerate().take(4) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let fixed: usize = widths[..4].iter().map(|w| w + 2).sum();
    let title_width = width.map(|w| w.saturating_sub(fixed).max(10));
    let line = |cells: [&str; 5]| {
        let title = match title_width {
            Some(w) => clip(cells[4], w),
            None => cells[4].into(),
        };
        format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {title}\n",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
        )
    };
    let mut out = line(headers);
    for row in &rows {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4]]));
    }
    out
}

fn sessions_table(
    items: &[Session],
    now: &Timestamp,
    width: Option<usize>,
) -> Result<(), CliError> {
    write!(io::stdout(), "{}", table_text(items, now, width)).map_err(write_err)
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
}
