//! The listing cursor every store hands out: the key of the last session a page holds (table
//! key plus index key), opaque to clients, and accepted only by the listing that made it.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::StoreError;
use super::table::{BY_REPO, BY_UPDATED, BY_USER, BY_WORKSPACE, KeyDef, TABLE_KEY};

/// A position in a listing: attribute name -> value, exactly the attributes of `Listing::attributes`.
pub type Position = BTreeMap<String, String>;

/// One listing's cursor rules: which index it reads and who may continue it.
#[derive(Debug, Clone)]
pub struct Listing<'a> {
    /// The index it reads (`BY_WORKSPACE`, `BY_USER` for one user's, `BY_REPO` for one
    /// repository's): its name and key.
    pub index: &'static str,
    pub key: KeyDef,
    /// The table key plus the index key, sorted: what a position holds.
    pub attributes: Vec<&'static str>,
    workspace: &'a str,
    /// For one user's listing: the user, whose cursors these are.
    user: Option<&'a str>,
    /// For one repository's listing: the repository.
    repo: Option<&'a str>,
}

impl<'a> Listing<'a> {
    /// A workspace's listing (`by_workspace_created`); with `repo` only that repository's
    /// sessions in it (`by_repo_created`), else with `user` only that user's
    /// (`by_user_created`).
    pub fn new(workspace: &'a str, user: Option<&'a str>, repo: Option<&'a str>) -> Self {
        let index = match (repo, user) {
            (Some(_), _) => BY_REPO,
            (None, Some(_)) => BY_USER,
            (None, None) => BY_WORKSPACE,
        };
        Listing::on(index, workspace, user, repo)
    }

    /// A workspace's change feed (`by_workspace_updated`), oldest change first.
    pub fn changes(workspace: &'a str) -> Self {
        Listing::on(BY_UPDATED, workspace, None, None)
    }

    fn on(
        (index, key): (&'static str, KeyDef),
        workspace: &'a str,
        user: Option<&'a str>,
        repo: Option<&'a str>,
    ) -> Self {
        let mut attributes = vec![TABLE_KEY.partition, TABLE_KEY.sort, key.partition, key.sort];
        attributes.sort_unstable();
        attributes.dedup();
        Listing {
            index,
            key,
            attributes,
            workspace,
            // The repo index's positions name no user: a user filter there is the query's.
            user: user.filter(|_| repo.is_none()),
            repo,
        }
    }

    /// The cursor for the position of a session, given each attribute's value.
    pub fn encode<'v>(&self, value_of: impl Fn(&str) -> Option<&'v str>) -> String {
        let position: serde_json::Map<String, serde_json::Value> = self
            .attributes
            .iter()
            .filter_map(|a| value_of(a).map(|v| ((*a).to_owned(), serde_json::Value::from(v))))
            .collect();
        URL_SAFE_NO_PAD.encode(serde_json::Value::Object(position).to_string())
    }

    /// A change feed's cursor, which must also lie within the feed from `since` on: one sent
    /// with a later `updated_since` than its own would start the read outside the range.
    pub fn decode_from(&self, raw: &str, since: &str) -> Result<Position, StoreError> {
        let position = self.decode(raw)?;
        match position.get(self.key.sort) {
            Some(at) if at.as_str() >= since => Ok(position),
            _ => Err(StoreError::BadCursor),
        }
    }

