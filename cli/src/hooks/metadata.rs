//! The title and summary of `capture = "metadata"`: the project, its branch, the local time and
//! the counts of the transcript, and never a word of the conversation.

use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Local, NaiveDateTime};
use sessions_core::{SessionId, Summary, Timestamp, Title};

use super::outcome::{Summarized, UNREADABLE_SUMMARY};
use crate::blocking;
use crate::git::Repo;
use crate::transcript::Counts;

/// Where a session ran: its project's name and, in a git repository, the branch checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub project: String,
    pub branch: Option<String>,
}

impl Place {
    /// The repository's name and branch when `cwd` is inside one, else the directory's own
    /// name. `None` without a directory to name. Blocking reads: for `blocking::within`.
    pub fn of(cwd: &Path) -> Option<Place> {
        let repo = Repo::discover(cwd);
        let project = repo
            .as_ref()
            .and_then(|repo| file_name(&repo.main_work_tree()))
            .or_else(|| file_name(cwd))?;
        Some(Place {
            project,
            branch: repo
                .and_then(|r| r.head())
                .map(|head| head.short_name().to_owned()),
        })
    }

    /// `Place::of`, off the async threads; `None` when the file system does not answer by
    /// `deadline`.
    pub async fn read_within(cwd: &Path, deadline: Instant) -> Option<Place> {
        let cwd = cwd.to_owned();
        blocking::within(deadline, move || Place::of(&cwd))
            .await
            .ok()
            .flatten()
    }
}

fn file_name(dir: &Path) -> Option<String> {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.trim().is_empty())
}

/// `sessions (main) · 2026-11-28 14:05`: where and when, in the reader's words.
pub fn title(session_id: &SessionId, place: Option<&Place>, started: NaiveDateTime) -> Title {
    let when = started.format("%Y-%m-%d %H:%M");
    let text = match place {
        Some(Place {
            project,
            branch: Some(branch),
        }) => format!("{project} ({branch}) · {when}"),
        Some(Place {
            project,
            branch: None,
        }) => format!("{project} · {when}"),
        None => format!("Claude Code session · {when}"),
    };
    Title::truncating(&text).unwrap_or_else(|| Title::placeholder(session_id))
}

/// `3 prompts, 12 tool calls, 4 files touched in 25 min.`
pub fn summary(counts: &Counts) -> String {
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let at_least = if counts.partial { "at least " } else { "" };
    let mut text = format!(
        "{at_least}{}, {}, {}",
        count(counts.prompts, "prompt", "prompts"),
        count(counts.tool_calls, "tool call", "tool calls"),
        count(counts.files_touched, "file touched", "files touched"),
    );
    if let Some(duration) = counts.duration() {
        // To the nearest minute; a session shorter than one still took one.
        let minutes = ((duration.as_secs() + 30) / 60).max(1);
        let span = match (minutes / 60, minutes % 60) {
            (0, m) => format!("{m} min"),
            (h, 0) => format!("{h} h"),
            (h, m) => format!("{h} h {m} min"),
        };
        text.push_str(&format!(" in {span}"));
    }
    text.push('.');
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    text
}

/// An instant as the wall clock here read it.
pub fn local(at: Timestamp) -> NaiveDateTime {
    let utc = i64::try_from(at.unix_millis())
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or_default();
    utc.with_timezone(&Local).naive_local()
}

