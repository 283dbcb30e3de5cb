//! Session facts through the API, DynamoDB Local and `cargo-ai`: stored as flat S/N attributes
//! (read back with the SDK), kept by writes that carry none, bound by `observed_at`, refused
//! with the field named when malformed, listed by repository through its index, and shown by
//! `session get` and `session list`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};
use sessions_e2e::{Run, Signed, Stack, alice, bob, cargo_ai, new_workspace, run};

const UPLOADER: &str = "github.com/acme/uploader";
const BILLING: &str = "gitlab.example.com/acme/billing";

/// Every fact, as a hook would send them.
fn all_facts() -> Value {
    json!({
        "repo": UPLOADER,
        "branch": "main",
        "cwd": "~/src/uploader",
        "host": "dev-1",
        "claude_version": "2.1.330",
        "models": ["claude-opus-4-5", "claude-haiku-4-5"],
        "input_tokens": 1200,
        "output_tokens": 3400,
        "cache_read_tokens": 56000,
        "cache_write_tokens": 7800,
        "cost_usd": 1.094521,
        "prompts": 3,
        "tool_calls": 12,
        "files_touched": 4,
        "active_s": 3720,
        "end_reason": "prompt_input_exit",
    })
}

fn body(title: &str, observed: &str, facts: &Value) -> Value {
    let mut body = json!({
        "title": title,
        "summary": format!("summary of {title}"),
        "finished_at": null,
        "observed_at": observed,
    });
    for (k, v) in facts.as_object().expect("facts are an object") {
        body[k] = v.clone();
    }
    body
}

async fn put(
    stack: &Stack,
    ws: &str,
    key: &'static sessions_e2e::Key,
    id: &str,
    body: &Value,
) -> sessions_e2e::Reply {
    Signed::new("PUT", stack.session_url(ws, id))
        .json(body)
        .send_as(key)
        .await
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_owned())
}

