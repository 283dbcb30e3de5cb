//! Secrets out of every text field, the one way both sides do it: the CLI before an upsert is
//! signed, queued or logged, the function for every `PUT` whatever the client. Each secret
//! becomes `[REDACTED:<kind>]` (see `sessions_redact`) and the write goes on.

use std::borrow::Cow;

pub use sessions_redact::redact;

use crate::facts::Facts;
use crate::fields::{Summary, Title};
use crate::wire::UpsertBody;

/// What one redaction removed: the kind of each secret, in text order (never the secret).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redacted {
    pub kinds: Vec<&'static str>,
}

impl Redacted {
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    fn add(&mut self, text: &str) -> Option<String> {
        let findings = sessions_redact::scan(text);
        if findings.is_empty() {
            return None;
        }
        self.kinds.extend(findings.iter().map(|f| f.kind));
        match sessions_redact::redact(text) {
            Cow::Owned(clean) => Some(clean),
            Cow::Borrowed(_) => None,
        }
    }
}

impl Title {
    /// The title without secrets. A marker can be longer than the secret it replaces: the
    /// result is clipped to the title's limit like any long title.
    pub fn redacted(self, found: &mut Redacted) -> Title {
        match found.add(self.as_str()) {
            Some(clean) => Title::truncating(&clean).unwrap_or_else(Title::redacted_only),
            None => self,
        }
    }
}

impl Summary {
    /// The summary without secrets, clipped to the summary's limit if markers lengthened it.
    pub fn redacted(self, found: &mut Redacted) -> Summary {
        match found.add(self.as_str()) {
            Some(clean) => Summary::truncating(&clean).unwrap_or_else(Summary::redacted_only),
            None => self,
        }
    }
}

impl Facts {
    /// The text facts (repo, branch, cwd, host, version, models, end reason) without
    /// secrets; one that a marker pushed past its bound is dropped, as any out-of-bounds fact.
    pub fn redacted(mut self, found: &mut Redacted) -> Facts {
        for (_, slot) in self.texts_mut() {
            if let Some(text) = slot.take() {
                *slot = Some(found.add(&text).unwrap_or(text));
            }
        }
        for model in self.models.iter_mut().flatten() {
            if let Some(clean) = found.add(model) {
                *model = clean;
            }
        }
        for commit in self.commits.iter_mut().flatten() {
            if let Some(clean) = found.add(&commit.subject) {
                commit.subject = clean;
            }
        }
        self.within_bounds()
    }
}

impl UpsertBody {
    /// Every text field without secrets, and what was removed.
    pub fn redacted(self) -> (UpsertBody, Redacted) {
        let mut found = Redacted::default();
        let body = UpsertBody {
            title: self.title.redacted(&mut found),
            summary: self.summary.redacted(&mut found),
            facts: Box::new(self.facts.redacted(&mut found)),
            ..self
        };
        (body, found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;

    fn body(title: &str, summary: &str) -> UpsertBody {
        UpsertBody {
            title: Title::parse(title).unwrap(),
            summary: Summary::parse(summary).unwrap(),
            finished_at: None,
            observed_at: Timestamp::now(),
            facts: Box::default(),
        }
    }

    #[test]
    fn secrets_in_title_and_summary_become_markers_and_the_rest_stays() {
        let token = "ghp_4fT9kQ2mZx7Lw1Rb8Vn3Yc6Hd0Js5Ep2Ga7U";
        let (clean, found) = body(
            &format!("push with {token} please"),
            &format!("Used {token} to push.\nThen tagged v1.2.3."),
        )
        .redacted();
        assert!(!clean.title.as_str().contains(token), "{}", clean.title);
        assert!(!clean.summary.as_str().contains(token), "{}", clean.summary);
        assert!(clean.title.as_str().starts_with("push with [REDACTED:"));
        assert!(clean.summary.as_str().ends_with("Then tagged v1.2.3."));
        assert_eq!(found.kinds.len(), 2, "{found:?}");
    }

    #[test]
    fn a_body_without_secrets_is_unchanged() {
        let original = body(
            "Fix flaky test in 3f2c1a9 (uuid 7f3c2a10-4b5e-4c1d-9a77-2e1f0c9b8d01)",
            "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        );
        let (clean, found) = original.clone().redacted();
        assert_eq!(clean, original);
        assert!(found.is_empty());
    }

    #[test]
    fn text_facts_are_redacted_and_counts_kept() {
        let mut with_facts = body("t", "s");
        with_facts.facts.repo = Some("github.com/acme/uploader".to_owned());
        with_facts.facts.cwd = Some("~/work/AKIAZ3MHQ7PLXV4TNRWD-uploader".to_owned());
        with_facts.facts.prompts = Some(3);
        let (clean, found) = with_facts.redacted();
        assert_eq!(
            clean.facts.repo.as_deref(),
            Some("github.com/acme/uploader")
        );
        let cwd = clean.facts.cwd.as_deref().unwrap_or_default();
        assert!(!cwd.contains("AKIAZ3MHQ7PLXV4TNRWD"), "{cwd}");
        assert_eq!(clean.facts.prompts, Some(3));
        assert_eq!(found.kinds.len(), 1, "{found:?}");
    }

    #[test]
    fn a_title_that_grows_past_its_limit_is_clipped_not_refused() {
        let title = format!("{} password=hunter22", "x".repeat(236));
        let (clean, _) = body(&title, "s").redacted();
        assert!(!clean.title.as_str().contains("hunter22"));
        assert!(clean.title.as_str().chars().count() <= crate::fields::TITLE_MAX_CHARS);
    }
}
