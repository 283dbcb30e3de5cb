//! No secret reaches the table, through every way a text gets there: a signed `PUT` from any
//! client (the function redacts), `cargo-ai ... upsert` (the CLI redacts before signing), and
//! an upsert queued while the API is down (the CLI redacts before the outbox touches disk).
//! Each case of the secret corpus is read back from DynamoDB Local with the AWS SDK, not
//! through our API; the benign texts come back verbatim.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use sessions_e2e::{
    Signed, Stack, alice, cargo_ai, files_under, new_workspace, run, state_dir, upsert_args,
};
use sessions_redact::testdata::{self, SecretCase};

/// The title a case can have: its text when that is a valid title, else a short label (the
/// summary always carries the whole text).
fn title_for(case: &SecretCase) -> String {
    let fits = case.text.chars().count() <= sessions_core::fields::TITLE_MAX_CHARS
        && !case.text.chars().any(char::is_control);
    if fits {
        case.text.clone()
    } else {
        format!("{} case", case.kind)
    }
}

/// Every string the stored item holds, attribute by attribute.
fn strings(item: &HashMap<String, AttributeValue>) -> Vec<(String, String)> {
    item.iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|s| (k.clone(), s.clone())))
        .collect()
}

/// Fails naming the case and the attribute when the secret survived anywhere in the item.
fn assert_clean(item: &HashMap<String, AttributeValue>, case: &SecretCase, path: &str) {
    for (name, value) in strings(item) {
        assert!(
            !value.contains(&case.secret),
            "{path}: the {} secret was stored in `{name}`: {value}",
            case.kind
        );
    }
    let summary = item["summary"].as_s().expect("summary");
    assert!(
        summary.contains("[REDACTED:"),
        "{path}: no marker in the {} summary: {summary}",
        case.kind
    );
}

fn session_id(path: &str, i: usize) -> String {
    format!("{path}-{i}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_put_from_any_client_stores_no_secret() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let cases = testdata::secrets();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    for (i, case) in cases.iter().enumerate() {
        let id = session_id("put", i);
        let mut body = json!({
            "title": title_for(case),
            "summary": case.text,
            "finished_at": null,
            "observed_at": sessions_core::Timestamp::now().to_string(),
        });
        // Text facts pass the same scanner: a secret in a branch name or a directory.
        if case.text.len() <= 256 && !case.text.chars().any(char::is_control) {
            body["branch"] = case.text.clone().into();
            body["cwd"] = format!("~/work/{}", case.text).into();
        }
        let reply = Signed::new("PUT", stack.session_url(&ws, &id))
            .json(&body)
            .send_as(alice())
            .await;
        assert_eq!(reply.status, 201, "{}: {}", case.kind, reply.raw);
        assert!(
            !reply.raw.contains(&case.secret),
            "the {} secret came back in the response",
            case.kind
        );
        let item = stack.raw_item(&ws, &id).await.expect("stored");
        assert_clean(&item, case, "PUT");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn benign_texts_are_stored_verbatim() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let texts = testdata::benign();
    assert!(
        texts.len() >= 200,
        "the benign set has {} texts",
        texts.len()
    );
    for (i, text) in texts.iter().enumerate() {
        let id = session_id("benign", i);
        let reply = Signed::new("PUT", stack.session_url(&ws, &id))
            .json(&json!({
                "title": text,
                "summary": text,
                "finished_at": null,
                "observed_at": sessions_core::Timestamp::now().to_string(),
            }))
            .send_as(alice())
            .await;
        assert_eq!(reply.status, 201, "{text}: {}", reply.raw);
        let item = stack.raw_item(&ws, &id).await.expect("stored");
        // What the scanner's own test allows (under 1% of benign texts altered) must not show
        // up here: every benign text of the set is kept as written.
        assert_eq!(item["summary"].as_s().unwrap(), text, "summary altered");
        assert_eq!(item["title"].as_s().unwrap(), text, "title altered");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cargo_ai_upsert_stores_no_secret() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    for (i, case) in testdata::secrets().iter().enumerate() {
        let id = session_id("cli", i);
        let title = title_for(case);
        let out = run(
            cargo_ai(&stack, &ws, alice()),
            &upsert_args(&id, &title, &case.text),
        )
        .await;
        assert_eq!(out.code, 0, "{}: {}", case.kind, out.stderr);
        assert!(
            !out.stdout.contains(&case.secret) && !out.stderr.contains(&case.secret),
            "the {} secret was printed",
            case.kind
        );
        let item = stack.raw_item(&ws, &id).await.expect("stored");
        assert_clean(&item, case, "cargo-ai upsert");
    }
}

/// Upserts queued at the same time by `a_queued_upsert_holds_no_secret_on_disk_and_none_is_delivered`.
const QUEUED_AT_ONCE: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_upsert_holds_no_secret_on_disk_and_none_is_delivered() {
    let mut stack = Stack::start().await;
    let ws = new_workspace();
    let cases = testdata::secrets();
    stack.stop_server().await;
    // Several teammates' commands queue at once (each waits out its retries before queueing):
    // the outbox takes concurrent writers, and the cases need not wait for each other.
    for (n, chunk) in cases.chunks(QUEUED_AT_ONCE).enumerate() {
        let mut queued = tokio::task::JoinSet::new();
        for (j, case) in chunk.iter().enumerate() {
            let id = session_id("queued", n * QUEUED_AT_ONCE + j);
            let (title, text, kind) = (title_for(case), case.text.clone(), case.kind);
            let cmd = cargo_ai(&stack, &ws, alice());
            queued.spawn(async move { (kind, run(cmd, &upsert_args(&id, &title, &text)).await) });
        }
        while let Some(done) = queued.join_next().await {
            let (kind, out) = done.expect("the upsert's task finished");
            assert!(
                out.stderr.contains("outbox"),
                "{kind}: expected the upsert to be queued: {}",
                out.stderr
            );
        }
    }
    let on_disk = files_under(&state_dir(&ws));
    assert!(
        on_disk
            .iter()
            .filter(|(p, _)| p.components().any(|c| c.as_os_str() == "outbox"))
            .count()
            >= cases.len(),
        "one outbox entry per case: {:?}",
        on_disk.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for case in &cases {
        for (path, text) in &on_disk {
            assert!(
                !text.contains(&case.secret),
                "the {} secret rests on disk in {}",
                case.kind,
                path.display()
            );
        }
    }
    stack.restart_server().await;
    let flush = run(cargo_ai(&stack, &ws, alice()), &["outbox", "flush"]).await;
    assert_eq!(flush.code, 0, "{}", flush.stderr);
    for (i, case) in cases.iter().enumerate() {
        let item = stack
            .raw_item(&ws, &session_id("queued", i))
            .await
            .expect("delivered from the outbox");
        assert_clean(&item, case, "outbox");
    }
}
