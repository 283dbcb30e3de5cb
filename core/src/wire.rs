//! The JSON documents on the wire, shared by the server and the CLI.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorCode};
use crate::facts::{self, Facts};
use crate::fields::{Summary, Title};
use crate::timestamp::Timestamp;

/// The body of `PUT .../sessions/{session_id}`: every field has passed the API's rules,
/// whether the client built it, the server parsed it, or the outbox read it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpsertBody {
    pub title: Title,
    pub summary: Summary,
    /// `null` (or absent) means the session is not finished.
    pub finished_at: Option<Timestamp>,
    /// When the user or hook acted; the newest action wins.
    pub observed_at: Timestamp,
    /// Flat beside the fields above; only the facts present are written, the others keep
    /// their stored values. Boxed: most writes carry none, and bodies move through queues.
    #[serde(flatten)]
    pub facts: Box<Facts>,
}

const UPSERT_FIELDS: [&str; 4] = ["title", "summary", "finished_at", "observed_at"];

/// Every field a `PUT` body may hold: the row's own, then the facts.
fn body_fields() -> impl Iterator<Item = &'static str> {
    UPSERT_FIELDS.into_iter().chain(facts::FIELDS)
}

impl UpsertBody {
    /// Parses a request body as the server must: unknown fields are refused (a misspelt
    /// `finshed_at` would otherwise be dropped silently), and every failure names the field,
    /// the fix, and the API's error code for it.
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidJson,
                format!("body is not valid JSON ({e}); send an object like {{\"title\":\"...\",\"summary\":\"...\",\"finished_at\":null,\"observed_at\":\"2026-11-24T07:02:28.559Z\"}}"),
            )
        })?;
        let Value::Object(object) = value else {
            return Err(ApiError::new(
                ErrorCode::InvalidJson,
                "body must be a JSON object with title, summary, finished_at and observed_at",
            ));
        };
        if let Some(unknown) = object
            .keys()
            .find(|k| !body_fields().any(|f| f == k.as_str()))
        {
            return Err(ApiError::new(
                ErrorCode::UnknownField,
                format!(
                    "unknown field {unknown:?}; the fields are {}",
                    body_fields().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let title = Title::parse(required_string(&object, "title", ErrorCode::InvalidTitle)?)?;
        let summary = Summary::parse(required_string(
            &object,
            "summary",
            ErrorCode::InvalidSummary,
        )?)?;
        let observed_at = Timestamp::parse(
            "observed_at",
            required_string(&object, "observed_at", ErrorCode::InvalidTimestamp)?,
        )?;
        let finished_at = match object.get("finished_at") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(Timestamp::parse("finished_at", s)?),
            Some(_) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidTimestamp,
                    "finished_at must be an RFC 3339 string or null",
                ));
            }
        };
        let facts = Box::new(Facts::from_object(&object)?);
        Ok(UpsertBody {
            title,
            summary,
            finished_at,
            observed_at,
            facts,
        })
    }
}

fn required_string<'a>(
    object: &'a Map<String, Value>,
    field: &str,
    wrong_type: ErrorCode,
) -> Result<&'a str, ApiError> {
    match object.get(field) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(ApiError::new(
            ErrorCode::MissingField,
            format!("{field} is required"),
        )),
        Some(_) => Err(ApiError::new(
            wrong_type,
            format!("{field} must be a string"),
        )),
    }
}

/// A session row as the API returns it: the seed's eight fields first, then extras, then the
/// facts that are known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub uuid: String,
    pub session_id: String,
    pub user_uuid: String,
    pub workspace_uuid: String,
    pub title: String,
    pub summary: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub updated_at: String,
    pub user_arn: String,
    /// Boxed: sessions are moved around in pages and results, facts only read.
    #[serde(flatten)]
    pub facts: Box<Facts>,
}

/// One page of `GET .../sessions`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPage {
    pub sessions: Vec<Session>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The answer to `DELETE .../sessions/{session_id}`: which row its owner removed, and when.
/// Nothing of the row's text: it is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedSession {
    pub workspace_uuid: String,
    pub session_id: String,
    pub deleted_at: String,
}

