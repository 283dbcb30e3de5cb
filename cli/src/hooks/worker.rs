//! The detached worker `session-end` starts: the end and the session's facts are recorded
//! within seconds whatever the transcript or `claude` do, and `claude -p`'s summary follows.

// Order of the work, each step bounded: the transcript and git are read on threads that are
// left behind at `READ_BUDGET` (a stuck mount cannot hold the worker); `claude -p` is asked
// meanwhile and may answer until `FINISH_WITHIN`, so a quick one makes a single write; else the
// row is marked finished with the facts and the transcript's title and summary, and claude's
// follow in a second write observed a millisecond later. At `WORKER_DEADLINE` whatever is still
// running is dropped (the `claude` child is killed with it) and the process exits.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use sessions_core::{ErrorCode, Facts, SessionId, Summary, Timestamp, Title, UpsertBody};

use super::run::{contain_panics, deliver, log_panics, project_settings};
use super::{log, metadata, summarize};
use crate::client::Write;
use crate::config::Capture;
use crate::error::CliError;
use crate::facts::SessionFacts;
use crate::transcript::{self, Digest};

/// How long reading the transcript and git may take.
const READ_BUDGET: Duration = Duration::from_secs(3);
/// From the worker's start to the write that marks the row finished: what `claude` has not
/// answered by then follows later. Leaves the delivery (one attempt of at most 2 s) time to
/// land within 10 s of SessionEnd.
const FINISH_WITHIN: Duration = Duration::from_secs(6);
/// The worker's whole life: after this it delivers nothing more and exits.
const WORKER_DEADLINE: Duration = summarize::LLM_TIMEOUT.saturating_add(Duration::from_secs(20));

/// The worker's summary when there is nothing to make one from.
pub(super) const UNREADABLE_SUMMARY: &str = "The session ended; its transcript could not be read.";

/// Tells the worker when its news was learnt, where that is not the end itself (a session
/// caught up later). Internal to `run::spawn_worker` and `worker`.
pub(super) const OBSERVED_AT_ENV: &str = "CARGO_AI_HOOK_OBSERVED_AT";
/// Tells the worker how the session ended: SessionEnd's `reason`, or `caught_up`.
pub(super) const END_REASON_ENV: &str = "CARGO_AI_HOOK_END_REASON";
/// The end reason of a session whose SessionEnd never fired.
pub(super) const CAUGHT_UP: &str = "caught_up";

/// What the worker settled on, and where each part came from (for the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summarized {
    pub title: Title,
    pub summary: Summary,
    pub sources: (&'static str, &'static str),
}

/// The detached worker: records the end with the facts, then claude's summary if it comes
/// later (outbox on failure). A row written since the end (the session was resumed) is newer
/// and stays as it is. Returns by `WORKER_DEADLINE` whatever happens.
pub async fn worker(
    session_id: &SessionId,
    transcript: Option<&Path>,
    cwd: Option<&Path>,
    finished_at: Timestamp,
) -> Result<(), CliError> {
    log_panics("worker");
    let work = contain_panics(record_end(session_id, transcript, cwd, finished_at));
    match tokio::time::timeout(WORKER_DEADLINE, work).await {
        Ok(Some(result)) => result,
        Ok(None) => {
            log::line(&format!("worker {session_id}: stopped by the panic above"));
            Ok(())
        }
        Err(_) => {
            log::line(&format!(
                "worker {session_id}: gave up after {} s",
                WORKER_DEADLINE.as_secs()
            ));
            Ok(())
        }
    }
}

