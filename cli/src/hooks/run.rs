//! The hooks themselves. `session-start` creates the row (create-only, so a resumed or
//! compacted session keeps its real title), delivers the outbox and catches up sessions whose
//! end never fired. `session-end` only stamps the end time and hands everything else to a
//! detached worker, because Claude Code gives all SessionEnd hooks about 1.5 s together.
//! Neither prints to stdout (SessionStart's stdout goes into the model's context) and neither
//! ever fails the session: problems go to the hooks log.

use std::io::IsTerminal;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::task::Poll;
use std::time::Duration;

use sessions_core::{ErrorCode, SessionId, Summary, Timestamp, Title, UpsertBody};

use super::input::HookInput;
use super::process::Process;
use super::state::{self, OpenSession};
use super::{log, metadata, summarize};
use crate::client::Write;
use crate::config::{Capture, Config, Flags};
use crate::context::{Context, Verbosity};
use crate::error::{CliError, Kind};
use crate::send::{self, Delivered, Upsert, Waiting, deliver_pending};
use crate::transcript;

/// A hook's whole run, within the timeout `hooks install` sets (what is not delivered by then
/// is in the outbox or caught up later).
const HOOK_BUDGET: Duration = Duration::from_secs(8);
/// Where no process can be asked: a session with no activity for this long, and no SessionEnd,
/// is over.
const ABANDONED_AFTER: Duration = Duration::from_secs(30 * 60);
/// The worker's summary when there is nothing to make one from.
pub(super) const UNREADABLE_SUMMARY: &str = "The session ended; its transcript could not be read.";

/// The settings as seen from the session's project directory (its `.cargo-ai.toml`).
fn context_for(cwd: Option<&Path>) -> Result<Context, CliError> {
    if let Some(dir) = cwd.filter(|d| d.is_dir()) {
        let _ = std::env::set_current_dir(dir);
    }
    let config = Config::load(&Flags::default())?;
    Ok(Context::new(config, Verbosity::Quiet))
}

/// The session's project settings and what they let `hook` record: the level applies when
/// the hook runs. For `off` the hooks log one line, which names the directory and nothing of
/// the session, and record nothing else.
fn project_settings(hook: &str, cwd: Option<&Path>) -> (Option<Context>, Capture) {
    let dir = cwd.map_or_else(|| "this session".to_owned(), |d| d.display().to_string());
    match context_for(cwd) {
        Ok(ctx) => {
            let capture = ctx.config.capture();
            if capture == Capture::Off {
                log::line(&format!(
                    "{hook}: capture = off for {dir}: nothing recorded"
                ));
            }
            (Some(ctx), capture)
        }
        // Settings that cannot be read (a mistyped `capture`, or any other mistake in the
        // file or environment) may have meant `off`: a typo must never send more than the
        // user asked, and `metadata` still sends the project, branch and counts. So the hooks
        // take `off` until the settings are fixed.
        Err(e) => {
            log::line(&format!(
                "{hook}: {}; capture = off for {dir} until that is fixed: nothing recorded",
                e.message
            ));
            (None, Capture::Off)
        }
    }
}

/// Sends an upsert as nobody waits for it: what cannot be delivered now goes to the outbox,
/// and the hooks log says so.
async fn deliver(
    ctx: &Context,
    session_id: &SessionId,
    body: UpsertBody,
    write: Write,
) -> Result<Option<sessions_core::Session>, CliError> {
    let upsert = Upsert {
        workspace: *ctx.config.workspace()?,
        session_id: session_id.clone(),
        body,
        write,
    };
    match send::deliver(ctx, upsert, Waiting::Nobody).await? {
        Delivered::Stored(session) => Ok(Some(session)),
        Delivered::Queued(queued) => {
            log::line(&queued.message);
            Ok(None)
        }
    }
}

