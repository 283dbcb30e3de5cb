//! The sessions table in DynamoDB: one conditional UpdateItem per upsert, one conditional
//! PutItem (a tombstone) per delete, Query on the indexes for listing and for the change feed. Condition failures
//! return the old item, so "not owner", "stale", "exists" and "absent" are told apart without a
//! second read.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use sessions_core::wire::{Change, ChangePage, Deleted, Tombstone};
use sessions_core::{Session, SessionId, SessionPage, WorkspaceId};

use super::cursor::Listing;
use super::facts;
use super::table::TABLE_KEY;
use super::{SessionStore, StoreError, Upserted};
use crate::domain::{
    ChangeQuery, DeleteCommand, Existing, ListQuery, Rejection, UpsertCommand, WriteMode, decide,
    decide_delete,
};

type Item = HashMap<String, AttributeValue>;

/// The DynamoDB actions this store calls, as IAM names them: exactly what the function's role
/// must grant (`function/tests/contract/template.rs` checks template.yaml against it; a test below
/// checks the store against it). `table::create_if_missing` is the local stack's, never run
/// by the function in AWS.
pub const IAM_ACTIONS: [&str; 4] = [
    "dynamodb:UpdateItem",
    "dynamodb:PutItem",
    "dynamodb:GetItem",
    "dynamodb:Query",
];

/// The attribute that marks a tombstone (`DeleteCommand`): when its owner deleted the row.
const DELETED_AT: &str = "deleted_at";

/// How many index pages one `list` call reads at most while filtering for `mine`.
const MAX_PAGES_PER_LIST: usize = 5;

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

fn session_from_item(item: &Item) -> Result<Session, StoreError> {
    let need = |name: &str| {
        text(item, name).map(str::to_owned).ok_or_else(|| {
            StoreError::Internal(format!("stored row lacks the string attribute {name}"))
        })
    };
    Ok(Session {
        uuid: need("uuid")?,
        session_id: need("session_id")?,
        user_uuid: need("user_uuid")?,
        workspace_uuid: need("workspace_uuid")?,
        title: need("title")?,
        summary: need("summary")?,
        created_at: need("created_at")?,
        finished_at: text(item, "finished_at").map(str::to_owned),
        updated_at: need("updated_at")?,
        user_arn: need("user_arn")?,
        facts: Box::new(facts::from_item(item)),
    })
}

/// A row as the change feed lists it: the session, or the tombstone of a deleted one.
fn change_from_item(item: &Item) -> Result<Change, StoreError> {
    if !item.contains_key(DELETED_AT) {
        return session_from_item(item).map(Change::Session);
    }
    let need = |name: &str| {
        text(item, name).map(str::to_owned).ok_or_else(|| {
            StoreError::Internal(format!(
                "stored tombstone lacks the string attribute {name}"
            ))
        })
    };
    Ok(Change::Deleted(Tombstone {
        workspace_uuid: need(TABLE_KEY.partition)?,
        session_id: need(TABLE_KEY.sort)?,
        deleted_at: need(DELETED_AT)?,
        updated_at: need("updated_at")?,
        deleted: Deleted,
    }))
}

fn existing(item: &Item) -> Existing<'_> {
    Existing {
        user_uuid: text(item, "user_uuid").unwrap_or_default(),
        observed_at: text(item, "observed_at").unwrap_or_default(),
        deleted: item.contains_key(DELETED_AT),
    }
}

/// The condition failed: which rule did the stored row break? `decision` is the domain's rule
/// for this write, applied to the old item the failure returned.
fn rejection_from_old_item(
    old: Option<&Item>,
    decision: impl FnOnce(Option<Existing<'_>>) -> Result<(), Rejection>,
) -> StoreError {
    match decision(old.map(existing)) {
        Err(rejection) => StoreError::Rejected(rejection),
        // Cannot happen while the condition and the domain's rule agree; never guess "success".
        Ok(()) => {
            StoreError::Internal("condition failed but the stored row allows the write".into())
        }
    }
}

fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> StoreError {
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            StoreError::Unavailable(aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string())
        }
        SdkError::ServiceError(service) => match service.err().code() {
            Some(
                "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded",
            ) => StoreError::Throttled,
            _ => {
                StoreError::Internal(aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string())
            }
        },
        _ => StoreError::Internal(aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string()),
    }
}

