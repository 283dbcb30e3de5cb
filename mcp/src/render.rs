//! The tools' answers as text for Claude: one line per session in a list, the whole row for one
//! session, a note when the log is old, and a hard cap on length far below Claude Code's
//! 10,000-token tool-output warning.

use sessions_core::facts::join_models;
use sessions_core::text::{clip, clip_at_word};
use sessions_core::{Session, Timestamp};

use crate::log::{Freshness, Hit, RecentQuery, SearchQuery, short_name};

/// The longest answer, in characters: about 2,000 tokens of English, and under the 10,000-token
/// warning even for text of one token a character (CJK).
pub const ANSWER_MAX_CHARS: usize = 8_000;
/// A log older than this gets a note saying how old it is.
pub const STALE_AFTER_S: i64 = 15 * 60;
const TITLE_CHARS: usize = 100;
/// `repo@branch` in a list: both may be 256 characters, the common ones are far shorter.
const PLACE_CHARS: usize = 100;
const SNIPPET_CHARS: usize = 200;
const SUMMARY_CHARS: usize = 6_000;
/// The commits `get_session` lists (a session may have 100), and how much of each subject:
/// about 1,000 characters at most, so the summary keeps its room.
const COMMITS_LISTED: usize = 10;
const SUBJECT_CHARS: usize = 80;
/// A commit id as `git show` takes it: 12 hex digits are unambiguous in any real repository.
const SHA_CHARS: usize = 12;

/// The answer to `search_sessions`.
pub fn search_answer(
    query: &SearchQuery,
    hits: &[Hit],
    fresh: &Freshness,
    now: &Timestamp,
) -> String {
    let mut scope = Vec::new();
    if let Some(repo) = &query.repo {
        scope.push(format!("repo {repo}"));
    }
    if let Some(person) = &query.person {
        scope.push(format!("person {person}"));
    }
    if let Some(since) = &query.since {
        scope.push(format!("since {}", minute(&since.to_string())));
    }
    let scope = if scope.is_empty() {
        String::new()
    } else {
        format!(" ({})", scope.join(", "))
    };
    let query_text = clip(&query.text, 100);
    if hits.is_empty() {
        let head = format!(
            "No teammate's session matches {query_text:?}{scope}. Try other or fewer words, a longer since, or no repo/person filter."
        );
        return finish(head, &[], None, fresh, now);
    }
    let head = format!(
        "{} session(s) match {query_text:?}{scope}, best first:",
        hits.len()
    );
    let lines: Vec<String> = hits
        .iter()
        .map(|h| list_line(&h.session, Some(&h.snippet)))
        .collect();
    let tail = "get_session with an id gives the summary and facts.";
    finish(head, &lines, Some(tail), fresh, now)
}

/// The answer to `recent_sessions`.
pub fn recent_answer(
    query: &RecentQuery,
    sessions: &[Session],
    fresh: &Freshness,
    now: &Timestamp,
) -> String {
    let scope = match (&query.repo, &query.branch) {
        (Some(repo), Some(branch)) => format!("in {repo} on branch {branch}"),
        (Some(repo), None) => format!("in {repo}"),
        (None, Some(branch)) => format!("on branch {branch}, any repository"),
        (None, None) => "in any repository".to_owned(),
    };
    if sessions.is_empty() {
        let head = format!(
            "No teammate's session {scope} yet. Try another repo or branch, or search_sessions."
        );
        return finish(head, &[], None, fresh, now);
    }
    let head = format!(
        "The latest {} session(s) {scope}, newest first:",
        sessions.len()
    );
    let lines: Vec<String> = sessions.iter().map(|s| list_line(s, None)).collect();
    let tail = "get_session with an id gives the summary and facts.";
    finish(head, &lines, Some(tail), fresh, now)
}

/// The answer to `get_session`: the whole row.
pub fn session_answer(s: &Session, fresh: &Freshness, now: &Timestamp) -> String {
    let mut lines = vec![
        format!("session: {}", s.session_id),
        format!("title: {}", s.title),
        format!("who: {} ({})", short_name(&s.user_arn), s.user_arn),
        format!("created: {}", s.created_at),
        match &s.finished_at {
            Some(at) => format!("status: finished {at}"),
            None => "status: in progress (not finished)".to_owned(),
        },
        format!("updated: {}", s.updated_at),
    ];
    let facts = &s.facts;
    lines.extend(
        facts
            .texts()
            .into_iter()
            .filter_map(|(name, value)| Some(format!("{name}: {}", clip(value?, 200)))),
    );
    if let Some(models) = &facts.models {
        lines.push(format!("models: {}", join_models(models)));
    }
    if let Some(cost) = &facts.cost_usd {
        lines.push(format!("cost_usd: {cost} (estimate)"));
    }
    lines.extend(
        facts
            .counts()
            .into_iter()
            .filter_map(|(name, value)| Some(format!("{name}: {}", value?))),
    );
    lines.extend(commit_lines(facts));
    lines.push(String::new());
    lines.push("summary:".to_owned());
    lines.push(clip(s.summary.trim(), SUMMARY_CHARS).into_owned());
    finish(lines.join("\n"), &[], None, fresh, now)
}