pub async fn session_start(input: HookInput) -> Result<(), CliError> {
    // Every write here is observed at the start event, before any SessionEnd that follows it.
    let started_at = Timestamp::now();
    let session_id = input.session_id;
    let (ctx, capture) = project_settings("session-start", input.cwd.as_deref());
    let Some(ctx) = ctx else { return Ok(()) };
    let recorded = capture != Capture::Off;
    if recorded {
        // First: if this hook is cut short, a later one still catches the session up.
        let _ = state::record(&OpenSession {
            session_id: session_id.clone(),
            transcript_path: input.transcript_path.clone(),
            cwd: input.cwd.clone(),
            started_at,
            claude: Process::running_this_hook(),
        });
    }
    // Other sessions' business goes on whatever this project's level: their updates were
    // queued, and their workers started, under their own.
    deliver_pending(&ctx).await;
    catch_up(&session_id)?;
    if !recorded {
        return Ok(());
    }
    let title = match capture {
        // Claude Code's title of a resumed session comes from the conversation.
        Capture::Metadata => {
            let place = input.cwd.as_deref().and_then(metadata::Place::of);
            metadata::title(&session_id, place.as_ref(), metadata::local(started_at))
        }
        _ => input
            .session_title
            .as_deref()
            .and_then(Title::truncating)
            .unwrap_or_else(|| Title::placeholder(&session_id)),
    };
    let placeholder = UpsertBody {
        title,
        summary: Summary::placeholder(),
        finished_at: None,
        observed_at: started_at,
        facts: Default::default(),
    };
    match deliver(&ctx, &session_id, placeholder, Write::CreateOnly).await {
        Ok(_) => Ok(()),
        // The row exists: a resumed, compacted or cleared session keeps its title and summary.
        Err(e) if e.code == Some(ErrorCode::AlreadyExists) => {
            if input.source.as_deref() == Some("resume") {
                reopen(&ctx, &session_id, started_at).await
            } else {
                Ok(())
            }
        }
        Err(e) => Err(e),
    }
}

/// Ends the sessions other than `current` whose SessionEnd never came.
fn catch_up(current: &SessionId) -> Result<(), CliError> {
    for abandoned in state::abandoned(current, ABANDONED_AFTER) {
        let ended = state::last_activity(&abandoned).unwrap_or_else(Timestamp::now);
        state::forget(&abandoned.session_id);
        log::line(&format!(
            "session {} never ended; catching it up",
            abandoned.session_id
        ));
        // Learnt now, though it ended earlier: a resume since then was written earlier still.
        spawn_worker(
            &abandoned.session_id,
            abandoned.transcript_path.as_deref(),
            abandoned.cwd.as_deref(),
            ended,
            Some(Timestamp::now()),
        )?;
    }
    Ok(())
}

/// A resumed session is running again: its row says unfinished, keeping the title and summary
/// it has, observed at the resume, so the worker of an earlier end that lands only now is
/// answered stale instead of marking the running session finished.
async fn reopen(
    ctx: &Context,
    session_id: &SessionId,
    resumed_at: Timestamp,
) -> Result<(), CliError> {
    let row = send::connect(ctx, Waiting::Nobody)
        .await?
        .get(ctx.config.workspace()?, session_id)
        .await?;
    let body = UpsertBody {
        title: row.title.parse().map_err(CliError::from_api)?,
        summary: row.summary.parse().map_err(CliError::from_api)?,
        finished_at: None,
        observed_at: resumed_at,
        facts: Default::default(),
    };
    deliver(ctx, session_id, body, Write::Upsert)
        .await
        .map(|_| ())
}

/// Stamps the end now and leaves; the worker does the slow part.
pub fn session_end(input: HookInput) -> Result<(), CliError> {
    let finished_at = Timestamp::now();
    state::forget(&input.session_id);
    if project_settings("session-end", input.cwd.as_deref()).1 == Capture::Off {
        return Ok(());
    }
    spawn_worker(
        &input.session_id,
        input.transcript_path.as_deref(),
        input.cwd.as_deref(),
        finished_at,
        None,
    )
}

/// Tells the worker when its news was learnt, where that is not the end itself (a session
/// caught up later). Internal to `spawn_worker` and `worker`.
const OBSERVED_AT_ENV: &str = "CARGO_AI_HOOK_OBSERVED_AT";

