//! `GET .../sessions`: the query parameters of a listing (page size, cursor, and the filters
//! `mine`, `user`, `repo`, `branch`), each checked with a message that says the fix.

use bytes::Bytes;
use http::{Request, StatusCode};
use sessions_core::facts::{TEXT_LIMITS, check_repo};
use sessions_core::fields::{LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT};
use sessions_core::{ApiError, Cursor, WorkspaceId};

use super::{Api, Outcome, invalid_query, query_pairs, store_error, to_json};
use crate::domain::{Caller, ListFilter, ListQuery};
use crate::store::SessionStore;

/// The longest IAM ARN accepted in `user=`.
const ARN_MAX_BYTES: usize = 2048;

const PARAMETERS: &str = "limit, cursor, mine, user, repo, branch";

impl<S: SessionStore> Api<S> {
    pub(super) async fn list(
        &self,
        req: &Request<Bytes>,
        caller: &Caller,
        workspace: WorkspaceId,
    ) -> Outcome {
        let query = list_query(req.uri().query().unwrap_or_default(), caller, workspace)?;
        let page = self.store.list(&query).await.map_err(store_error)?;
        Ok((StatusCode::OK, to_json(&page)))
    }
}

fn list_query(raw: &str, caller: &Caller, workspace: WorkspaceId) -> Result<ListQuery, ApiError> {
    let mut query = ListQuery {
        workspace,
        caller: caller.clone(),
        mine: false,
        limit: LIST_DEFAULT_LIMIT,
        cursor: None,
        filter: ListFilter::default(),
    };
    for pair in query_pairs(raw) {
        let (key, value) = pair?;
        match key {
            "limit" => {
                query.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=LIST_MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        invalid_query(format!(
                            "limit {value:?} is not a number from 1 to {LIST_MAX_LIMIT}"
                        ))
                    })?;
            }
            "cursor" => query.cursor = Some(Cursor::parse(&value)?),
            "mine" => {
                query.mine = match value.as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(invalid_query(format!(
                            "mine {value:?} must be true or false"
                        )));
                    }
                }
            }
            "repo" => query.filter.repo = Some(repo(value)?),
            "branch" => query.filter.branch = Some(branch(value)?),
            "user" => query.filter.user_arn = Some(user_arn(value)?),
            other => {
                return Err(invalid_query(format!(
                    "unknown query parameter {other:?}; the parameters are {PARAMETERS}"
                )));
            }
        }
    }
    if query.mine && query.filter.user_arn.is_some() {
        return Err(invalid_query(
            "mine and user both name whose sessions to list; send one of them".to_owned(),
        ));
    }
    Ok(query)
}

fn limit_of(fact: &str) -> usize {
    TEXT_LIMITS
        .iter()
        .find(|(name, _)| *name == fact)
        .map_or(0, |(_, max)| *max)
}

fn repo(value: String) -> Result<String, ApiError> {
    let max = limit_of("repo");
    if value.len() > max {
        return Err(invalid_query(format!(
            "repo is longer than {max} bytes; write it as host/owner/name, like github.com/acme/uploader"
        )));
    }
    check_repo(&value).map_err(|why| invalid_query(format!("repo {value:?} {why}")))?;
    Ok(value)
}

fn branch(value: String) -> Result<String, ApiError> {
    let max = limit_of("branch");
    if value.is_empty() || value.len() > max || value.chars().any(char::is_control) {
        return Err(invalid_query(format!(
            "branch must be a branch name of 1 to {max} bytes without control characters, like main"
        )));
    }
    Ok(value)
}

fn user_arn(value: String) -> Result<String, ApiError> {
    let sane = value.len() > "arn:".len()
        && value.starts_with("arn:")
        && value.len() <= ARN_MAX_BYTES
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if !sane {
        return Err(invalid_query(format!(
            "user {value:?} is not an IAM ARN; pass the creator's ARN, like \
             arn:aws:iam::123456789012:user/alice (cargo-ai whoami prints yours)"
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use sessions_core::ErrorCode;

    use super::*;

    fn parse(raw: &str) -> Result<ListQuery, ApiError> {
        let caller = Caller::from_arn("arn:aws:iam::000000000000:user/alice");
        let workspace = WorkspaceId::parse("0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60").unwrap();
        list_query(raw, &caller, workspace)
    }

    #[test]
    fn filters_are_read_decoded() {
        let q = parse("branch=feat%2Fretry&repo=github.com%2Facme%2Fuploader&user=arn%3Aaws%3Aiam%3A%3A000000000000%3Auser%2Fbob").unwrap();
        assert_eq!(q.filter.repo.as_deref(), Some("github.com/acme/uploader"));
        assert_eq!(q.filter.branch.as_deref(), Some("feat/retry"));
        assert_eq!(
            q.filter.user_arn.as_deref(),
            Some("arn:aws:iam::000000000000:user/bob")
        );
        assert_eq!(
            q.user_uuid(),
            Some(sessions_core::user_uuid("arn:aws:iam::000000000000:user/bob").to_string())
        );
        let mine = parse("mine=true").unwrap();
        assert_eq!(mine.user_uuid(), Some(mine.caller.user_uuid.to_string()));
        assert_eq!(parse("").unwrap().user_uuid(), None);
    }

    #[test]
    fn bad_filters_say_the_fix() {
        for (raw, names) in [
            ("repo=uploader", "host/owner/name"),
            ("repo=https%3A%2F%2Fgithub.com%2Fa%2Fb", "host/owner/name"),
            ("repo=", "host/owner/name"),
            ("branch=", "branch name"),
            ("user=alice", "IAM ARN"),
            ("user=arn%3A", "IAM ARN"),
            (
                "mine=true&user=arn%3Aaws%3Aiam%3A%3A1%3Auser%2Fb",
                "one of them",
            ),
            ("team=x", "repo, branch"),
        ] {
            let e = parse(raw).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidQuery, "{raw}");
            assert!(e.message.contains(names), "{raw}: {}", e.message);
        }
    }
}
