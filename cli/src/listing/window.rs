//! The time window of a listing or report: `--since` and `--until` as people write them
//! (a duration back from now, a date, or a date/time), and which creation times fall inside.

use serde::Serialize;
use sessions_core::Timestamp;

use crate::error::{CliError, Kind};

/// Sessions created at or after `since` and before `until`; an open end is unbounded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Window {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// Where a creation time lies against the window. Listings run newest first, so `Older`
/// ends the listing and `Newer` is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Newer,
    Inside,
    Older,
}

impl Window {
    /// Reads `--since` and `--until` as of `now`.
    pub fn parse(
        since: Option<&str>,
        until: Option<&str>,
        now: &Timestamp,
    ) -> Result<Window, CliError> {
        let window = Window {
            since: since.map(|s| parse_since(s, now)).transpose()?,
            until: until.map(|u| parse_until(u, now)).transpose()?,
        };
        if let (Some(since), Some(until)) = (&window.since, &window.until)
            && since >= until
        {
            return Err(CliError::new(
                Kind::Invalid,
                format!("the window is empty: --since {since} is not before --until {until}"),
            )
            .help("put --since before --until, like --since 2026-11-01 --until 2026-11-08"));
        }
        Ok(window)
    }

    /// Where a session created at `created_at` lies. A creation time that cannot be read is
    /// kept inside: hiding a row over its timestamp would lose it silently.
    pub fn place(&self, created_at: &str) -> Place {
        let Ok(created) = created_at.parse::<Timestamp>() else {
            return Place::Inside;
        };
        if self.until.as_ref().is_some_and(|u| created >= *u) {
            Place::Newer
        } else if self.since.as_ref().is_some_and(|s| created < *s) {
            Place::Older
        } else {
            Place::Inside
        }
    }
}

/// `--since`: a duration back from now (30m, 12h, 7d, 2w) or an RFC 3339 date/time or date.
pub fn parse_since(raw: &str, now: &Timestamp) -> Result<Timestamp, CliError> {
    parse_when("--since", raw, now, false)
}

/// `--until`: as `--since`; a bare date means through the end of that day.
pub fn parse_until(raw: &str, now: &Timestamp) -> Result<Timestamp, CliError> {
    parse_when("--until", raw, now, true)
}

fn parse_when(
    flag: &str,
    raw: &str,
    now: &Timestamp,
    date_through_its_end: bool,
) -> Result<Timestamp, CliError> {
    let bad = || {
        CliError::new(Kind::Invalid, format!("{flag} {raw:?} is neither a duration nor a date"))
            .help("use a duration like 30m, 12h, 7d or 2w, or a date like 2026-11-01 or 2026-11-01T09:00:00Z")
    };
    Timestamp::when(raw, now, date_through_its_end).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse("now", "2026-11-24T12:00:00Z").unwrap()
    }

    #[test]
    fn since_forms() {
        let now = now();
        assert_eq!(
            parse_since("30m", &now).unwrap().to_string(),
            "2026-11-24T11:30:00.000Z"
        );
        assert_eq!(
            parse_since("2d", &now).unwrap().to_string(),
            "2026-11-22T12:00:00.000Z"
        );
        assert_eq!(
            parse_since("1w", &now).unwrap().to_string(),
            "2026-11-17T12:00:00.000Z"
        );
        assert_eq!(
            parse_since("2026-11-01", &now).unwrap().to_string(),
            "2026-11-01T00:00:00.000Z"
        );
        assert_eq!(
            parse_since("2026-11-01T09:00:00+01:00", &now)
                .unwrap()
                .to_string(),
            "2026-11-01T08:00:00.000Z"
        );
        for bad in ["", "7x", "-3d", "yesterday", "d"] {
            assert_eq!(
                parse_since(bad, &now).unwrap_err().kind,
                Kind::Invalid,
                "{bad}"
            );
        }
    }

    #[test]
    fn until_a_date_takes_the_whole_day() {
        let now = now();
        assert_eq!(
            parse_until("2026-11-20", &now).unwrap().to_string(),
            "2026-11-21T00:00:00.000Z"
        );
        assert_eq!(
            parse_until("2026-11-20T09:00:00Z", &now)
                .unwrap()
                .to_string(),
            "2026-11-20T09:00:00.000Z"
        );
        assert!(
            parse_until("tomorrow", &now)
                .unwrap_err()
                .message
                .contains("--until")
        );
    }

    #[test]
    fn places_against_the_window() {
        let w = Window::parse(Some("2026-11-10"), Some("2026-11-20"), &now()).unwrap();
        assert_eq!(w.place("2026-11-21T00:00:00.000Z"), Place::Newer);
        assert_eq!(w.place("2026-11-20T23:59:59.999Z"), Place::Inside);
        assert_eq!(w.place("2026-11-10T00:00:00.000Z"), Place::Inside);
        assert_eq!(w.place("2026-11-09T23:59:59.999Z"), Place::Older);
        assert_eq!(w.place("not a time"), Place::Inside);
        assert_eq!(
            Window::default().place("2020-01-01T00:00:00.000Z"),
            Place::Inside
        );
        let empty = Window::parse(Some("2026-11-20"), Some("2026-11-10"), &now()).unwrap_err();
        assert_eq!(empty.kind, Kind::Invalid);
    }
}
