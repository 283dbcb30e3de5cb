//! The detection pass, following gitleaks' detect.go for a text without a path or commit.
//!
//! Keywords gate rules (one case-insensitive automaton over all of them); each gated rule's
//! regex runs; the secret is `secretGroup`, else the first non-empty group, else the match; low
//! entropy and allowlists (the rule's and the global ones) drop a candidate. Then, beyond
//! gitleaks: catch-all findings inside a specific one are dropped, false-positive vetoes apply,
//! findings touching an existing marker are dropped, and overlapping ones are merged.

use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::marker;
use crate::rule::{Candidate, Rule, shannon_entropy};
use crate::{precheck, rules, veto};

/// Below this many bytes, keywords are looked up one by one in the lower-cased text: for a
/// title that is cheaper than building the automaton, which only pays off on longer texts.
const AUTOMATON_MIN_BYTES: usize = 1024;

/// One secret found by one rule: the bytes to replace, and the whole match around them.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    pub rule: usize,
    pub secret: Range<usize>,
    pub matched: Range<usize>,
}

pub(crate) struct Scanner {
    pub rules: &'static [Rule],
    /// Every distinct keyword (lower case), and for each the rules it gates.
    keywords: &'static [&'static str],
    keyword_rules: &'static [&'static [u16]],
    /// One automaton over all keywords, for lower-cased texts; built on the first long text.
    automaton: OnceLock<Option<AhoCorasick>>,
    /// Rules without keywords: they run on every text.
    ungated: &'static [u16],
}

impl Scanner {
    /// The scanner over the generated rule set (`rules.rs`): nothing to read or build up front.
    pub const fn generated() -> Self {
        Self {
            rules: &rules::RULES,
            keywords: &rules::KEYWORDS,
            keyword_rules: &rules::KEYWORD_RULES,
            automaton: OnceLock::new(),
            ungated: &rules::UNGATED,
        }
    }

    pub fn is_kind(&self, kind: &str) -> bool {
        self.rules.iter().any(|r| r.id == kind)
    }

    #[cfg(test)]
    /// Every pattern that fails to compile, rules' and allowlists'.
    pub fn compile_errors(&self) -> Vec<String> {
        let mut patterns = Vec::new();
        for rule in self.rules {
            patterns.push((rule.id, &rule.regex));
            let allowlisted = rule.allowlists.iter().flat_map(|a| a.patterns());
            patterns.extend(allowlisted.map(|p| (rule.id, p)));
        }
        patterns
            .into_iter()
            .filter_map(|(owner, regex)| regex.check().err().map(|e| format!("{owner}: {e}")))
            .collect()
    }

    /// One pass over `text`: sorted, disjoint secrets on char boundaries, none touching a marker
    /// already in `text`.
    pub fn detect(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        for rule in self.gated_rules(text) {
            self.detect_rule(rule, text, &mut hits);
        }
        if hits.is_empty() {
            return hits;
        }
        let hits = self.without_generic_duplicates(hits);
        let markers = marker::existing(text, |k| self.is_kind(k));
        let kept = hits
            .into_iter()
            .filter(|h| !self.vetoed(text, h))
            .filter(|h| {
                !markers
                    .iter()
                    .any(|m| m.start < h.secret.end && h.secret.start < m.end)
            })
            .collect();
        self.merged(kept)
    }

    fn gated_rules(&self, text: &str) -> Vec<usize> {
        let mut gated: Vec<usize> = self.ungated.iter().map(|&r| usize::from(r)).collect();
        let lower = text.to_ascii_lowercase();
        let automaton = if text.len() < AUTOMATON_MIN_BYTES {
            None
        } else {
            self.automaton
                .get_or_init(|| {
                    AhoCorasick::builder()
                        .match_kind(MatchKind::Standard)
                        .build(self.keywords)
                        .ok()
                })
                .as_ref()
        };
        let mut seen = vec![false; self.keywords.len()];
        match automaton {
            Some(keywords) => {
                for found in keywords.find_overlapping_iter(&lower) {
                    seen[found.pattern().as_usize()] = true;
                }
            }
            None => {
                for (k, keyword) in self.keywords.iter().enumerate() {
                    seen[k] = lower.contains(keyword);
                }
            }
        }
        for (k, _) in seen.iter().enumerate().filter(|(_, found)| **found) {
            gated.extend(self.keyword_rules[k].iter().map(|&r| usize::from(r)));
        }
        gated.sort_unstable();
        gated.dedup();
        gated
    }

