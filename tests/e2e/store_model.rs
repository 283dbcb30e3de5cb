//! What the store model tests (facts/model.rs, delete/model.rs) check after every step: that
//! DynamoDB lists what the in-memory model store lists.

use sessions_core::Session;
use sessions_function::domain::ListQuery;
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
