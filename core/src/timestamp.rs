//! The one way the API writes a time: a UTC instant at millisecond precision, RFC 3339 with
//! a `Z`, fixed-width, so that timestamps sort and compare as strings in DynamoDB.

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use chrono::{DateTime, Datelike, SubsecRound, TimeDelta, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};
use crate::fields::clip;

/// A UTC instant at millisecond precision, always written fixed-width
/// (`2026-11-24T07:02:28.559Z`) so that timestamps sort and compare as strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Parses any RFC 3339 timestamp (any offset, any fraction) and normalizes it to UTC
    /// milliseconds. `field` names the value in the error.
    pub fn parse(field: &str, raw: &str) -> Result<Self, ApiError> {
        Timestamp::parse_named(Some(field), raw)
    }

    fn parse_named(field: Option<&str>, raw: &str) -> Result<Self, ApiError> {
        let fail = |why: &str| {
            let named = field.map(|f| format!("{f} ")).unwrap_or_default();
            ApiError::new(
                ErrorCode::InvalidTimestamp,
                format!(
                    "{named}{:?} {why}; expected an RFC 3339 timestamp like 2026-11-24T07:02:28.559Z",
                    clip(raw)
                ),
            )
        };
        let utc = DateTime::parse_from_rfc3339(&with_t_separator(raw))
            .map_err(|_| fail("is not a timestamp"))?
            .to_utc();
        let utc = match leap_second_stand_in(utc) {
            Some(Ok(stand_in)) => stand_in,
            Some(Err(())) => return Err(fail("is not a timestamp")),
            None => utc,
        };
        if utc.year() < 1970 || utc.year() > 9999 {
            return Err(fail("is out of range (years 1970-9999)"));
        }
        Ok(Timestamp(utc.trunc_subsecs(3)))
    }

    pub fn now() -> Self {
        Timestamp::from_system_time(SystemTime::now())
    }

    pub fn from_system_time(t: SystemTime) -> Self {
        Timestamp(DateTime::<Utc>::from(t).trunc_subsecs(3))
    }

    pub fn unix_millis(&self) -> i128 {
        i128::from(self.0.timestamp_millis())
    }

    /// This instant moved by `seconds`; past the calendar's ends it stops there.
    pub fn plus_seconds(&self, seconds: i64) -> Self {
        let end = if seconds < 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        };
        let moved = TimeDelta::try_seconds(seconds).and_then(|d| self.0.checked_add_signed(d));
        Timestamp(moved.unwrap_or(end))
    }

    /// A time as people write it on a command line or in a tool call: a duration back from
    /// `now` (30m, 12h, 7d, 2w) or an RFC 3339 date/time or date. A bare date is its start, or
    /// with `date_through_its_end` the end of that day. `None` when it is neither.
    pub fn when(raw: &str, now: &Timestamp, date_through_its_end: bool) -> Option<Self> {
        let raw = raw.trim();
        if let Some(unit) = raw.chars().last().filter(char::is_ascii_alphabetic)
            && let Ok(n) = raw[..raw.len() - 1].parse::<i64>()
        {
            let seconds = match unit {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => return None,
            };
            return n
                .checked_mul(seconds)
                .filter(|s| *s >= 0)
                .map(|s| now.plus_seconds(-s));
        }
        if raw.len() == 10 {
            let start = Timestamp::parse("date", &format!("{raw}T00:00:00Z")).ok()?;
            return Some(if date_through_its_end {
                start.plus_seconds(86_400)
            } else {
                start
            });
        }
        Timestamp::parse("time", raw).ok()
    }
}

/// RFC 3339 lets applications choose the date-time separator (section 5.6, NOTE): any one
/// character is taken there, read as the `T` the parser knows.
fn with_t_separator(raw: &str) -> std::borrow::Cow<'_, str> {
    match raw.as_bytes().get(10) {
        Some(b) if b.is_ascii() && *b != b'T' => {
            std::borrow::Cow::Owned(format!("{}T{}", &raw[..10], &raw[11..]))
        }
        _ => std::borrow::Cow::Borrowed(raw),
    }
}

/// A leap second (`:60`, which RFC 3339 allows) stands in as the last millisecond before it,
/// and exists only as the last second of a month in UTC. `None`: not a leap second.
fn leap_second_stand_in(utc: DateTime<Utc>) -> Option<Result<DateTime<Utc>, ()>> {
    if utc.nanosecond() < 1_000_000_000 {
        return None;
    }
    let last_of_month = utc
        .date_naive()
        .succ_opt()
        .is_some_and(|next| next.day() == 1);
    let at_the_end = utc.hour() == 23 && utc.minute() == 59 && last_of_month;
    Some(
        at_the_end
            .then(|| utc.with_nanosecond(999_999_999))
            .flatten()
            .ok_or(()),
    )
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Years 1970-9999 only: always four digits, so the text is fixed-width.
        write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%S%.3fZ"))
    }
}

impl FromStr for Timestamp {
    type Err = ApiError;
    fn from_str(raw: &str) -> Result<Self, ApiError> {
        Timestamp::parse_named(None, raw)
    }
}

impl TryFrom<String> for Timestamp {
    type Error = ApiError;
    fn try_from(raw: String) -> Result<Self, ApiError> {
        raw.parse()
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_normalize_to_fixed_width_utc_millis() {
        let t = Timestamp::parse("finished_at", "2026-11-24T08:02:28.559876+01:00").unwrap();
        assert_eq!(t.to_string(), "2026-11-24T07:02:28.559Z");
        let t = Timestamp::parse("finished_at", "2026-11-24T07:02:28Z").unwrap();
        assert_eq!(t.to_string(), "2026-11-24T07:02:28.000Z");
        for bad in [
            "",
            "yesterday",
            "2026-11-24",
            "2026-11-24 07:02:28",
            "1969-12-31T23:59:59Z",
        ] {
            let err = Timestamp::parse("finished_at", bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidTimestamp, "{bad:?}");
            assert!(err.message.contains("finished_at"));
        }
        assert_eq!(Timestamp::now().to_string().len(), 24);
    }

    #[test]
    fn any_one_separator_and_only_real_leap_seconds() {
        let read = |raw: &str| Timestamp::parse("t", raw).map(|t| t.to_string());
        for sep in ["T", "t", " ", "_"] {
            assert_eq!(
                read(&format!("2026-11-24{sep}07:02:28Z")).unwrap(),
                "2026-11-24T07:02:28.000Z"
            );
        }
        assert!(read("2026-11-24é07:02:28Z").is_err());
        assert_eq!(
            read("2026-12-31T23:59:60.5Z").unwrap(),
            "2026-12-31T23:59:59.999Z"
        );
        assert_eq!(
            read("2026-07-01T01:59:60+02:00").unwrap(),
            "2026-06-30T23:59:59.999Z"
        );
        for not_leap in ["2026-11-24T07:02:60Z", "2026-12-30T23:59:60Z"] {
            assert!(read(not_leap).is_err(), "{not_leap}");
        }
        let far = Timestamp::parse("t", "2026-11-24T07:02:28Z").unwrap();
        assert!(far.plus_seconds(i64::MIN) < far && far.plus_seconds(i64::MAX) > far);
    }
}
