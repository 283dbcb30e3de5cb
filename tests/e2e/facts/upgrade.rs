//! The local stack's table made by an older version gains the repo and change-feed indexes in
//! place.

use serde_json::json;
use sessions_e2e::{alice, new_workspace};

use super::{UPLOADER, body};

/// A table made before the repo index existed (an `infra/local` state directory kept from an
/// older version) gains the index in place when the local stack starts, rows and all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_local_table_gains_the_repo_index() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType,
    };
    use sessions_function::domain::{Caller, ListFilter, ListQuery, UpsertCommand, WriteMode};
    use sessions_function::store::{DynamoStore, SessionStore, table};

    let dynamodb = sessions_e2e::dynamodb_client().await;
    let name = format!("test-old-{}", uuid::Uuid::new_v4());
    let key = |attr: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(attr)
            .key_type(kind)
            .build()
            .unwrap()
    };
    let mut create = dynamodb
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("workspace_uuid", KeyType::Hash))
        .key_schema(key("session_id", KeyType::Range));
    for attr in ["workspace_uuid", "session_id", "user_uuid", "created_at"] {
        create = create.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attr)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        );
    }
    for (index, partition) in [
        ("by_workspace_created", "workspace_uuid"),
        ("by_user_created", "user_uuid"),
    ] {
        create = create.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index)
                .key_schema(key(partition, KeyType::Hash))
                .key_schema(key("created_at", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        );
    }
    create.send().await.expect("the older table");

    let store = DynamoStore::new(dynamodb.clone(), &name);
    let workspace = sessions_core::WorkspaceId::parse(&new_workspace()).unwrap();
    let caller = Caller::from_arn(alice().arn);
    let fields = sessions_core::UpsertBody::from_json(
        body(
            "Before the index",
            "2026-11-20T09:00:00.000Z",
            &json!({"repo": UPLOADER}),
        )
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    store
        .upsert(&UpsertCommand {
            workspace,
            session_id: sessions_core::SessionId::parse("old").unwrap(),
            now: fields.observed_at,
            fields,
            caller: caller.clone(),
            mode: WriteMode::Upsert,
            new_uuid: uuid::Uuid::new_v4(),
        })
        .await
        .expect("a row in the older table");
    let query = ListQuery {
        workspace,
        caller,
        mine: false,
        limit: 10,
        cursor: None,
        filter: ListFilter {
            repo: Some(UPLOADER.to_owned()),
            ..ListFilter::default()
        },
    };
    assert!(store.list(&query).await.is_err(), "no repo index yet");

    assert!(
        !table::create_if_missing(&dynamodb, &name)
            .await
            .expect("upgraded")
    );
    let described = dynamodb
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let indexes: Vec<&str> = described
        .table()
        .unwrap()
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .collect();
    assert!(indexes.contains(&"by_repo_created"), "{indexes:?}");
    let page = store
        .list(&query)
        .await
        .expect("listing through the new index");
    assert_eq!(
        page.sessions.len(),
        1,
        "the row written before the index is in it"
    );
    assert_eq!(page.sessions[0].session_id, "old");
    // And the change feed's index, rows written before it included.
    assert!(indexes.contains(&"by_workspace_updated"), "{indexes:?}");
    let feed = store
        .changes(&sessions_function::domain::ChangeQuery {
            workspace,
            since: sessions_core::Timestamp::parse("since", "1970-01-01T00:00:00Z").unwrap(),
            limit: sessions_core::wire::ChangePage::MAX_LIMIT,
            cursor: None,
            now: sessions_core::Timestamp::now(),
        })
        .await
        .expect("the feed through the new index");
    assert_eq!(feed.changes.len(), 1);
    assert_eq!(feed.changes[0].session_id(), "old");
    assert!(
        !table::create_if_missing(&dynamodb, &name)
            .await
            .expect("idempotent")
    );
}