/// The session's commits, newest first, a line each: id, lines added and removed, subject.
fn commit_lines(facts: &sessions_core::Facts) -> Vec<String> {
    let Some(commits) = facts.commits.as_deref().filter(|c| !c.is_empty()) else {
        return Vec::new();
    };
    let mut lines = vec!["commits (newest first):".to_owned()];
    lines.extend(commits.iter().take(COMMITS_LISTED).map(|c| {
        let with = if c.claude {
            " (co-authored by Claude)"
        } else {
            ""
        };
        format!(
            "- {} +{} -{} {}{with}",
            c.sha.get(..SHA_CHARS).unwrap_or(&c.sha),
            c.added,
            c.removed,
            one_line(&clip_at_word(&c.subject, SUBJECT_CHARS)),
        )
    }));
    let total = facts.commit_count.unwrap_or(0).max(commits.len() as u64);
    let more = total.saturating_sub(COMMITS_LISTED.min(commits.len()) as u64);
    if more > 0 {
        lines.push(format!("- and {more} more"));
    }
    lines
}

/// The answer when a `get_session` id is not in the log.
pub fn not_found(session_id: &str, fresh: &Freshness, now: &Timestamp) -> String {
    let head = format!(
        "No session {session_id:?} in the team log: it was deleted, belongs to another workspace, or the id is mistyped. search_sessions or recent_sessions list the ids there are."
    );
    finish(head, &[], None, fresh, now)
}

/// What to add when the log may be behind: never synced, the latest sync failed, or old.
pub fn freshness_note(fresh: &Freshness, now: &Timestamp) -> Option<String> {
    let why = fresh
        .sync_error
        .as_deref()
        .map(|e| format!("; the latest sync failed: {}", clip(e.trim(), 300)))
        .unwrap_or_default();
    let Some(synced_at) = &fresh.synced_at else {
        return Some(format!(
            "Note: the team log has not been synced to this machine yet{why}; this answer may miss sessions."
        ));
    };
    let age_s =
        i64::try_from((now.unix_millis() - synced_at.unix_millis()) / 1000).unwrap_or(i64::MAX);
    if why.is_empty() && age_s <= STALE_AFTER_S {
        return None;
    }
    Some(format!(
        "Note: this answer is from the team log as of {}, {} ago{why}; newer sessions may be missing.",
        minute(&synced_at.to_string()),
        age(age_s)
    ))
}

/// One session on one line: id, who, when, where, title, whether it is still running, and
/// for a search the passage that matched.
fn list_line(s: &Session, snippet: Option<&str>) -> String {
    let mut line = format!(
        "- {} | {} | {} | {} | {}",
        s.session_id,
        short_name(&s.user_arn),
        minute(&s.created_at),
        clip(&place(s), PLACE_CHARS),
        one_line(&clip_at_word(&s.title, TITLE_CHARS)),
    );
    if s.finished_at.is_none() {
        line.push_str(" | in progress");
    }
    if let Some(snippet) = snippet.map(one_line).filter(|s| !s.is_empty()) {
        line.push_str(" | ");
        line.push_str(&clip_at_word(&snippet, SNIPPET_CHARS));
    }
    line
}

/// `repo@branch`, or whichever is known.
fn place(s: &Session) -> String {
    match (&s.facts.repo, &s.facts.branch) {
        (Some(repo), Some(branch)) => format!("{repo}@{branch}"),
        (Some(repo), None) => repo.clone(),
        (None, Some(branch)) => format!("?@{branch}"),
        (None, None) => "no repo".to_owned(),
    }
}

