//! The `[REDACTED:<kind>]` marker: finding existing ones, and writing new ones in place.

use std::ops::Range;

pub(crate) const OPEN: &str = "[REDACTED:";

/// The byte ranges of the markers already in `text` whose kind is a known rule id. Those are
/// left exactly as they are; a marker-shaped string naming no rule is ordinary text (a secret
/// wrapped in `[REDACTED:...]` is still found).
pub(crate) fn existing(text: &str, is_kind: impl Fn(&str) -> bool) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find(OPEN) {
        let start = from + offset;
        let kind_start = start + OPEN.len();
        let kind_len = text[kind_start..]
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
            .count();
        let kind = &text[kind_start..kind_start + kind_len];
        let close = kind_start + kind_len;
        if text.as_bytes().get(close) == Some(&b']') && is_kind(kind) {
            found.push(start..close + 1);
            from = close + 1;
        } else {
            from = kind_start;
        }
    }
    found
}

/// `range` widened to the nearest character boundaries, so a marker never splits a character.
pub(crate) fn snap(text: &str, range: Range<usize>) -> Range<usize> {
    let mut start = range.start.min(text.len());
    let mut end = range.end.clamp(start, text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// `text` with each range (sorted, disjoint, on char boundaries) replaced by its kind's marker.
pub(crate) fn apply<'k>(
    text: &str,
    spans: impl IntoIterator<Item = (&'k str, Range<usize>)>,
) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut at = 0;
    for (kind, range) in spans {
        out.push_str(&text[at..range.start]);
        out.push_str(OPEN);
        out.push_str(kind);
        out.push(']');
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

pub(crate) fn marker_len(kind: &str) -> usize {
    OPEN.len() + kind.len() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_markers_of_known_kinds_only() {
        let text = "a [REDACTED:github-pat] b [REDACTED:made-up] c [REDACTED:github-pat";
        let found = existing(text, |k| k == "github-pat");
        assert_eq!(found, vec![2..23]);
        assert_eq!(&text[found[0].clone()], "[REDACTED:github-pat]");
    }

    #[test]
    fn snaps_outward_to_char_boundaries() {
        let text = "é=ü";
        assert_eq!(snap(text, 1..4), 0..5);
        assert_eq!(snap(text, 2..3), 2..3);
        assert_eq!(snap(text, 9..12), 5..5);
    }

    #[test]
    fn writes_markers_in_place() {
        let text = "key=abc and def";
        assert_eq!(
            apply(text, [("x", 4..7), ("y", 12..15)]),
            "key=[REDACTED:x] and [REDACTED:y]"
        );
    }
}
