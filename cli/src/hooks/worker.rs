//! The detached worker `session-end` starts: the end and the session's facts are recorded
//! within seconds whatever the transcript or `claude` do, and `claude -p`'s summary follows.

// Order of the work, each step bounded: the transcript (once, for the facts and the digest) and
// git are read under `blocking::within`, left behind at `READ_BUDGET` (a stuck mount cannot hold
// the worker); `claude -p` is asked
// meanwhile and may answer until `FINISH_WITHIN`, so a quick one makes a single write; else the
// row is marked finished with the facts and the transcript's title and summary, and claude's
// follow in a second write observed a millisecond later. At `WORKER_DEADLINE` whatever is still
// running is dropped (the `claude` child is killed with it) and the process exits.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use sessions_core::{ErrorCode, Facts, SessionId, Timestamp, UpsertBody};

use super::handoff::{END_REASON_ENV, OBSERVED_AT_ENV, START_HEAD_ENV, STARTED_AT_ENV};
use super::metadata::{self, Place};
use super::outcome::{Summarized, settle};
use super::run::{contain_panics, deliver, log_panics, project_settings};
use super::{log, summarize};
use crate::client::Write;
use crate::config::Capture;
use crate::error::CliError;
use crate::facts::{SessionFacts, commit_facts, fill_from_change};
use crate::git::Start;
use crate::transcript::{self, Digest, Limits};

/// How long reading the transcript and git may take.
const READ_BUDGET: Duration = Duration::from_secs(3);
/// From the worker's start to the write that marks the row finished: what `claude` has not
/// answered by then follows later. Leaves the delivery (one attempt of at most 2 s) time to
/// land within 10 s of SessionEnd.
const FINISH_WITHIN: Duration = Duration::from_secs(6);
/// The worker's whole life: after this it delivers nothing more and exits.
const WORKER_DEADLINE: Duration = summarize::LLM_TIMEOUT.saturating_add(Duration::from_secs(20));

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
    // The place names a `metadata` title; read alongside, off the async threads too.
    let place = async {
        match cwd.filter(|_| capture == Capture::Metadata) {
            Some(dir) => Place::read_within(dir, read_by).await,
            None => None,
        }
    };
    let until = finished_at.unix_millis().div_euclid(1000) as i64 + 1;
    let (mut facts, place, change) = tokio::join!(
        SessionFacts::gather(transcript, cwd, end_reason.as_deref(), read_by),
        place,
        commit_facts(cwd.map(Path::to_owned), start_from_env(), until, read_by)
    );
    if let Some(change) = &change {
        fill_from_change(&mut facts.facts, change);
        facts.facts = std::mem::take(&mut facts.facts).within_bounds();
        for why in &change.unknown {
            log::line(&format!("session {session_id}: {why}"));
        }
    }
    if let (Some(why), Some(path)) = (&facts.transcript_unread, transcript) {
        log::line(&format!(
            "session {session_id}: transcript {} {why}",
            path.display()
        ));
    }
    let digest = facts.digest.take();
    // No prompt-derived text leaves the machine under `metadata`: `claude -p` is not started.
    let claude = summarize::find_claude().filter(|_| capture == Capture::Full);
    let mut llm = std::pin::pin!(ask_claude(
        session_id,
        claude,
        conversation(digest.as_ref()),
        cwd
    ));
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
            place.as_ref(),
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
    let digest = match transcript {
        Some(path) => {
            let read =
                transcript::read_within(path, Limits::default(), Instant::now() + READ_BUDGET);
            match read.await {
                Ok(t) => Some(t.digest),
                Err(why) => {
                    let shown = path.display();
                    log::line(&format!("session {session_id}: transcript {shown} {why}"));
                    None
                }
            }
        }
        None => None,
    };
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

/// Where the session started, as `session-end` (or the catch-up) hands it over.
fn start_from_env() -> Option<Start> {
    let at = std::env::var(STARTED_AT_ENV)
        .ok()?
        .parse::<Timestamp>()
        .ok()?;
    let head = std::env::var(START_HEAD_ENV).ok()?;
    Some(Start {
        head: (!head.is_empty()).then_some(head),
        at: at.unix_millis().div_euclid(1000) as i64,
    })
}

/// The first millisecond after `at`: a write that must land after another of the same moment.
fn just_after(at: Timestamp) -> Timestamp {
    let millis = u64::try_from(at.unix_millis())
        .unwrap_or(0)
        .saturating_add(1);
    Timestamp::from_system_time(UNIX_EPOCH + Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_write_lands_a_millisecond_after_the_first() {
        let at = Timestamp::parse("t", "2026-11-28T14:05:59.999Z").unwrap();
        assert_eq!(just_after(at).to_string(), "2026-11-28T14:06:00.000Z");
    }
}
