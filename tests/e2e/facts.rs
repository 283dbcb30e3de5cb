//! Session facts through the API, DynamoDB Local and `cargo-ai`: stored as flat S/N attributes
//! (read back with the SDK), kept by writes that carry none, bound by `observed_at`, refused
//! with the field named when malformed, and shown by `session get` and `session list`; listed
//! by repository through its index, by branch and by creator (`list`); the memory store agrees
//! with DynamoDB on random writes with facts (`model`); an older local table gains the index
//! (`upgrade`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};
use sessions_e2e::{Signed, Stack, alice, bob, cargo_ai, new_workspace, run};

mod list;
mod model;
mod upgrade;

pub(super) const UPLOADER: &str = "github.com/acme/uploader";
pub(super) const BILLING: &str = "gitlab.example.com/acme/billing";

/// Every fact, as a hook would send them.
pub(super) fn all_facts() -> Value {
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
        "forked_from": "7f3c2a10-4b5e-4c1d-9a77-2e1f0c9b8d01",
        "commit_count": 2,
        "lines_added": 40,
        "lines_removed": 7,
        "files_changed": 3,
        "claude_lines_added": 31,
        "claude_lines_removed": 5,
        "commits": [{
            "sha": SHA,
            "patch_id": PATCH_ID,
            "subject": "Retry uploads",
            "added": 30,
            "removed": 5,
            "claude": true,
        }],
    })
}

const SHA: &str = "3f2a9c1e0b7d4a5f8c6e2d1b0a9f8e7d6c5b4a39";
const PATCH_ID: &str = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b";

pub(super) fn body(title: &str, observed: &str, facts: &Value) -> Value {
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

pub(super) async fn put(
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
        ("forked_from", s("7f3c2a10-4b5e-4c1d-9a77-2e1f0c9b8d01")),
        ("commit_count", n("2")),
        ("lines_added", n("40")),
        ("lines_removed", n("7")),
        ("files_changed", n("3")),
        ("claude_lines_added", n("31")),
        ("claude_lines_removed", n("5")),
        (
            "commits",
            AttributeValue::L(vec![AttributeValue::M(
                [
                    ("sha", s(SHA)),
                    ("patch_id", s(PATCH_ID)),
                    ("subject", s("Retry uploads")),
                    ("added", n("30")),
                    ("removed", n("5")),
                    ("claude", AttributeValue::Bool(true)),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            )]),
        ),
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
        (json!({"forked_from": "../other"}), "forked_from"),
        (json!({"forked_from": "a".repeat(129)}), "forked_from"),
        (json!({"forked_from": ["7f3c2a10"]}), "forked_from"),
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
pub(super) async fn seed(
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
        ["REPO", "ACTIVE", "COST", "COMMITS", "LINES", "TITLE"]
            .iter()
            .all(|h| lines[0].contains(h)),
        "{lines:#?}"
    );
    assert!(
        lines[1].contains(UPLOADER)
            && lines[1].contains("1h 02m")
            && lines[1].contains("$1.09")
            && lines[1].contains("+40 -7"),
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
