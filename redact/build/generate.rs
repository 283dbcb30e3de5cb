//! The build script's second half: both rule sources in, Rust statics out.
//!
//! gitleaks' rules come first, in their order, then `local.toml`'s; rules that need a file path
//! are left out (a title has none). Every pattern is rewritten for Rust's `regex` here
//! (`pattern::for_rust`), keywords are lower-cased and indexed, and allowlists shared by many
//! rules (gitleaks' global one) are emitted once.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::config::{AllowlistConfig, Catalogue, CatalogueAllowlist, CatalogueRule, RuleFile};
use crate::pattern::for_rust;

/// Rules in keyspoor 0.1.4's `builtin_rules.json` (gitleaks' 222 less `pkcs12-file`).
const CATALOGUE_RULES: usize = 221;

/// Where keyspoor departs from gitleaks v8.30.1 (its docs/RULE_SOURCES.md lists these), put back
/// as gitleaks has them, so the scanner keeps gitleaks' behaviour. Each is checked: if the value
/// read is not exactly keyspoor's, the build stops and the list must be looked at again.
mod upstream {
    pub const AIRTABLE: &str = "airtable-personnal-access-token";
    pub const AIRTABLE_KEYSPOOR_KEYWORDS: [&str; 1] = ["pat"];
    pub const AIRTABLE_KEYWORDS: [&str; 1] = ["airtable"];
    pub const GENERIC: &str = "generic-api-key";
    /// keyspoor allows only blanks after the credential word (`api_key =`), gitleaks also word
    /// characters (`api_key_prod =`).
    pub const GENERIC_KEYSPOOR_GAP: &str = r"(?:[ \t]{0,20})";
    pub const GENERIC_GAP: &str = r"(?:[ \t\w.-]{0,20})";
    /// An allowlist keyspoor added for a `topic_key` field.
    pub const GENERIC_KEYSPOOR_ALLOWLIST: &str = r#"(?i)^topic[_-]key[ \t]*["']?[ \t]*[:=]"#;
}

/// A rule as the scanner needs it.
struct Spec {
    id: String,
    pattern: String,
    secret_group: usize,
    entropy: f64,
    keywords: Vec<String>,
    allowlists: Vec<AllowSpec>,
}

#[derive(Clone, Debug, PartialEq)]
struct AllowSpec {
    all_must_hold: bool,
    has_commit_or_path: bool,
    target: &'static str,
    regexes: Vec<String>,
    stopwords: Vec<String>,
}

pub fn rust_source(catalogue_json: &str, local_toml: &str) -> Result<String, String> {
    let catalogue: Catalogue = serde_json::from_str(catalogue_json)
        .map_err(|e| format!("builtin_rules.json does not have the expected shape: {e}"))?;
    let mut specs = gitleaks_specs(catalogue)?;
    let gitleaks_global = specs[0].allowlists[0].clone();
    for mut spec in local_specs(local_toml)? {
        // gitleaks' global allowlist applies to every rule, ours included.
        spec.allowlists.insert(0, gitleaks_global.clone());
        specs.push(spec);
    }
    Ok(emit(&specs))
}

fn gitleaks_specs(catalogue: Catalogue) -> Result<Vec<Spec>, String> {
    let mut rules = catalogue.rules;
    if rules.len() != CATALOGUE_RULES {
        return Err(format!(
            "builtin_rules.json has {} rules, not {CATALOGUE_RULES}: review build/generate.rs",
            rules.len()
        ));
    }
    // gitleaks' global allowlist is the first of every rule's; it is emitted once.
    let global = rules[0]
        .allowlist
        .first()
        .cloned()
        .ok_or("no global allowlist")?;
    if let Some(rule) = rules
        .iter()
        .find(|r| r.allowlist.first() != Some(&global) || !r.exclude_paths.is_empty())
    {
        return Err(format!("{}: allowlists not as expected", rule.id));
    }
    restore_upstream(&mut rules)?;
    let global = catalogue_allowlist(&global)?;
    let mut specs = Vec::new();
    for rule in rules.into_iter().filter(|r| r.path.is_none()) {
        let mut allowlists = vec![global.clone()];
        for list in &rule.allowlist[1..] {
            allowlists.push(catalogue_allowlist(list)?);
        }
        specs.push(Spec {
            pattern: for_rust(&rule.pattern),
            secret_group: rule.secret_group.unwrap_or(0),
            entropy: rule.min_entropy.unwrap_or(0.0),
            keywords: lower(&rule.keywords),
            allowlists,
            id: rule.id,
        });
    }
    Ok(specs)
}

