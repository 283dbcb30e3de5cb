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
