//! Finds secrets in free text (titles, summaries) and replaces each with `[REDACTED:<kind>]`.
//!
//! The rules are gitleaks' default set, pinned and committed as gitleaks publishes it (see
//! `rules/README.md`), plus `rules/local.toml` for what gitleaks leaves out (authorization
//! headers, passwords in URLs, plain `PASSWORD=` assignments, ...). The build turns them into
//! statics; each rule's regex is compiled only when its keywords occur in a text, so a short
//! title costs a few rules, not two hundred.

// The build script uses all of the rule-file format, the tests only part of it.
#[cfg(test)]
#[allow(dead_code)]
mod config;
mod marker;
#[cfg(test)]
mod pattern;
mod precheck;
mod rule;
mod rules;
mod scanner;
#[cfg(any(test, feature = "testdata"))]
pub mod testdata;
mod veto;

use std::borrow::Cow;
use std::ops::Range;

use scanner::{Hit, Scanner};

static SCANNER: Scanner = Scanner::generated();

/// One secret: the rule that found it (the marker's kind) and its bytes in the scanned text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: &'static str,
    pub range: Range<usize>,
}

/// The text with every secret replaced by `[REDACTED:<kind>]`; borrowed when nothing was found.
pub fn redact(text: &str) -> Cow<'_, str> {
    let findings = scan(text);
    if findings.is_empty() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(marker::apply(
        text,
        findings.iter().map(|f| (f.kind, f.range.clone())),
    ))
}

/// Same, plus what was found (kind + byte range in the input), for tests and logging counts.
/// Sorted, disjoint, on character boundaries; `redact` replaces exactly these ranges.
pub fn scan(text: &str) -> Vec<Finding> {
    let scanner: &'static Scanner = &SCANNER;
    let mut hits = scanner.detect(text);
    // Replacing a secret changes what surrounds the text next to it, and a rule may then match
    // there (a boundary it needed, a longer match that had hidden a shorter one). Scanning the
    // redacted text again until nothing new turns up makes `redact` idempotent. Each round
    // replaces unmarked text, so it ends; nearly always after the first re-scan.
    while !hits.is_empty() {
        let redacted = marker::apply(
            text,
            hits.iter().map(|h| (kind(scanner, h), h.secret.clone())),
        );
        let more = scanner.detect(&redacted);
        if more.is_empty() {
            break;
        }
        hits = merge_rescan(scanner, hits, more);
    }
    hits.into_iter()
        .map(|h| Finding {
            kind: kind(scanner, &h),
            range: h.secret,
        })
        .collect()
}

fn kind(scanner: &Scanner, hit: &Hit) -> &'static str {
    scanner.rules[hit.rule].id
}

/// `earlier` (ranges in the original text) plus `more` (ranges in the text with `earlier`
/// replaced by markers, never overlapping them), all in original coordinates, sorted.
fn merge_rescan(scanner: &Scanner, earlier: Vec<Hit>, more: Vec<Hit>) -> Vec<Hit> {
    // (start in the redacted text, end there, growth of the text up to and including it)
    let mut shifts = Vec::with_capacity(earlier.len());
    let mut growth: isize = 0;
    for hit in &earlier {
        let start = (hit.secret.start as isize + growth) as usize;
        let len = marker::marker_len(kind(scanner, hit));
        growth += len as isize - hit.secret.len() as isize;
        shifts.push((start, start + len, growth));
    }
    let to_original = |at: usize| {
        let before = shifts.iter().rev().find(|(_, end, _)| *end <= at);
        (at as isize - before.map_or(0, |(_, _, g)| *g)) as usize
    };
    let mut all = earlier;
    all.extend(more.into_iter().map(|h| {
        let secret = to_original(h.secret.start)..to_original(h.secret.end);
        // The match may include a marker; only the secret is needed from here on.
        Hit {
            rule: h.rule,
            matched: secret.clone(),
            secret,
        }
    }));
    all.sort_by_key(|h| h.secret.start);
    all
}

/// The ids of every rule that applies to free text, in order: gitleaks' first, then local.
pub fn rule_ids() -> impl Iterator<Item = &'static str> {
    let scanner: &'static Scanner = &SCANNER;
    scanner.rules.iter().map(|r| r.id)
}

#[cfg(test)]
mod tests;
