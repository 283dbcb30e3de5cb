//! Applying the API's changes: idempotent, order-independent, tombstones that stick; the
//! cursor and last sync; pruning to the window; reading sessions back.

mod support;

use sessions_mirror::{Applied, Change, ListFilter, SearchQuery, prune_cutoff};
use support::fixture::{Row, arn};
use support::{mirror, ts};

fn live(row: &Row) -> Change {
    Change::Live(row.session())
}

fn deleted(id: &str, at: &str) -> Change {
    Change::Deleted {
        session_id: id.to_owned(),
        updated_at: at.to_owned(),
    }
}

const T1: &str = "2026-11-20T10:00:00.000Z";
const T2: &str = "2026-11-20T11:00:00.000Z";
const T3: &str = "2026-11-20T12:00:00.000Z";

fn titles(mirror: &sessions_mirror::Mirror, text: &str) -> Vec<String> {
    mirror
        .search(&SearchQuery::new(text))
        .unwrap()
        .into_iter()
        .map(|h| h.session.title)
        .collect()
}

#[test]
fn a_session_reads_back_as_it_was_applied_facts_included() {
    let (_dir, mut mirror) = mirror();
    let row = Row::new("s1", "Add retries to the uploader").branch(Some("fix/retry"));
    let applied = mirror.apply([live(&row)]).unwrap();
    assert_eq!(
        applied,
        Applied {
            written: 1,
            deleted: 0,
            skipped: 0
        }
    );
    assert_eq!(mirror.get("s1").unwrap(), Some(row.session()));
    assert_eq!(mirror.get("nope").unwrap(), None);
}

#[test]
fn applying_twice_or_out_of_order_leaves_the_same_mirror() {
    let (_dir, mut mirror) = mirror();
    let old = Row::new("s1", "Old title about pagination").updated(T1);
    let new = Row::new("s1", "New title about uploads").updated(T2);
    mirror.apply([live(&new)]).unwrap();
    let applied = mirror.apply([live(&old), live(&new)]).unwrap();
    assert_eq!(applied.skipped, 1, "the older copy is left out");
    assert_eq!(applied.written, 1, "the equal copy rewrites harmlessly");
    assert_eq!(mirror.get("s1").unwrap(), Some(new.session()));
    assert_eq!(titles(&mirror, "uploads"), ["New title about uploads"]);
    assert!(
        titles(&mirror, "pagination").is_empty(),
        "the old title left the index"
    );
    assert_eq!(mirror.status().unwrap().rows, 1);
}

#[test]
fn a_newer_title_replaces_the_old_one_in_search() {
    let (_dir, mut mirror) = mirror();
    mirror
        .apply([live(&Row::new("s1", "Fix the login page").updated(T1))])
        .unwrap();
    assert_eq!(titles(&mirror, "login"), ["Fix the login page"]);
    mirror
        .apply([live(&Row::new("s1", "Fix the billing webhook").updated(T2))])
        .unwrap();
    assert!(titles(&mirror, "login").is_empty());
    assert_eq!(titles(&mirror, "webhook"), ["Fix the billing webhook"]);
}

#[test]
fn a_tombstone_removes_the_session_and_keeps_it_removed() {
    let (_dir, mut mirror) = mirror();
    let row = Row::new("s1", "Refactor the uploader").updated(T1);
    mirror.apply([live(&row)]).unwrap();
    let applied = mirror.apply([deleted("s1", T2)]).unwrap();
    assert_eq!(applied.deleted, 1);
    assert_eq!(mirror.get("s1").unwrap(), None);
    assert!(titles(&mirror, "uploader").is_empty(), "gone from search");
    // The older live copy arrives again (a sync's overlap window): it stays deleted.
    let applied = mirror.apply([live(&row)]).unwrap();
    assert_eq!(applied.skipped, 1);
    assert_eq!(mirror.get("s1").unwrap(), None);
    let status = mirror.status().unwrap();
    assert_eq!((status.rows, status.tombstones), (0, 1));
}

