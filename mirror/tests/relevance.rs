//! Search relevance on a team's 252 sessions: each query must put its session in the top 3
//! (stems, phrases, prefixes, punctuation, accents and case, filters, a typed sentence), and
//! a query about nothing the team did returns nothing.

mod support;

use sessions_core::Timestamp;
use sessions_mirror::{Change, Hit, Mirror, SearchQuery};
use support::fixture::{self, arn};

struct Case {
    query: &'static str,
    repo: Option<&'static str>,
    person: Option<&'static str>,
    /// In the top 3.
    expect: &'static str,
    /// Not anywhere in the hits.
    absent: &'static [&'static str],
}

const fn case(query: &'static str, expect: &'static str) -> Case {
    Case {
        query,
        repo: None,
        person: None,
        expect,
        absent: &[],
    }
}

const CASES: &[Case] = &[
    // Stems: "retries" finds "retry" and "retried".
    case("retries webhook", "n-webhook-retry"),
    case("uploader retried", "n-backoff"),
    // Phrases: adjacent words only, so the histogram session (both words, apart) is out.
    Case {
        absent: &["n-histogram"],
        ..case("\"exponential backoff\"", "n-backoff")
    },
    // Prefixes: "kube" is no word in the index; `kube*` finds Kubernetes and kubectl.
    case("kube*", "n-kubernetes"),
    case("upload*", "n-resumable"),
    // Punctuation is searched for, never a syntax error.
    case("sign-in", "n-signin"),
    case("C++ build", "n-cpp"),
    case("src/config/default.toml", "n-path"),
    // Accents and case folded both ways.
    case("resume cafe", "n-accents"),
    case("RÉSUMÉ", "n-accents"),
    case("deja vu", "n-accents"),
    // Sentences, as people and agents type them.
    case(
        "who already worked on the S3 uploader's retries?",
        "n-backoff",
    ),
    case(
        "how did we fix the login redirect loop after a password reset",
        "n-signin",
    ),
    case("invoices with the wrong VAT", "n-mallory-invoices"),
    // The person's name is searched.
    case("mallory vat", "n-mallory-invoices"),
    // Filters: everyday sessions mention flaky tests and dark mode too.
    Case {
        person: Some("heidi"),
        ..case("flaky integration tests", "n-heidi-flaky")
    },
    Case {
        repo: Some("github.com/acme/mobile"),
        ..case("dark mode colours", "n-mobile-dark")
    },
];

fn fixture_mirror() -> (tempfile::TempDir, Mirror) {
    let (dir, mut mirror) = support::mirror();
    let applied = mirror
        .apply(fixture::sessions().into_iter().map(Change::Live))
        .expect("the fixture applies");
    assert_eq!(applied.written, 252);
    (dir, mirror)
}

fn ids(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.session.session_id.as_str()).collect()
}

#[test]
fn each_query_finds_its_session_in_the_top_three() {
    let (_dir, mirror) = fixture_mirror();
    let mut failures = Vec::new();
    for case in CASES {
        let mut query = SearchQuery::new(case.query);
        query.repo = case.repo.map(str::to_owned);
        query.user_arn = case.person.map(arn);
        query.limit = 50;
        let hits = mirror.search(&query).expect(case.query);
        let found = ids(&hits);
        if !found.iter().take(3).any(|id| *id == case.expect) {
            failures.push(format!(
                "{:?}: expected {} in the top 3, got {:?}",
                case.query,
                case.expect,
                &found[..found.len().min(5)]
            ));
        }
        if let Some(id) = case.absent.iter().find(|id| found.contains(id)) {
            failures.push(format!("{:?}: {id} should not match", case.query));
        }
        if let Some(repo) = case.repo {
            assert!(
                hits.iter()
                    .all(|h| h.session.facts.repo.as_deref() == Some(repo))
            );
        }
        if let Some(person) = case.person {
            assert!(hits.iter().all(|h| h.session.user_arn == arn(person)));
        }
        assert!(
            hits.windows(2).all(|w| w[0].score >= w[1].score),
            "{:?}: best first",
            case.query
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_query_about_nothing_the_team_did_returns_nothing() {
    let (_dir, mirror) = fixture_mirror();
    for text in ["zeppelin quux", "kube", "\"backoff exponential\""] {
        let hits = mirror.search(&SearchQuery::new(text)).expect(text);
        assert!(hits.is_empty(), "{text:?} found {:?}", ids(&hits));
    }
}

#[test]
fn more_matching_words_rank_higher() {
    let (_dir, mirror) = fixture_mirror();
    let hits = mirror
        .search(&SearchQuery::new("Stripe webhook retry"))
        .unwrap();
    assert_eq!(ids(&hits)[0], "n-webhook-retry");
    assert!(hits.len() > 3, "sessions matching only some words come too");
}

#[test]
fn since_and_exclude_narrow_the_hits() {
    let (_dir, mirror) = fixture_mirror();
    let mut query = SearchQuery::new("retries");
    query.limit = 1_000;
    let all = mirror.search(&query).unwrap();
    assert!(ids(&all).contains(&"n-webhook-retry"));
    query.exclude_session_id = Some("n-webhook-retry".to_owned());
    let others = mirror.search(&query).unwrap();
    assert_eq!(others.len(), all.len() - 1);
    assert!(!ids(&others).contains(&"n-webhook-retry"));
    query.exclude_session_id = None;
    let since: Timestamp = "2026-11-25T00:00:00.000Z".parse().unwrap();
    query.since = Some(since);
    let recent = mirror.search(&query).unwrap();
    assert!(!recent.is_empty() && recent.len() < all.len());
    assert!(
        recent
            .iter()
            .all(|h| h.session.created_at >= since.to_string())
    );
}