/// The fact attributes of an item.
fn fact_attributes(item: &HashMap<String, AttributeValue>) -> HashMap<String, AttributeValue> {
    item.iter()
        .filter(|(k, _)| sessions_core::facts::FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facts_are_flat_attributes_kept_by_writes_without_facts_and_bound_by_observed_at() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let reply = put(
        &stack,
        &ws,
        alice(),
        "s1",
        &body("With facts", "2026-11-20T09:00:00.000Z", &all_facts()),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.json);
    for (k, v) in all_facts().as_object().unwrap() {
        assert_eq!(&reply.json[k], v, "{k} in the answer");
    }
    let order: Vec<&str> = reply
        .json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        &order[..10],
        [
            "uuid",
            "session_id",
            "user_uuid",
            "workspace_uuid",
            "title",
            "summary",
            "created_at",
            "finished_at",
            "updated_at",
            "user_arn"
        ]
    );
    assert_eq!(
        order[10..],
        sessions_core::facts::FIELDS,
        "facts after, in order"
    );

    let item = stack.raw_item(&ws, "s1").await.expect("the row");
    let expected: HashMap<String, AttributeValue> = [
        ("repo", s(UPLOADER)),
        ("branch", s("main")),
        ("cwd", s("~/src/uploader")),
        ("host", s("dev-1")),
        ("claude_version", s("2.1.330")),
        ("models", s("claude-opus-4-5, claude-haiku-4-5")),
        ("input_tokens", n("1200")),
        ("output_tokens", n("3400")),
        ("cache_read_tokens", n("56000")),
        ("cache_write_tokens", n("7800")),
        ("cost_usd", n("1.094521")),
        ("prompts", n("3")),
        ("tool_calls", n("12")),
        ("files_touched", n("4")),
        ("active_s", n("3720")),
        ("end_reason", s("prompt_input_exit")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(
        fact_attributes(&item),
        expected,
        "every fact, S or N, exact"
    );

    // The seed's upsert (title and summary only, observed now) leaves the facts as they are.
    let seed = run(
        cargo_ai(&stack, &ws, alice()),
        &[
            "workspaceManagement",
            "session",
            "upsert",
            "--session-id",
            "s1",
            "--title",
            "Retitled",
            "--summary",
            "Seed-style update.",
            "--finished",
        ],
    )
    .await;
    let updated = seed.json();
    assert_eq!(updated["title"], "Retitled");
    assert_eq!(updated["cost_usd"], 1.094521, "{updated}");
    let item = stack.raw_item(&ws, "s1").await.expect("the row");
    assert_eq!(
        fact_attributes(&item),
        expected,
        "facts intact after a seed-style upsert"
    );
    assert_eq!(item["title"], s("Retitled"));

    // A stale write carrying other facts: 409, and nothing of the row changes.
    let stale_facts = json!({"repo": BILLING, "branch": "old", "input_tokens": 1, "cost_usd": 9.5});
    let stale = put(
        &stack,
        &ws,
        alice(),
        "s1",
        &body("Stale", "2026-11-20T09:00:00.000Z", &stale_facts),
    )
    .await;
    stale.expect_error(409, "stale");
    assert_eq!(
        stack.raw_item(&ws, "s1").await.expect("the row"),
        item,
        "a stale write changes nothing"
    );

    // A newer write with some facts replaces those, and only those.
    let newer =
        json!({"branch": "fix/retry", "output_tokens": 3500, "models": ["claude-sonnet-4-5"]});
    let now = sessions_core::Timestamp::now().to_string();
    let reply = put(&stack, &ws, alice(), "s1", &body("Newer", &now, &newer)).await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    let item = stack.raw_item(&ws, "s1").await.expect("the row");
    let mut replaced = expected.clone();
    replaced.insert("branch".into(), s("fix/retry"));
    replaced.insert("output_tokens".into(), n("3500"));
    replaced.insert("models".into(), s("claude-sonnet-4-5"));
    assert_eq!(fact_attributes(&item), replaced);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_fact_is_refused_naming_the_field() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let cases = [
        (json!({"input_tokens": "12"}), "input_tokens"),
        (json!({"prompts": -1}), "prompts"),
        (json!({"active_s": 1_000_000_000_001_u64}), "active_s"),
        (json!({"cost_usd": "1.09"}), "cost_usd"),
        (json!({"cost_usd": 1.0000001}), "cost_usd"),
        (json!({"models": "claude-opus-4-5"}), "models"),
        (
            json!({"repo": "https://bob:TOKEN@github.com/acme/uploader.git"}),
            "repo",
        ),
        (json!({"branch": "x".repeat(257)}), "branch"),
        (json!({"end_reason": 5}), "end_reason"),
    ];
    for (facts, field) in cases {
        let reply = put(
            &stack,
            &ws,
            alice(),
            "s1",
            &body("T", "2026-11-20T09:00:00.000Z", &facts),
        )
        .await;
        let message = reply.expect_error(400, "invalid_fact");
        assert!(
            message.starts_with(&format!("{field} ")),
            "{facts}: {message}"
        );
    }
    assert_eq!(stack.item_count().await, 0, "nothing was written");
}

/// Seeds one session with `repo`/`branch` (either may be absent) observed at `observed`.
async fn seed(
    stack: &Stack,
    ws: &str,
    key: &'static sessions_e2e::Key,
    id: &str,
    observed: &str,
    repo: Option<&str>,
    branch: Option<&str>,
) {
    let mut facts = json!({"active_s": 3720, "cost_usd": 1.09});
    if let Some(repo) = repo {
        facts["repo"] = json!(repo);
    }
    if let Some(branch) = branch {
        facts["branch"] = json!(branch);
    }
    let reply = put(stack, ws, key, id, &body(id, observed, &facts)).await;
    assert_eq!(reply.status, 201, "{}", reply.json);
}

async fn listed(stack: &Stack, ws: &str, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}/v1/workspaces/{ws}/sessions?{query}", stack.url);
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let reply = Signed::new("GET", url).send_as(alice()).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.json);
        for s in reply.json["sessions"].as_array().expect("sessions") {
            ids.push(s["session_id"].as_str().expect("id").to_owned());
        }
        match reply.json["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

fn encoded(value: &str) -> String {
    value.replace(':', "%3A").replace('/', "%2F")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_by_repo_branch_and_user() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let other_ws = new_workspace();
    let main = Some("main");
    seed(
        &stack,
        &ws,
        alice(),
        "a-up-main",
        "2026-11-20T09:00:00.000Z",
        Some(UPLOADER),
        main,
    )
    .await;
    seed(
        &stack,
        &ws,
        bob(),
        "b-up-feat",
        "2026-11-20T10:00:00.000Z",
        Some(UPLOADER),
        Some("feat"),
    )
    .await;
    seed(
        &stack,
        &ws,
        alice(),
        "a-bill-main",
        "2026-11-20T11:00:00.000Z",
        Some(BILLING),
        main,
    )
    .await;
    seed(
        &stack,
        &ws,
        alice(),
        "a-none",
        "2026-11-20T12:00:00.000Z",
        None,
        None,
    )
    .await;
    seed(
        &stack,
        &other_ws,
        alice(),
        "elsewhere",
        "2026-11-20T13:00:00.000Z",
        Some(UPLOADER),
        main,
    )
    .await;

    let repo = format!("repo={}", encoded(UPLOADER));
    let bob_arn = format!("user={}", encoded(bob().arn));
    assert_eq!(listed(&stack, &ws, &repo).await, ["b-up-feat", "a-up-main"]);
    assert_eq!(
        listed(&stack, &ws, &format!("limit=1&{repo}")).await,
        ["b-up-feat", "a-up-main"],
        "paged one by one through the repo index"
    );
    assert_eq!(
        listed(&stack, &ws, &format!("branch=main&{repo}")).await,
        ["a-up-main"]
    );
    assert_eq!(
        listed(&stack, &ws, &format!("{repo}&{bob_arn}")).await,
        ["b-up-feat"]
    );
    assert_eq!(
        listed(&stack, &ws, &format!("mine=true&{repo}")).await,
        ["a-up-main"]
    );
    assert_eq!(listed(&stack, &ws, &bob_arn).await, ["b-up-feat"]);
    assert_eq!(
        listed(&stack, &ws, "branch=main").await,
        ["a-bill-main", "a-up-main"]
    );
    assert_eq!(listed(&stack, &other_ws, &repo).await, ["elsewhere"]);
    assert!(
        listed(&stack, &ws, "repo=github.com%2Facme%2Fnone")
            .await
            .is_empty()
    );

    // A cursor of one repository's listing does not continue another's.
    let first = Signed::new(
        "GET",
        format!("{}/v1/workspaces/{ws}/sessions?limit=1&{repo}", stack.url),
    )
    .send_as(alice())
    .await;
    let cursor = first.json["next_cursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();
    Signed::new(
        "GET",
        format!(
            "{}/v1/workspaces/{ws}/sessions?cursor={cursor}&limit=1&repo={}",
            stack.url,
            encoded(BILLING)
        ),
    )
    .send_as(alice())
    .await
    .expect_error(400, "invalid_query");
    for bad in [
        "repo=uploader",
        "user=alice",
        "branch=",
        "mine=true&user=arn%3Aaws%3Aiam%3A%3A1%3Auser%2Fx",
    ] {
        Signed::new(
            "GET",
            format!("{}/v1/workspaces/{ws}/sessions?{bad}", stack.url),
        )
        .send_as(alice())
        .await
        .expect_error(400, "invalid_query");
    }

    // The CLI's filters, through the same API.
    let list = ["workspaceManagement", "session", "list", "--json"];
    let ids = |run: &Run| -> Vec<String> {
        run.json()
            .as_array()
            .expect("a JSON array")
            .iter()
            .map(|s| s["session_id"].as_str().expect("id").to_owned())
            .collect()
    };
    let by_repo = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--repo", UPLOADER]].concat(),
    )
    .await;
    assert_eq!(ids(&by_repo), ["b-up-feat", "a-up-main"]);
    let by_branch = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--repo", UPLOADER, "--branch", "main"]].concat(),
    )
    .await;
    assert_eq!(ids(&by_branch), ["a-up-main"]);
    let by_user = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--user", bob().arn]].concat(),
    )
    .await;
    assert_eq!(ids(&by_user), ["b-up-feat"]);
    let mine = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--mine", "--branch", "main"]].concat(),
    )
    .await;
    assert_eq!(ids(&mine), ["a-bill-main", "a-up-main"]);
    let bad = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--repo", "https://github.com/acme/uploader"]].concat(),
    )
    .await;
    assert_eq!(bad.code, 2, "a usage error: {}", bad.stderr);
    assert!(bad.stderr.contains("host/owner/name"), "{}", bad.stderr);
    let both = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--mine", "--user", bob().arn]].concat(),
    )
    .await;
    assert_eq!(both.code, 2, "{}", both.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_and_list_show_the_facts() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let reply = put(
        &stack,
        &ws,
        alice(),
        "with-facts",
        &body("Add retry", "2026-11-20T09:00:00.000Z", &all_facts()),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.json);
    seed(
        &stack,
        &ws,
        bob(),
        "bare",
        "2026-11-20T08:00:00.000Z",
        None,
        None,
    )
    .await;

    let get = [
        "workspaceManagement",
        "session",
        "get",
        "--session-id",
        "with-facts",
    ];
    let human = run(cargo_ai(&stack, &ws, bob()), &get).await;
    let text = human.ok();
    for line in [
        "  repo       github.com/acme/uploader\n",
        "  branch     main\n",
        "  duration   1h 02m active\n",
        "  tokens     1,200 in / 3,400 out / 56,000 cache read / 7,800 cache write\n",
        "  cost       $1.09 (estimate)\n",
        "  models     claude-opus-4-5, claude-haiku-4-5\n",
        "  ended      prompt_input_exit\n",
    ] {
        assert!(text.contains(line), "{line:?} in:\n{text}");
    }
    let as_json = run(
        cargo_ai(&stack, &ws, bob()),
        &[&get[..], &["--json"]].concat(),
    )
    .await;
    let as_json = as_json.json();
    for (k, v) in all_facts().as_object().unwrap() {
        assert_eq!(&as_json[k], v, "{k} in --json");
    }

    let list = ["workspaceManagement", "session", "list"];
    let mut wide = cargo_ai(&stack, &ws, alice());
    wide.env("COLUMNS", "200");
    let table = run(wide, &list).await;
    let lines: Vec<&str> = table.ok().lines().collect();
    assert!(
        ["REPO", "ACTIVE", "COST", "TITLE"]
            .iter()
            .all(|h| lines[0].contains(h)),
        "{lines:#?}"
    );
    assert!(
        lines[1].contains(UPLOADER) && lines[1].contains("1h 02m") && lines[1].contains("$1.09"),
        "{lines:#?}"
    );
    let mut narrow = cargo_ai(&stack, &ws, alice());
    narrow.env("COLUMNS", "80");
    let table = run(narrow, &list).await;
    let text = table.ok();
    assert!(!text.contains("REPO"), "no room at 80 columns:\n{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");

    let jsonl = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--jsonl"]].concat(),
    )
    .await;
    let first: Value = serde_json::from_str(jsonl.ok().lines().next().expect("a line")).unwrap();
    assert_eq!(first["cost_usd"], 1.094521);
    assert_eq!(
        first["models"],
        json!(["claude-opus-4-5", "claude-haiku-4-5"])
    );
    let bare: Value = serde_json::from_str(jsonl.ok().lines().nth(1).expect("a line")).unwrap();
    assert!(
        bare.get("repo").is_none() && bare.get("input_tokens").is_none(),
        "{bare}"
    );
}

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
    assert!(
        !table::create_if_missing(&dynamodb, &name)
            .await
            .expect("idempotent")
    );
}
