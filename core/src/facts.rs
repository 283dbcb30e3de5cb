//! Session facts on the wire: where a session ran, what it used and cost, how it ended; each
//! optional and absent when unknown, with the API's bounds.

// One definition for the PUT body, the session JSON, the outbox and the store. The names are
// the table's attribute names and the JSON field names, in the order the API returns them.
// Text facts (repo, branch, cwd, host, claude_version, end_reason, models) are people's data
// like a title: they pass through redaction wherever a title does.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorCode};
pub use crate::money::Usd;

/// Every fact's field name, in the order the session JSON holds them.
pub const FIELDS: [&str; 23] = [
    "repo",
    "branch",
    "cwd",
    "host",
    "claude_version",
    "models",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cost_usd",
    "prompts",
    "tool_calls",
    "files_touched",
    "active_s",
    "end_reason",
    "commit_count",
    "lines_added",
    "lines_removed",
    "files_changed",
    "claude_lines_added",
    "claude_lines_removed",
    "commits",
];

/// The text facts and their longest accepted length in bytes.
pub const TEXT_LIMITS: [(&str, usize); 6] = [
    ("repo", 256),
    ("branch", 256),
    ("cwd", 1024),
    ("host", 256),
    ("claude_version", 64),
    ("end_reason", 1024),
];
pub const MAX_MODELS: usize = 32;
pub const MODEL_MAX_BYTES: usize = 128;
/// The largest count (tokens, prompts, seconds...) accepted.
pub const MAX_COUNT: u64 = 1_000_000_000_000;
/// The largest `cost_usd` accepted, in dollars.
pub const MAX_COST_USD: u64 = 1_000_000;

/// The most commits a session lists.
pub const MAX_COMMITS: usize = 100;
/// The longest commit subject stored, in bytes: clients clip longer ones.
pub const SUBJECT_MAX_BYTES: usize = 512;
/// The longest commit subject clients send, in characters.
pub const SUBJECT_MAX_CHARS: usize = 120;

/// How `models` is stored: one string the console shows plainly.
pub const MODELS_SEPARATOR: &str = ", ";

/// What is known about a session beyond its title and summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facts {
    /// The git remote as `host/owner/name`, never with credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The working directory, the home directory written `~`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// The machine's host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claude_version: Option<String>,
    /// Every model that answered, the most used first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_write_tokens: Option<u64>,
    /// An estimate from a pinned price table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<Usd>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompts: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_touched: Option<u64>,
    /// Seconds of activity: pauses over 5 minutes do not count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_s: Option<u64>,
    /// SessionEnd's `reason`, or `caught_up` when the catch-up closed the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<String>,
    /// Commits the session made (its user's, in its window, merges aside), listed or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_count: Option<u64>,
    /// Lines its commits and what it left uncommitted added, against HEAD at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines_added: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines_removed: Option<u64>,
    /// Files its commits and what it left uncommitted changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_changed: Option<u64>,
    /// Lines Claude's own edits added and removed, as Claude Code counts them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claude_lines_added: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claude_lines_removed: Option<u64>,
    /// The session's commits, newest first, at most `MAX_COMMITS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits: Option<Vec<CommitFact>>,
}

/// One commit a session made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitFact {
    /// The full commit id.
    pub sha: String,
    /// `git patch-id --stable`: the same for a rebased or cherry-picked copy. Absent when it
    /// cannot be computed exactly (a binary file, a file over the size bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_id: Option<String>,
    /// The message's first line, redacted and clipped.
    pub subject: String,
    pub added: u64,
    pub removed: u64,
    /// Files whose lines are not in `added`/`removed`: over the size bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncounted_files: Option<u64>,
    /// It carries a `Co-Authored-By: Claude` trailer.
    pub claude: bool,
}

