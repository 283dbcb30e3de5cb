//! The router's rules over the in-memory store: routing, the error shape, the write and
//! listing outcomes (201/200, 403, 409, 412, 404, pages and cursors), deletes (owner only,
//! tombstones against later writes), and the change feed (order, tombstones, cursors), in
//! milliseconds. The end-to-end tests prove the same against DynamoDB Local.

use sessions_core::wire::{Change, ChangePage};
use sessions_core::{Session, SessionPage};

use super::*;
use crate::auth::LOCAL_KEYS;
use crate::store::MemoryStore;

const WS: &str = "0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60";
const OTHER_WS: &str = "1b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60";

#[test]
fn routes() {
    let ws = "0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60";
    assert_eq!(
        match_route(&format!("/v1/workspaces/{ws}/sessions"))
            .unwrap()
            .0,
        Route::Sessions
    );
    let path = format!("/v1/workspaces/{ws}/sessions/a%3Ab");
    let (route, w, s) = match_route(&path).unwrap();
    assert_eq!((route, w, s), (Route::Session, ws, Some("a%3Ab")));
    for bad in [
        "/",
        "/v1/workspaces",
        "/v1/workspaces/x",
        "/v1/workspaces/x/sessions/a/b",
        "/v2/workspaces/x/sessions",
    ] {
        assert_eq!(
            match_route(bad).unwrap_err().code,
            ErrorCode::RouteNotFound,
            "{bad}"
        );
    }
}

#[test]
fn error_shape() {
    let r = error_response(&ApiError::new(ErrorCode::Throttled, "slow down"));
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()[header::RETRY_AFTER], "1");
    let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(body["error"]["code"], "throttled");
    assert_eq!(body["error"]["message"], "slow down");
}

fn alice() -> Caller {
    Caller::from_arn(LOCAL_KEYS[0].arn)
}

fn bob() -> Caller {
    Caller::from_arn(LOCAL_KEYS[1].arn)
}

fn api() -> Api<MemoryStore> {
    Api::new(MemoryStore::new(), AllowList::any())
}

/// `2026-11-20T09:00:<second>.000Z`: in the past, one second apart.
fn at(second: u32) -> String {
    format!("2026-11-20T09:00:{second:02}.000Z")
}

fn body(title: &str, observed_at: &str) -> Bytes {
    Bytes::from(
        serde_json::json!({"title": title, "summary": "s", "observed_at": observed_at}).to_string(),
    )
}

async fn put(api: &Api<MemoryStore>, who: &Caller, path: &str, body: Bytes) -> Response<Bytes> {
    put_with(api, who, path, body, None).await
}

async fn put_with(
    api: &Api<MemoryStore>,
    who: &Caller,
    path: &str,
    body: Bytes,
    if_none_match: Option<&str>,
) -> Response<Bytes> {
    let mut req = Request::builder()
        .method(Method::PUT)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(value) = if_none_match {
        req = req.header(header::IF_NONE_MATCH, value);
    }
    api.handle(req.body(body).unwrap(), who).await
}

async fn get(api: &Api<MemoryStore>, who: &Caller, target: &str) -> Response<Bytes> {
    let req = Request::builder().uri(target).body(Bytes::new()).unwrap();
    api.handle(req, who).await
}

fn session(response: &Response<Bytes>) -> Session {
    serde_json::from_slice(response.body()).unwrap()
}

fn error_code(response: &Response<Bytes>) -> String {
    let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    body["error"]["code"].as_str().unwrap().to_owned()
}

fn session_path(workspace: &str, id: &str) -> String {
    format!("/v1/workspaces/{workspace}/sessions/{id}")
}

#[tokio::test]
async fn create_then_update_keeps_what_creation_set() {
    let api = api();
    let path = session_path(WS, "s1");
    let created = put(&api, &alice(), &path, body("first", &at(1))).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let first = session(&created);
    assert_eq!(
        first.created_at,
        at(1),
        "created_at is the first write's observed_at"
    );
    assert_eq!(first.user_uuid, alice().user_uuid.to_string());

    let updated = put(&api, &alice(), &path, body("second", &at(2))).await;
    assert_eq!(updated.status(), StatusCode::OK);
    let second = session(&updated);
    assert_eq!(second.title, "second");
    assert_eq!(
        (&second.uuid, &second.created_at, &second.user_uuid),
        (&first.uuid, &first.created_at, &first.user_uuid)
    );
    assert_eq!(session(&get(&api, &bob(), &path).await), second);
}

