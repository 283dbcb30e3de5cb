//! gitleaks' rule-file format, read with serde by the build script (`build.rs` includes this
//! file) and by the unit tests that check the generated rules against the files: both
//! `rules/gitleaks.toml` (gitleaks' own default rules) and `rules/local.toml` (ours) are in it.
//!
//! Unknown fields fail the build: a new constraint in a later gitleaks release must be read,
//! not dropped.

use serde::Deserialize;

/// A rule file in gitleaks' config format.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RuleFile {
    /// The file's name for itself (gitleaks: "gitleaks config").
    #[serde(default)]
    pub title: Option<String>,
    /// The oldest gitleaks that reads the file; the build pins one file, so it is informative.
    #[serde(default)]
    pub min_version: Option<String>,
    /// The legacy single global allowlist (`[allowlist]`).
    #[serde(default)]
    pub allowlist: Option<AllowlistConfig>,
    #[serde(default)]
    pub allowlists: Vec<AllowlistConfig>,
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RuleConfig {
    pub id: String,
    #[serde(default)]
    pub description: Option<String>,
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

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AllowlistConfig {
    #[serde(default)]
    pub description: Option<String>,
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
