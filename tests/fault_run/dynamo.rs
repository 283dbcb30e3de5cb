//! DynamoDB itself, read consistently: the proof that nothing was lost or duplicated.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use crate::TABLE;
use crate::settings::Settings;
use crate::stack::Endpoints;
use crate::writers::{Writer, run};

pub(crate) type Item = HashMap<String, AttributeValue>;

/// Every item of the table (the private stack holds only this run's).
pub(crate) async fn scan_all(client: &aws_sdk_dynamodb::Client) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let page = client
            .scan()
            .table_name(TABLE)
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| format!("Scan: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e)))?;
        items.extend(page.items().iter().cloned());
        match page.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => break,
        }
    }
    Ok(items)
}

pub(crate) fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

pub(crate) async fn pending_and_failed(
    s: &Settings,
    at: &Endpoints,
    w: &Writer,
) -> Result<(usize, usize), String> {
    let f = run(w.command(s, at), &["outbox", "status", "--json"]).await?;
    if f.code != 0 {
        return Err(format!("outbox status of writer {}: {}", w.index, f.stderr));
    }
    let status: Value =
        serde_json::from_str(&f.stdout).map_err(|e| format!("outbox status JSON: {e}"))?;
    let len = |key: &str| status[key].as_array().map_or(usize::MAX, Vec::len);
    Ok((len("pending"), len("failed")))
}
