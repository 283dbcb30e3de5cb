//! Session facts as flat DynamoDB attributes, so the console shows them plainly: text as S,
//! counts and `cost_usd` as N, `models` as one S (`claude-opus-4-5, claude-haiku-4-5`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use sessions_core::Facts;
use sessions_core::facts::{join_models, split_models};
use sessions_core::money::Usd;

type Item = HashMap<String, AttributeValue>;

/// The attributes of the facts that are known, each under its own name.
pub fn attributes(facts: &Facts) -> Vec<(&'static str, AttributeValue)> {
    let mut out = Vec::new();
    for (name, text) in facts.texts() {
        if let Some(text) = text {
            out.push((name, AttributeValue::S(text.to_owned())));
        }
    }
    for (name, count) in facts.counts() {
        if let Some(count) = count {
            out.push((name, AttributeValue::N(count.to_string())));
        }
    }
    if let Some(models) = &facts.models {
        out.push(("models", AttributeValue::S(join_models(models))));
    }
    if let Some(cost) = facts.cost_usd {
        // The decimal digits themselves: DynamoDB numbers are exact decimals.
        out.push(("cost_usd", AttributeValue::N(cost.to_string())));
    }
    out
}

/// The facts a stored row holds. An attribute of another type (a hand edit in the console)
/// reads as unknown rather than failing the whole row.
pub fn from_item(item: &Item) -> Facts {
    let mut facts = Facts::default();
    for (name, slot) in facts.texts_mut() {
        *slot = item.get(name).and_then(|v| v.as_s().ok()).cloned();
    }
    for (name, slot) in facts.counts_mut() {
        *slot = number(item, name).and_then(|n| n.parse().ok());
    }
    facts.models = item
        .get("models")
        .and_then(|v| v.as_s().ok())
        .map(|text| split_models(text))
        .filter(|models| !models.is_empty());
    facts.cost_usd = number(item, "cost_usd").and_then(Usd::parse_decimal);
    facts
}

fn number<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fact_round_trips_through_its_attribute() {
        let facts = Facts {
            repo: Some("github.com/acme/uploader".into()),
            branch: Some("main".into()),
            cwd: Some("~/src/uploader".into()),
            host: Some("dev-1".into()),
            claude_version: Some("2.1.330".into()),
            models: Some(vec!["claude-opus-4-5".into(), "claude-haiku-4-5".into()]),
            input_tokens: Some(1),
            output_tokens: Some(2),
            cache_read_tokens: Some(3),
            cache_write_tokens: Some(4),
            cost_usd: Some(Usd::from_micros(1_090_000)),
            prompts: Some(5),
            tool_calls: Some(6),
            files_touched: Some(7),
            active_s: Some(1_000_000_000_000),
            end_reason: Some("other".into()),
            forked_from: Some("7f3c2a10-4b5e-4c1d-9a77-2e1f0c9b8d01".into()),
        };
        let item: Item = attributes(&facts)
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        assert_eq!(item.len(), sessions_core::facts::FIELDS.len());
        assert_eq!(item["cost_usd"], AttributeValue::N("1.09".into()));
        assert_eq!(
            item["models"],
            AttributeValue::S("claude-opus-4-5, claude-haiku-4-5".into())
        );
        assert_eq!(from_item(&item), facts);
        assert!(attributes(&Facts::default()).is_empty());
        let odd: Item = [("input_tokens".to_owned(), AttributeValue::S("12".into()))].into();
        assert!(from_item(&odd).is_empty());
    }
}
