//! One rule and its allowlists as the build generated them (`rules.rs`), with regexes compiled
//! on first use.
//!
//! Compiling all ~230 patterns costs tens of milliseconds, which a CLI run cannot afford; a rule's
//! regex is compiled only once its keywords appear in a text, and an allowlist's only once a
//! candidate secret needs checking.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::bytes::{Regex, RegexBuilder};

/// Room for the longest patterns (bounded repetitions such as `{50,1000}` unroll).
const REGEX_SIZE_LIMIT: usize = 64 << 20;

/// A pattern already rewritten for Rust's `regex` by the build (see `pattern.rs`), compiled for
/// ASCII bytes (RE2's `\w`, `\s`, `\b` are ASCII).
pub(crate) struct LazyRegex {
    pattern: &'static str,
    compiled: OnceLock<Option<Regex>>,
}

impl LazyRegex {
    pub const fn new(pattern: &'static str) -> Self {
        Self {
            pattern,
            compiled: OnceLock::new(),
        }
    }

    /// The compiled regex; `None` when the pattern does not compile (a unit test lists those).
    pub fn get(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| compile(self.pattern).ok())
            .as_ref()
    }

    #[cfg(test)]
    /// Compiles now and says why it failed, for the test that every pattern compiles.
    pub fn check(&self) -> Result<(), String> {
        compile(self.pattern)
            .map(|_| ())
            .map_err(|e| format!("{}: {e}", self.pattern))
    }
}

fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
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
    regexes: &'static [LazyRegex],
    /// Lower case, sorted, distinct.
    stopwords: &'static [&'static str],
    stopword_automaton: OnceLock<Option<AhoCorasick>>,
}

impl Allowlist {
    pub const fn new(
        all_must_hold: bool,
        has_commit_or_path: bool,
        target: Target,
        regexes: &'static [LazyRegex],
        stopwords: &'static [&'static str],
    ) -> Self {
        Self {
            all_must_hold,
            has_commit_or_path,
            target,
            regexes,
            stopwords,
            stopword_automaton: OnceLock::new(),
        }
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
                .build(self.stopwords)
                .ok()
        });
        match automaton {
            Some(ac) => ac.is_match(secret),
            None => {
                let lower = secret.to_ascii_lowercase();
                self.stopwords.iter().any(|w| lower.contains(w))
            }
        }
    }

    #[cfg(test)]
    pub fn patterns(&self) -> impl Iterator<Item = &LazyRegex> {
        self.regexes.iter()
    }
}

/// One rule that applies to free text (the build leaves out those that need a file path).
pub(crate) struct Rule {
    pub id: &'static str,
    pub regex: LazyRegex,
    /// 0: the first non-empty group, else the whole match.
    pub secret_group: usize,
    /// 0: no entropy floor.
    pub entropy: f64,
    /// Lower case; the rule runs only on texts containing one of them (all texts when empty).
    pub keywords: &'static [&'static str],
    /// gitleaks' catch-all rules (id containing "generic"): they yield to a specific rule on
    /// the same secret, and false-positive vetoes always apply to them.
    pub generic: bool,
    /// The rule's own and the global ones (gitleaks' and `local.toml`'s that target it).
    pub allowlists: &'static [&'static Allowlist],
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
    fn entropy_matches_gitleaks() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
    }
}