#[test]
fn a_tombstone_before_its_session_arrives_still_wins() {
    let (_dir, mut mirror) = mirror();
    mirror.apply([deleted("s1", T2)]).unwrap();
    let applied = mirror
        .apply([live(&Row::new("s1", "Refactor the uploader").updated(T1))])
        .unwrap();
    assert_eq!(applied.skipped, 1);
    assert_eq!(mirror.get("s1").unwrap(), None);
    assert!(titles(&mirror, "uploader").is_empty());
}

#[test]
fn an_older_tombstone_does_not_remove_a_newer_session() {
    let (_dir, mut mirror) = mirror();
    let row = Row::new("s1", "Written again after the delete").updated(T3);
    mirror.apply([live(&row)]).unwrap();
    let applied = mirror.apply([deleted("s1", T2)]).unwrap();
    assert_eq!(applied.deleted, 0);
    assert_eq!(mirror.get("s1").unwrap(), Some(row.session()));
}

#[test]
fn a_session_written_after_its_deletion_lives_again() {
    let (_dir, mut mirror) = mirror();
    mirror.apply([deleted("s1", T2)]).unwrap();
    let row = Row::new("s1", "Created again").updated(T3);
    let applied = mirror.apply([live(&row)]).unwrap();
    assert_eq!(applied.written, 1);
    assert_eq!(mirror.get("s1").unwrap(), Some(row.session()));
    assert_eq!(mirror.status().unwrap().tombstones, 0);
}

