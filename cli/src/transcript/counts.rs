//! How much happened in a session, counted from its transcript: numbers and times, never its text.

use std::time::Duration;

use sessions_core::Timestamp;

/// What a session did, in numbers: safe to send where the conversation itself may not go
/// (`capture = "metadata"`). Counted over the whole transcript in the same pass as the facts,
/// which are these same numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Prompts the user typed or slash commands with arguments (`Digest::prompts`).
    pub prompts: usize,
    /// Tool calls the model made, of every tool, each once.
    pub tool_calls: usize,
    /// Distinct files edited or written.
    pub files_touched: usize,
    /// The earliest time a conversation entry of the transcript records.
    pub first_at: Option<Timestamp>,
    /// The latest time a conversation entry of the transcript records.
    pub last_at: Option<Timestamp>,
    /// The transcript was not read to its end (its deadline came first): the numbers are lower
    /// bounds.
    pub partial: bool,
}

impl Counts {
    /// Takes the time of one entry into the session's span.
    pub fn saw_time(&mut self, at: Timestamp) {
        self.first_at = Some(self.first_at.map_or(at, |t| t.min(at)));
        self.last_at = Some(self.last_at.map_or(at, |t| t.max(at)));
    }

    /// From the first entry to the last, when the transcript records both.
    pub fn duration(&self) -> Option<Duration> {
        let (first, last) = (self.first_at?, self.last_at?);
        let millis = u64::try_from(last.unix_millis() - first.unix_millis()).ok()?;
        Some(Duration::from_millis(millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::testing::*;

    #[test]
    fn the_basic_fixture_counts_its_prompts_tools_files_and_span() {
        let counts = fixture("transcript-basic.jsonl").counts;
        assert_eq!(
            (counts.prompts, counts.tool_calls, counts.files_touched),
            (2, 3, 1)
        );
        assert_eq!(
            counts.first_at.map(|t| t.to_string()).as_deref(),
            Some("2026-11-20T09:00:00.000Z")
        );
        assert_eq!(
            counts.last_at.map(|t| t.to_string()).as_deref(),
            Some("2026-11-20T09:03:09.000Z")
        );
        assert_eq!(counts.duration(), Some(Duration::from_secs(189)));
        assert!(!counts.partial);
    }

    #[test]
    fn entries_out_of_order_or_without_a_time_still_give_the_span() {
        let at = |t: &str| {
            serde_json::json!({"type": "user", "timestamp": t, "message": {"role": "user", "content": "go"}})
                .to_string()
        };
        let (_dir, path) = transcript(&[
            at("2026-11-20T10:00:00Z"),
            at("2026-11-20T09:30:00+00:00"),
            at("not a time"),
            user("no time at all"),
            at("2026-11-20T10:05:00.250Z"),
        ]);
        let counts = digest(&path, crate::transcript::Limits::default())
            .unwrap()
            .counts;
        assert_eq!(counts.prompts, 5);
        assert_eq!(
            counts.duration(),
            Some(Duration::from_millis(35 * 60_000 + 250))
        );

        let (_dir, path) = transcript(&[user("no time"), assistant("nor here")]);
        let counts = digest(&path, crate::transcript::Limits::default())
            .unwrap()
            .counts;
        assert_eq!((counts.first_at, counts.duration()), (None, None));
    }
}
