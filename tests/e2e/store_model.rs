//! What the store model tests (facts/model.rs, delete/model.rs) check after every step: that
//! DynamoDB lists what the in-memory model store lists, and pages the change feed as it does.

use sessions_core::wire::Change;
use sessions_core::{Cursor, Session};
use sessions_function::domain::{ChangeQuery, ListQuery};
use sessions_function::store::{DynamoStore, MemoryStore, SessionStore};

/// Lists `query` from both stores, checks DynamoDB's listing is newest first and, ties set
/// aside, equal to the model's; returns the model's. `context` names the step for a failure.
pub async fn assert_same_listing(
    memory: &MemoryStore,
    dynamo: &DynamoStore,
    query: &ListQuery,
    context: impl Fn() -> String,
) -> Vec<Session> {
    let expected = memory.list(query).await.expect("memory listing").sessions;
    let mut actual = dynamo.list(query).await.expect("DynamoDB listing").sessions;
    assert!(
        actual.is_sorted_by(|a, b| a.created_at >= b.created_at),
        "DynamoDB's listing is not newest first: {actual:?}"
    );
    // Among equal `created_at`, an index keeps no order of its own that the memory store
    // could copy; compare them in the memory store's.
    actual.sort_by(|a, b| (&b.created_at, &b.session_id).cmp(&(&a.created_at, &a.session_id)));
    assert_eq!(actual, expected, "listings differ {}", context());
    expected
}

/// Reads the change feed of `query` (without its cursor) from both stores, page by page, and
/// checks DynamoDB's pages are the model's: the same changes in the same order, the same
/// cursors, the same end. Returns the model's changes. The stores' feeds agree only where no
/// two changes share an `updated_at` (an index keeps no order of its own among equals).
pub async fn assert_same_changes(
    memory: &MemoryStore,
    dynamo: &DynamoStore,
    query: &ChangeQuery,
    context: impl Fn() -> String,
) -> Vec<Change> {
    let mut query = query.clone();
    let mut all = Vec::new();
    for page in 0.. {
        let expected = memory.changes(&query).await.expect("memory change feed");
        let actual = dynamo.changes(&query).await.expect("DynamoDB change feed");
        assert_eq!(
            actual,
            expected,
            "page {page} of the feeds differs {}",
            context()
        );
        all.extend(expected.changes);
        match expected.next_cursor {
            Some(next) => query.cursor = Some(Cursor::parse(&next).expect("a cursor")),
            None => return all,
        }
        assert!(page < 100, "the cursors never end {}", context());
    }
    unreachable!("the loop returns")
}
