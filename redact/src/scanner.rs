//! The detection pass, following gitleaks' detect.go for a text without a path or commit.
//!
//! Keywords gate rules (one case-insensitive automaton over all of them); each gated rule's
//! regex runs; the secret is `secretGroup`, else the first non-empty group, else the match; low
//! entropy and allowlists (the rule's and the global ones) drop a candidate. Then, beyond
//! gitleaks: catch-all findings inside a specific one are dropped, false-positive vetoes apply,
//! findings touching an existing marker are dropped, and overlapping ones are merged.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::marker;
use crate::rule::{Allowlist, Candidate, shannon_entropy};
use crate::ruleset::{self, LazyRule};
use crate::veto;

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
    pub rules: Vec<LazyRule>,
    preambles: Vec<&'static str>,
    global: OnceLock<Vec<Allowlist>>,
    /// Every distinct keyword (lower case), and for each the rules it gates.
    keywords: Vec<String>,
    keyword_rules: Vec<Vec<usize>>,
    /// One automaton over all keywords, for lower-cased texts; built on the first long text.
    automaton: OnceLock<Option<AhoCorasick>>,
    /// Rules without keywords: they run on every text.
    ungated: Vec<usize>,
}

impl Scanner {
    /// A scanner over rule files in gitleaks' format; later files add rules after earlier ones.
    pub fn from_files(files: &[&'static str]) -> Result<Self, String> {
        let (rules, preambles) = ruleset::split(files)?;
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut keyword_index: HashMap<&str, usize> = HashMap::new();
        let mut ungated = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                ungated.push(index);
            }
            for keyword in &rule.keywords {
                let k = *keyword_index.entry(keyword).or_insert_with(|| {
                    keywords.push(keyword.clone());
                    keyword_rules.push(Vec::new());
                    keywords.len() - 1
                });
                keyword_rules[k].push(index);
            }
        }
        Ok(Self {
            rules,
            preambles,
            global: OnceLock::new(),
            keywords,
            keyword_rules,
            automaton: OnceLock::new(),
            ungated,
        })
    }

    /// A scanner that finds nothing: what is left if the rule files could not be read, which a
    /// unit test rules out for the vendored files.
    pub fn empty() -> Self {
        Self {
            rules: Vec::new(),
            preambles: Vec::new(),
            global: OnceLock::new(),
            keywords: Vec::new(),
            keyword_rules: Vec::new(),
            automaton: OnceLock::new(),
            ungated: Vec::new(),
        }
    }

    pub fn is_kind(&self, kind: &str) -> bool {
        self.rules.iter().any(|r| r.id == kind)
    }

    fn global(&self) -> &[Allowlist] {
        self.global
            .get_or_init(|| ruleset::global_allowlists(&self.preambles))
    }

    #[cfg(test)]
    /// Every rule piece that does not parse and every pattern that fails to compile.
    pub fn compile_errors(&self) -> Vec<String> {
        let mut errors = Vec::new();
        let mut patterns = Vec::new();
        for lazy in &self.rules {
            let Some(rule) = lazy.get() else {
                errors.push(format!("{}: does not parse: {}", lazy.id, lazy.source()));
                continue;
            };
            patterns.push((lazy.id.as_str(), &rule.regex));
            let allowlisted = rule.allowlists.iter().flat_map(Allowlist::patterns);
            patterns.extend(allowlisted.map(|p| (lazy.id.as_str(), p)));
        }
        let global = self.global().iter().flat_map(Allowlist::patterns);
        patterns.extend(global.map(|p| ("global allowlist", p)));
        for (owner, regex) in patterns {
            if let Err(e) = regex.check() {
                errors.push(format!("{owner}: {e}"));
            }
        }
        errors
    }

    #[cfg(test)]
    pub fn global_allowlist_count(&self) -> usize {
        self.global().len()
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
        let mut gated = self.ungated.clone();
        let lower = text.to_ascii_lowercase();
        let automaton = if text.len() < AUTOMATON_MIN_BYTES {
            None
        } else {
            self.automaton
                .get_or_init(|| {
                    AhoCorasick::builder()
                        .match_kind(MatchKind::Standard)
                        .build(&self.keywords)
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
                    seen[k] = lower.contains(keyword.as_str());
                }
            }
        }
        for (k, _) in seen.iter().enumerate().filter(|(_, found)| **found) {
            gated.extend(&self.keyword_rules[k]);
        }
        gated.sort_unstable();
        gated.dedup();
        gated
    }

    fn detect_rule(&self, index: usize, text: &str, hits: &mut Vec<Hit>) {
        let Some(rule) = self.rules[index].get() else {
            return;
        };
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

    /// Entropy floor, then the global allowlists, then the rule's own.
    fn allowed(&self, text: &str, hit: &Hit, rule: &crate::rule::Rule) -> bool {
        let id = &self.rules[hit.rule].id;
        let secret = &text[hit.secret.clone()];
        if rule.entropy != 0.0 && shannon_entropy(secret) <= rule.entropy {
            return true;
        }
        let candidate = Candidate {
            secret,
            matched: &text[hit.matched.clone()],
            line: &text[line_around(text, &hit.matched)],
        };
        self.global()
            .iter()
            .filter(|a| a.applies_to(id))
            .any(|a| a.allows(&candidate))
            || rule.allowlists.iter().any(|a| a.allows(&candidate))
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
        !rule.keywords.iter().any(|k| matched.contains(k.as_str()))
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
