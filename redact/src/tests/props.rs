//! Properties over arbitrary text: no panic, idempotence, and no marker from nowhere.

use proptest::prelude::*;

use crate::marker::OPEN;
use crate::{redact, scan};

/// Arbitrary text mixing multi-byte characters, marker pieces and secret-shaped fragments, so the
/// scanner's spans land next to and inside characters of every width.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 =:/_.-]{0,40}",
        Just("ghp_R8f2kQz1xVb7Lm3NcYt6Wp0Hd9Ja4Se5Ug2o".to_owned()),
        Just("AKIAQ3EGSWMZ7TOYX4PU".to_owned()),
        Just("password=Tr0ub4dor&3".to_owned()),
        Just("postgres://app:Pg4ss-w0rd@db/x".to_owned()),
        Just("Authorization: Bearer aZ81kQmn20xLpWq7".to_owned()),
        Just(OPEN.to_owned()),
        Just("[REDACTED:github-pat]".to_owned()),
        Just("]".to_owned()),
        "[éü✓日本🚀\u{0}\n\t]{0,4}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_and_is_idempotent(input in text()) {
        let once = redact(&input).into_owned();
        let twice = redact(&once).into_owned();
        prop_assert_eq!(&twice, &once);
    }

    #[test]
    fn every_marker_is_from_the_input_or_this_redaction(input in text()) {
        let findings = scan(&input);
        let output = redact(&input);
        let covered: usize = findings
            .iter()
            .map(|f| input[f.range.clone()].matches(OPEN).count())
            .sum();
        prop_assert_eq!(
            output.matches(OPEN).count(),
            input.matches(OPEN).count() - covered + findings.len()
        );
    }

    #[test]
    fn findings_are_sorted_disjoint_and_on_char_boundaries(input in text()) {
        let findings = scan(&input);
        for f in &findings {
            prop_assert!(f.range.start < f.range.end && f.range.end <= input.len());
            prop_assert!(input.is_char_boundary(f.range.start) && input.is_char_boundary(f.range.end));
        }
        for pair in findings.windows(2) {
            prop_assert!(pair[0].range.end <= pair[1].range.start);
        }
    }
}

/// Texts near the prechecked rules' shapes: assignments, long runs, JWT-like pieces.
fn precheck_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9 _.=+/:,|>-]{0,60}",
        "(api_key|token|secret|password|auth|key)[ \t]{0,2}(=|:|=>|:=|,|\\|\\|)[ '\"]{0,2}",
        "ey[a-zA-Z0-9]{15,20}(\\.ey[a-zA-Z0-9_-]{15,20})?",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat())
}

/// A text the precheck turns away is one the rule's regex cannot match.
fn precheck_is_necessary(input: &str) -> Result<(), TestCaseError> {
    let rules = crate::scanner::Scanner::generated().rules;
    for id in ["generic-api-key", "generic-password", "jwt"] {
        let rule = rules
            .iter()
            .find(|r| r.id == id)
            .expect("prechecked rule exists");
        let regex = rule.regex.get().expect("compiles");
        if !crate::precheck::may_match(id, input.as_bytes()) {
            prop_assert!(
                !regex.is_match(input.as_bytes()),
                "{} matches {:?} but its precheck said it cannot",
                id,
                input
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn prechecks_never_skip_a_match(input in precheck_text()) {
        precheck_is_necessary(&input)?;
    }
}

#[test]
fn prechecks_never_skip_a_match_in_the_corpus_or_benign_texts() {
    for case in crate::testdata::secrets() {
        precheck_is_necessary(&case.text).unwrap();
    }
    for text in crate::testdata::benign() {
        precheck_is_necessary(text).unwrap();
    }
}

/// A rule runs only on texts holding one of its keywords. gitleaks' rules are gated as gitleaks
/// gates them; `local.toml`'s keywords are meant to be necessary: every corpus text (in its
/// sentence and alone) and benign text a local rule's regex matches holds one of them.
#[test]
fn local_keywords_never_skip_a_match_in_the_corpus_or_benign_texts() {
    let texts: Vec<String> = crate::testdata::secrets()
        .into_iter()
        .map(|case| case.text)
        .chain(crate::testdata::benign().into_iter().map(String::from))
        .collect();
    let rules = crate::scanner::Scanner::generated().rules;
    let local = super::LOCAL_RULES.matches("\n[[rules]]\n").count();
    for rule in rules[rules.len() - local..]
        .iter()
        .filter(|r| !r.keywords.is_empty())
    {
        let regex = rule.regex.get().expect("compiles");
        for text in texts.iter().filter(|t| regex.is_match(t.as_bytes())) {
            let lower = text.to_ascii_lowercase();
            assert!(
                rule.keywords.iter().any(|k| lower.contains(k)),
                "{} matches {text:?} but none of its keywords {:?} is in it",
                rule.id,
                rule.keywords
            );
        }
    }
}