async fn record_end(
    session_id: &SessionId,
    transcript: Option<&Path>,
    cwd: Option<&Path>,
    finished_at: Timestamp,
) -> Result<(), CliError> {
    let started = Instant::now();
    let observed_at = std::env::var(OBSERVED_AT_ENV)
        .ok()
        .and_then(|t| t.parse::<Timestamp>().ok())
        .unwrap_or(finished_at);
    let end_reason = std::env::var(END_REASON_ENV).ok().filter(|r| !r.is_empty());
    let (ctx, capture) = project_settings("worker", cwd);
    let Some(ctx) = ctx.filter(|_| capture != Capture::Off) else {
        return Ok(());
    };
    let read_by = started + READ_BUDGET;
    let facts = {
        let (transcript, cwd) = (transcript.map(Path::to_owned), cwd.map(Path::to_owned));
        tokio::task::spawn_blocking(move || {
            SessionFacts::gather(
                transcript.as_deref(),
                cwd.as_deref(),
                end_reason.as_deref(),
                read_by,
            )
        })
    };
    let digest = read_digest(session_id, transcript, read_by).await;
    // No prompt-derived text leaves the machine under `metadata`: `claude -p` is not started.
    let claude = summarize::find_claude().filter(|_| capture == Capture::Full);
    let mut llm = std::pin::pin!(ask_claude(
        session_id,
        claude,
        conversation(digest.as_ref()),
        cwd
    ));
    let facts = facts.await.unwrap_or_default();
    for model in &facts.unpriced_models {
        log::line(&format!("model {model} has no price: no cost_usd"));
    }
    let finish_by = tokio::time::Instant::from_std(started + FINISH_WITHIN);
    let quick = tokio::time::timeout_at(finish_by, llm.as_mut()).await;
    let answered = quick.is_ok();
    let first = match capture {
        Capture::Metadata => metadata::summarize(
            session_id,
            digest.as_ref().map(|d| &d.counts),
            cwd,
            finished_at,
        ),
        _ => settle(session_id, digest.as_ref(), quick.ok().flatten().as_ref()),
    };
    let body = UpsertBody {
        title: first.title.clone(),
        summary: first.summary.clone(),
        finished_at: Some(finished_at),
        observed_at,
        facts: Box::new(facts.facts),
    };
    log_sources(session_id, &first);
    if !write(&ctx, session_id, body, "recorded as finished").await? || answered {
        return Ok(());
    }
    let Some(reply) = llm.await else {
        return Ok(());
    };
    let later = settle(session_id, digest.as_ref(), Some(&reply));
    if later == first {
        return Ok(());
    }
    log_sources(session_id, &later);
    // Facts are not sent again: an upsert without them leaves the stored ones.
    let body = UpsertBody {
        title: later.title,
        summary: later.summary,
        finished_at: Some(finished_at),
        observed_at: just_after(observed_at),
        facts: Box::new(Facts::default()),
    };
    write(
        &ctx,
        session_id,
        body,
        "claude's title and summary recorded",
    )
    .await?;
    Ok(())
}

/// A session's title and summary from its transcript and, when there is one to ask, `claude`:
/// what the worker writes when claude answers in time.
pub async fn summarize(
    session_id: &SessionId,
    transcript: Option<&Path>,
    cwd: Option<&Path>,
    claude: Option<PathBuf>,
) -> Summarized {
    let digest = read_digest(session_id, transcript, Instant::now() + READ_BUDGET).await;
    let llm = ask_claude(session_id, claude, conversation(digest.as_ref()), cwd).await;
    settle(session_id, digest.as_ref(), llm.as_ref())
}

/// The end of the conversation, for `claude`: none when the transcript holds no text.
fn conversation(digest: Option<&Digest>) -> Option<String> {
    digest
        .map(|d| d.conversation_tail.clone())
        .filter(|tail| !tail.trim().is_empty())
}

/// Delivers one of the worker's writes; `false` when a newer write (a resume) already landed,
/// so nothing more of this end is worth sending.
async fn write(
    ctx: &crate::context::Context,
    session_id: &SessionId,
    body: UpsertBody,
    done: &str,
) -> Result<bool, CliError> {
    match deliver(ctx, session_id, body, Write::Upsert).await {
        Ok(Some(_)) => log::line(&format!("session {session_id}: {done}")),
        Ok(None) => {}
        Err(e) if e.code == Some(ErrorCode::Stale) => {
            log::line(&format!(
                "session {session_id}: written since it ended (resumed); that newer row stays"
            ));
            return Ok(false);
        }
        Err(e) => return Err(e),
    }
    Ok(true)
}

fn log_sources(session_id: &SessionId, settled: &Summarized) {
    log::line(&format!(
        "session {session_id}: title from {}, summary from {}",
        settled.sources.0, settled.sources.1
    ));
}