#[tokio::test]
async fn refused_writes_change_nothing() {
    let api = api();
    let path = session_path(WS, "s1");
    let stored = session(&put(&api, &alice(), &path, body("alice's", &at(5))).await);

    let not_owner = put(&api, &bob(), &path, body("bob's", &at(6))).await;
    assert_eq!(not_owner.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(&not_owner), "not_owner");

    for observed in [at(5), at(4)] {
        let stale = put(&api, &alice(), &path, body("older", &observed)).await;
        assert_eq!(
            stale.status(),
            StatusCode::CONFLICT,
            "observed_at {observed}"
        );
        assert_eq!(error_code(&stale), "stale");
    }

    let exists = put_with(&api, &alice(), &path, body("again", &at(7)), Some("*")).await;
    assert_eq!(exists.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(error_code(&exists), "already_exists");

    assert_eq!(session(&get(&api, &alice(), &path).await), stored);
    // Nothing above moved the row's observed_at: the next newer write still goes through.
    let newer = put(&api, &alice(), &path, body("newer", &at(6))).await;
    assert_eq!(newer.status(), StatusCode::OK);
}

#[tokio::test]
async fn create_only_creates_a_missing_session() {
    let api = api();
    let path = session_path(WS, "fresh");
    let created = put_with(&api, &bob(), &path, body("placeholder", &at(1)), Some("*")).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(session(&created).user_arn, bob().arn);
}

#[tokio::test]
async fn a_missing_session_is_not_found() {
    let response = get(&api(), &alice(), &session_path(WS, "nope")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(&response), "not_found");
}

/// Every page of a listing, following `next_cursor` from `query` (without a cursor).
async fn pages(api: &Api<MemoryStore>, who: &Caller, query: &str) -> Vec<SessionPage> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut target = format!("/v1/workspaces/{WS}/sessions?{query}");
        if let Some(c) = &cursor {
            target.push_str(&format!("&cursor={c}"));
        }
        let response = get(api, who, &target).await;
        assert_eq!(response.status(), StatusCode::OK, "{target}");
        let page: SessionPage = serde_json::from_slice(response.body()).unwrap();
        cursor = page.next_cursor.clone();
        pages.push(page);
        if cursor.is_none() {
            return pages;
        }
        assert!(pages.len() < 20, "the cursors never end");
    }
}

fn ids(pages: &[SessionPage]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p.sessions.iter().map(|s| s.session_id.clone()))
        .collect()
}

