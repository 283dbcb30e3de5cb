//! Recall on the secret corpus and false positives on the benign texts, with the figures printed
//! (`cargo test -p sessions-redact corpus -- --nocapture`) for the README.

use std::collections::BTreeSet;

use crate::testdata::{SecretCase, benign, in_context, secrets};
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

/// Whether the case's secret is gone from its redacted text, with a marker in its place.
fn caught(case: &SecretCase) -> Result<(), String> {
    let output = redact(&case.text);
    if leaked(&case.secret, &output).is_empty() && output.contains("[REDACTED:") {
        Ok(())
    } else {
        Err(format!("{}: {output}", case.kind))
    }
}

#[test]
fn every_corpus_secret_is_redacted() {
    let cases = in_context();
    for case in &cases {
        assert!(
            case.text.contains(&case.secret),
            "{}: the secret is not in its text",
            case.kind
        );
    }
    let misses: Vec<String> = cases.iter().filter_map(|c| caught(c).err()).collect();
    let kinds: BTreeSet<&str> = cases.iter().map(|c| c.kind).collect();
    println!(
        "recall: {}/{} secrets, {} kinds",
        cases.len() - misses.len(),
        cases.len(),
        kinds.len()
    );
    for case in &cases {
        let found: Vec<&str> = scan(&case.text).into_iter().map(|f| f.kind).collect();
        println!("  {}: as {}", case.kind, found.join(", "));
    }
    assert!(
        kinds.len() >= 40,
        "the corpus covers {} kinds, fewer than 40",
        kinds.len()
    );
    assert!(
        misses.is_empty(),
        "secrets that survived:\n{}",
        misses.join("\n")
    );
}

/// Each secret with nothing around it: those whose format gives them away are caught, and the
/// corpus says which those are (a `context` case caught alone is marked `alone`).
#[test]
fn secrets_without_context_are_caught_by_their_format() {
    let cases: Vec<SecretCase> = in_context().iter().map(SecretCase::alone).collect();
    let mut wrong = Vec::new();
    let mut alone = 0;
    for case in &cases {
        let result = caught(case);
        alone += usize::from(result.is_ok());
        match (case.caught_alone, result) {
            (true, Err(miss)) => wrong.push(format!("marked alone, not caught: {miss}")),
            (false, Ok(())) => wrong.push(format!("{}: caught alone, mark it alone", case.kind)),
            _ => {}
        }
    }
    let distinctive = cases.iter().filter(|c| c.caught_alone).count();
    println!(
        "recall without context: {alone}/{} secrets alone ({distinctive} whose format gives them away, {} that only their context does)",
        cases.len(),
        cases.len() - distinctive
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(
        secrets().len(),
        cases.len() + distinctive,
        "secrets() is every case in context plus the distinctive ones alone"
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
