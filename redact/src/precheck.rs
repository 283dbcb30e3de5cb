//! Cheap conditions a text must meet before the few rules whose regexes are costly to build
//! are compiled and run. Compiling `generic-api-key` (bounded repetitions up to 150) takes
//! milliseconds, more than a whole CLI upsert may add, and the keywords that gate it ("key",
//! "token", "auth") are in many plain titles. Each condition here is NECESSARY for its rule's
//! regex to match (argued next to it; `tests/props.rs` checks it on random and corpus texts),
//! so skipping a rule that fails it never changes what is found.

/// False when `rule`'s regex cannot match `text`; true when it may (and for every other rule).
pub(crate) fn may_match(rule: &str, text: &[u8]) -> bool {
    match rule {
        // gitleaks' generic-api-key, case-insensitive, ASCII classes: the secret group is
        // `[\w.=-]{10,150}` or `[a-z0-9][a-z0-9+/]{11,}={0,3}`, a run of at least 10 bytes
        // of `[A-Za-z0-9_.=+/-]`; before it one of `=`, `>`, `:{1,3}=`, `||`, `:`, `=>`, `?=`
        // or `,`, each holding one of `= > : | ,`.
        "generic-api-key" => {
            has_run(text, 10, |b| {
                b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'=' | b'+' | b'/' | b'-')
            }) && text
                .iter()
                .any(|b| matches!(b, b'=' | b'>' | b':' | b'|' | b','))
        }
        // local.toml's generic-password: `:=`, `=>`, `=` or `:` after the name.
        "generic-password" => text.iter().any(|b| matches!(b, b'=' | b':')),
        // gitleaks' jwt: `ey...` then a literal `.ey` (case-sensitive) before the payload.
        "jwt" => text.windows(3).any(|w| w == b".ey"),
        _ => true,
    }
}

/// Whether `text` holds at least `len` consecutive bytes that satisfy `class`.
fn has_run(text: &[u8], len: usize, class: impl Fn(u8) -> bool) -> bool {
    let mut run = 0;
    for &b in text {
        run = if class(b) { run + 1 } else { 0 };
        if run >= len {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_titles_with_gating_words_skip_the_costly_rules() {
        let title = b"Fix API key rotation in the auth token refresh";
        assert!(!may_match("generic-api-key", title));
        assert!(!may_match("generic-password", title));
        assert!(!may_match("jwt", title));
        assert!(
            may_match("github-pat", title),
            "other rules are not prechecked"
        );
    }

    #[test]
    fn assignments_of_long_values_pass() {
        assert!(may_match(
            "generic-api-key",
            b"api_key = 9f8e7d6c5b4a3f2e1d0c"
        ));
        assert!(may_match("generic-password", b"password: hunter22"));
        assert!(may_match(
            "jwt",
            b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"
        ));
    }
}
