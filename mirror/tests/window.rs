//! Queries that match more sessions than the search ranks in full: the rarer words' matches
//! still come first however old, the rest from the newest matches, and filters still exact.

mod support;

use sessions_mirror::{Change, Mirror, SEARCH_WINDOW, SearchQuery};
use support::fixture::{Row, arn};

/// `SEARCH_WINDOW + 200` sessions about the retry loop, the oldest also about a zeppelin,
/// three of them by carol in the gateway repository.
fn crowded() -> (tempfile::TempDir, Mirror) {
    let (dir, mut mirror) = support::mirror();
    let rows = (0..SEARCH_WINDOW + 200).map(|i| {
        let at = format!("2026-{:02}-{:02}T09:00:00.000Z", 1 + i / 120, 1 + i % 28);
        let row = Row::new(&format!("s{i:05}"), "Tune the retry loop")
            .person(if i % 2 == 0 { "alice" } else { "bob" })
            .created(&at)
            .updated(&at);
        match i {
            0 => row.summary("Retry storms in the zeppelin gateway."),
            100 | 300 | 500 => row.person("carol").repo(Some("github.com/acme/gateway")),
            _ => row,
        }
    });
    mirror
        .apply(rows.map(|r| Change::Live(r.session())))
        .unwrap();
    (dir, mirror)
}

fn ids(mirror: &Mirror, query: &SearchQuery) -> Vec<String> {
    mirror
        .search(query)
        .unwrap()
        .into_iter()
        .map(|h| h.session.session_id)
        .collect()
}

#[test]
fn a_rare_word_finds_the_oldest_session_among_many_common_matches() {
    let (_dir, mirror) = crowded();
    let found = ids(&mirror, &SearchQuery::new("retry zeppelin"));
    assert_eq!(found.len(), 10);
    assert_eq!(found[0], "s00000");
}

#[test]
fn a_common_word_alone_ranks_the_newest_matches() {
    let (_dir, mirror) = crowded();
    let mut query = SearchQuery::new("retry");
    query.limit = 50;
    let found = ids(&mirror, &query);
    assert_eq!(found.len(), 50);
    // The newest SEARCH_WINDOW of the SEARCH_WINDOW + 200 sessions.
    let oldest_ranked = format!("s{:05}", 200);
    assert!(found.iter().all(|id| *id >= oldest_ranked), "{found:?}");
}

#[test]
fn filters_stay_exact_whatever_the_number_of_matches() {
    let (_dir, mirror) = crowded();
    let mut query = SearchQuery::new("retry");
    query.limit = 100;
    query.user_arn = Some(arn("carol"));
    let mut found = ids(&mirror, &query);
    found.sort();
    assert_eq!(found, ["s00100", "s00300", "s00500"]);
    query.user_arn = None;
    query.repo = Some("github.com/acme/gateway".to_owned());
    assert_eq!(ids(&mirror, &query).len(), 3);
    query.user_arn = Some(arn("alice"));
    assert!(ids(&mirror, &query).is_empty(), "both filters apply");
    query.repo = None;
    let alice = ids(&mirror, &query);
    assert_eq!(alice.len(), 100);
    assert!(alice.iter().all(|id| {
        let n: usize = id[1..].parse().unwrap();
        n.is_multiple_of(2)
    }));
}