/// One page of `GET .../changes`: what changed in a workspace since a time, oldest change
/// first, so that a client keeping a local copy can resume where a page ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePage {
    /// Sessions as `GET .../sessions/{session_id}` returns them, and the tombstones of deleted
    /// ones, by the server's `updated_at`, oldest first.
    pub changes: Vec<Change>,
    /// Pass as `cursor` (with the same `updated_since`) for the next page; `null` on the last.
    pub next_cursor: Option<String>,
    /// The server's clock when it started reading, before any row of the page: a client keeps
    /// its next `updated_since` on the server's clock (less an overlap window), never its own.
    pub server_time: Timestamp,
}

impl ChangePage {
    /// The most changes a page holds, and its size when the caller names no `limit`; a page
    /// also ends where one DynamoDB Query does (1 MB of rows).
    pub const MAX_LIMIT: u32 = 1000;
}

/// One entry of a change feed: a session as it now is, or the tombstone of a deleted one.
/// Untagged: a session is the very JSON every other endpoint returns; a tombstone is told
/// apart by its `deleted: true`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Change {
    Deleted(Tombstone),
    Session(Session),
}

impl Change {
    /// The server's time of the change: the session's last write, or its delete.
    pub fn updated_at(&self) -> &str {
        match self {
            Change::Deleted(t) => &t.updated_at,
            Change::Session(s) => &s.updated_at,
        }
    }

    pub fn session_id(&self) -> &str {
        match self {
            Change::Deleted(t) => &t.session_id,
            Change::Session(s) => &s.session_id,
        }
    }
}

/// A deleted session in a change feed: which row, and when its owner deleted it. Nothing of
/// its text, which is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    pub workspace_uuid: String,
    pub session_id: String,
    pub deleted_at: String,
    /// When the server wrote the tombstone (its place in the feed).
    pub updated_at: String,
    pub deleted: Deleted,
}

/// `true`, always: what marks a tombstone, so that no other object reads as one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deleted;

impl Serialize for Deleted {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bool(true)
    }
}

impl<'de> Deserialize<'de> for Deleted {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if bool::deserialize(deserializer)? {
            Ok(Deleted)
        } else {
            Err(serde::de::Error::custom("`deleted` is true in a tombstone"))
        }
    }
}

/// `GET /v1/whoami`: the caller's identity as the API records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub user_arn: String,
    /// UUIDv5 of `user_arn` under `identity::USER_NAMESPACE`.
    pub user_uuid: String,
}

/// `{"error":{"code":"...","message":"..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

impl From<&ApiError> for ErrorBody {
    fn from(e: &ApiError) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: e.code.as_str().to_owned(),
                message: e.message.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<UpsertBody, ApiError> {
        UpsertBody::from_json(body.as_bytes())
    }