impl Facts {
    /// The text facts by name (`TEXT_LIMITS` order).
    pub fn texts(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("repo", self.repo.as_deref()),
            ("branch", self.branch.as_deref()),
            ("cwd", self.cwd.as_deref()),
            ("host", self.host.as_deref()),
            ("claude_version", self.claude_version.as_deref()),
            ("end_reason", self.end_reason.as_deref()),
        ]
    }

    pub fn texts_mut(&mut self) -> [(&'static str, &mut Option<String>); 6] {
        [
            ("repo", &mut self.repo),
            ("branch", &mut self.branch),
            ("cwd", &mut self.cwd),
            ("host", &mut self.host),
            ("claude_version", &mut self.claude_version),
            ("end_reason", &mut self.end_reason),
        ]
    }

    /// The counts by name.
    pub fn counts(&self) -> [(&'static str, Option<u64>); 14] {
        [
            ("input_tokens", self.input_tokens),
            ("output_tokens", self.output_tokens),
            ("cache_read_tokens", self.cache_read_tokens),
            ("cache_write_tokens", self.cache_write_tokens),
            ("prompts", self.prompts),
            ("tool_calls", self.tool_calls),
            ("files_touched", self.files_touched),
            ("active_s", self.active_s),
            ("commit_count", self.commit_count),
            ("lines_added", self.lines_added),
            ("lines_removed", self.lines_removed),
            ("files_changed", self.files_changed),
            ("claude_lines_added", self.claude_lines_added),
            ("claude_lines_removed", self.claude_lines_removed),
        ]
    }

    pub fn counts_mut(&mut self) -> [(&'static str, &mut Option<u64>); 14] {
        [
            ("input_tokens", &mut self.input_tokens),
            ("output_tokens", &mut self.output_tokens),
            ("cache_read_tokens", &mut self.cache_read_tokens),
            ("cache_write_tokens", &mut self.cache_write_tokens),
            ("prompts", &mut self.prompts),
            ("tool_calls", &mut self.tool_calls),
            ("files_touched", &mut self.files_touched),
            ("active_s", &mut self.active_s),
            ("commit_count", &mut self.commit_count),
            ("lines_added", &mut self.lines_added),
            ("lines_removed", &mut self.lines_removed),
            ("files_changed", &mut self.files_changed),
            ("claude_lines_added", &mut self.claude_lines_added),
            ("claude_lines_removed", &mut self.claude_lines_removed),
        ]
    }

    /// No fact is known.
    pub fn is_empty(&self) -> bool {
        *self == Facts::default()
    }

    /// The facts a newer write carries replace these; the others stay as they are.
    pub fn overlay(&mut self, newer: &Facts) {
        for ((_, mine), (_, theirs)) in self.texts_mut().into_iter().zip(newer.texts()) {
            if let Some(value) = theirs {
                *mine = Some(value.to_owned());
            }
        }
        for ((_, mine), (_, theirs)) in self.counts_mut().into_iter().zip(newer.counts()) {
            if theirs.is_some() {
                *mine = theirs;
            }
        }
        if newer.models.is_some() {
            self.models.clone_from(&newer.models);
        }
        if newer.cost_usd.is_some() {
            self.cost_usd = newer.cost_usd;
        }
        if newer.commits.is_some() {
            self.commits.clone_from(&newer.commits);
        }
    }

    /// Reads the facts of a request body as the server must: each one optional (`null` is
    /// absent), of its type and within its bounds, or an error naming the field and the fix.
    /// Other fields of `object` are not looked at.
    pub fn from_object(object: &Map<String, Value>) -> Result<Facts, ApiError> {
        let mut facts = Facts::default();
        for (name, slot) in facts.texts_mut() {
            if let Some(value) = present(object, name) {
                let Value::String(text) = value else {
                    return Err(invalid(name, "must be a string"));
                };
                check_text(name, text).map_err(|why| invalid(name, &why))?;
                *slot = Some(text.clone());
            }
        }
        for (name, slot) in facts.counts_mut() {
            if let Some(value) = present(object, name) {
                let count = value.as_u64().ok_or_else(|| {
                    invalid(
                        name,
                        &format!("must be a whole number from 0 to {MAX_COUNT}"),
                    )
                })?;
                check_count(count).map_err(|why| invalid(name, &why))?;
                *slot = Some(count);
            }
        }
        if let Some(value) = present(object, "models") {
            let names = value
                .as_array()
                .and_then(|a| a.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
                .ok_or_else(|| invalid("models", "must be an array of model names (strings)"))?;
            let names: Vec<String> = names.into_iter().map(str::to_owned).collect();
            check_models(&names).map_err(|why| invalid("models", &why))?;
            facts.models = Some(names);
        }
        if let Some(value) = present(object, "cost_usd") {
            let cost = value
                .as_f64()
                .filter(|_| value.is_number())
                .and_then(Usd::from_f64)
                .ok_or_else(|| {
                    invalid(
                        "cost_usd",
                        &format!("must be a number of US dollars from 0 to {MAX_COST_USD} with at most 6 decimals"),
                    )
                })?;
            check_cost(cost).map_err(|why| invalid("cost_usd", &why))?;
            facts.cost_usd = Some(cost);
        }
        if let Some(value) = present(object, "commits") {
            facts.commits = Some(commits_from(value)?);
        }
        Ok(facts)
    }

    /// The facts the API accepts: each one out of bounds is dropped (unknown rather than
    /// refused), and `models` keeps its valid names up to the limit. For clients, so that an
    /// odd value never costs the whole write.
    pub fn within_bounds(mut self) -> Facts {
        for (name, slot) in self.texts_mut() {
            if slot
                .as_deref()
                .is_some_and(|t| check_text(name, t).is_err())
            {
                *slot = None;
            }
        }
        for (_, slot) in self.counts_mut() {
            if slot.is_some_and(|c| check_count(c).is_err()) {
                *slot = None;
            }
        }
        self.models = self.models.take().and_then(|names| {
            let valid: Vec<String> = names
                .into_iter()
                .filter(|n| check_model(n).is_ok())
                .take(MAX_MODELS)
                .collect();
            (!valid.is_empty()).then_some(valid)
        });
        self.cost_usd = self.cost_usd.filter(|c| check_cost(*c).is_ok());
        self.commits = self.commits.take().map(|commits| {
            commits
                .into_iter()
                .filter(|c| check_commit(c).is_ok())
                .take(MAX_COMMITS)
                .collect()
        });
        self
    }
}

/// `models` as one stored string: `claude-opus-4-5, claude-haiku-4-5`.
pub fn join_models(models: &[String]) -> String {
    models.join(MODELS_SEPARATOR)
}

/// The model names of a stored `models` string.
pub fn split_models(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Why `raw` is not a repository as `host/owner/name`, if it is not: the form the hooks store
/// (`github.com/acme/uploader`), never with credentials.
pub fn check_repo(raw: &str) -> Result<(), String> {
    if let Some(bad) = raw
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '@' | ':' | '?' | '#'))
    {
        return Err(format!(
            "contains {bad:?}; write it as host/owner/name, like github.com/acme/uploader"
        ));
    }
    let segments: Vec<&str> = raw.split('/').collect();
    if segments.len() < 2 || segments.iter().any(|s| s.is_empty()) {
        return Err(
            "is not host/owner/name; write it like github.com/acme/uploader (no scheme, no .git)"
                .to_owned(),
        );
    }
    Ok(())
}

/// `commits` of a request body: an array of at most `MAX_COMMITS` commit objects, each
/// field of its type; an error names the commit and the field (`commits[2].sha`).
fn commits_from(value: &Value) -> Result<Vec<CommitFact>, ApiError> {
    let list = value.as_array().ok_or_else(|| {
        invalid(
            "commits",
            "must be an array of commits ({\"sha\", \"subject\", \"added\", \"removed\", \"claude\"})",
        )
    })?;
    if list.len() > MAX_COMMITS {
        return Err(invalid(
            "commits",
            &format!("holds more than {MAX_COMMITS} commits"),
        ));
    }
    const KNOWN: [&str; 7] = [
        "sha",
        "patch_id",
        "subject",
        "added",
        "removed",
        "uncounted_files",
        "claude",
    ];
    let mut commits = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let at = |field: &str| format!("commits[{i}].{field}");
        let object = item
            .as_object()
            .ok_or_else(|| invalid(&format!("commits[{i}]"), "must be an object"))?;
        if let Some(unknown) = object.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(invalid(&at(unknown), "is not a commit field"));
        }
        let text = |field: &str| -> Result<Option<String>, ApiError> {
            match present(object, field) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(invalid(&at(field), "must be a string")),
            }
        };
        let count = |field: &str| -> Result<Option<u64>, ApiError> {
            present(object, field)
                .map(|v| {
                    v.as_u64()
                        .filter(|c| check_count(*c).is_ok())
                        .ok_or_else(|| {
                            invalid(
                                &at(field),
                                &format!("must be a whole number from 0 to {MAX_COUNT}"),
                            )
                        })
                })
                .transpose()
        };
        let required = |field: &str| invalid(&at(field), "is required");
        let commit = CommitFact {
            sha: text("sha")?.ok_or_else(|| required("sha"))?,
            patch_id: text("patch_id")?,
            subject: text("subject")?.ok_or_else(|| required("subject"))?,
            added: count("added")?.ok_or_else(|| required("added"))?,
            removed: count("removed")?.ok_or_else(|| required("removed"))?,
            uncounted_files: count("uncounted_files")?,
            claude: match present(object, "claude") {
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(invalid(&at("claude"), "must be true or false")),
                None => return Err(required("claude")),
            },
        };
        check_commit(&commit).map_err(|(field, why)| invalid(&at(field), &why))?;
        commits.push(commit);
    }
    Ok(commits)
}