fn restore_upstream(rules: &mut [CatalogueRule]) -> Result<(), String> {
    let find = |rules: &mut [CatalogueRule], id: &str| -> Result<usize, String> {
        rules
            .iter()
            .position(|r| r.id == id)
            .ok_or(format!("{id} is missing"))
    };
    let changed =
        |what: &str| format!("keyspoor's {what} is not as expected: review build/generate.rs");

    let airtable = &mut rules[find(rules, upstream::AIRTABLE)?];
    if airtable.keywords != upstream::AIRTABLE_KEYSPOOR_KEYWORDS {
        return Err(changed("airtable keywords"));
    }
    airtable.keywords = upstream::AIRTABLE_KEYWORDS.map(String::from).to_vec();

    let generic = &mut rules[find(rules, upstream::GENERIC)?];
    if generic
        .pattern
        .matches(upstream::GENERIC_KEYSPOOR_GAP)
        .count()
        != 1
    {
        return Err(changed("generic-api-key pattern"));
    }
    generic.pattern = generic
        .pattern
        .replace(upstream::GENERIC_KEYSPOOR_GAP, upstream::GENERIC_GAP);
    let added = |list: &CatalogueAllowlist| {
        list.regexes == [upstream::GENERIC_KEYSPOOR_ALLOWLIST]
            && list.stopwords.is_empty()
            && list.paths.is_empty()
    };
    let before = generic.allowlist.len();
    generic.allowlist.retain(|list| !added(list));
    if generic.allowlist.len() + 1 != before {
        return Err(changed("generic-api-key allowlists"));
    }
    Ok(())
}

fn catalogue_allowlist(list: &CatalogueAllowlist) -> Result<AllowSpec, String> {
    let all_must_hold = match list.condition.as_str() {
        "or" => false,
        "and" => true,
        other => return Err(format!("unknown allowlist condition {other:?}")),
    };
    Ok(AllowSpec {
        all_must_hold,
        has_commit_or_path: !list.paths.is_empty(),
        target: target(Some(&list.target))?,
        regexes: list.regexes.iter().map(|r| for_rust(r)).collect(),
        stopwords: stopwords(&list.stopwords),
    })
}

fn local_specs(text: &str) -> Result<Vec<Spec>, String> {
    let mut file: RuleFile = toml::from_str(text).map_err(|e| format!("rules/local.toml: {e}"))?;
    let globals: Vec<(Vec<String>, AllowSpec)> = file
        .global_allowlists()
        .into_iter()
        .map(|list| Ok((list.target_rules.clone(), config_allowlist(list)?)))
        .collect::<Result<_, String>>()?;
    let mut specs = Vec::new();
    for mut rule in file.rules.into_iter().filter(|r| r.path.is_none()) {
        let pattern = rule
            .regex
            .take()
            .ok_or(format!("rules/local.toml: {} has no regex", rule.id))?;
        let mut allowlists = Vec::new();
        for list in rule.all_allowlists() {
            allowlists.push(config_allowlist(list)?);
        }
        specs.push(Spec {
            pattern: for_rust(&pattern),
            secret_group: rule.secret_group,
            entropy: rule.entropy,
            keywords: lower(&rule.keywords),
            allowlists,
            id: rule.id,
        });
    }
    // A file's global allowlists apply to every rule (or those named), gitleaks' included.
    for (targets, list) in globals {
        for spec in &mut specs {
            if targets.is_empty() || targets.contains(&spec.id) {
                spec.allowlists.push(list.clone());
            }
        }
    }
    Ok(specs)
}