    #[test]
    fn accepts_the_documented_shape() {
        let v = parse(r#"{"title":"t","summary":"s","finished_at":null,"observed_at":"2026-11-20T09:03:30.120Z"}"#).unwrap();
        assert_eq!(v.finished_at, None);
        let v = parse(r#"{"title":"t","summary":"s","observed_at":"2026-11-20T09:03:30.120Z","finished_at":"2026-11-20T10:03:30+01:00"}"#).unwrap();
        assert_eq!(
            v.finished_at.unwrap().to_string(),
            "2026-11-20T09:03:30.000Z"
        );
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(parse(&text).unwrap(), v);
        assert_eq!(serde_json::from_str::<UpsertBody>(&text).unwrap(), v);
        assert_eq!(
            text,
            r#"{"title":"t","summary":"s","finished_at":"2026-11-20T09:03:30.000Z","observed_at":"2026-11-20T09:03:30.120Z"}"#,
            "the wire format"
        );
    }

    #[test]
    fn facts_ride_beside_the_fields_and_only_when_known() {
        let body = r#"{"title":"t","summary":"s","finished_at":null,"observed_at":"2026-11-20T09:03:30.120Z","repo":"github.com/acme/uploader","models":["claude-opus-4-5"],"input_tokens":12,"cost_usd":1.09,"end_reason":"other"}"#;
        let v = parse(body).unwrap();
        assert_eq!(v.facts.repo.as_deref(), Some("github.com/acme/uploader"));
        assert_eq!(v.facts.cost_usd.map(|c| c.micros()), Some(1_090_000));
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(text, body, "the wire format, facts after the row's fields");
        assert_eq!(parse(&text).unwrap(), v);
        assert_eq!(serde_json::from_str::<UpsertBody>(&text).unwrap(), v);
        let bare = parse(r#"{"title":"t","summary":"s","observed_at":"2026-11-20T09:03:30.120Z"}"#);
        assert!(bare.unwrap().facts.is_empty());
        let wrong = parse(
            r#"{"title":"t","summary":"s","observed_at":"2026-11-20T09:03:30.120Z","prompts":"3"}"#,
        );
        assert_eq!(wrong.unwrap_err().code, ErrorCode::InvalidFact);
    }

    #[test]
    fn a_change_is_a_session_or_a_tombstone_on_the_wire() {
        let session = r#"{"uuid":"5a1d6c2e-3f4b-4e8a-9c7d-1b2a3c4d5e6f","session_id":"s1","user_uuid":"u","workspace_uuid":"w","title":"t","summary":"s","created_at":"2026-11-20T09:00:00.000Z","finished_at":null,"updated_at":"2026-11-20T09:00:01.000Z","user_arn":"arn:aws:iam::1:user/a","repo":"github.com/acme/uploader","cost_usd":1.09}"#;
        let tombstone = r#"{"workspace_uuid":"w","session_id":"s2","deleted_at":"2026-11-20T09:00:02.000Z","updated_at":"2026-11-20T09:00:02.000Z","deleted":true}"#;
        let text = format!(
            r#"{{"changes":[{session},{tombstone}],"next_cursor":null,"server_time":"2026-11-20T09:00:03.000Z"}}"#
        );
        let page: ChangePage = serde_json::from_str(&text).unwrap();
        let Change::Session(s) = &page.changes[0] else {
            panic!("a session read as {:?}", page.changes[0]);
        };
        assert_eq!(s.facts.cost_usd.map(|c| c.micros()), Some(1_090_000));
        assert!(matches!(&page.changes[1], Change::Deleted(t) if t.session_id == "s2"));
        assert_eq!(
            page.changes
                .iter()
                .map(Change::updated_at)
                .collect::<Vec<_>>(),
            ["2026-11-20T09:00:01.000Z", "2026-11-20T09:00:02.000Z"]
        );
        assert_eq!(
            serde_json::to_string(&page).unwrap(),
            text,
            "the wire format"
        );
        let not_deleted = tombstone.replace("true", "false");
        assert!(serde_json::from_str::<Change>(&not_deleted).is_err());
    }

    #[test]
    fn each_defect_has_its_code() {
        let cases = [
            ("not json", ErrorCode::InvalidJson),
            ("[1]", ErrorCode::InvalidJson),
            (
                r#"{"summary":"s","observed_at":"2026-11-20T09:03:30Z"}"#,
                ErrorCode::MissingField,
            ),
            (r#"{"title":"t","summary":"s"}"#, ErrorCode::MissingField),
            (
                r#"{"title":1,"summary":"s","observed_at":"2026-11-20T09:03:30Z"}"#,
                ErrorCode::InvalidTitle,
            ),
            (
                r#"{"title":"","summary":"s","observed_at":"2026-11-20T09:03:30Z"}"#,
                ErrorCode::InvalidTitle,
            ),
            (
                r#"{"title":"t","summary":"","observed_at":"2026-11-20T09:03:30Z"}"#,
                ErrorCode::InvalidSummary,
            ),
            (
                r#"{"title":"t","summary":"s","observed_at":"now"}"#,
                ErrorCode::InvalidTimestamp,
            ),
            (
                r#"{"title":"t","summary":"s","observed_at":"2026-11-20T09:03:30Z","finished_at":5}"#,
                ErrorCode::InvalidTimestamp,
            ),
            (
                r#"{"title":"t","summary":"s","observed_at":"2026-11-20T09:03:30Z","finshed_at":null}"#,
                ErrorCode::UnknownField,
            ),
        ];
        for (body, code) in cases {
            assert_eq!(parse(body).unwrap_err().code, code, "{body}");
        }
    }
}