/// Why a commit is out of bounds, and which of its fields.
fn check_commit(commit: &CommitFact) -> Result<(), (&'static str, String)> {
    let id = |text: &str| {
        (text.len() == 40 || text.len() == 64)
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if !id(&commit.sha) {
        return Err((
            "sha",
            "must be a full commit id: 40 or 64 lowercase hex digits".to_owned(),
        ));
    }
    if commit.patch_id.as_deref().is_some_and(|p| !id(p)) {
        return Err((
            "patch_id",
            "must be 40 or 64 lowercase hex digits".to_owned(),
        ));
    }
    if commit.subject.len() > SUBJECT_MAX_BYTES {
        return Err((
            "subject",
            format!("is longer than {SUBJECT_MAX_BYTES} bytes"),
        ));
    }
    if let Some(bad) = commit.subject.chars().find(|c| c.is_control()) {
        return Err(("subject", format!("contains the control character {bad:?}")));
    }
    Ok(())
}

fn present<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).filter(|v| !v.is_null())
}

fn invalid(field: &str, why: &str) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidFact,
        format!("{field} {why}; leave a fact out when it is unknown"),
    )
}

fn check_text(name: &str, text: &str) -> Result<(), String> {
    let max = TEXT_LIMITS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0, |(_, max)| *max);
    if text.is_empty() {
        return Err("is empty".to_owned());
    }
    if text.len() > max {
        return Err(format!("is longer than {max} bytes"));
    }
    if let Some(bad) = text.chars().find(|c| c.is_control()) {
        return Err(format!("contains the control character {bad:?}"));
    }
    if name == "repo" {
        check_repo(text)?;
    }
    Ok(())
}