fn config_allowlist(list: AllowlistConfig) -> Result<AllowSpec, String> {
    Ok(AllowSpec {
        all_must_hold: list
            .condition
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("and")),
        has_commit_or_path: !list.commits.is_empty() || !list.paths.is_empty(),
        target: target(list.regex_target.as_deref())?,
        regexes: list.regexes.iter().map(|r| for_rust(r)).collect(),
        stopwords: stopwords(&list.stopwords),
    })
}

fn target(name: Option<&str>) -> Result<&'static str, String> {
    match name {
        None | Some("secret") => Ok("Secret"),
        Some("match") => Ok("Match"),
        Some("line") => Ok("Line"),
        Some(other) => Err(format!("unknown allowlist target {other:?}")),
    }
}

fn lower(words: &[String]) -> Vec<String> {
    words.iter().map(|w| w.to_ascii_lowercase()).collect()
}

fn stopwords(words: &[String]) -> Vec<String> {
    let mut words = lower(words);
    words.sort();
    words.dedup();
    words
}

fn emit(specs: &[Spec]) -> String {
    let mut out = String::from(
        "// Generated by build.rs from keyspoor's builtin_rules.json and rules/local.toml.\n\n",
    );
    // Allowlists, each once.
    let mut lists: Vec<&AllowSpec> = Vec::new();
    let mut rule_lists: Vec<Vec<usize>> = Vec::new();
    for spec in specs {
        let indices = spec
            .allowlists
            .iter()
            .map(|list| match lists.iter().position(|l| *l == list) {
                Some(i) => i,
                None => {
                    lists.push(list);
                    lists.len() - 1
                }
            })
            .collect();
        rule_lists.push(indices);
    }
    for (i, list) in lists.iter().enumerate() {
        let _ = writeln!(
            out,
            "static ALLOWLIST_{i}_REGEXES: [LazyRegex; {}] = [{}];",
            list.regexes.len(),
            list.regexes
                .iter()
                .map(|r| format!("LazyRegex::new({r:?})"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(
            out,
            "static ALLOWLIST_{i}: Allowlist = Allowlist::new({}, {}, Target::{}, &ALLOWLIST_{i}_REGEXES, &{:?});",
            list.all_must_hold, list.has_commit_or_path, list.target, list.stopwords
        );
    }
    let _ = writeln!(
        out,
        "\npub(crate) static RULES: [Rule; {}] = [",
        specs.len()
    );
    for (spec, lists) in specs.iter().zip(&rule_lists) {
        let lists: Vec<String> = lists.iter().map(|i| format!("&ALLOWLIST_{i}")).collect();
        let _ = writeln!(
            out,
            "    Rule {{ id: {:?}, regex: LazyRegex::new({:?}), secret_group: {}, entropy: {:?}, keywords: &{:?}, generic: {}, allowlists: &[{}] }},",
            spec.id,
            spec.pattern,
            spec.secret_group,
            spec.entropy,
            spec.keywords,
            spec.id.to_ascii_lowercase().contains("generic"),
            lists.join(", ")
        );
    }
    out.push_str("];\n");
    // The keyword index: each distinct keyword once, with the rules it gates.
    let mut keywords: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut ungated = Vec::new();
    for (index, spec) in specs.iter().enumerate() {
        if spec.keywords.is_empty() {
            ungated.push(index);
        }
        for keyword in &spec.keywords {
            let rules = keywords.entry(keyword).or_default();
            if rules.last() != Some(&index) {
                rules.push(index);
            }
        }
    }
    let _ = writeln!(
        out,
        "\npub(crate) static KEYWORDS: [&str; {}] = {:?};",
        keywords.len(),
        keywords.keys().collect::<Vec<_>>()
    );
    let _ = writeln!(
        out,
        "pub(crate) static KEYWORD_RULES: [&[u16]; {}] = [{}];",
        keywords.len(),
        keywords
            .values()
            .map(|rules| format!("&{rules:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "pub(crate) static UNGATED: [u16; {}] = {ungated:?};",
        ungated.len()
    );
    out
}
