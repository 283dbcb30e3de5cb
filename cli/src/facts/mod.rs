//! Session facts: where a session ran, what it cost, on which models and how it ended.

// Gathered by the hooks at the end of a session from the hook input, the transcript and git, and
// stored with the session's row. A fact that cannot be known is absent, never a made-up zero.
// Gathering can never hang the hook: only regular files are opened (a FIFO, a device or a socket
// is refused), the transcript pass stops at the deadline, and the work runs on a thread that is
// left behind at the deadline if the filesystem itself stalls (a stuck network mount).

mod files;
mod git;
mod prices;
mod remote;
#[cfg(test)]
mod tests;
mod usage;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use git::{GitFacts, git_facts};
pub use prices::{PriceTable, Tokens};
pub use usage::{TokenTotals, TranscriptFacts, read_transcript};

/// What is known about a session beyond its title and summary. Field names are the stored
/// attribute names and the JSON names of the API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// Every model that answered, the most used (by responses) first.
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
    /// An estimate from the pinned price table, in US dollars to the micro-dollar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompts: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_touched: Option<u64>,
    /// Seconds of activity: pauses over 5 minutes between entries do not count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_s: Option<u64>,
    /// SessionEnd's `reason`, or `caught_up` when the catch-up closed the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<String>,
    /// Models that answered but have no price, why `cost_usd` is absent: for the log.
    #[serde(skip)]
    pub unpriced_models: Vec<String>,
    /// The transcript was read to its end: counts are not cut short.
    #[serde(skip)]
    pub transcript_complete: bool,
}

/// The parts of the gathering that run off the caller's thread.
enum Part {
    Git(GitFacts),
    Transcript(TranscriptFacts),
}

impl Facts {
    /// Gathers what can be known by `deadline`, and returns then at the latest with what it has.
    /// `cwd` is the session's working directory (the hook input's), else the transcript's.
    pub fn gather(
        transcript: Option<&Path>,
        cwd: Option<&Path>,
        end_reason: Option<&str>,
        deadline: Instant,
    ) -> Facts {
        let mut facts = Facts {
            host: hostname(),
            end_reason: end_reason.map(str::to_owned),
            cwd: cwd.and_then(Path::to_str).map(home_as_tilde),
            ..Facts::default()
        };
        let (send, parts) = mpsc::channel();
        let transcript = transcript.map(Path::to_path_buf);
        let cwd = cwd.map(Path::to_path_buf);
        // Detached: if a read stalls past the deadline, the thread is left to the process's exit.
        std::thread::spawn(move || gather_parts(transcript, cwd, deadline, &send));
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match parts.recv_timeout(left) {
                Ok(Part::Git(git)) => facts.take_git(git),
                Ok(Part::Transcript(t)) => facts.take_transcript(t),
                Err(_) => break,
            }
        }
        facts
    }

    fn take_git(&mut self, git: GitFacts) {
        self.repo = git.repo;
        // The transcript's branch is only a fallback: git's is the branch now.
        self.branch = git.branch.or(self.branch.take());
    }

    fn take_transcript(&mut self, t: TranscriptFacts) {
        self.transcript_complete = t.complete;
        if self.branch.is_none() {
            self.branch = t.git_branch;
        }
        if self.cwd.is_none() {
            self.cwd = t.cwd.as_deref().map(home_as_tilde);
        }
        self.claude_version = t.claude_version;
        self.models = (!t.models.is_empty()).then_some(t.models);
        if let Some(tokens) = t.tokens {
            self.input_tokens = Some(tokens.input);
            self.output_tokens = Some(tokens.output);
            self.cache_read_tokens = Some(tokens.cache_read);
            self.cache_write_tokens = Some(tokens.cache_write);
        }
        // Rounded to the micro-dollar: nano-dollars are the sum's precision, not the estimate's.
        self.cost_usd = t
            .cost_nanodollars
            .map(|nanos| nanos.saturating_add(500) / 1000)
            .map(|micros| micros as f64 / 1e6);
        self.unpriced_models = t.unpriced_models;
        // An unreadable or empty transcript says nothing: no counts rather than zeros.
        if t.entries > 0 {
            self.prompts = Some(t.prompts);
            self.tool_calls = Some(t.tool_calls);
            self.files_touched = Some(t.files_touched);
        }
        self.active_s = t.active_ms.map(|ms| ms / 1000);
    }
}

/// Git first when the directory is known (it is quick), then the transcript; git after it when
/// only the transcript names the directory.
fn gather_parts(
    transcript: Option<PathBuf>,
    cwd: Option<PathBuf>,
    deadline: Instant,
    send: &mpsc::Sender<Part>,
) {
    if let Some(cwd) = &cwd {
        let _ = send.send(Part::Git(git_facts(cwd)));
    }
    let Some(path) = transcript else {
        return;
    };
    let Ok(facts) = read_transcript(&path, deadline, PriceTable::pinned()) else {
        return;
    };
    let transcript_cwd = facts.cwd.clone();
    let _ = send.send(Part::Transcript(facts));
    if cwd.is_none()
        && let Some(dir) = transcript_cwd
    {
        let _ = send.send(Part::Git(git_facts(Path::new(&dir))));
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