#[test]
fn a_failed_batch_changes_nothing() {
    let (dir, mut mirror) = mirror();
    mirror.apply([live(&Row::new("s0", "Before"))]).unwrap();
    // Another process holds the write lock: the batch fails as a whole, typed as busy.
    let other = rusqlite::Connection::open(mirror.path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    let err = mirror
        .apply([
            live(&Row::new("s1", "First")),
            live(&Row::new("s2", "Second")),
        ])
        .unwrap_err();
    assert!(err.is_busy(), "{err:?}");
    assert!(started.elapsed() >= sessions_mirror::BUSY_TIMEOUT);
    assert!(
        err.to_string().contains("another cargo-ai is writing"),
        "{err}"
    );
    assert!(std::error::Error::source(&err).is_some());
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(mirror.status().unwrap().rows, 1);
    drop(dir);
}

#[test]
fn the_cursor_and_last_sync_persist() {
    let (dir, mut mirror) = mirror();
    assert_eq!(mirror.cursor().unwrap(), None);
    assert_eq!(mirror.last_sync().unwrap(), None);
    mirror
        .set_cursor(
            ts("2026-11-20T10:00:00.123Z"),
            ts("2026-11-20T10:00:05.000Z"),
        )
        .unwrap();
    mirror
        .set_cursor(
            ts("2026-11-21T10:00:00.456Z"),
            ts("2026-11-21T10:00:07.000Z"),
        )
        .unwrap();
    let path = mirror.path().to_owned();
    drop(mirror);
    let mirror = sessions_mirror::Mirror::open(&path).unwrap();
    assert_eq!(mirror.notice(), None);
    assert_eq!(
        mirror.cursor().unwrap(),
        Some(ts("2026-11-21T10:00:00.456Z"))
    );
    assert_eq!(
        mirror.last_sync().unwrap(),
        Some(ts("2026-11-21T10:00:07.000Z"))
    );
    let status = mirror.status().unwrap();
    assert_eq!(status.cursor, mirror.cursor().unwrap());
    assert_eq!(status.last_sync, mirror.last_sync().unwrap());
    drop(dir);
}

#[test]
fn prune_drops_sessions_created_before_the_window() {
    let (_dir, mut mirror) = mirror();
    let old = Row::new("old", "Old uploader work").created("2025-10-01T09:00:00.000Z");
    let new = Row::new("new", "New uploader work").created("2026-11-01T09:00:00.000Z");
    mirror
        .apply([
            live(&old),
            live(&new),
            deleted("gone", "2025-10-02T00:00:00.000Z"),
        ])
        .unwrap();
    let cutoff = prune_cutoff(ts("2026-11-30T00:00:00.000Z"), 365);
    assert_eq!(cutoff, ts("2025-11-30T00:00:00.000Z"));
    assert_eq!(mirror.prune(cutoff).unwrap(), 1);
    assert_eq!(mirror.get("old").unwrap(), None);
    assert!(mirror.get("new").unwrap().is_some());
    assert_eq!(titles(&mirror, "uploader"), ["New uploader work"]);
    let status = mirror.status().unwrap();
    assert_eq!((status.rows, status.tombstones), (1, 0));
}

#[test]
fn list_filters_and_orders_newest_first() {
    let (_dir, mut mirror) = mirror();
    let rows = [
        Row::new("a", "One")
            .person("alice")
            .created("2026-11-01T09:00:00.000Z"),
        Row::new("b", "Two")
            .person("bob")
            .created("2026-11-02T09:00:00.000Z"),
        Row::new("c", "Three")
            .person("alice")
            .repo(Some("github.com/acme/web"))
            .created("2026-11-03T09:00:00.000Z"),
        Row::new("d", "Four")
            .person("alice")
            .repo(None)
            .created("2026-11-04T09:00:00.000Z"),
    ];
    mirror.apply(rows.iter().map(live)).unwrap();
    let ids = |filter: ListFilter| -> Vec<String> {
        mirror
            .list(&filter)
            .unwrap()
            .into_iter()
            .map(|s| s.session_id)
            .collect()
    };
    assert_eq!(ids(ListFilter::default()), ["d", "c", "b", "a"]);
    let alice = ListFilter {
        user_arn: Some(arn("alice")),
        ..ListFilter::default()
    };
    assert_eq!(ids(alice.clone()), ["d", "c", "a"]);
    assert_eq!(
        ids(ListFilter {
            limit: Some(2),
            ..alice.clone()
        }),
        ["d", "c"]
    );
    assert_eq!(
        ids(ListFilter {
            repo: Some("github.com/acme/web".to_owned()),
            ..ListFilter::default()
        }),
        ["c"]
    );
    assert_eq!(
        ids(ListFilter {
            since: Some(ts("2026-11-02T09:00:00.000Z")),
            until: Some(ts("2026-11-04T09:00:00.000Z")),
            ..ListFilter::default()
        }),
        ["c", "b"],
        "since included, until excluded"
    );
    let listed = mirror.list(&ListFilter::default()).unwrap();
    assert_eq!(listed[3], rows[0].session(), "facts come back");
}

#[test]
fn recent_orders_by_last_change_within_a_repo_and_branch() {
    let (_dir, mut mirror) = mirror();
    let rows = [
        Row::new("a", "One").updated("2026-11-05T09:00:00.000Z"),
        Row::new("b", "Two").updated("2026-11-07T09:00:00.000Z"),
        Row::new("c", "Three")
            .branch(Some("feat/x"))
            .updated("2026-11-06T09:00:00.000Z"),
        Row::new("d", "Four")
            .repo(Some("github.com/acme/web"))
            .updated("2026-11-08T09:00:00.000Z"),
    ];
    mirror.apply(rows.iter().map(live)).unwrap();
    let ids = |repo, branch, limit| -> Vec<String> {
        mirror
            .recent(repo, branch, limit)
            .unwrap()
            .into_iter()
            .map(|s| s.session_id)
            .collect()
    };
    assert_eq!(ids(None, None, 10), ["d", "b", "c", "a"]);
    assert_eq!(
        ids(Some("github.com/acme/uploader"), None, 10),
        ["b", "c", "a"]
    );
    assert_eq!(
        ids(Some("github.com/acme/uploader"), Some("main"), 1),
        ["b"]
    );
}

#[test]
fn status_counts_rows_and_bytes() {
    let (_dir, mut mirror) = mirror();
    mirror
        .apply((0..50).map(|i| live(&Row::new(&format!("s{i}"), "Some work"))))
        .unwrap();
    let status = mirror.status().unwrap();
    assert_eq!(status.rows, 50);
    assert!(status.bytes > 4096, "{}", status.bytes);
    assert_eq!(status.path, mirror.path().display().to_string());
    assert_eq!(status.schema_version, sessions_mirror::SCHEMA_VERSION);
}
