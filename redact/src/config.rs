//! The two rule sources' formats, read with serde by the build script (`build.rs` includes this
//! file) and by the unit test that checks the generated rules against `rules/local.toml`.
//!
//! - gitleaks' rule set as the crate `keyspoor` publishes it (`src/builtin_rules.json`): one
//!   object per rule, gitleaks' global allowlist merged into each rule's `allowlist`.
//! - `rules/local.toml`, ours, in gitleaks' own config format.
//!
//! Unknown fields in the JSON fail the build: a new constraint in a later version must be read,
//! not dropped.

use serde::Deserialize;

/// `builtin_rules.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Catalogue {
    pub rules: Vec<CatalogueRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogueRule {
    pub id: String,
    /// gitleaks' description.
    pub name: String,
    pub pattern: String,
    /// gitleaks' `secretGroup`; `null` for "the first non-empty group, else the match".
    pub secret_group: Option<usize>,
    pub keywords: Vec<String>,
    pub min_entropy: Option<f64>,
    /// keyspoor's own label (always "medium"), not gitleaks'.
    pub confidence: String,
    /// Rules that apply only to files whose path matches; never to free text.
    pub path: Option<String>,
    pub allowlist: Vec<CatalogueAllowlist>,
    pub exclude_paths: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogueAllowlist {
    /// "or" | "and".
    pub condition: String,
    /// "secret" | "match" | "line".
    pub target: String,
    pub regexes: Vec<String>,
    pub paths: Vec<String>,
    pub stopwords: Vec<String>,
}

/// A rule file in gitleaks' config format (`rules/local.toml`).
#[derive(Debug, Deserialize)]
pub(crate) struct RuleFile {
    /// The legacy single global allowlist (`[allowlist]`).
    #[serde(default)]
    pub allowlist: Option<AllowlistConfig>,
    #[serde(default)]
    pub allowlists: Vec<AllowlistConfig>,
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RuleConfig {
    pub id: String,
    #[serde(default)]
    pub regex: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub secret_group: usize,
    #[serde(default)]
    pub entropy: f64,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The legacy single rule allowlist (`[rules.allowlist]`).
    #[serde(default)]
    pub allowlist: Option<AllowlistConfig>,
    #[serde(default)]
    pub allowlists: Vec<AllowlistConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AllowlistConfig {
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default)]
    pub commits: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub regex_target: Option<String>,
    #[serde(default)]
    pub regexes: Vec<String>,
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Global allowlists only: the rules they apply to (all when empty).
    #[serde(default)]
    pub target_rules: Vec<String>,
}

impl RuleFile {
    /// Every global allowlist, the legacy one first.
    pub fn global_allowlists(&mut self) -> Vec<AllowlistConfig> {
        let mut all: Vec<_> = self.allowlist.take().into_iter().collect();
        all.append(&mut self.allowlists);
        all
    }
}

impl RuleConfig {
    /// Every allowlist of the rule, the legacy one first.
    pub fn all_allowlists(&mut self) -> Vec<AllowlistConfig> {
        let mut all: Vec<_> = self.allowlist.take().into_iter().collect();
        all.append(&mut self.allowlists);
        all
    }
}
