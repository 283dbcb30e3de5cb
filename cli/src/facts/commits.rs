//! What came of a session: its commits and changed lines, from the one git reader, as facts.

use std::path::{Path, PathBuf};
use std::time::Instant;

use sessions_core::facts::{CommitFact, SUBJECT_MAX_CHARS};
use sessions_core::text::clip;

use crate::blocking;
use crate::git::{Repo, SessionChange, Start};

/// The session's commits and lines in the repository holding `dir`, by `deadline`: nothing
/// outside a repository, or when the reads do not finish in time (the reader also stops
/// itself at the deadline, so a slow pass does not outlive it for long).
pub async fn commit_facts(
    dir: Option<PathBuf>,
    start: Option<Start>,
    until: i64,
    deadline: Instant,
) -> Option<SessionChange> {
    let dir = dir?;
    blocking::within(deadline, move || {
        change_in(&dir, start.as_ref(), until, deadline)
    })
    .await
    .ok()
    .flatten()
}

fn change_in(
    dir: &Path,
    start: Option<&Start>,
    until: i64,
    deadline: Instant,
) -> Option<SessionChange> {
    Some(Repo::discover(dir)?.session_change(start, until, deadline))
}

/// Sets the commit facts that `change` knows.
pub fn fill_from_change(facts: &mut sessions_core::Facts, change: &SessionChange) {
    if let Some(lines) = &change.lines {
        facts.lines_added = Some(lines.added);
        facts.lines_removed = Some(lines.removed);
        facts.files_changed = Some(lines.paths.len() as u64);
    }
    facts.commit_count = change.commit_count;
    facts.commits = change.commits.as_ref().map(|commits| {
        commits
            .iter()
            .map(|c| CommitFact {
                sha: c.id.clone(),
                patch_id: c.patch_id.clone(),
                subject: one_line(&c.subject),
                added: c.added,
                removed: c.removed,
                uncounted_files: (c.uncounted_files > 0).then_some(c.uncounted_files),
                claude: c.claude,
            })
            .collect()
    });
}

/// A subject as one clipped line: control characters (a tab, a stray `\r`) as spaces.
fn one_line(subject: &str) -> String {
    let plain: String = subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    clip(plain.trim(), SUBJECT_MAX_CHARS).into_owned()
}