/// The worker's title and summary under `capture = "metadata"`: from the transcript's counts
/// and the place only. The session started at its transcript's first entry (else it is named
/// by its end).
pub fn summarize(
    session_id: &SessionId,
    counts: Option<&Counts>,
    place: Option<&Place>,
    finished_at: Timestamp,
) -> Summarized {
    let started = counts.and_then(|c| c.first_at).unwrap_or(finished_at);
    let summary = match counts {
        Some(counts) => Summary::truncating(&summary(counts)),
        None => Summary::truncating(UNREADABLE_SUMMARY),
    };
    Summarized {
        title: title(session_id, place, local(started)),
        summary: summary.unwrap_or_else(Summary::placeholder),
        sources: ("metadata", "counts"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(t: &str) -> Timestamp {
        Timestamp::parse("test", t).unwrap()
    }

    fn noon() -> NaiveDateTime {
        NaiveDateTime::parse_from_str("2026-11-28 14:05:59", "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn titles_name_project_branch_and_minute() {
        let id = SessionId::parse("s-1").unwrap();
        let place = |branch: Option<&str>| Place {
            project: "sessions".to_owned(),
            branch: branch.map(str::to_owned),
        };
        assert_eq!(
            title(&id, Some(&place(Some("main"))), noon()).as_str(),
            "sessions (main) · 2026-11-28 14:05"
        );
        assert_eq!(
            title(&id, Some(&place(None)), noon()).as_str(),
            "sessions · 2026-11-28 14:05"
        );
        assert_eq!(
            title(&id, None, noon()).as_str(),
            "Claude Code session · 2026-11-28 14:05"
        );
        let long = Place {
            project: "p".repeat(300),
            branch: Some("b".repeat(300)),
        };
        let long_title = title(&id, Some(&long), noon());
        assert!(
            long_title.as_str().starts_with("ppp"),
            "clipped, not refused"
        );
    }

    #[test]
    fn summaries_are_counts_and_the_span() {
        let mut counts = Counts {
            prompts: 3,
            tool_calls: 12,
            files_touched: 4,
            ..Counts::default()
        };
        assert_eq!(
            summary(&counts),
            "3 prompts, 12 tool calls, 4 files touched."
        );
        counts.first_at = Some(at("2026-11-28T14:05:00Z"));
        counts.last_at = Some(at("2026-11-28T14:29:40Z"));
        assert_eq!(
            summary(&counts),
            "3 prompts, 12 tool calls, 4 files touched in 25 min."
        );
        counts.last_at = Some(at("2026-11-28T16:05:00Z"));
        assert!(summary(&counts).ends_with(" in 2 h."));
        counts.last_at = Some(at("2026-11-28T14:05:09Z"));
        assert!(summary(&counts).ends_with(" in 1 min."));
        counts.last_at = Some(at("2026-11-28T15:15:00Z"));
        assert!(summary(&counts).ends_with(" in 1 h 10 min."));
        let one = Counts {
            prompts: 1,
            tool_calls: 1,
            files_touched: 1,
            partial: true,
            ..Counts::default()
        };
        assert_eq!(
            summary(&one),
            "At least 1 prompt, 1 tool call, 1 file touched."
        );
        assert_eq!(
            summary(&Counts::default()),
            "0 prompts, 0 tool calls, 0 files touched."
        );
        assert_eq!(counts.duration(), Some(Duration::from_secs(70 * 60)));
    }

    #[test]
    fn a_repository_gives_its_name_and_branch_or_short_hash() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("sessions");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("cli/src")).unwrap();
        std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/feat/capture\n").unwrap();
        let expected = Place {
            project: "sessions".to_owned(),
            branch: Some("feat/capture".to_owned()),
        };
        assert_eq!(Place::of(&repo.join("cli/src")), Some(expected.clone()));
        assert_eq!(Place::of(&repo), Some(expected));

        std::fs::write(
            repo.join(".git/HEAD"),
            "3f2a9c1d0b8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a\n",
        )
        .unwrap();
        assert_eq!(
            Place::of(&repo).and_then(|p| p.branch).as_deref(),
            Some("3f2a9c1")
        );

        // A linked work tree: named after the main one, on its own branch.
        let linked = dir.path().join("wt-capture");
        let its_git = repo.join(".git/worktrees/wt-capture");
        std::fs::create_dir_all(&its_git).unwrap();
        std::fs::create_dir_all(&linked).unwrap();
        std::fs::write(its_git.join("HEAD"), "ref: refs/heads/capture\n").unwrap();
        std::fs::write(its_git.join("commondir"), "../..\n").unwrap();
        std::fs::write(
            linked.join(".git"),
            format!("gitdir: {}\n", its_git.display()),
        )
        .unwrap();
        assert_eq!(
            Place::of(&linked),
            Some(Place {
                project: "sessions".to_owned(),
                branch: Some("capture".to_owned()),
            })
        );

        // No repository: the directory's name, no branch.
        let plain = dir.path().join("notes");
        std::fs::create_dir_all(&plain).unwrap();
        assert_eq!(
            Place::of(&plain),
            Some(Place {
                project: "notes".to_owned(),
                branch: None,
            })
        );
    }
}
