//! One session as a row of the page's table. Cells that sort by number carry the number in
//! `data-v`; a fact the session did not record has none and shows "-". The title expands to
//! the summary and the session's commits.

use maud::{Markup, html};
use sessions_core::{Facts, Session, Timestamp};

use crate::git::SHORT_SHA;
use crate::render::{dollars, duration, short_who, thousands, unknown};

pub fn render(s: &Session, person: usize) -> Markup {
    let facts = &s.facts;
    let wall = wall_seconds(s);
    let repo = facts.repo.as_deref();
    let commits = facts.commits.as_deref().unwrap_or_default();
    html! {
        tr class={ "session p" (person) } data-session-id=(s.session_id) data-person=(s.user_arn)
            data-repo=(repo.unwrap_or("-")) {
            td.num data-v=(s.created_at) { time datetime=(s.created_at) { (started(&s.created_at)) } }
            td title=(s.user_arn) { span.dot {} (short_who(&s.user_arn)) }
            td title=[repo] { (repo.map_or("-", short_repo)) }
            td { (facts.branch.as_deref().unwrap_or("-")) }
            td.title {
                @if s.summary.is_empty() && commits.is_empty() {
                    (s.title)
                } @else {
                    details {
                        summary { (s.title) }
                        @if !s.summary.is_empty() { div.summary-text { (s.summary) } }
                        @if !commits.is_empty() {
                            ul.commits {
                                @for c in commits {
                                    li data-sha=(c.sha) {
                                        code title=(c.sha) { (c.sha.get(..SHORT_SHA).unwrap_or(&c.sha)) }
                                        " " span.subject { (c.subject) }
                                        " " span.add { "+" (thousands(c.added)) }
                                        " " span.del { "\u{2212}" (thousands(c.removed)) }
                                        @if c.claude { " " span.claude title="Co-Authored-By: Claude" { "with Claude" } }
                                    }
                                }
                                @if let Some(more) = unlisted(facts) {
                                    li.more { (more) " more not listed" }
                                }
                            }
                        }
                    }
                }
            }
            td.num data-v=[wall] { (wall.map_or_else(unknown, duration)) }
            td.num data-v=[facts.active_s] { (facts.active_s.map_or_else(unknown, duration)) }
            td.num data-v=[facts.cost_usd.map(|c| c.micros())] {
                (facts.cost_usd.map_or_else(unknown, dollars))
            }
            td.num data-v=[facts.commit_count] title=[change(facts)] {
                (facts.commit_count.map_or_else(unknown, thousands))
            }
            td {
                @if s.finished_at.is_some() {
                    "finished"
                } @else {
                    span.open { "open" }
                }
            }
        }
    }
}

/// Commits the session made beyond those it lists (it lists at most 100).
fn unlisted(facts: &Facts) -> Option<u64> {
    let listed = facts.commits.as_ref()?.len() as u64;
    facts.commit_count?.checked_sub(listed).filter(|n| *n > 0)
}

/// `+40 −7 lines`: the session's whole change, committed or not, as the cell's tooltip.
fn change(facts: &Facts) -> Option<String> {
    Some(format!(
        "+{} \u{2212}{} lines",
        thousands(facts.lines_added?),
        thousands(facts.lines_removed?)
    ))
}

/// `2026-11-24 09:05`: minutes are enough to place a session, and the column says UTC.
fn started(created_at: &str) -> String {
    created_at
        .get(..16)
        .map_or_else(|| created_at.to_owned(), |t| t.replace('T', " "))
}

/// From creation to the end, for a finished session.
fn wall_seconds(s: &Session) -> Option<u64> {
    let created: Timestamp = s.created_at.parse().ok()?;
    let finished: Timestamp = s.finished_at.as_deref()?.parse().ok()?;
    let ms = finished.unix_millis() - created.unix_millis();
    u64::try_from(ms / 1000).ok()
}