/// The transcript's digest, read on a thread that is left behind at `by`: a transcript that is
/// not a regular file is refused at once, one on a stuck mount is given up at `by`.
async fn read_digest(session_id: &SessionId, path: Option<&Path>, by: Instant) -> Option<Digest> {
    let path = path?.to_owned();
    let shown = path.display().to_string();
    let read = tokio::task::spawn_blocking(move || {
        within(by, move || {
            transcript::digest(&path, transcript::Limits::default())
        })
    });
    match read.await.ok().flatten() {
        Some(Ok(digest)) => Some(digest),
        Some(Err(e)) => {
            log::line(&format!(
                "session {session_id}: transcript {shown} not read: {e}"
            ));
            None
        }
        None => {
            log::line(&format!(
                "session {session_id}: transcript {shown} not read within {} s",
                READ_BUDGET.as_secs()
            ));
            None
        }
    }
}

/// Runs `work` on its own thread and waits for it until `deadline`; past it the thread is
/// left to the process's exit.
fn within<T: Send + 'static>(
    deadline: Instant,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (send, done) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(work());
    });
    done.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .ok()
}

/// Claude's title and summary of `conversation`, when there is a `claude` to ask and it answers.
async fn ask_claude(
    session_id: &SessionId,
    claude: Option<PathBuf>,
    conversation: Option<String>,
    cwd: Option<&Path>,
) -> Option<(String, String)> {
    let (claude, conversation) = (claude?, conversation?);
    match summarize::ask(&claude, &conversation, cwd, summarize::LLM_TIMEOUT).await {
        Ok(reply) => {
            let parsed = summarize::parse_llm_reply(&reply);
            if parsed.is_none() {
                log::line(&format!(
                    "session {session_id}: claude's reply had no title/summary JSON"
                ));
            }
            parsed
        }
        Err(e) => {
            log::line(&format!("session {session_id}: {e}"));
            None
        }
    }
}

/// The first millisecond after `at`: a write that must land after another of the same moment.
fn just_after(at: Timestamp) -> Timestamp {
    let millis = u64::try_from(at.unix_millis())
        .unwrap_or(0)
        .saturating_add(1);
    Timestamp::from_system_time(UNIX_EPOCH + Duration::from_millis(millis))
}

/// Title: the `/rename` title, then the session's AI title, then the LLM's, then the first
/// prompt. Summary: the LLM's, then one made from the transcript. Always within the API's bounds.
pub fn settle(
    session_id: &SessionId,
    digest: Option<&Digest>,
    llm: Option<&(String, String)>,
) -> Summarized {
    let clean_title = Title::truncating;
    let (title, title_source) = digest
        .and_then(|d| {
            d.custom_title
                .as_deref()
                .and_then(clean_title)
                .map(|t| (t, "custom title"))
        })
        .or_else(|| {
            digest.and_then(|d| {
                d.ai_title
                    .as_deref()
                    .and_then(clean_title)
                    .map(|t| (t, "ai title"))
            })
        })
        .or_else(|| llm.and_then(|(t, _)| clean_title(t)).map(|t| (t, "claude")))
        .or_else(|| {
            digest
                .and_then(transcript::heuristic_title)
                .and_then(|t| clean_title(&t))
                .map(|t| (t, "first prompt"))
        })
        .unwrap_or_else(|| (Title::placeholder(session_id), "placeholder"));
    let (summary, summary_source) = llm
        .and_then(|(_, s)| Summary::truncating(s).map(|s| (s, "claude")))
        .or_else(|| {
            digest
                .and_then(|d| Summary::truncating(&transcript::heuristic_summary(d)))
                .map(|s| (s, "transcript"))
        })
        .unwrap_or_else(|| {
            let unreadable = Summary::truncating(UNREADABLE_SUMMARY);
            (unreadable.unwrap_or_else(Summary::placeholder), "none")
        });
    Summarized {
        title,
        summary,
        sources: (title_source, summary_source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_write_lands_a_millisecond_after_the_first() {
        let at = Timestamp::parse("t", "2026-11-28T14:05:59.999Z").unwrap();
        assert_eq!(just_after(at).to_string(), "2026-11-28T14:06:00.000Z");
    }

    #[test]
    fn work_past_its_deadline_is_left_behind() {
        let begun = Instant::now();
        let stuck = within(begun + Duration::from_millis(100), || {
            std::thread::sleep(Duration::from_secs(30));
        });
        assert_eq!(stuck, None);
        assert!(begun.elapsed() < Duration::from_secs(5));
        assert_eq!(
            within(Instant::now() + Duration::from_secs(5), || 7),
            Some(7)
        );
    }
}
