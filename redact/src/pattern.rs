//! What the build does to every pattern (gitleaks' RE2 syntax) before the scanner compiles it
//! with Rust's `regex`: included by `build.rs`, and tested here.

/// The pattern as the scanner compiles it: stray braces escaped, secrets ending at punctuation.
pub(crate) fn for_rust(pattern: &str) -> String {
    end_at_punctuation(&escape_stray_braces(pattern))
}

/// The end of a secret in most gitleaks rules: a quote, a space, `;`, an escaped newline or the
/// end of the text. That fits code and config files; in a sentence the token is followed by
/// `.`, `,`, `)` or `:` just as often ("my key is sk_live_..., rotate it"), so those end it too.
const GITLEAKS_SECRET_END: &str = r#"(?:[\x60'"\s;]|\\[nr]|$)"#;
const PROSE_SECRET_END: &str = r#"(?:[\x60'"\s;.,:!?)\]}>]|\\[nr]|$)"#;

fn end_at_punctuation(pattern: &str) -> String {
    pattern.replace(GITLEAKS_SECRET_END, PROSE_SECRET_END)
}

/// RE2 reads a `{` that does not start a counted repetition (`{2}`, `{2,}`, `{2,5}` after an
/// atom) as a literal, as in `^\${\d+}$`; Rust's parser rejects it. Escape those, and nothing
/// else (gitleaks' rules and `local.toml`'s are both written for RE2).
fn escape_stray_braces(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut class_start = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                out.push(c);
                if let Some(&next) = chars.get(i + 1) {
                    out.push(next);
                }
                i += 2;
                continue;
            }
            '[' if in_class => {
                // A POSIX class such as [:alnum:] inside a bracket expression.
                if chars.get(i + 1) == Some(&':') {
                    let close = (i + 2..chars.len().saturating_sub(1))
                        .find(|&j| chars[j] == ':' && chars[j + 1] == ']');
                    if let Some(j) = close {
                        out.extend(&chars[i..j + 2]);
                        i = j + 2;
                        continue;
                    }
                }
                out.push(c);
            }
            '[' => {
                in_class = true;
                out.push(c);
                // `]` first (after an optional `^`) is a literal member, not the end.
                class_start = i + 1 + usize::from(chars.get(i + 1) == Some(&'^'));
            }
            ']' if in_class && i > class_start => {
                in_class = false;
                out.push(c);
            }
            '{' if !in_class && !starts_repetition(&chars, i) => out.push_str("\\{"),
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

fn starts_repetition(chars: &[char], at: usize) -> bool {
    let follows_atom = at > 0 && !matches!(chars[at - 1], '(' | '|');
    let rest = &chars[at + 1..];
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if !follows_atom || digits == 0 {
        return false;
    }
    match rest.get(digits) {
        Some('}') => true,
        Some(',') => {
            let more = rest[digits + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            rest.get(digits + 1 + more) == Some(&'}')
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stray_braces_are_escaped_and_repetitions_kept() {
        assert_eq!(
            escape_stray_braces(r"^\$(?:\d+|{\d+})$"),
            r"^\$(?:\d+|\{\d+})$"
        );
        assert_eq!(
            escape_stray_braces(r"^\${(?:[A-Z_]+)}$"),
            r"^\$\{(?:[A-Z_]+)}$"
        );
        assert_eq!(
            escape_stray_braces(r"[a-z]{2,5}x{3}y{4,}"),
            r"[a-z]{2,5}x{3}y{4,}"
        );
        assert_eq!(escape_stray_braces(r"\$?{{[^}]+}}"), r"\$?\{\{[^}]+}}");
        assert_eq!(
            escape_stray_braces(r"[{}]{2}[[:alnum:]{]"),
            r"[{}]{2}[[:alnum:]{]"
        );
        assert_eq!(escape_stray_braces(r"[]{]{1}"), r"[]{]{1}");
    }

    #[test]
    fn secrets_end_at_punctuation_too() {
        let rule = r#"\b(dapi[a-f0-9]{32}(?:-\d)?)(?:[\x60'"\s;]|\\[nr]|$)"#;
        assert_eq!(
            end_at_punctuation(rule),
            r#"\b(dapi[a-f0-9]{32}(?:-\d)?)(?:[\x60'"\s;.,:!?)\]}>]|\\[nr]|$)"#
        );
        let regex = regex::bytes::RegexBuilder::new(&for_rust(rule))
            .unicode(false)
            .build()
            .expect("compiles");
        assert!(regex.is_match(b"token dapi0123456789abcdef0123456789abcdef, then"));
    }
}