fn check_count(count: u64) -> Result<(), String> {
    if count > MAX_COUNT {
        return Err(format!("is above {MAX_COUNT}"));
    }
    Ok(())
}

fn check_cost(cost: Usd) -> Result<(), String> {
    if cost > Usd::from_micros(MAX_COST_USD * 1_000_000) {
        return Err(format!("is above {MAX_COST_USD} dollars"));
    }
    Ok(())
}

fn check_model(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MODEL_MAX_BYTES {
        return Err(format!("names must be 1-{MODEL_MAX_BYTES} bytes long"));
    }
    if name.trim() != name || name.contains(',') || name.chars().any(char::is_control) {
        return Err(format!(
            "name {name:?} has a comma, a control character or surrounding spaces"
        ));
    }
    Ok(())
}

fn check_models(names: &[String]) -> Result<(), String> {
    if names.is_empty() || names.len() > MAX_MODELS {
        return Err(format!("must hold 1 to {MAX_MODELS} names"));
    }
    names.iter().try_for_each(|n| check_model(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Facts, ApiError> {
        let Value::Object(object) = serde_json::from_str(json).unwrap() else {
            panic!("not an object: {json}");
        };
        Facts::from_object(&object)
    }

    fn full() -> Facts {
        Facts {
            repo: Some("github.com/acme/uploader".into()),
            branch: Some("main".into()),
            cwd: Some("~/src/uploader".into()),
            host: Some("dev-1".into()),
            claude_version: Some("2.1.330".into()),
            models: Some(vec!["claude-opus-4-5".into(), "claude-haiku-4-5".into()]),
            input_tokens: Some(1200),
            output_tokens: Some(3400),
            cache_read_tokens: Some(56_000),
            cache_write_tokens: Some(7800),
            cost_usd: Some(Usd::from_micros(1_094_521)),
            prompts: Some(3),
            tool_calls: Some(12),
            files_touched: Some(4),
            active_s: Some(3720),
            end_reason: Some("prompt_input_exit".into()),
            commit_count: Some(2),
            lines_added: Some(40),
            lines_removed: Some(7),
            files_changed: Some(3),
            claude_lines_added: Some(31),
            claude_lines_removed: Some(5),
            commits: Some(vec![CommitFact {
                sha: "3f".repeat(20),
                patch_id: Some("9a".repeat(20)),
                subject: "Retry uploads".into(),
                added: 30,
                removed: 5,
                uncounted_files: None,
                claude: true,
            }]),
        }
    }

    #[test]
    fn json_holds_every_fact_in_order_and_reads_back() {
        let facts = full();
        let json = serde_json::to_value(&facts).unwrap();
        let names: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(names, FIELDS);
        assert_eq!(json["cost_usd"].to_string(), "1.094521");
        assert_eq!(
            Facts::from_object(json.as_object().unwrap()).unwrap(),
            facts
        );
        assert_eq!(serde_json::from_value::<Facts>(json).unwrap(), facts);
        assert_eq!(serde_json::to_string(&Facts::default()).unwrap(), "{}");
        assert!(
            parse(r#"{"repo":null,"title":"not a fact"}"#)
                .unwrap()
                .is_empty()
        );
    }

    /// A body with one commit: `extra` after its valid fields (a later key wins).
    fn commit_with(extra: &str) -> String {
        let sha = "ab".repeat(20);
        format!(r#"{{"commits":[{{"sha":"{sha}","subject":"s","added":1,"removed":0,{extra}}}]}}"#)
    }

    fn too_many_commits() -> String {
        let one = format!(
            r#"{{"sha":"{}","subject":"s","added":1,"removed":0,"claude":false}}"#,
            "ab".repeat(20)
        );
        format!(
            r#"{{"commits":[{}]}}"#,
            vec![one; MAX_COMMITS + 1].join(",")
        )
    }

    #[test]
    fn each_wrong_value_names_its_field() {
        let long = format!(r#"{{"branch":"{}"}}"#, "b".repeat(257));
        let many = format!(r#"{{"models":{:?}}}"#, vec!["m"; 33]);
        let cases = [
            (r#"{"repo":5}"#, "repo"),
            (r#"{"repo":"https://bob:tok@github.com/a/b"}"#, "repo"),
            (r#"{"repo":"uploader"}"#, "repo"),
            (&long, "branch"),
            (r#"{"host":""}"#, "host"),
            (r#"{"cwd":"a\nb"}"#, "cwd"),
            (r#"{"input_tokens":"12"}"#, "input_tokens"),
            (r#"{"output_tokens":-1}"#, "output_tokens"),
            (r#"{"prompts":1.5}"#, "prompts"),
            (r#"{"active_s":1000000000001}"#, "active_s"),
            (r#"{"models":"claude-opus-4-5"}"#, "models"),
            (r#"{"models":[]}"#, "models"),
            (&many, "models"),
            (r#"{"models":["a,b"]}"#, "models"),
            (r#"{"cost_usd":"1.09"}"#, "cost_usd"),
            (r#"{"cost_usd":1.0000001}"#, "cost_usd"),
            (r#"{"cost_usd":-0.5}"#, "cost_usd"),
            (r#"{"cost_usd":1000000.000001}"#, "cost_usd"),
            (r#"{"lines_added":-3}"#, "lines_added"),
            (r#"{"commits":{}}"#, "commits"),
            (r#"{"commits":[1]}"#, "commits[0]"),
            (
                r#"{"commits":[{"sha":"abc","subject":"s","added":1,"removed":0,"claude":false}]}"#,
                "commits[0].sha",
            ),
            (&commit_with(r#""claude":"yes""#), "commits[0].claude"),
            (
                &commit_with(r#""claude":true,"added":-1"#),
                "commits[0].added",
            ),
            (
                &commit_with(r#""claude":true,"author":"x""#),
                "commits[0].author",
            ),
            (
                &commit_with(r#""claude":true,"subject":"a\nb""#),
                "commits[0].subject",
            ),
            (
                &commit_with(r#""claude":true,"patch_id":"XYZ""#),
                "commits[0].patch_id",
            ),
            (
                &commit_with(r#""claude":true,"subject":null"#),
                "commits[0].subject",
            ),
            (&too_many_commits(), "commits"),
        ];
        for (body, field) in cases {
            let e = parse(body).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidFact, "{body}");
            assert!(
                e.message.starts_with(&format!("{field} ")),
                "{body}: {}",
                e.message
            );
        }
        let edges = parse(r#"{"active_s":1000000000000,"cost_usd":1000000,"input_tokens":0}"#);
        assert_eq!(
            edges.unwrap().cost_usd,
            Some(Usd::from_micros(1_000_000_000_000))
        );
    }

    #[test]
    fn overlay_replaces_only_what_the_newer_write_carries() {
        let mut stored = full();
        let newer = Facts {
            branch: Some("fix".into()),
            output_tokens: Some(1),
            models: Some(vec!["claude-sonnet-4-5".into()]),
            ..Facts::default()
        };
        stored.overlay(&newer);
        assert_eq!(stored.branch.as_deref(), Some("fix"));
        assert_eq!(stored.output_tokens, Some(1));
        assert_eq!(stored.models, newer.models);
        assert_eq!(stored.repo, full().repo);
        assert_eq!(stored.cost_usd, full().cost_usd);
        let mut unchanged = full();
        unchanged.overlay(&Facts::default());
        assert_eq!(unchanged, full());
    }

    #[test]
    fn within_bounds_drops_what_the_api_would_refuse() {
        let odd = Facts {
            branch: Some("x".repeat(300)),
            host: Some(String::new()),
            input_tokens: Some(MAX_COUNT + 1),
            models: Some(vec!["ok".into(), "a,b".into()]),
            cost_usd: Some(Usd::from_micros(MAX_COST_USD * 1_000_000 + 1)),
            ..full()
        };
        let kept = odd.within_bounds();
        assert_eq!(
            (kept.branch, kept.host, kept.input_tokens),
            (None, None, None)
        );
        assert_eq!(kept.models, Some(vec!["ok".to_owned()]));
        assert_eq!(kept.cost_usd, None);
        assert_eq!(kept.repo, full().repo);
        assert_eq!(full().within_bounds(), full());
    }

    #[test]
    fn models_are_stored_as_one_plain_string() {
        let models = full().models.unwrap();
        let text = join_models(&models);
        assert_eq!(text, "claude-opus-4-5, claude-haiku-4-5");
        assert_eq!(split_models(&text), models);
    }
}