/// The head, as many whole lines as fit, the tail and the freshness note, within
/// [`ANSWER_MAX_CHARS`]; lines that do not fit are counted, not cut.
fn finish(
    head: String,
    lines: &[String],
    tail: Option<&str>,
    fresh: &Freshness,
    now: &Timestamp,
) -> String {
    let note = freshness_note(fresh, now);
    let reserved = note.as_ref().map_or(0, |n| n.chars().count() + 2) + 200;
    let budget = ANSWER_MAX_CHARS.saturating_sub(reserved);
    let mut out = clip(&head, budget).into_owned();
    let mut used = out.chars().count();
    let mut shown = 0;
    for line in lines {
        let len = line.chars().count() + 1;
        if used + len > budget {
            break;
        }
        out.push('\n');
        out.push_str(line);
        used += len;
        shown += 1;
    }
    if shown < lines.len() {
        out.push_str(&format!(
            "\n({} more not shown: ask for fewer with limit, or narrow the query)",
            lines.len() - shown
        ));
    }
    if let Some(tail) = tail {
        out.push('\n');
        out.push_str(tail);
    }
    if let Some(note) = note {
        out.push_str("\n\n");
        out.push_str(&note);
    }
    out
}

/// Whitespace runs (newlines included) as one space: a list item stays on its line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `2026-11-24T07:02:28.559Z` as `2026-11-24 07:02Z`.
fn minute(timestamp: &str) -> String {
    match (timestamp.get(..10), timestamp.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time}Z"),
        _ => timestamp.to_owned(),
    }
}

