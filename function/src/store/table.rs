//! The one definition of the sessions table: keys and indexes. `template.yaml`, the local
//! stack (`sessions-local --create-table`, which also adds an index a table made by an older
//! version lacks) and the tests all use it; a test fails if the template drifts from it.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};

/// How long an index added to an existing table may take to become usable.
const INDEX_WAIT: Duration = Duration::from_secs(60);

pub const DEFAULT_TABLE_NAME: &str = "workspace_management.sessions";

/// A key schema: partition (HASH) and sort (RANGE) attribute, both strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyDef {
    pub partition: &'static str,
    pub sort: &'static str,
}

pub const TABLE_KEY: KeyDef = KeyDef {
    partition: "workspace_uuid",
    sort: "session_id",
};

/// Newest first per workspace.
pub const BY_WORKSPACE: (&str, KeyDef) = (
    "by_workspace_created",
    KeyDef {
        partition: "workspace_uuid",
        sort: "created_at",
    },
);

/// Newest first per user (the `mine` filter, and "my sessions" in the console).
pub const BY_USER: (&str, KeyDef) = (
    "by_user_created",
    KeyDef {
        partition: "user_uuid",
        sort: "created_at",
    },
);

/// Newest first per repository, across workspaces (`repo=`, and "this repo's sessions" in the
/// console). Sparse: a session without a known `repo` is not in it.
pub const BY_REPO: (&str, KeyDef) = (
    "by_repo_created",
    KeyDef {
        partition: "repo",
        sort: "created_at",
    },
);

/// Oldest change first per workspace: the change feed a client pulls incrementally
/// (`GET .../changes`). Holds live rows and the tombstones of deleted ones (both carry the
/// server's `updated_at`); tombstones written before deletes set `updated_at` are not in it.
pub const BY_UPDATED: (&str, KeyDef) = (
    "by_workspace_updated",
    KeyDef {
        partition: "workspace_uuid",
        sort: "updated_at",
    },
);

pub const INDEXES: [(&str, KeyDef); 4] = [BY_WORKSPACE, BY_USER, BY_REPO, BY_UPDATED];

/// Every attribute that appears in a key, each a string.
pub fn key_attributes() -> Vec<&'static str> {
    let mut names: Vec<&str> = std::iter::once(TABLE_KEY)
        .chain(INDEXES.iter().map(|(_, k)| *k))
        .flat_map(|k| [k.partition, k.sort])
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

fn key_schema(key: KeyDef) -> Result<Vec<KeySchemaElement>, aws_sdk_dynamodb::error::BuildError> {
    Ok(vec![
        KeySchemaElement::builder()
            .attribute_name(key.partition)
            .key_type(KeyType::Hash)
            .build()?,
        KeySchemaElement::builder()
            .attribute_name(key.sort)
            .key_type(KeyType::Range)
            .build()?,
    ])
}

fn projection_all() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

fn string_attribute(name: &str) -> Result<AttributeDefinition, String> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| e.to_string())
}

/// Creates the table (on-demand) unless it exists, and adds to an existing table the indexes
/// it lacks (a table an older version created). Used by the local stack and the tests; in AWS
/// the template creates and updates it.
pub async fn create_if_missing(client: &Client, name: &str) -> Result<bool, String> {
    let exists = client.describe_table().table_name(name).send().await;
    match exists {
        Ok(table) => {
            add_missing_indexes(client, name, &table).await?;
            return Ok(false);
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => {
            return Err(format!(
                "could not reach DynamoDB to check table {name}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            ));
        }
    }
    let build = |e: aws_sdk_dynamodb::error::BuildError| e.to_string();
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(TABLE_KEY).map_err(build)?));
    for attr in key_attributes() {
        request = request.attribute_definitions(string_attribute(attr)?);
    }
    for (index, key) in INDEXES {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index)
                .set_key_schema(Some(key_schema(key).map_err(build)?))
                .projection(projection_all())
                .build()
                .map_err(build)?,
        );
    }
    match request.send().await {
        Ok(_) => Ok(true),
        // Another process created it between our check and our create.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(format!(
            "could not create table {name}: {}",
            aws_sdk_dynamodb::error::DisplayErrorContext(e)
        )),
    }
}

/// Adds each index of `INDEXES` the table lacks, one at a time (DynamoDB takes one index
/// creation per update), and waits until it can be queried.
async fn add_missing_indexes(
    client: &Client,
    name: &str,
    table: &DescribeTableOutput,
) -> Result<(), String> {
    let present: Vec<&str> = table
        .table()
        .map(|t| t.global_secondary_indexes())
        .unwrap_or_default()
        .iter()
        .filter_map(|index| index.index_name())
        .collect();
    let missing: Vec<(&str, KeyDef)> = INDEXES
        .into_iter()
        .filter(|(index, _)| !present.contains(index))
        .collect();
    let build = |e: aws_sdk_dynamodb::error::BuildError| e.to_string();
    for (index, key) in missing {
        let create = CreateGlobalSecondaryIndexAction::builder()
            .index_name(index)
            .set_key_schema(Some(key_schema(key).map_err(build)?))
            .projection(projection_all())
            .build()
            .map_err(build)?;
        let mut request = client
            .update_table()
            .table_name(name)
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder().create(create).build(),
            );
        for attr in [key.partition, key.sort] {
            request = request.attribute_definitions(string_attribute(attr)?);
        }
        request.send().await.map_err(|e| {
            format!(
                "table {name} lacks the index {index} and adding it failed: {}; \
                 delete the table (or the local stack's state directory) and start again to \
                 create it whole",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        })?;
        wait_until_active(client, name, index).await?;
        tracing::info!(table = name, index, "added a missing index to the table");
    }
    Ok(())
}

async fn wait_until_active(client: &Client, name: &str, index: &str) -> Result<(), String> {
    let started = Instant::now();
    while started.elapsed() < INDEX_WAIT {
        let table = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "could not read table {name}: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                )
            })?;
        let status = table
            .table()
            .map(|t| t.global_secondary_indexes())
            .unwrap_or_default()
            .iter()
            .find(|i| i.index_name() == Some(index))
            .and_then(|i| i.index_status().cloned());
        if status == Some(IndexStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!(
        "the index {index} of table {name} was not ready after {}s; try again shortly",
        INDEX_WAIT.as_secs()
    ))
}
