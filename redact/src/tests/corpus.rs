//! Recall on the secret corpus and false positives on the benign texts, with the figures printed
//! (`cargo test -p sessions-redact corpus -- --nocapture`) for the README.

use std::collections::BTreeMap;

use crate::testdata::{benign, secrets};
use crate::veto::{is_digest_hex, is_uuid};
use crate::{redact, scan};

/// The pieces of a secret that must not survive: the whole value, and each whitespace-separated
/// part of at least 8 characters (the lines of a private key block).
fn leaked<'s>(secret: &'s str, output: &str) -> Vec<&'s str> {
    std::iter::once(secret)
        .chain(secret.split_whitespace().filter(|p| p.len() >= 8))
        .filter(|piece| output.contains(piece))
        .collect()
}

#[test]
fn every_corpus_secret_is_redacted() {
    let cases = secrets();
    let mut per_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for case in &cases {
        assert!(
            case.text.contains(&case.secret),
            "{}: the secret is not in its text",
            case.kind
        );
        let output = redact(&case.text);
        let leaks = leaked(&case.secret, &output);
        let caught = leaks.is_empty() && output.contains("[REDACTED:");
        let entry = per_kind.entry(case.kind).or_default();
        entry.1 += 1;
        if caught {
            entry.0 += 1;
        } else {
            misses.push(format!("{}: {output}", case.kind));
        }
    }
    let caught: usize = per_kind.values().map(|(c, _)| c).sum();
    println!(
        "recall: {caught}/{} secrets, {} kinds",
        cases.len(),
        per_kind.len()
    );
    for (kind, (c, n)) in &per_kind {
        let found: Vec<&str> = cases
            .iter()
            .filter(|case| case.kind == *kind)
            .flat_map(|case| scan(&case.text).into_iter().map(|f| f.kind))
            .collect();
        println!("  {kind}: {c}/{n} as {}", found.join(", "));
    }
    assert!(
        per_kind.len() >= 40,
        "the corpus covers {} kinds, fewer than 40",
        per_kind.len()
    );
    assert!(
        misses.is_empty(),
        "secrets that survived:\n{}",
        misses.join("\n")
    );
}

#[test]
fn benign_texts_are_left_alone() {
    let texts = benign();
    let altered: Vec<(&str, String)> = texts
        .iter()
        .filter_map(|text| match redact(text) {
            std::borrow::Cow::Borrowed(_) => None,
            std::borrow::Cow::Owned(out) => Some((*text, out)),
        })
        .collect();
    println!(
        "false positives: {}/{} benign texts altered",
        altered.len(),
        texts.len()
    );
    for (text, out) in &altered {
        println!("  {text}\n  -> {out}");
    }
    assert!(texts.len() >= 200, "only {} benign texts", texts.len());
    assert!(
        altered.len() * 100 < texts.len(),
        "{} of {} altered (1% or more)",
        altered.len(),
        texts.len()
    );
}

#[test]
fn shas_uuids_and_digests_are_never_altered() {
    for text in benign() {
        let output = redact(text);
        let ids = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .filter(|t| is_digest_hex(t) || is_uuid(t));
        for id in ids {
            assert!(
                output.contains(id),
                "{id} altered in: {text}\n  -> {output}"
            );
        }
    }
}