    /// A cursor is only accepted for the listing that produced it: same attributes, same
    /// workspace, for one user's the same user, for one repository's the same repository. Anything else is a bad cursor, never a store
    /// error.
    pub fn decode(&self, raw: &str) -> Result<Position, StoreError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| StoreError::BadCursor)?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| StoreError::BadCursor)?;
        let object = value.as_object().ok_or(StoreError::BadCursor)?;
        if object.len() != self.attributes.len() {
            return Err(StoreError::BadCursor);
        }
        let mut position = Position::new();
        for attr in &self.attributes {
            let v = object
                .get(*attr)
                .and_then(|v| v.as_str())
                .filter(|v| !v.is_empty())
                .ok_or(StoreError::BadCursor)?;
            position.insert((*attr).to_owned(), v.to_owned());
        }
        if position.get("workspace_uuid").map(String::as_str) != Some(self.workspace) {
            return Err(StoreError::BadCursor);
        }
        for (attr, expected) in [("user_uuid", self.user), ("repo", self.repo)] {
            if let Some(expected) = expected
                && position.get(attr).map(String::as_str) != Some(expected)
            {
                return Err(StoreError::BadCursor);
            }
        }
        Ok(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tampering() {
        let listing = Listing::new("ws", None, None);
        let row = |name: &str| match name {
            "workspace_uuid" => Some("ws"),
            "session_id" => Some("a:b"),
            "created_at" => Some("2026-11-20T09:00:00.000Z"),
            "title" => Some("not part of the position"),
            _ => None,
        };
        let cursor = listing.encode(row);
        let back = listing.decode(&cursor).unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(back["session_id"], "a:b");
        assert!(matches!(
            Listing::new("other", None, None).decode(&cursor),
            Err(StoreError::BadCursor)
        ));
        assert!(matches!(
            Listing::new("ws", Some("u"), None).decode(&cursor),
            Err(StoreError::BadCursor)
        ));
        assert!(matches!(
            listing.decode("bm90IGpzb24"),
            Err(StoreError::BadCursor)
        ));
    }

    #[test]
    fn change_cursors_belong_to_the_feed_from_their_time_on() {
        let changes = Listing::changes("ws");
        assert_eq!(changes.index, BY_UPDATED.0);
        let cursor = changes.encode(|name| match name {
            "workspace_uuid" => Some("ws"),
            "session_id" => Some("s"),
            "updated_at" => Some("2026-11-20T09:00:00.000Z"),
            "created_at" => Some("2026-11-19T09:00:00.000Z"),
            _ => None,
        });
        assert_eq!(changes.decode(&cursor).unwrap().len(), 3);
        for since in ["2026-11-20T09:00:00.000Z", "2026-11-19T00:00:00.000Z"] {
            assert!(changes.decode_from(&cursor, since).is_ok(), "{since}");
        }
        assert!(matches!(
            changes.decode_from(&cursor, "2026-11-20T09:00:00.001Z"),
            Err(StoreError::BadCursor)
        ));
        assert!(matches!(
            Listing::new("ws", None, None).decode(&cursor),
            Err(StoreError::BadCursor)
        ));
        let listing = Listing::new("ws", None, None).encode(|name| match name {
            "workspace_uuid" => Some("ws"),
            "session_id" => Some("s"),
            "created_at" => Some("2026-11-20T09:00:00.000Z"),
            _ => None,
        });
        assert!(matches!(
            changes.decode(&listing),
            Err(StoreError::BadCursor)
        ));
    }

    #[test]
    fn mine_cursors_belong_to_their_user() {
        let mine = Listing::new("ws", Some("u"), None);
        assert_eq!(mine.index, BY_USER.0);
        let cursor = mine.encode(|name| match name {
            "workspace_uuid" => Some("ws"),
            "session_id" => Some("s"),
            "created_at" => Some("2026-11-20T09:00:00.000Z"),
            "user_uuid" => Some("u"),
            _ => None,
        });
        assert_eq!(mine.decode(&cursor).unwrap().len(), 4);
        assert!(matches!(
            Listing::new("ws", Some("v"), None).decode(&cursor),
            Err(StoreError::BadCursor)
        ));
        assert!(matches!(
            Listing::new("ws", None, None).decode(&cursor),
            Err(StoreError::BadCursor)
        ));
    }

    #[test]
    fn repo_cursors_belong_to_their_repo() {
        let repo = Listing::new("ws", Some("u"), Some("github.com/acme/uploader"));
        assert_eq!(repo.index, BY_REPO.0, "the repo index, even for one user's");
        let cursor = repo.encode(|name| match name {
            "workspace_uuid" => Some("ws"),
            "session_id" => Some("s"),
            "created_at" => Some("2026-11-20T09:00:00.000Z"),
            "repo" => Some("github.com/acme/uploader"),
            _ => None,
        });
        assert_eq!(repo.decode(&cursor).unwrap().len(), 4);
        assert!(matches!(
            Listing::new("ws", None, Some("github.com/acme/other")).decode(&cursor),
            Err(StoreError::BadCursor)
        ));
        assert!(matches!(
            Listing::new("ws", None, None).decode(&cursor),
            Err(StoreError::BadCursor)
        ));
    }
}