impl SessionStore for DynamoStore {
    async fn upsert(&self, cmd: &UpsertCommand) -> Result<Upserted, StoreError> {
        let f = &cmd.fields;
        let new_uuid = cmd.new_uuid.to_string();
        let mut set: Vec<String> = [
            "#uuid = if_not_exists(#uuid, :uuid)",
            "#created_at = if_not_exists(#created_at, :created_at)",
            "#user_uuid = if_not_exists(#user_uuid, :me)",
            "#user_arn = if_not_exists(#user_arn, :arn)",
            "#title = :title",
            "#summary = :summary",
            "#updated_at = :now",
            "#observed_at = :observed_at",
        ]
        .map(str::to_owned)
        .to_vec();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(TABLE_KEY.partition, s(cmd.workspace.to_string()))
            .key(TABLE_KEY.sort, s(cmd.session_id.as_str()))
            .expression_attribute_values(":uuid", s(&new_uuid))
            .expression_attribute_values(":created_at", s(cmd.created_at().to_string()))
            .expression_attribute_values(":me", s(cmd.caller.user_uuid.to_string()))
            .expression_attribute_values(":arn", s(&cmd.caller.arn))
            .expression_attribute_values(":title", s(f.title.as_str()))
            .expression_attribute_values(":summary", s(f.summary.as_str()))
            .expression_attribute_values(":now", s(cmd.now.to_string()))
            .expression_attribute_values(":observed_at", s(f.observed_at.to_string()));
        for name in [
            "uuid",
            "created_at",
            "user_uuid",
            "user_arn",
            "title",
            "summary",
            "updated_at",
            "observed_at",
            "finished_at",
            "session_id",
            DELETED_AT,
        ] {
            request = request.expression_attribute_names(format!("#{name}"), name);
        }
        // Only the facts this write carries: the others keep their stored values.
        for (name, value) in facts::attributes(&f.facts) {
            set.push(format!("#{name} = :{name}"));
            request = request
                .expression_attribute_names(format!("#{name}"), name)
                .expression_attribute_values(format!(":{name}"), value);
        }
        // A write on a tombstone that passes the condition records the session again: the
        // tombstone has no uuid/created_at/user_arn, so `if_not_exists` sets them anew.
        let remove = match f.finished_at {
            Some(finished) => {
                set.push("#finished_at = :finished_at".to_owned());
                request =
                    request.expression_attribute_values(":finished_at", s(finished.to_string()));
                " REMOVE #deleted_at"
            }
            None => " REMOVE #deleted_at, #finished_at",
        };
        let condition = match cmd.mode {
            WriteMode::Upsert => {
                "attribute_not_exists(#session_id) OR (#user_uuid = :me AND #observed_at < :observed_at)"
            }
            WriteMode::CreateOnly => "attribute_not_exists(#session_id)",
        };
        let result = request
            .update_expression(format!("SET {}{remove}", set.join(", ")))
            .condition_expression(condition)
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                let item = out.attributes.ok_or_else(|| {
                    StoreError::Internal("UpdateItem returned no attributes".into())
                })?;
                let session = session_from_item(&item)?;
                let created = session.uuid == new_uuid;
                Ok(Upserted { session, created })
            }
            Err(SdkError::ServiceError(service))
                if matches!(
                    service.err(),
                    UpdateItemError::ConditionalCheckFailedException(_)
                ) =>
            {
                let old = match service.err() {
                    UpdateItemError::ConditionalCheckFailedException(e) => e.item.as_ref(),
                    _ => None,
                };
                Err(rejection_from_old_item(old, |existing| {
                    decide(existing, &cmd.caller, &cmd.fields.observed_at, cmd.mode)
                }))
            }
            Err(e) => Err(classify(e)),
        }
    }

    /// One conditional PutItem replaces the owner's live row by its tombstone; the condition
    /// (a live row of the caller's) is `decide_delete`'s rule, checked atomically.
    async fn delete(&self, cmd: &DeleteCommand) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(TABLE_KEY.partition, s(cmd.workspace.to_string()))
            .item(TABLE_KEY.sort, s(cmd.session_id.as_str()))
            .item("user_uuid", s(cmd.caller.user_uuid.to_string()))
            .item(DELETED_AT, s(cmd.now.to_string()))
            // Its place in the change feed (`by_workspace_updated`), so that clients keeping a
            // copy learn of the delete.
            .item("updated_at", s(cmd.now.to_string()))
            .item("observed_at", s(cmd.observed_at().to_string()))
            .condition_expression(
                "attribute_exists(#session_id) AND attribute_not_exists(#deleted_at) AND #user_uuid = :me",
            )
            .expression_attribute_names("#session_id", TABLE_KEY.sort)
            .expression_attribute_names("#deleted_at", DELETED_AT)
            .expression_attribute_names("#user_uuid", "user_uuid")
            .expression_attribute_values(":me", s(cmd.caller.user_uuid.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(service))
                if matches!(
                    service.err(),
                    PutItemError::ConditionalCheckFailedException(_)
                ) =>
            {
                let old = match service.err() {
                    PutItemError::ConditionalCheckFailedException(e) => e.item.as_ref(),
                    _ => None,
                };
                Err(rejection_from_old_item(old, |existing| {
                    decide_delete(existing, &cmd.caller)
                }))
            }
            Err(e) => Err(classify(e)),
        }
    }

    async fn get(
        &self,
        workspace: &WorkspaceId,
        session_id: &SessionId,
    ) -> Result<Option<Session>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(TABLE_KEY.partition, s(workspace.to_string()))
            .key(TABLE_KEY.sort, s(session_id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        out.item
            .as_ref()
            .filter(|item| !item.contains_key(DELETED_AT))
            .map(session_from_item)
            .transpose()
    }

    async fn list(&self, q: &ListQuery) -> Result<SessionPage, StoreError> {
        let workspace = q.workspace.to_string();
        let user = q.user_uuid();
        let listing = Listing::new(&workspace, user.as_deref(), q.filter.repo.as_deref());
        let (partition, filters) = conditions(q, &listing, &workspace, user.as_deref());
        let position_of = |item: &Item| listing.encode(|attr| text(item, attr));
        let mut start = match &q.cursor {
            Some(c) => Some(
                listing
                    .decode(c.as_str())?
                    .into_iter()
                    .map(|(attr, value)| (attr, s(value)))
                    .collect::<Item>(),
            ),
            None => None,
        };
        let limit = q.limit as usize;
        let mut sessions = Vec::with_capacity(limit);
        let mut next_cursor = None;
        for _ in 0..MAX_PAGES_PER_LIST {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(listing.index)
                .scan_index_forward(false)
                .limit((limit - sessions.len()) as i32)
                .set_exclusive_start_key(start.take())
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", listing.key.partition)
                .expression_attribute_values(":pk", s(partition));
            // DynamoDB filters after reading: `Limit` counts rows read, so a page may come back
            // short with more to read; the loop reads on, up to MAX_PAGES_PER_LIST pages.
            if !filters.is_empty() {
                let mut expression = Vec::with_capacity(filters.len());
                for (i, (attr, value)) in filters.iter().enumerate() {
                    expression.push(format!("#f{i} = :f{i}"));
                    request = request
                        .expression_attribute_names(format!("#f{i}"), *attr)
                        .expression_attribute_values(format!(":f{i}"), s(*value));
                }
                request = request.filter_expression(expression.join(" AND "));
            }
            let out = request.send().await.map_err(classify)?;
            for item in out.items() {
                sessions.push(session_from_item(item)?);
                if sessions.len() == limit {
                    next_cursor = Some(position_of(item));
                    break;
                }
            }
            if sessions.len() == limit {
                break;
            }
            match out.last_evaluated_key {
                Some(lek) => {
                    next_cursor = Some(position_of(&lek));
                    start = Some(lek);
                }
                None => {
                    next_cursor = None;
                    break;
                }
            }
        }
        Ok(SessionPage {
            sessions,
            next_cursor,
        })
    }

    async fn changes(&self, q: &ChangeQuery) -> Result<ChangePage, StoreError> {
        query_changes(self, q).await
    }
}

