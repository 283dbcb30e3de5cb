//! The rule files' format (gitleaks' config schema), read with serde into plain values.
//!
//! Only what matters for scanning free text is kept (ids and keywords are read at start-up by
//! `ruleset`, which a test checks against a full parse): paths and commits are read so that an
//! allowlist's `condition = "AND"` still sees that it has a path check (which free text never
//! passes), and rules that need a file path are recognised and left out.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(crate) struct RuleFile {
    /// The legacy single global allowlist (`[allowlist]`), still used by gitleaks' own file.
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
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

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