/// A duration for people: `40 minutes`, `3 hours`, `2 days`.
fn age(seconds: i64) -> String {
    let (n, unit) = match seconds.max(0) {
        s if s < 3600 => (s / 60, "minute"),
        s if s < 2 * 86_400 => (s / 3600, "hour"),
        s => (s / 86_400, "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::session;

    fn now() -> Timestamp {
        Timestamp::parse("now", "2026-11-24T12:00:00Z").unwrap()
    }

    fn fresh() -> Freshness {
        Freshness {
            synced_at: Some(Timestamp::parse("t", "2026-11-24T11:59:00Z").unwrap()),
            sync_error: None,
        }
    }

    fn query(text: &str) -> SearchQuery {
        SearchQuery {
            text: text.to_owned(),
            repo: None,
            person: None,
            since: None,
            limit: 10,
            exclude_session_id: None,
            marks: ("[", "]"),
        }
    }

    #[test]
    fn a_search_lists_one_line_per_session() {
        let mut s = session(
            "s-1",
            "alice",
            "2026-11-20T09:30:00.123Z",
            "Fix the flaky login test",
        );
        s.facts.repo = Some("github.com/acme/api".to_owned());
        s.facts.branch = Some("fix/login".to_owned());
        let hit = Hit {
            session: s,
            snippet: "the [login]\ntest waited\t on a timer".to_owned(),
        };
        let text = search_answer(&query("login"), &[hit], &fresh(), &now());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "1 session(s) match \"login\", best first:");
        assert_eq!(
            lines[1],
            "- s-1 | alice | 2026-11-20 09:30Z | github.com/acme/api@fix/login | Fix the flaky login test | the [login] test waited on a timer"
        );
        assert!(lines[2].contains("get_session"));
        assert_eq!(lines.len(), 3, "fresh log: no note\n{text}");
    }

    #[test]
    fn an_empty_search_says_what_to_try() {
        let mut q = query("nothing");
        q.repo = Some("acme/api".to_owned());
        q.since = Some(Timestamp::parse("t", "2026-11-01T00:00:00Z").unwrap());
        let text = search_answer(&q, &[], &fresh(), &now());
        assert!(
            text.starts_with("No teammate's session matches \"nothing\" (repo acme/api, since 2026-11-01 00:00Z)."),
            "{text}"
        );
    }

    #[test]
    fn an_unfinished_session_says_so() {
        let mut s = session("s-2", "bob", "2026-11-24T10:00:00.000Z", "Migrate billing");
        s.finished_at = None;
        let q = RecentQuery {
            repo: None,
            branch: None,
            limit: 10,
            exclude_session_id: None,
        };
        let text = recent_answer(&q, &[s], &fresh(), &now());
        assert!(text.starts_with("The latest 1 session(s) in any repository, newest first:"));
        assert!(
            text.contains("| no repo | Migrate billing | in progress"),
            "{text}"
        );
    }

    #[test]
    fn the_whole_row_shows_facts_and_summary() {
        let mut s = session("s-3", "carol", "2026-11-23T08:00:00.000Z", "Speed up CI");
        s.facts.repo = Some("github.com/acme/api".to_owned());
        s.facts.models = Some(vec![
            "claude-opus-4-5".to_owned(),
            "claude-haiku-4-5".to_owned(),
        ]);
        s.facts.prompts = Some(12);
        s.summary = "Cached the cargo registry.\nCI went from 9 to 4 minutes.".to_owned();
        let text = session_answer(&s, &fresh(), &now());
        for want in [
            "session: s-3",
            "title: Speed up CI",
            "who: carol (arn:aws:iam::123456789012:user/carol)",
            "status: finished 2026-11-23T08:00:00.000Z",
            "repo: github.com/acme/api",
            "models: claude-opus-4-5, claude-haiku-4-5",
            "prompts: 12",
            "summary:\nCached the cargo registry.\nCI went from 9 to 4 minutes.",
        ] {
            assert!(text.contains(want), "{want:?} in\n{text}");
        }
    }

    #[test]
    fn the_whole_row_lists_its_commits_bounded() {
        let mut s = session("s-4", "dave", "2026-11-23T08:00:00.000Z", "Retry uploads");
        let commit = |i: usize| sessions_core::facts::CommitFact {
            sha: format!("{i:02}{}", "ab".repeat(19)),
            patch_id: None,
            subject: format!("Change {i} {}", "word ".repeat(100)),
            added: 10 + i as u64,
            removed: 1,
            uncounted_files: None,
            claude: i == 0,
        };
        s.facts.commit_count = Some(130);
        s.facts.commits = Some((0..100).map(commit).collect());
        let text = session_answer(&s, &fresh(), &now());
        assert!(text.contains("commit_count: 130"), "{text}");
        assert!(
            text.contains("commits (newest first):\n- 00ababababab +10 -1 Change 0 word"),
            "{text}"
        );
        assert!(text.contains("(co-authored by Claude)"), "{text}");
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("- ") && l.contains(" +"))
                .count(),
            10
        );
        assert!(text.contains("- and 120 more\n"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 130), "{text}");
        assert!(text.contains("summary:"), "{text}");
        s.facts.commits = Some(Vec::new());
        s.facts.commit_count = Some(0);
        let none = session_answer(&s, &fresh(), &now());
        assert!(!none.contains("commits (newest first)") && none.contains("commit_count: 0"));
    }

    #[test]
    fn answers_stay_under_the_cap() {
        let long = "word ".repeat(4000);
        let hits: Vec<Hit> = (0..20)
            .map(|i| Hit {
                session: session(
                    &format!("s-{i}"),
                    "alice",
                    "2026-11-20T09:30:00.000Z",
                    &long[..250],
                ),
                snippet: long.clone(),
            })
            .collect();
        let text = search_answer(&query(&long), &hits, &fresh(), &now());
        assert!(text.chars().count() <= ANSWER_MAX_CHARS);
        assert_eq!(
            text.lines().filter(|l| l.starts_with("- s-")).count(),
            20,
            "20 short lines fit"
        );
        let mut s = session("s-big", "alice", "2026-11-20T09:30:00.000Z", "Big");
        s.summary = "é".repeat(16_000);
        let stale = Freshness {
            synced_at: None,
            sync_error: Some("x".repeat(5000)),
        };
        let text = session_answer(&s, &stale, &now());
        assert!(
            text.chars().count() <= ANSWER_MAX_CHARS,
            "{}",
            text.chars().count()
        );
        assert!(text.contains("Note: the team log has not been synced"));
    }

    #[test]
    fn lines_that_do_not_fit_are_counted() {
        let lines: Vec<String> = (0..100)
            .map(|i| format!("- {i} {}", "x".repeat(400)))
            .collect();
        let text = finish("head".to_owned(), &lines, Some("tail"), &fresh(), &now());
        assert!(text.chars().count() <= ANSWER_MAX_CHARS);
        assert!(text.contains("more not shown"), "{text}");
        assert!(text.ends_with("tail"));
    }

    #[test]
    fn the_note_says_how_old_the_log_is() {
        let at = |t: &str| Some(Timestamp::parse("t", t).unwrap());
        assert_eq!(freshness_note(&fresh(), &now()), None);
        let old = Freshness {
            synced_at: at("2026-11-24T09:00:00Z"),
            sync_error: None,
        };
        assert_eq!(
            freshness_note(&old, &now()).unwrap(),
            "Note: this answer is from the team log as of 2026-11-24 09:00Z, 3 hours ago; newer sessions may be missing."
        );
        let offline = Freshness {
            synced_at: at("2026-11-24T11:58:00Z"),
            sync_error: Some("cannot reach the API: connection refused".to_owned()),
        };
        assert_eq!(
            freshness_note(&offline, &now()).unwrap(),
            "Note: this answer is from the team log as of 2026-11-24 11:58Z, 2 minutes ago; the latest sync failed: cannot reach the API: connection refused; newer sessions may be missing."
        );
        assert_eq!(age(59), "0 minutes");
        assert_eq!(age(3600), "1 hour");
        assert_eq!(age(3 * 86_400), "3 days");
    }
}