/// One Query of `by_workspace_updated` per page, oldest change first: no filter, so every
/// row read is listed, and a page ends at `limit` or at DynamoDB's 1 MB per Query. That bound
/// also keeps the answer within Lambda's 6 MB: its JSON is about as large as the rows it holds
/// (1.06 MB for 1 MB of rows, measured), at most twice that for text the API accepts (whose
/// only escaped characters, newlines, tabs, quotes and backslashes, take two bytes).
async fn query_changes(store: &DynamoStore, q: &ChangeQuery) -> Result<ChangePage, StoreError> {
    let workspace = q.workspace.to_string();
    let since = q.since.to_string();
    let listing = Listing::changes(&workspace);
    let start = match &q.cursor {
        Some(c) => Some(
            listing
                .decode_from(c.as_str(), &since)?
                .into_iter()
                .map(|(attr, value)| (attr, s(value)))
                .collect::<Item>(),
        ),
        None => None,
    };
    let out = store
        .client
        .query()
        .table_name(&store.table)
        .index_name(listing.index)
        .scan_index_forward(true)
        .limit(i32::try_from(q.limit).unwrap_or(i32::MAX))
        .set_exclusive_start_key(start)
        .key_condition_expression("#pk = :pk AND #sk >= :since")
        .expression_attribute_names("#pk", listing.key.partition)
        .expression_attribute_names("#sk", listing.key.sort)
        .expression_attribute_values(":pk", s(&workspace))
        .expression_attribute_values(":since", s(since))
        .send()
        .await
        .map_err(classify)?;
    let changes = out
        .items()
        .iter()
        .map(change_from_item)
        .collect::<Result<Vec<_>, _>>()?;
    let next_cursor = out
        .last_evaluated_key
        .as_ref()
        .map(|lek| listing.encode(|attr| text(lek, attr)));
    Ok(ChangePage {
        changes,
        next_cursor,
        server_time: q.now,
    })
}