#[tokio::test]
async fn listing_pages_newest_first_and_mine_filters() {
    let api = api();
    // Created out of order; a's and b's interleaved; one in another workspace.
    for (id, who, second) in [
        ("a3", alice(), 3),
        ("b1", bob(), 1),
        ("a1", alice(), 1),
        ("b4", bob(), 4),
        ("a2", alice(), 2),
    ] {
        let response = put(&api, &who, &session_path(WS, id), body(id, &at(second))).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    put(
        &api,
        &alice(),
        &session_path(OTHER_WS, "elsewhere"),
        body("x", &at(9)),
    )
    .await;

    let all = pages(&api, &alice(), "limit=2").await;
    assert_eq!(ids(&all), ["b4", "a3", "a2", "b1", "a1"]);
    assert!(all.iter().all(|p| p.sessions.len() <= 2));

    let mine = pages(&api, &alice(), "limit=2&mine=true").await;
    assert_eq!(ids(&mine), ["a3", "a2", "a1"]);
    assert_eq!(mine.len(), 2);
    // A full last page still carries a cursor (as DynamoDB's do); the page after it is empty.
    let full = pages(&api, &alice(), "limit=3&mine=true").await;
    assert_eq!(ids(&full), ["a3", "a2", "a1"]);
    assert_eq!(full.len(), 2);
    assert!(full[1].sessions.is_empty());

    let one_page = pages(&api, &bob(), "mine=1&limit=100").await;
    assert_eq!(ids(&one_page), ["b4", "b1"]);
}

#[tokio::test]
async fn cursors_only_continue_their_own_listing() {
    let api = api();
    for (id, second) in [("a1", 1), ("a2", 2)] {
        put(&api, &alice(), &session_path(WS, id), body(id, &at(second))).await;
    }
    let first = |query: &'static str| {
        let api = &api;
        async move {
            let response = get(
                api,
                &alice(),
                &format!("/v1/workspaces/{WS}/sessions?{query}"),
            )
            .await;
            let page: SessionPage = serde_json::from_slice(response.body()).unwrap();
            page.next_cursor.unwrap()
        }
    };
    let everyone = first("limit=1").await;
    let mine = first("limit=1&mine=true").await;
    for (target, who) in [
        (
            format!("/v1/workspaces/{WS}/sessions?cursor={everyone}&mine=true"),
            alice(),
        ),
        (
            format!("/v1/workspaces/{WS}/sessions?cursor={mine}"),
            alice(),
        ),
        (
            format!("/v1/workspaces/{WS}/sessions?cursor={mine}&mine=true"),
            bob(),
        ),
        (
            format!("/v1/workspaces/{OTHER_WS}/sessions?cursor={everyone}"),
            alice(),
        ),
        (
            format!("/v1/workspaces/{WS}/sessions?cursor=bm90IGpzb24"),
            alice(),
        ),
    ] {
        let response = get(&api, &who, &target).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{target}");
        assert_eq!(error_code(&response), "invalid_query", "{target}");
    }
    let next = get(
        &api,
        &alice(),
        &format!("/v1/workspaces/{WS}/sessions?limit=1&cursor={everyone}"),
    )
    .await;
    let page: SessionPage = serde_json::from_slice(next.body()).unwrap();
    assert_eq!(ids(&[page]), ["a1"]);
}

async fn delete(api: &Api<MemoryStore>, who: &Caller, target: &str) -> Response<Bytes> {
    let req = Request::builder()
        .method(Method::DELETE)
        .uri(target)
        .body(Bytes::new())
        .unwrap();
    api.handle(req, who).await
}

/// `observed_at` as a query value, in the canonical form SigV4 signs (`:` percent-encoded).
fn query_time(t: Timestamp) -> String {
    t.to_string().replace(':', "%3A")
}

#[tokio::test]
async fn owners_delete_their_rows_and_nobody_else_can() {
    let api = api();
    let path = session_path(WS, "s1");
    let stored = session(&put(&api, &alice(), &path, body("alice's", &at(1))).await);
    put(
        &api,
        &alice(),
        &session_path(WS, "kept"),
        body("kept", &at(2)),
    )
    .await;

    let refused = delete(&api, &bob(), &path).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(&refused), "not_owner");
    assert_eq!(session(&get(&api, &bob(), &path).await), stored);

    let deleted = delete(&api, &alice(), &path).await;
    assert_eq!(deleted.status(), StatusCode::OK);
    let deleted: sessions_core::wire::DeletedSession =
        serde_json::from_slice(deleted.body()).unwrap();
    assert_eq!(
        (deleted.workspace_uuid.as_str(), deleted.session_id.as_str()),
        (WS, "s1")
    );

    assert_eq!(
        get(&api, &alice(), &path).await.status(),
        StatusCode::NOT_FOUND
    );
    for query in ["limit=100", "limit=100&mine=true"] {
        assert_eq!(
            ids(&pages(&api, &alice(), query).await),
            ["kept"],
            "{query}"
        );
    }
    for who in [alice(), bob()] {
        let again = delete(&api, &who, &path).await;
        assert_eq!(again.status(), StatusCode::NOT_FOUND);
        assert_eq!(error_code(&again), "not_found");
    }
    let absent = delete(&api, &alice(), &session_path(WS, "never")).await;
    assert_eq!(absent.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_deleted_row_comes_back_only_by_a_newer_write_of_its_owner() {
    let api = api();
    let path = session_path(WS, "s1");
    let first = session(&put(&api, &alice(), &path, body("first", &at(1))).await);
    // The person's clock runs a minute ahead of the server's: the tombstone keeps the later.
    let now = Timestamp::now();
    let client = now.plus_seconds(60);
    let target = format!("{path}?observed_at={}", query_time(client));
    assert_eq!(
        delete(&api, &alice(), &target).await.status(),
        StatusCode::OK
    );

    // Queued before the delete (on the client's clock), delivered after it: stale.
    for observed in [at(2), now.plus_seconds(30).to_string(), client.to_string()] {
        let late = put(&api, &alice(), &path, body("queued", &observed)).await;
        assert_eq!(late.status(), StatusCode::CONFLICT, "{observed}");
        assert_eq!(error_code(&late), "stale");
    }
    let later = client.plus_seconds(1).to_string();
    let create_only = put_with(&api, &alice(), &path, body("start", &later), Some("*")).await;
    assert_eq!(create_only.status(), StatusCode::PRECONDITION_FAILED);
    let other = put(&api, &bob(), &path, body("bob's", &later)).await;
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get(&api, &alice(), &path).await.status(),
        StatusCode::NOT_FOUND
    );

    let again = put(&api, &alice(), &path, body("again", &later)).await;
    assert_eq!(
        again.status(),
        StatusCode::CREATED,
        "recorded again, as a new row"
    );
    let again = session(&again);
    assert_ne!(again.uuid, first.uuid);
    assert_eq!(again.created_at, later);
    assert_eq!(again.title, "again");
    assert_eq!(ids(&pages(&api, &bob(), "limit=10").await), ["s1"]);
}