/// Starts `cargo-ai hooks worker ...` fully detached: its own session and process group
/// (Claude Code cancelling the hook does not reach it), no stdio. Its upsert is observed at
/// `observed_at`, by default the end itself: the same moment however long summarizing takes,
/// so two ends' workers land in the order of the ends, and a resume since wins over both.
fn spawn_worker(
    session_id: &SessionId,
    transcript: Option<&Path>,
    cwd: Option<&Path>,
    finished_at: Timestamp,
    observed_at: Option<Timestamp>,
) -> Result<(), CliError> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().map_err(|e| {
        CliError::new(
            Kind::Config,
            format!("cannot find the cargo-ai binary: {e}"),
        )
    })?;
    let mut command = std::process::Command::new(exe);
    command
        .args([
            "hooks",
            "worker",
            "--session-id",
            session_id.as_str(),
            "--finished-at",
            &finished_at.to_string(),
        ])
        .env_remove(OBSERVED_AT_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(observed_at) = observed_at {
        command.env(OBSERVED_AT_ENV, observed_at.to_string());
    }
    if let Some(path) = transcript {
        command.arg("--transcript").arg(path);
    }
    if let Some(dir) = cwd {
        command.arg("--cwd").arg(dir);
    }
    // SAFETY: setsid is async-signal-safe and touches nothing of the parent.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
        .spawn()
        .map(|child| {
            log::line(&format!(
                "session {session_id} ended; worker {} summarizes it",
                child.id()
            ))
        })
        .map_err(|e| {
            CliError::new(
                Kind::Config,
                format!("cannot start the summarizing worker: {e}"),
            )
        })
}

/// What the worker settled on, and where each part came from (for the log).
pub struct Summarized {
    pub title: Title,
    pub summary: Summary,
    pub sources: (&'static str, &'static str),
}