    fn detect_rule(&self, index: usize, text: &str, hits: &mut Vec<Hit>) {
        let rule = &self.rules[index];
        if !precheck::may_match(rule.id, text.as_bytes()) {
            return;
        }
        let Some(regex) = rule.regex.get() else {
            return;
        };
        for caps in regex.captures_iter(text.as_bytes()) {
            let Some(whole) = caps.get(0) else { continue };
            let matched = marker::snap(text, trim_newlines(text, whole.range()));
            let group = if rule.secret_group > 0 {
                caps.get(rule.secret_group)
            } else {
                caps.iter().skip(1).flatten().find(|g| !g.is_empty())
            };
            let secret = match group {
                Some(g) => marker::snap(text, g.range()),
                None => matched.clone(),
            };
            if secret.is_empty() {
                continue;
            }
            let hit = Hit {
                rule: index,
                secret,
                matched,
            };
            if self.allowed(text, &hit, rule) {
                continue;
            }
            hits.push(hit);
        }
    }

    /// Entropy floor, then the allowlists (the global ones among them).
    fn allowed(&self, text: &str, hit: &Hit, rule: &Rule) -> bool {
        let secret = &text[hit.secret.clone()];
        if rule.entropy != 0.0 && shannon_entropy(secret) <= rule.entropy {
            return true;
        }
        let candidate = Candidate {
            secret,
            matched: &text[hit.matched.clone()],
            line: &text[line_around(text, &hit.matched)],
        };
        rule.allowlists.iter().any(|a| a.allows(&candidate))
    }

    fn without_generic_duplicates(&self, hits: Vec<Hit>) -> Vec<Hit> {
        let specific: Vec<Range<usize>> = hits
            .iter()
            .filter(|h| !self.rules[h.rule].generic)
            .map(|h| h.secret.clone())
            .collect();
        hits.into_iter()
            .filter(|h| {
                !self.rules[h.rule].generic
                    || !specific
                        .iter()
                        .any(|s| s.start <= h.secret.start && h.secret.end <= s.end)
            })
            .collect()
    }

    /// A benign shape (digest, UUID, base64 of prose) is kept unless a specific rule found it
    /// with its own keyword in the match (`heroku_api_key=<uuid>`, `shpat_<32 hex>`).
    fn vetoed(&self, text: &str, hit: &Hit) -> bool {
        let rule = &self.rules[hit.rule];
        let before =
            &text[marker::snap(text, hit.secret.start.saturating_sub(8)..hit.secret.start)];
        if !veto::is_benign_shape(&text[hit.secret.clone()], before) {
            return false;
        }
        if rule.generic {
            return true;
        }
        let matched = text[hit.matched.clone()].to_ascii_lowercase();
        !rule.keywords.iter().any(|k| matched.contains(k))
    }

    /// Overlapping secrets become one span, named after the most specific rule among them
    /// (a service's rule over a catch-all, then gitleaks' order, then the local file's).
    fn merged(&self, mut hits: Vec<Hit>) -> Vec<Hit> {
        hits.sort_by_key(|h| (h.secret.start, std::cmp::Reverse(h.secret.end), h.rule));
        let mut out: Vec<Hit> = Vec::with_capacity(hits.len());
        for hit in hits {
            match out.last_mut() {
                Some(last) if hit.secret.start < last.secret.end => {
                    last.secret.end = last.secret.end.max(hit.secret.end);
                    if self.preferred(&hit, last) {
                        last.rule = hit.rule;
                    }
                }
                _ => out.push(hit),
            }
        }
        out
    }

    fn preferred(&self, a: &Hit, b: &Hit) -> bool {
        (self.rules[a.rule].generic, a.rule) < (self.rules[b.rule].generic, b.rule)
    }
}

/// The match without the newlines at its ends (gitleaks trims them before anything else).
fn trim_newlines(text: &str, range: Range<usize>) -> Range<usize> {
    let bytes = text.as_bytes();
    let (mut start, mut end) = (range.start, range.end);
    while start < end && bytes[start] == b'\n' {
        start += 1;
    }
    while end > start && bytes[end - 1] == b'\n' {
        end -= 1;
    }
    start..end
}

/// The lines a match spans, for allowlists with `regexTarget = "line"`.
fn line_around(text: &str, range: &Range<usize>) -> Range<usize> {
    let start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[range.end..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i);
    start..end
}
