//! One rule and its allowlists, with regexes compiled on first use.
//!
//! Compiling all ~230 patterns costs tens of milliseconds, which a CLI run cannot afford; a rule's
//! regex is compiled only once its keywords appear in a text, and an allowlist's only once a
//! candidate secret needs checking.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::bytes::{Regex, RegexBuilder};

use crate::config::{AllowlistConfig, RuleConfig};

/// Room for the longest patterns (bounded repetitions such as `{50,1000}` unroll).
const REGEX_SIZE_LIMIT: usize = 64 << 20;

/// A pattern written for Go's RE2, compiled for ASCII bytes (RE2's `\w`, `\s`, `\b` are ASCII).
pub(crate) struct LazyRegex {
    pattern: String,
    compiled: OnceLock<Option<Regex>>,
}

impl LazyRegex {
    pub fn new(pattern: String) -> Self {
        Self {
            pattern,
            compiled: OnceLock::new(),
        }
    }

    /// The compiled regex; `None` when the pattern does not compile (a unit test lists those).
    pub fn get(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| compile(&self.pattern).ok())
            .as_ref()
    }

    #[cfg(test)]
    /// Compiles now and says why it failed, for the test that every vendored pattern compiles.
    pub fn check(&self) -> Result<(), String> {
        compile(&self.pattern)
            .map(|_| ())
            .map_err(|e| format!("{}: {e}", self.pattern))
    }
}

fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(&end_at_punctuation(&escape_stray_braces(pattern)))
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}

/// The end of a secret in most gitleaks rules: a quote, a space, `;`, an escaped newline or the
/// end of the text. That fits code and config files; in a sentence the token is followed by
/// `.`, `,`, `)` or `:` just as often ("my key is sk_live_..., rotate it"), so those end it too.
const GITLEAKS_SECRET_END: &str = r#"(?:[\x60'"\s;]|\\[nr]|$)"#;
const PROSE_SECRET_END: &str = r#"(?:[\x60'"\s;.,:!?)\]}>]|\\[nr]|$)"#;

pub(crate) fn end_at_punctuation(pattern: &str) -> String {
    pattern.replace(GITLEAKS_SECRET_END, PROSE_SECRET_END)
}

/// RE2 reads a `{` that does not start a counted repetition (`{2}`, `{2,}`, `{2,5}` after an
/// atom) as a literal, as in `^\${\d+}$`; Rust's parser rejects it. Escape those, and nothing
/// else, so the vendored file stays byte for byte as published.
pub(crate) fn escape_stray_braces(pattern: &str) -> String {
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

/// What an allowlist's regexes are matched against.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Target {
    Secret,
    Match,
    Line,
}

/// The text around one candidate, as an allowlist sees it.
pub(crate) struct Candidate<'t> {
    pub secret: &'t str,
    pub matched: &'t str,
    pub line: &'t str,
}

pub(crate) struct Allowlist {
    all_must_hold: bool,
    /// Commits and paths never match free text; with `condition = "AND"` they make it fail.
    has_commit_or_path: bool,
    target: Target,
    regexes: Vec<LazyRegex>,
    stopwords: Vec<String>,
    stopword_automaton: OnceLock<Option<AhoCorasick>>,
    target_rules: Vec<String>,
}

impl Allowlist {
    pub fn new(config: AllowlistConfig) -> Self {
        let target = match config.regex_target.as_deref() {
            Some("match") => Target::Match,
            Some("line") => Target::Line,
            _ => Target::Secret,
        };
        let mut stopwords: Vec<String> = config
            .stopwords
            .iter()
            .map(|w| w.to_ascii_lowercase())
            .collect();
        stopwords.sort();
        stopwords.dedup();
        Self {
            all_must_hold: config
                .condition
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case("and")),
            has_commit_or_path: !config.commits.is_empty() || !config.paths.is_empty(),
            target,
            regexes: config.regexes.into_iter().map(LazyRegex::new).collect(),
            stopwords,
            stopword_automaton: OnceLock::new(),
            target_rules: config.target_rules,
        }
    }

    /// Whether a global allowlist applies to this rule (`targetRules`).
    pub fn applies_to(&self, rule_id: &str) -> bool {
        self.target_rules.is_empty() || self.target_rules.iter().any(|r| r == rule_id)
    }

    /// gitleaks' checkFindingAllowed for a text that has no path and no commit.
    pub fn allows(&self, candidate: &Candidate<'_>) -> bool {
        let target = match self.target {
            Target::Secret => candidate.secret,
            Target::Match => candidate.matched,
            Target::Line => candidate.line,
        };
        if self.all_must_hold {
            !self.has_commit_or_path
                && (self.regexes.is_empty() || self.regex_allows(target))
                && (self.stopwords.is_empty() || self.has_stopword(candidate.secret))
        } else {
            self.regex_allows(target) || self.has_stopword(candidate.secret)
        }
    }

    fn regex_allows(&self, target: &str) -> bool {
        !target.is_empty()
            && self
                .regexes
                .iter()
                .any(|r| r.get().is_some_and(|re| re.is_match(target.as_bytes())))
    }

    fn has_stopword(&self, secret: &str) -> bool {
        if self.stopwords.is_empty() || secret.is_empty() {
            return false;
        }
        let automaton = self.stopword_automaton.get_or_init(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&self.stopwords)
                .ok()
        });
        match automaton {
            Some(ac) => ac.is_match(secret),
            None => {
                let lower = secret.to_ascii_lowercase();
                self.stopwords.iter().any(|w| lower.contains(w.as_str()))
            }
        }
    }

    #[cfg(test)]
    pub fn patterns(&self) -> impl Iterator<Item = &LazyRegex> {
        self.regexes.iter()
    }
}

/// What a rule needs once its keywords occurred in a text (its id and keywords are read at
/// start-up, see `ruleset`).
pub(crate) struct Rule {
    pub regex: LazyRegex,
    pub secret_group: usize,
    pub entropy: f64,
    pub allowlists: Vec<Allowlist>,
}

impl Rule {
    /// The rule for free text, or `None` for a rule that needs a file path (gitleaks applies
    /// those only to files whose path matches, and a title has none).
    pub fn for_free_text(mut config: RuleConfig) -> Option<Self> {
        if config.path.is_some() {
            return None;
        }
        let pattern = config.regex.take()?;
        let allowlists = config
            .all_allowlists()
            .into_iter()
            .map(Allowlist::new)
            .collect();
        Some(Self {
            regex: LazyRegex::new(pattern),
            secret_group: config.secret_group,
            entropy: config.entropy,
            allowlists,
        })
    }
}

/// Shannon entropy in bits per character, as gitleaks computes it (characters counted, divided
/// by the byte length).
pub(crate) fn shannon_entropy(text: &str) -> f64 {
    if text.is_empty() {
        return 0.0;
    }
    let mut counts: Vec<(char, usize)> = Vec::new();
    for c in text.chars() {
        match counts.iter_mut().find(|(k, _)| *k == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((c, 1)),
        }
    }
    let len = text.len() as f64;
    counts
        .iter()
        .map(|&(_, n)| {
            let p = n as f64 / len;
            -p * p.log2()
        })
        .sum()
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
        let regex = compile(rule).expect("compiles");
        assert!(regex.is_match(b"token dapi0123456789abcdef0123456789abcdef, then"));
    }

    #[test]
    fn entropy_matches_gitleaks() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
    }
}