#[tokio::test]
async fn a_delete_checks_its_query() {
    let api = api();
    let path = session_path(WS, "s1");
    put(&api, &alice(), &path, body("kept", &at(1))).await;
    let future = query_time(Timestamp::now().plus_seconds(3600));
    for (query, code) in [
        ("force=true", "invalid_query"),
        ("observed_at=yesterday", "invalid_timestamp"),
        (
            &format!("observed_at={future}") as &str,
            "invalid_timestamp",
        ),
    ] {
        let response = delete(&api, &alice(), &format!("{path}?{query}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(error_code(&response), code, "{query}");
    }
    assert_eq!(get(&api, &alice(), &path).await.status(), StatusCode::OK);
}

/// `GET .../changes` of `workspace` with `query`, answered 200: the page.
async fn changes_page(api: &Api<MemoryStore>, workspace: &str, query: &str) -> ChangePage {
    let target = format!("/v1/workspaces/{workspace}/changes?{query}");
    let response = get(api, &bob(), &target).await;
    assert_eq!(response.status(), StatusCode::OK, "{target}");
    serde_json::from_slice(response.body()).unwrap()
}

/// The whole feed from `since`, `limit` at a time, following the cursors.
async fn feed(api: &Api<MemoryStore>, since: &str, limit: u32) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut cursor = String::new();
    for _ in 0..20 {
        let page = changes_page(
            api,
            WS,
            &format!(
                "updated_since={}&limit={limit}{cursor}",
                since.replace(':', "%3A")
            ),
        )
        .await;
        assert!(page.changes.len() <= limit as usize);
        changes.extend(page.changes);
        match page.next_cursor {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return changes,
        }
    }
    panic!("the cursors never end");
}

/// Each change as `id` or `-id` for a tombstone.
fn feed_ids(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| match c {
            Change::Session(s) => s.session_id.clone(),
            Change::Deleted(t) => format!("-{}", t.session_id),
        })
        .collect()
}

const EPOCH: &str = "1970-01-01T00:00:00.000Z";

/// Writes one millisecond apart at least, so that each has its own `updated_at`.
async fn next_millisecond() {
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
}

