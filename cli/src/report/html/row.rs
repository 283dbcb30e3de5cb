//! One session as a row of the page's table. Cells that sort by number carry the number in
//! `data-v`; a fact the session did not record has none and shows "-".

use maud::{Markup, html};
use sessions_core::{Session, Timestamp};

use crate::render::{dollars, duration, short_who, unknown};

pub fn render(s: &Session, person: usize) -> Markup {
    let facts = &s.facts;
    let wall = wall_seconds(s);
    let repo = facts.repo.as_deref();
    html! {
        tr class={ "session p" (person) } data-session-id=(s.session_id) data-person=(s.user_arn)
            data-repo=(repo.unwrap_or("-")) {
            td.num data-v=(s.created_at) { time datetime=(s.created_at) { (started(&s.created_at)) } }
            td title=(s.user_arn) { span.dot {} (short_who(&s.user_arn)) }
            td title=[repo] { (repo.map_or("-", short_repo)) }
            td { (facts.branch.as_deref().unwrap_or("-")) }
            td.title {
                @if s.summary.is_empty() {
                    (s.title)
                } @else {
                    details { summary { (s.title) } div.summary-text { (s.summary) } }
                }
            }
            td.num data-v=[wall] { (wall.map_or_else(unknown, duration)) }
            td.num data-v=[facts.active_s] { (facts.active_s.map_or_else(unknown, duration)) }
            td.num data-v=[facts.cost_usd.map(|c| c.micros())] {
                (facts.cost_usd.map_or_else(unknown, dollars))
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
