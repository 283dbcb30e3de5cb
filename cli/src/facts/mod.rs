//! Session facts: where a session ran, what it cost, on which models and how it ended.

// Gathered by the hooks at the end of a session from the hook input, the transcript and git, and
// stored with the session's row. A fact that cannot be known is absent, never a made-up zero.
// Gathering can never hang the hook: only regular files are opened (a FIFO, a device or a socket
// is refused), the transcript pass stops at the deadline, and the reads run under
// `blocking::within`, left behind at the deadline if the filesystem itself stalls (a stuck
// network mount). The transcript is read once: its digest (for the title and summary) comes
// with the facts, so the summary's counts are the row's.

mod commits;
mod git;
mod prices;
mod remote;
#[cfg(test)]
mod tests;
mod usage;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use sessions_core::Usd;

use crate::blocking;
use crate::transcript::{self, Digest, Limits, Transcript};

pub use crate::git::Start;
pub use commits::{commit_facts, fill_from_change};
pub use git::{GitFacts, git_facts};
pub use prices::{ClientRates, PriceTable, Rate};
pub use sessions_core::Facts;
pub use usage::{TokenTotals, TranscriptFacts, read_transcript};

/// What the gathering learnt: the facts the API stores, and what only the log needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SessionFacts {
    /// The facts as the API takes them, within its bounds.
    #[serde(flatten)]
    pub facts: Facts,
    /// Models that answered but have no price, why `cost_usd` is absent: for the log.
    #[serde(skip)]
    pub unpriced_models: Vec<String>,
    /// The transcript was read to its end: counts are not cut short.
    #[serde(skip)]
    pub transcript_complete: bool,
    /// The transcript's digest, from the same pass as the facts: for the title and summary.
    #[serde(skip)]
    pub digest: Option<Digest>,
    /// Why the transcript was not read, when it was not: for the log.
    #[serde(skip)]
    pub transcript_unread: Option<String>,
}

impl SessionFacts {
    /// Gathers what can be known by `deadline`, and returns then at the latest with what it has:
    /// facts the API would refuse (a branch name over its length limit, say) are left out.
    /// `cwd` is the session's working directory (the hook input's), else the transcript's.
    /// Git and the transcript are read at the same time, each off the async threads.
    pub async fn gather(
        transcript: Option<&Path>,
        cwd: Option<&Path>,
        end_reason: Option<&str>,
        deadline: Instant,
    ) -> SessionFacts {
        let mut gathered = SessionFacts {
            facts: Facts {
                host: hostname(),
                end_reason: end_reason.map(str::to_owned),
                cwd: cwd.and_then(Path::to_str).map(home_as_tilde),
                ..Facts::default()
            },
            ..SessionFacts::default()
        };
        let read = async {
            match transcript {
                Some(path) => {
                    Some(transcript::read_within(path, Limits::default(), deadline).await)
                }
                None => None,
            }
        };
        let (git, read) = tokio::join!(git_within(cwd.map(Path::to_owned), deadline), read);
        fill_from_git(&mut gathered.facts, git);
        match read {
            Some(Ok(t)) => {
                // Without a directory from the hook, the transcript's names the repository.
                let transcript_cwd = cwd.is_none().then(|| t.cwd.clone()).flatten();
                gathered.take_transcript(t);
                let git = git_within(transcript_cwd.map(PathBuf::from), deadline).await;
                fill_from_git(&mut gathered.facts, git);
            }
            Some(Err(unread)) => gathered.transcript_unread = Some(unread.to_string()),
            None => {}
        }
        gathered.facts = gathered.facts.within_bounds();
        gathered
    }

    fn take_transcript(&mut self, t: Transcript) {
        self.facts.forked_from = t.forked_from.clone();
        let facts = TranscriptFacts::of(&t, PriceTable::pinned());
        self.transcript_complete = facts.complete;
        self.unpriced_models = facts.unpriced_models.clone();
        fill_from_transcript(&mut self.facts, facts);
        self.digest = Some(t.digest);
    }
}

/// The git facts of `dir`, off the async threads; nothing known without a directory or in time.
async fn git_within(dir: Option<PathBuf>, deadline: Instant) -> Option<GitFacts> {
    let dir = dir?;
    blocking::within(deadline, move || git_facts(&dir))
        .await
        .ok()
}

fn fill_from_git(facts: &mut Facts, git: Option<GitFacts>) {
    let Some(git) = git else {
        return;
    };
    facts.repo = git.repo;
    // The transcript's branch is only a fallback: git's is the branch now.
    facts.branch = git.branch.or(facts.branch.take());
}

fn fill_from_transcript(facts: &mut Facts, t: TranscriptFacts) {
    if facts.branch.is_none() {
        facts.branch = t.git_branch;
    }
    if facts.cwd.is_none() {
        facts.cwd = t.cwd.as_deref().map(home_as_tilde);
    }
    facts.claude_version = t.claude_version;
    facts.models = (!t.models.is_empty()).then_some(t.models);
    if let Some(tokens) = t.tokens {
        facts.input_tokens = Some(tokens.input);
        facts.output_tokens = Some(tokens.output);
        facts.cache_read_tokens = Some(tokens.cache_read);
        facts.cache_write_tokens = Some(tokens.cache_write);
    }
    // Rounded to the micro-dollar: nano-dollars are the sum's precision, not the estimate's.
    facts.cost_usd = t
        .cost_nanodollars
        .map(|nanos| Usd::from_micros(nanos.saturating_add(500) / 1000));
    // An unreadable or empty transcript says nothing: no counts rather than zeros.
    if t.entries > 0 {
        facts.prompts = Some(t.prompts);
        facts.tool_calls = Some(t.tool_calls);
        facts.files_touched = Some(t.files_touched);
    }
    facts.active_s = t.active_ms.map(|ms| ms / 1000);
    if let Some((added, removed)) = t.claude_lines {
        facts.claude_lines_added = Some(added);
        facts.claude_lines_removed = Some(removed);
    }
}

/// `path` with the home directory written `~`: the same project reads the same for everyone.
fn home_as_tilde(path: &str) -> String {
    let home = dirs::home_dir();
    let home = home
        .as_deref()
        .and_then(Path::to_str)
        .map(|h| h.trim_end_matches('/'));
    match home
        .filter(|h| !h.is_empty())
        .and_then(|h| path.strip_prefix(h))
    {
        Some("") => "~".to_owned(),
        Some(rest) if rest.starts_with('/') => format!("~{rest}"),
        _ => path.to_owned(),
    }
}

/// The machine's host name, from the kernel.
#[cfg(unix)]
fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its whole length, which is what is passed.
    let status = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if status != 0 {
        return None;
    }
    // Truncation may leave no terminator: then the whole buffer is the name.
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..len]).trim().to_owned();
    (!name.is_empty()).then_some(name)
}

#[cfg(not(unix))]
fn hostname() -> Option<String> {
    std::env::var("COMPUTERNAME").ok().filter(|n| !n.is_empty())
}
