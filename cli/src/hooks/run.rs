//! The hooks themselves. `session-start` creates the row (create-only, so a resumed or
//! compacted session keeps its real title), delivers the outbox and catches up sessions whose
//! end never fired. `session-end` only stamps the end time and hands everything else to a
//! detached worker (`worker.rs`), because Claude Code gives all SessionEnd hooks about 1.5 s
//! together.
//! Neither prints to stdout (SessionStart's stdout goes into the model's context) and neither
//! ever fails the session: problems go to the hooks log.

use std::io::IsTerminal;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::process::Stdio;
use std::task::Poll;
use std::time::{Duration, Instant};

use sessions_core::{ErrorCode, Facts, SessionId, Summary, Timestamp, Title, UpsertBody};

use super::handoff::{CAUGHT_UP, END_REASON_ENV, OBSERVED_AT_ENV, START_HEAD_ENV, STARTED_AT_ENV};
use super::input::HookInput;
use super::metadata::{self, Place};
use super::process::Process;
use super::state::{self, GitStart, OpenSession};
use super::{log, summarize};
use crate::blocking;
use crate::client::Write;
use crate::config::{Capture, Config, Flags, working_dir};
use crate::context::{Context, Verbosity};
use crate::error::{CliError, Kind};
use crate::send::{self, Delivered, Upsert, Waiting, deliver_pending};

/// A hook's whole run, within the timeout `hooks install` sets (what is not delivered by then
/// is in the outbox or caught up later).
const HOOK_BUDGET: Duration = Duration::from_secs(8);
/// How long reading the project's place (its git HEAD) may take at the start of a session.
const PLACE_BUDGET: Duration = Duration::from_secs(1);
/// How long reading the open sessions (and their transcripts' times) may take.
const STATE_BUDGET: Duration = Duration::from_secs(1);
/// Where no process can be asked: a session with no activity for this long, and no SessionEnd,
/// is over.
const ABANDONED_AFTER: Duration = Duration::from_secs(30 * 60);

/// The settings as seen from the session's project directory (its `.cargo-ai.toml`).
fn context_for(cwd: Option<&Path>) -> Result<Context, CliError> {
    let start = cwd
        .filter(|d| d.is_dir())
        .map_or_else(working_dir, Path::to_owned);
    let config = Config::load(&Flags::default(), &start)?;
    Ok(Context::new(config, Verbosity::Quiet))
}