/// The value of the index's partition key, and the (attribute, value) pairs rows must also
/// match: the workspace when the index spans workspaces, the user in a repository's listing,
/// the branch.
fn conditions<'q>(
    q: &'q ListQuery,
    listing: &Listing<'_>,
    workspace: &'q str,
    user: Option<&'q str>,
) -> (&'q str, Vec<(&'static str, &'q str)>) {
    let repo = q.filter.repo.as_deref();
    let partition = match listing.key.partition {
        "repo" => repo,
        "user_uuid" => user,
        _ => None,
    }
    .unwrap_or(workspace);
    let mut filters = Vec::new();
    if listing.key.partition != TABLE_KEY.partition {
        filters.push((TABLE_KEY.partition, workspace));
    }
    if listing.key.partition != "user_uuid"
        && let Some(user) = user
    {
        filters.push(("user_uuid", user));
    }
    if let Some(branch) = q.filter.branch.as_deref() {
        filters.push(("branch", branch));
    }
    (partition, filters)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::{Arc, Mutex};

    use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
    use aws_sdk_dynamodb::config::{BehaviorVersion, ConfigBag, Intercept, Region};
    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::orchestrator::Metadata;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use sessions_core::{Cursor, UpsertBody};

    use super::*;
    use crate::domain::{Caller, ListFilter};

    /// Notes the IAM action of every operation the client starts, and stops it there: nothing
    /// is sent anywhere.
    #[derive(Debug, Clone, Default)]
    struct Actions(Arc<Mutex<BTreeSet<String>>>);

    impl Intercept for Actions {
        fn name(&self) -> &'static str {
            "ActionRecorder"
        }

        fn read_before_serialization(
            &self,
            _: &BeforeSerializationInterceptorContextRef<'_>,
            _: &RuntimeComponents,
            cfg: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            let operation = cfg.load::<Metadata>().ok_or("no operation metadata")?;
            self.0
                .lock()
                .unwrap()
                .insert(format!("dynamodb:{}", operation.name()));
            Err("recorded, not sent".into())
        }
    }

    #[tokio::test]
    async fn iam_actions_are_the_operations_the_store_calls() {
        let actions = Actions::default();
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .interceptor(actions.clone())
            .build();
        let store = DynamoStore::new(Client::from_conf(config), "sessions");
        let workspace = WorkspaceId::parse("0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60").unwrap();
        let session_id = SessionId::parse("s").unwrap();
        let caller = Caller::from_arn("arn:aws:iam::000000000000:user/alice");
        let fields = UpsertBody::from_json(
            br#"{"title":"t","summary":"s","observed_at":"2026-11-20T09:00:00.000Z"}"#,
        )
        .unwrap();
        for mode in [WriteMode::Upsert, WriteMode::CreateOnly] {
            let cmd = UpsertCommand {
                workspace,
                session_id: session_id.clone(),
                fields: fields.clone(),
                caller: caller.clone(),
                mode,
                new_uuid: uuid::Uuid::new_v4(),
                now: fields.observed_at,
            };
            assert!(store.upsert(&cmd).await.is_err());
        }
        let delete = DeleteCommand {
            workspace,
            session_id: session_id.clone(),
            caller: caller.clone(),
            client_observed_at: None,
            now: fields.observed_at,
        };
        assert!(store.delete(&delete).await.is_err());
        assert!(store.get(&workspace, &session_id).await.is_err());
        let me = caller.user_uuid.to_string();
        let repo = "github.com/acme/uploader";
        let filters = [None, Some(repo)].map(|repo| ListFilter {
            repo: repo.map(str::to_owned),
            branch: Some("main".to_owned()),
            user_arn: None,
        });
        for (mine, filter) in [false, true].into_iter().flat_map(|mine| {
            [
                ListFilter::default(),
                filters[0].clone(),
                filters[1].clone(),
            ]
            .map(|f| (mine, f))
        }) {
            let listing = Listing::new(
                "0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60",
                mine.then_some(&me),
                filter.repo.as_deref(),
            );
            let position = |name: &str| match name {
                "workspace_uuid" => Some("0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60"),
                "user_uuid" => Some(me.as_str()),
                "repo" => Some(repo),
                _ => Some("x"),
            };
            for cursor in [
                None,
                Some(Cursor::parse(&listing.encode(position)).unwrap()),
            ] {
                let query = ListQuery {
                    workspace,
                    caller: caller.clone(),
                    mine,
                    limit: 10,
                    cursor,
                    filter: filter.clone(),
                };
                assert!(store.list(&query).await.is_err());
            }
        }
        for cursor in [None, Some("x")] {
            let query = ChangeQuery {
                workspace,
                since: fields.observed_at,
                limit: ChangePage::MAX_LIMIT,
                cursor: cursor.map(|_| {
                    let listing = Listing::changes("0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60");
                    let position = |name: &str| match name {
                        "workspace_uuid" => Some("0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60"),
                        _ => Some("2026-11-21T00:00:00.000Z"),
                    };
                    Cursor::parse(&listing.encode(position)).unwrap()
                }),
                now: fields.observed_at,
            };
            assert!(store.changes(&query).await.is_err());
        }
        let called = actions.0.lock().unwrap().clone();
        let declared: BTreeSet<String> = IAM_ACTIONS.iter().map(|a| (*a).to_owned()).collect();
        assert_eq!(
            called, declared,
            "the store's DynamoDB calls differ from IAM_ACTIONS: update IAM_ACTIONS and the \
             function's policy in template.yaml together"
        );
    }
}