#[tokio::test]
async fn changes_list_every_write_and_delete_oldest_first() {
    let api = api();
    for (second, id) in [(1, "s1"), (2, "s2"), (3, "s3")] {
        put(&api, &alice(), &session_path(WS, id), body(id, &at(second))).await;
        next_millisecond().await;
    }
    put(
        &api,
        &alice(),
        &session_path(OTHER_WS, "elsewhere"),
        body("x", &at(1)),
    )
    .await;
    assert_eq!(feed_ids(&feed(&api, EPOCH, 10).await), ["s1", "s2", "s3"]);

    // A newer write moves its session to the end; a delete leaves its tombstone there.
    let updated = session(&put(&api, &alice(), &session_path(WS, "s1"), body("new", &at(4))).await);
    next_millisecond().await;
    assert_eq!(
        delete(&api, &alice(), &session_path(WS, "s2"))
            .await
            .status(),
        StatusCode::OK
    );
    let all = feed(&api, EPOCH, 10).await;
    assert_eq!(feed_ids(&all), ["s3", "s1", "-s2"]);
    assert_eq!(all[1], Change::Session(updated.clone()));
    let Change::Deleted(tombstone) = &all[2] else {
        panic!("not a tombstone: {:?}", all[2]);
    };
    assert_eq!(tombstone.workspace_uuid, WS);
    assert!(tombstone.updated_at > updated.updated_at);
    assert_eq!(tombstone.deleted_at, tombstone.updated_at);

    // From a time on, inclusive; one at a time, the same feed, nothing twice.
    let since_update = feed(&api, &updated.updated_at, 10).await;
    assert_eq!(feed_ids(&since_update), ["s1", "-s2"]);
    assert_eq!(feed(&api, EPOCH, 1).await, all);
    assert_eq!(feed(&api, EPOCH, 2).await, all);

    let future = Timestamp::now().plus_seconds(3600).to_string();
    let page = changes_page(
        &api,
        WS,
        &format!("updated_since={}", future.replace(':', "%3A")),
    )
    .await;
    assert!(page.changes.is_empty());
    assert_eq!(page.next_cursor, None);
    assert!(page.server_time <= Timestamp::now());
    assert!(page.server_time.to_string() >= tombstone.updated_at);

    let other = changes_page(&api, OTHER_WS, "updated_since=1970-01-01T00%3A00%3A00Z").await;
    assert_eq!(feed_ids(&other.changes), ["elsewhere"]);
}

#[tokio::test]
async fn change_cursors_only_continue_their_own_feed() {
    let api = api();
    for (second, id) in [(1, "s1"), (2, "s2")] {
        put(&api, &alice(), &session_path(WS, id), body(id, &at(second))).await;
        next_millisecond().await;
    }
    let first = changes_page(&api, WS, "updated_since=1970-01-01T00%3A00%3A00Z&limit=1").await;
    let cursor = first.next_cursor.unwrap();
    let listing_cursor = {
        let response = get(
            &api,
            &alice(),
            &format!("/v1/workspaces/{WS}/sessions?limit=1"),
        )
        .await;
        let page: SessionPage = serde_json::from_slice(response.body()).unwrap();
        page.next_cursor.unwrap()
    };
    let later = Timestamp::now()
        .plus_seconds(60)
        .to_string()
        .replace(':', "%3A");
    for (workspace, query) in [
        (OTHER_WS, format!("updated_since={EPOCH}&cursor={cursor}")),
        (WS, format!("updated_since={later}&cursor={cursor}")),
        (WS, format!("updated_since={EPOCH}&cursor={listing_cursor}")),
        (WS, format!("updated_since={EPOCH}&cursor=bm90IGpzb24")),
    ] {
        let target = format!(
            "/v1/workspaces/{workspace}/changes?{}",
            query.replace(':', "%3A")
        );
        let response = get(&api, &alice(), &target).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{target}");
        assert_eq!(error_code(&response), "invalid_query", "{target}");
    }
    // The feed's cursor is no listing's either.
    let target = format!("/v1/workspaces/{WS}/sessions?cursor={cursor}");
    assert_eq!(
        get(&api, &alice(), &target).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn changes_keep_to_the_allow_list_and_their_method() {
    let api = Api::new(MemoryStore::new(), AllowList::parse(OTHER_WS).unwrap());
    let target = format!("/v1/workspaces/{WS}/changes?updated_since=1970-01-01T00%3A00%3A00Z");
    let refused = get(&api, &alice(), &target).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(&refused), "workspace_not_allowed");
    let req = Request::builder()
        .method(Method::POST)
        .uri(target.replace(WS, OTHER_WS))
        .body(Bytes::new())
        .unwrap();
    let post = api.handle(req, &alice()).await;
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers()[header::ALLOW], "GET");
}