/// The session's project settings and what they let `hook` record: the level applies when
/// the hook runs. For `off` the hooks log one line, which names the directory and nothing of
/// the session, and record nothing else.
pub(super) fn project_settings(hook: &str, cwd: Option<&Path>) -> (Option<Context>, Capture) {
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
pub(super) async fn deliver(
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
    let facts = start_facts(&input);
    let session_id = input.session_id;
    let (ctx, capture) = project_settings("session-start", input.cwd.as_deref());
    let Some(ctx) = ctx else { return Ok(()) };
    let recorded = capture != Capture::Off;
    state::unclaim_end(&session_id);
    if recorded {
        // HEAD now: the session's commits are those made since.
        let git_start = match input.cwd.clone() {
            Some(dir) => {
                crate::blocking::within(Instant::now() + PLACE_BUDGET, move || GitStart::read(&dir))
                    .await
                    .ok()
                    .flatten()
            }
            None => None,
        };
        // First: if this hook is cut short, a later one still catches the session up.
        let _ = state::record(&OpenSession {
            session_id: session_id.clone(),
            transcript_path: input.transcript_path.clone(),
            cwd: input.cwd.clone(),
            started_at,
            claude: Process::running_this_hook(),
            git_start,
        });
    }
    // Other sessions' business goes on whatever this project's level: their updates were
    // queued, and their workers started, under their own.
    deliver_pending(&ctx).await;
    catch_up(&session_id).await?;
    if !recorded {
        return Ok(());
    }
    let title = match capture {
        // Claude Code's title of a resumed session comes from the conversation.
        Capture::Metadata => {
            let place = match input.cwd.as_deref() {
                Some(dir) => Place::read_within(dir, Instant::now() + PLACE_BUDGET).await,
                None => None,
            };
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
        facts: Box::new(facts),
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

/// What the start knows of the session's facts: the model it starts with, until the
/// transcript's responses name the models that answered (the end's facts replace it; an end
/// with no response leaves it).
fn start_facts(input: &HookInput) -> Facts {
    Facts {
        models: input.start_model().map(|m| vec![m.to_owned()]),
        ..Facts::default()
    }
    .within_bounds()
}

/// Ends the sessions other than `current` whose SessionEnd never came. Their files (and their
/// transcripts' times, which may sit on a slow mount) are read off the async threads.
async fn catch_up(current: &SessionId) -> Result<(), CliError> {
    let current = current.clone();
    let found = blocking::within(Instant::now() + STATE_BUDGET, move || {
        let found = state::abandoned(&current, ABANDONED_AFTER)
            .into_iter()
            .map(|session| {
                let ended = state::last_activity(&session);
                (session, ended)
            })
            .collect::<Vec<_>>();
        state::sweep_claims();
        found
    })
    .await;
    let Ok(found) = found else {
        log::line("open sessions not read in time; caught up at a later start");
        return Ok(());
    };
    for (abandoned, ended) in found {
        let ended = ended.unwrap_or_else(Timestamp::now);
        // Another start's catch-up (the plugin's and the settings' hooks) may have it.
        if !state::claim_end(&abandoned.session_id) {
            continue;
        }
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
            CAUGHT_UP,
            Some(Timestamp::now()),
            Some(&abandoned),
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
    let opened = state::read(&input.session_id);
    state::forget(&input.session_id);
    if project_settings("session-end", input.cwd.as_deref()).1 == Capture::Off {
        return Ok(());
    }
    // With the plugin's hooks and the settings' both installed, two SessionEnd hooks run:
    // one records the end, the other leaves.
    if !state::claim_end(&input.session_id) {
        log::line(&format!(
            "session-end: {} already ended by another hook",
            input.session_id
        ));
        return Ok(());
    }
    spawn_worker(
        &input.session_id,
        input.transcript_path.as_deref(),
        input.cwd.as_deref(),
        finished_at,
        input.reason.as_deref().unwrap_or_default(),
        None,
        opened.as_ref(),
    )
}

/// Starts `cargo-ai hooks worker ...` fully detached: its own session and process group
/// (Claude Code cancelling the hook does not reach it), no stdio. `end_reason` is how the
/// session ended (SessionEnd's `reason`, or `caught_up`). Its upserts are observed at
/// `observed_at`, by default the end itself: the same moment however long summarizing takes,
/// so two ends' workers land in the order of the ends, and a resume since wins over both.
fn spawn_worker(
    session_id: &SessionId,
    transcript: Option<&Path>,
    cwd: Option<&Path>,
    finished_at: Timestamp,
    end_reason: &str,
    observed_at: Option<Timestamp>,
    opened: Option<&OpenSession>,
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
        .env(END_REASON_ENV, end_reason)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(observed_at) = observed_at {
        command.env(OBSERVED_AT_ENV, observed_at.to_string());
    }
    command
        .env_remove(START_HEAD_ENV)
        .env_remove(STARTED_AT_ENV);
    if let Some(opened) = opened {
        command.env(STARTED_AT_ENV, opened.started_at.to_string());
        if let Some(start) = &opened.git_start {
            command.env(START_HEAD_ENV, start.head.as_deref().unwrap_or_default());
        }
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
        // Off the async threads: a writer that never closes stdin cannot hold the hook.
        let read_by = Instant::now() + HOOK_BUDGET;
        let input = match blocking::within(read_by, HookInput::from_stdin).await {
            Ok(Ok(input)) => input,
            Ok(Err(e)) => {
                log::line(&format!("{name}: {e}"));
                return;
            }
            Err(_) => {
                log::line(&format!(
                    "{name}: no hook input on stdin within {} s",
                    HOOK_BUDGET.as_secs()
                ));
                return;
            }
        };
        let session_id = input.session_id.clone();
        // A subagent's start or end shares the session's id but is not the session's: one
        // session, one row, ended by its own SessionEnd only.
        if input.is_subagent() {
            log::line(&format!(
                "{name} {session_id}: fired for subagent {}; the session's row is left as it is",
                input.agent_type.as_deref().unwrap_or("(no type)")
            ));
            return;
        }
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
pub(super) fn log_panics(name: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        log::line(&format!("{name}: {info}").replace('\n', " "));
    }));
}

/// Runs `work` to its end; a panic inside it ends it too (`None`) instead of the process.
pub(super) async fn contain_panics<F: Future>(work: F) -> Option<F::Output> {
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
