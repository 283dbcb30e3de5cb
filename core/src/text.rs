//! Cutting text to a number of characters, the one way titles, tables and error messages do it.

use std::borrow::Cow;

/// The mark left where text was cut.
pub const ELLIPSIS: char = '…';

/// The longest start of `text` with at most `max` characters (never splitting one).
pub fn prefix_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// `text` cut to at most `max` characters, the last of them "…" when it was cut.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    if prefix_chars(text, max).len() == text.len() {
        return Cow::Borrowed(text);
    }
    let kept = prefix_chars(text, max.saturating_sub(1));
    Cow::Owned(format!("{kept}{ELLIPSIS}"))
}

/// Like [`clip`], but cut after a whole word when one ends in the second half of what is kept,
/// so that a title does not stop mid-word.
pub fn clip_at_word(text: &str, max: usize) -> Cow<'_, str> {
    if prefix_chars(text, max).len() == text.len() {
        return Cow::Borrowed(text);
    }
    let head = prefix_chars(text, max.saturating_sub(1));
    let ends_a_word = text[head.len()..].starts_with(char::is_whitespace);
    let at_word = head
        .rfind(char::is_whitespace)
        .filter(|&i| !ends_a_word && head[..i].chars().count() >= max / 2)
        .map_or(head, |i| &head[..i]);
    Cow::Owned(format!("{}{ELLIPSIS}", at_word.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_chars_counts_characters_not_bytes() {
        assert_eq!(prefix_chars("héllo", 2), "hé");
        assert_eq!(prefix_chars("héllo", 5), "héllo");
        assert_eq!(prefix_chars("héllo", 50), "héllo");
        assert_eq!(prefix_chars("héllo", 0), "");
        assert_eq!(prefix_chars("", 3), "");
    }

    #[test]
    fn clip_keeps_what_fits_and_marks_a_cut() {
        assert_eq!(clip("short", 5), "short");
        assert!(matches!(clip("short", 5), Cow::Borrowed(_)));
        assert_eq!(clip("shorter", 5), "shor…");
        assert_eq!(clip("ééééé", 4), "ééé…");
        assert_eq!(clip("ab", 1), "…");
        assert_eq!(clip("ab", 0), "…");
        assert_eq!(clip("", 0), "");
        for n in 0..12 {
            assert!(clip("a sentence of words", n).chars().count() <= n.max(1));
        }
    }

    #[test]
    fn clip_at_word_stops_after_a_whole_word() {
        assert_eq!(clip_at_word("fits as is", 10), "fits as is");
        assert_eq!(
            clip_at_word("Fix the flaky test in CI", 16),
            "Fix the flaky…"
        );
        // The cut falls just before a space: the last word is whole already.
        assert_eq!(clip_at_word("Fix the flaky test", 14), "Fix the flaky…");
        // No space in the second half: cut inside the word rather than lose most of it.
        assert_eq!(clip_at_word("a verylongwordindeed", 10), "a verylon…");
        assert_eq!(
            clip_at_word(&"x".repeat(300), 80),
            format!("{}…", "x".repeat(79))
        );
        assert_eq!(clip_at_word("ab", 0), "…");
        for n in 0..30 {
            let cut = clip_at_word("word é word é word é word é word", n);
            assert!(cut.chars().count() <= n.max(1), "{cut:?}");
        }
    }
}
