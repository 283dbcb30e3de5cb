//! The one definition of the sessions table: keys and indexes. `template.yaml`, the local
//! stack (`sessions-local --create-table`) and the tests all use it; a test fails if the
//! template drifts from it.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};

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

pub const INDEXES: [(&str, KeyDef); 2] = [BY_WORKSPACE, BY_USER];

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

/// Creates the table (on-demand) unless it exists. Used by the local stack and the tests;
/// in AWS the template creates it.
pub async fn create_if_missing(client: &Client, name: &str) -> Result<bool, String> {
    let exists = client.describe_table().table_name(name).send().await;
    match exists {
        Ok(_) => return Ok(false),
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
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attr)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(build)?,
        );
    }
    for (index, key) in INDEXES {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index)
                .set_key_schema(Some(key_schema(key).map_err(build)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
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
