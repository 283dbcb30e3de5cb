//! Session facts as flat DynamoDB attributes, so the console shows them plainly: text as S,
//! counts and `cost_usd` as N, `models` as one S (`claude-opus-4-5, claude-haiku-4-5`),
//! `commits` as a list of maps (each commit's fields typed, browsable in the console's tree
//! view, with no JSON escapes to read through).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use sessions_core::Facts;
use sessions_core::facts::{CommitFact, join_models, split_models};
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
    if let Some(commits) = &facts.commits {
        out.push((
            "commits",
            AttributeValue::L(commits.iter().map(commit_map).collect()),
        ));
    }
    out
}

fn commit_map(commit: &CommitFact) -> AttributeValue {
    let mut map = HashMap::from([
        ("sha".to_owned(), AttributeValue::S(commit.sha.clone())),
        (
            "subject".to_owned(),
            AttributeValue::S(commit.subject.clone()),
        ),
        (
            "added".to_owned(),
            AttributeValue::N(commit.added.to_string()),
        ),
        (
            "removed".to_owned(),
            AttributeValue::N(commit.removed.to_string()),
        ),
        ("claude".to_owned(), AttributeValue::Bool(commit.claude)),
    ]);
    if let Some(patch_id) = &commit.patch_id {
        map.insert("patch_id".to_owned(), AttributeValue::S(patch_id.clone()));
    }
    if let Some(n) = commit.uncounted_files {
        map.insert(
            "uncounted_files".to_owned(),
            AttributeValue::N(n.to_string()),
        );
    }
    AttributeValue::M(map)
}

/// A stored commit; `None` for one a hand edit broke.
fn commit_from(value: &AttributeValue) -> Option<CommitFact> {
    let map = value.as_m().ok()?;
    let text = |name: &str| map.get(name).and_then(|v| v.as_s().ok()).cloned();
    let count = |name: &str| {
        map.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
    };
    Some(CommitFact {
        sha: text("sha")?,
        patch_id: text("patch_id"),
        subject: text("subject")?,
        added: count("added")?,
        removed: count("removed")?,
        uncounted_files: count("uncounted_files"),
        claude: *map.get("claude")?.as_bool().ok()?,
    })
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
    facts.commits = item
        .get("commits")
        .and_then(|v| v.as_l().ok())
        .map(|list| list.iter().filter_map(commit_from).collect());
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
            commit_count: Some(8),
            lines_added: Some(9),
            lines_removed: Some(10),
            files_changed: Some(11),
            claude_lines_added: Some(12),
            claude_lines_removed: Some(13),
            commits: Some(vec![CommitFact {
                sha: "ab".repeat(20),
                patch_id: Some("cd".repeat(20)),
                subject: "Retry uploads".into(),
                added: 3,
                removed: 1,
                uncounted_files: Some(1),
                claude: true,
            }]),
        };
        let item: Item = attributes(&facts)
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        assert_eq!(item.len(), sessions_core::facts::FIELDS.len());
        assert_eq!(item.len(), 24);
        assert!(matches!(&item["commits"], AttributeValue::L(l) if l.len() == 1));
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