/// `acme/uploader` for `github.com/acme/uploader`: the host is the same for nearly every row;
/// the cell's title keeps it.
fn short_repo(repo: &str) -> &str {
    repo.split_once('/').map_or(repo, |(_, rest)| rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sessions_core::{Facts, Usd};

    fn session(title: &str, summary: &str) -> Session {
        Session {
            uuid: "u".into(),
            session_id: "s-1".into(),
            user_uuid: "uu".into(),
            workspace_uuid: "w".into(),
            title: title.into(),
            summary: summary.into(),
            created_at: "2026-11-24T09:05:30.000Z".into(),
            finished_at: Some("2026-11-24T10:07:31.000Z".into()),
            updated_at: "2026-11-24T10:07:31.000Z".into(),
            user_arn: "arn:aws:iam::1:user/alice".into(),
            facts: Box::new(Facts {
                repo: Some("github.com/acme/uploader".into()),
                cost_usd: Some(Usd::from_micros(1_250_000)),
                ..Facts::default()
            }),
        }
    }

    #[test]
    fn text_is_escaped_and_facts_sort_by_number() {
        let html = render(&session("<script>alert(1)</script> & \"q\"", "a < b"), 3).into_string();
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;"),
            "{html}"
        );
        assert!(html.contains("a &lt; b"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains(r#"class="session p3""#), "{html}");
        assert!(
            html.contains(r#"data-repo="github.com/acme/uploader""#),
            "{html}"
        );
        assert!(html.contains(">acme/uploader<"), "{html}");
        assert!(html.contains(r#"data-v="1250000">$1.25<"#), "{html}");
        assert!(
            html.contains(r#"data-v="3721">1h 02m<"#),
            "wall time: {html}"
        );
        assert!(html.contains(">2026-11-24 09:05<"), "{html}");
        // Unknown facts show "-" and carry no number, so that they sort last.
        assert!(html.contains(r#"<td class="num">-</td>"#), "{html}");
    }

    #[test]
    fn the_title_expands_to_the_commits() {
        let mut s = session("Retry uploads", "");
        s.facts.commit_count = Some(3);
        s.facts.lines_added = Some(1_240);
        s.facts.lines_removed = Some(7);
        s.facts.commits = Some(vec![sessions_core::facts::CommitFact {
            sha: "3f2a9c1e0b7d4a5f8c6e2d1b0a9f8e7d6c5b4a39".into(),
            patch_id: None,
            subject: "Retry <uploads>".into(),
            added: 1_230,
            removed: 5,
            uncounted_files: None,
            claude: true,
        }]);
        let html = render(&s, 0).into_string();
        assert!(
            html.contains("<details><summary>Retry uploads</summary>"),
            "{html}"
        );
        assert!(!html.contains("summary-text"), "no empty summary: {html}");
        for want in [
            r#"<li data-sha="3f2a9c1e0b7d4a5f8c6e2d1b0a9f8e7d6c5b4a39">"#,
            r#"<code title="3f2a9c1e0b7d4a5f8c6e2d1b0a9f8e7d6c5b4a39">3f2a9c1</code>"#,
            r#"<span class="subject">Retry &lt;uploads&gt;</span>"#,
            r#"<span class="add">+1,230</span>"#,
            "<span class=\"del\">\u{2212}5</span>",
            ">with Claude<",
            r#"<li class="more">2 more not listed</li>"#,
            "title=\"+1,240 \u{2212}7 lines\">3<",
            r#"data-v="3""#,
        ] {
            assert!(html.contains(want), "{want} in {html}");
        }
    }

    #[test]
    fn without_a_summary_the_title_is_plain() {
        let mut s = session("Uploads", "");
        *s.facts = Default::default();
        s.finished_at = None;
        let html = render(&s, 0).into_string();
        assert!(!html.contains("<details>"), "{html}");
        assert!(html.contains(r#"data-repo="-""#), "{html}");
        assert!(html.contains(r#"<span class="open">open</span>"#), "{html}");
    }
}