/// Title: the `/rename` title, then the session's AI title, then the LLM's, then the first
/// prompt. Summary: the LLM's, then one made from the transcript. Always within the API's bounds.
pub async fn summarize(
    session_id: &SessionId,
    transcript: Option<&Path>,
    cwd: Option<&Path>,
    claude: Option<PathBuf>,
) -> Summarized {
    let digest = transcript.and_then(|p| transcript::digest(p, transcript::Limits::default()).ok());
    let mut llm: Option<(String, String)> = None;
    if let (Some(claude), Some(d)) = (claude, digest.as_ref())
        && !d.conversation_tail.trim().is_empty()
    {
        match summarize::ask(&claude, &d.conversation_tail, cwd, summarize::LLM_TIMEOUT).await {
            Ok(reply) => {
                llm = summarize::parse_llm_reply(&reply);
                if llm.is_none() {
                    log::line(&format!(
                        "session {session_id}: claude's reply had no title/summary JSON"
                    ));
                }
            }
            Err(e) => log::line(&format!("session {session_id}: {e}")),
        }
    }
    let clean_title = Title::truncating;
    let (title, title_source) = digest
        .as_ref()
        .and_then(|d| {
            d.custom_title
                .as_deref()
                .and_then(clean_title)
                .map(|t| (t, "custom title"))
        })
        .or_else(|| {
            digest.as_ref().and_then(|d| {
                d.ai_title
                    .as_deref()
                    .and_then(clean_title)
                    .map(|t| (t, "ai title"))
            })
        })
        .or_else(|| {
            llm.as_ref()
                .and_then(|(t, _)| clean_title(t))
                .map(|t| (t, "claude"))
        })
        .or_else(|| {
            digest
                .as_ref()
                .and_then(transcript::heuristic_title)
                .and_then(|t| clean_title(&t))
                .map(|t| (t, "first prompt"))
        })
        .unwrap_or_else(|| (Title::placeholder(session_id), "placeholder"));
    let (summary, summary_source) = llm
        .as_ref()
        .and_then(|(_, s)| Summary::truncating(s).map(|s| (s, "claude")))
        .or_else(|| {
            digest
                .as_ref()
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

/// The detached worker: summarize, then upsert with the end time (outbox on failure). A row
/// written since the end (the session was resumed) is newer and stays as it is.
pub async fn worker(
    session_id: &SessionId,
    transcript: Option<&Path>,
    cwd: Option<&Path>,
    finished_at: Timestamp,
) -> Result<(), CliError> {
    log_panics("worker");
    contain_panics(record_end(session_id, transcript, cwd, finished_at))
        .await
        .unwrap_or_else(|| {
            log::line(&format!("worker {session_id}: stopped by the panic above"));
            Ok(())
        })
}

async fn record_end(
    session_id: &SessionId,
    transcript: Option<&Path>,
    cwd: Option<&Path>,
    finished_at: Timestamp,
) -> Result<(), CliError> {
    let observed_at = std::env::var(OBSERVED_AT_ENV)
        .ok()
        .and_then(|t| t.parse::<Timestamp>().ok())
        .unwrap_or(finished_at);
    let (ctx, capture) = project_settings("worker", cwd);
    let Some(ctx) = ctx.filter(|_| capture != Capture::Off) else {
        return Ok(());
    };
    let result = if capture == Capture::Metadata {
        // No prompt-derived text leaves the machine: `claude -p` is not even started.
        metadata::summarize(session_id, transcript, cwd, finished_at)
    } else {
        summarize(session_id, transcript, cwd, summarize::find_claude()).await
    };
    log::line(&format!(
        "session {session_id}: title from {}, summary from {}",
        result.sources.0, result.sources.1
    ));
    let body = UpsertBody {
        title: result.title,
        summary: result.summary,
        finished_at: Some(finished_at),
        observed_at,
        facts: Default::default(),
    };
    match deliver(&ctx, session_id, body, Write::Upsert).await {
        Ok(Some(_)) => log::line(&format!("session {session_id}: recorded as finished")),
        Ok(None) => {}
        Err(e) if e.code == Some(ErrorCode::Stale) => log::line(&format!(
            "session {session_id}: written since it ended (resumed); that newer row stays"
        )),
        Err(e) => return Err(e),
    }
    Ok(())
}

/// Runs a hook so that it never gets in the session's way: errors and panics are logged, the
/// exit status is always success, and inside our own `claude -p` child it does nothing at all.
/// Started by hand in a terminal, it says what it is for instead of waiting on the keyboard.
pub async fn guarded_hook<F: Future<Output = Result<(), CliError>>>(
    name: &'static str,
    hook: impl FnOnce(HookInput) -> F,
) {
    if summarize::guarded() {
        return;
    }
    if std::io::stdin().is_terminal() {
        eprintln!(
            "cargo-ai hooks {name} reads Claude Code's hook JSON on stdin; \
             nothing to do here (see `cargo-ai hooks {name} --help`)"
        );
        log::line(&format!("{name}: stdin is a terminal, not a hook input"));
        return;
    }
    log_panics(name);
    let run = async {
        let input = match HookInput::from_stdin() {
            Ok(input) => input,
            Err(e) => {
                log::line(&format!("{name}: {e}"));
                return;
            }
        };
        let session_id = input.session_id.clone();
        match tokio::time::timeout(HOOK_BUDGET, hook(input)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => log::line(&format!("{name} {session_id}: {}", e.message)),
            Err(_) => log::line(&format!(
                "{name} {session_id}: gave up after {} s",
                HOOK_BUDGET.as_secs()
            )),
        }
    };
    if contain_panics(run).await.is_none() {
        log::line(&format!(
            "{name}: stopped by the panic above; exit 0 anyway"
        ));
    }
}

/// Panics go to the hooks log rather than to the session's terminal.
fn log_panics(name: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        log::line(&format!("{name}: {info}").replace('\n', " "));
    }));
}

/// Runs `work` to its end; a panic inside it ends it too (`None`) instead of the process.
async fn contain_panics<F: Future>(work: F) -> Option<F::Output> {
    let mut work = std::pin::pin!(work);
    std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Some(output)),
            Err(_) => Poll::Ready(None),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: Future>(work: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(work)
    }

    #[test]
    fn a_panicking_hook_ends_quietly() {
        let panicked = block_on(contain_panics(async {
            tokio::task::yield_now().await;
            let input: Vec<u8> = Vec::new();
            // An index out of bounds, after an await: the panic surfaces in a later poll.
            input[usize::from(input.is_empty())]
        }));
        assert_eq!(panicked, None);
        assert_eq!(block_on(contain_panics(async { 7 })), Some(7));
    }
}
