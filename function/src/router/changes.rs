//! `GET .../changes`: a workspace's sessions by last change, oldest first, tombstones
//! included, for clients that keep a copy and pull only what changed (`updated_since`).

use bytes::Bytes;
use http::{Request, StatusCode};
use sessions_core::wire::ChangePage;
use sessions_core::{ApiError, Cursor, Timestamp, WorkspaceId};

use super::{Api, Outcome, invalid_query, query_pairs, store_error, to_json};
use crate::domain::ChangeQuery;
use crate::store::SessionStore;

const PARAMETERS: &str = "updated_since, cursor, limit";

impl<S: SessionStore> Api<S> {
    pub(super) async fn changes(&self, req: &Request<Bytes>, workspace: WorkspaceId) -> Outcome {
        // Read before the store is: a row the page misses was written after this time, or is
        // about to become visible, and a next pull from a little before it finds it.
        let now = Timestamp::now();
        let query = change_query(req.uri().query().unwrap_or_default(), workspace, now)?;
        let page = self.store.changes(&query).await.map_err(store_error)?;
        Ok((StatusCode::OK, to_json(&page)))
    }
}

fn change_query(
    raw: &str,
    workspace: WorkspaceId,
    now: Timestamp,
) -> Result<ChangeQuery, ApiError> {
    let mut since = None;
    let mut limit = None;
    let mut cursor = None;
    for pair in query_pairs(raw) {
        let (key, value) = pair?;
        match key {
            "updated_since" => since = Some(Timestamp::parse("updated_since", &value)?),
            "cursor" => cursor = Some(Cursor::parse(&value)?),
            "limit" => {
                let max = ChangePage::MAX_LIMIT;
                let n = value.parse().ok().filter(|n| (1..=max).contains(n));
                limit = Some(n.ok_or_else(|| {
                    invalid_query(format!("limit {value:?} is not a number from 1 to {max}"))
                })?);
            }
            other => {
                return Err(invalid_query(format!(
                    "unknown query parameter {other:?}; the parameters are {PARAMETERS}"
                )));
            }
        }
    }
    let since = since.ok_or_else(|| {
        invalid_query(
            "updated_since is required: the server time of the oldest change to list, like \
             2026-11-24T07:02:28.559Z (1970-01-01T00:00:00.000Z for every change)"
                .to_owned(),
        )
    })?;
    Ok(ChangeQuery {
        workspace,
        since,
        // Without a limit, still a bounded read: DynamoDB Local reads every row from `since`
        // on before it stops a page at 1 MB, unless a Limit stops it sooner.
        limit: limit.unwrap_or(ChangePage::MAX_LIMIT),
        cursor,
        now,
    })
}

#[cfg(test)]
mod tests {
    use sessions_core::ErrorCode;

    use super::*;

    fn parse(raw: &str) -> Result<ChangeQuery, ApiError> {
        let workspace = WorkspaceId::parse("0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60").unwrap();
        change_query(raw, workspace, Timestamp::now())
    }

    #[test]
    fn parameters_are_read_decoded() {
        let q = parse("updated_since=2026-11-24T08%3A02%3A28.5%2B01%3A00&limit=7").unwrap();
        assert_eq!(q.since.to_string(), "2026-11-24T07:02:28.500Z");
        assert_eq!(q.limit, 7);
        assert!(q.cursor.is_none());
        assert_eq!(
            parse("updated_since=1970-01-01T00%3A00%3A00Z")
                .unwrap()
                .limit,
            ChangePage::MAX_LIMIT,
            "without a limit, a page still stops at the most a page holds"
        );
    }

    #[test]
    fn bad_parameters_say_the_fix() {
        for (raw, code, names) in [
            ("", ErrorCode::InvalidQuery, "updated_since is required"),
            (
                "limit=10",
                ErrorCode::InvalidQuery,
                "updated_since is required",
            ),
            (
                "updated_since=yesterday",
                ErrorCode::InvalidTimestamp,
                "updated_since \"yesterday\"",
            ),
            ("updated_since=", ErrorCode::InvalidTimestamp, "RFC 3339"),
            (
                "updated_since=1969-12-31T23%3A59%3A59Z",
                ErrorCode::InvalidTimestamp,
                "1970",
            ),
            (
                "updated_since=2026-11-24T07%3A02%3A28Z&limit=1001",
                ErrorCode::InvalidQuery,
                "1 to 1000",
            ),
            (
                "updated_since=2026-11-24T07%3A02%3A28Z&limit=0",
                ErrorCode::InvalidQuery,
                "1 to 1000",
            ),
            (
                "updated_since=2026-11-24T07%3A02%3A28Z&cursor=a%2Bb",
                ErrorCode::InvalidQuery,
                "cursor",
            ),
            (
                "updated_since=2026-11-24T07%3A02%3A28Z&mine=true",
                ErrorCode::InvalidQuery,
                "updated_since, cursor, limit",
            ),
        ] {
            let e = parse(raw).unwrap_err();
            assert_eq!(e.code, code, "{raw}");
            assert!(e.message.contains(names), "{raw}: {}", e.message);
        }
    }
}
