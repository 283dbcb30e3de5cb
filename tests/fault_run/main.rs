//! The fault run: many real `cargo-ai` upserts from several simulated teammates while DynamoDB
//! Local and the API's local server are SIGKILLed and restarted at random moments; then proof
//! that nothing was lost or duplicated. Run it with `infra/fault/run` (which builds, gives it a
//! private state directory and cleans up); it is not part of `cargo test`.
//!
//! Settings (environment): FAULT_UPSERTS (N, default 600), FAULT_SESSIONS (default 60),
//! FAULT_WRITERS (default 6), FAULT_SEED (default: from the clock; printed either way),
//! FAULT_UP_MS (longest time between kills, default 4000), FAULT_DOWN_MS (longest pause before
//! a restart, default 2000), SESSIONS_STATE_DIR (the private stack's state, required).
//!
//! Each writer is one teammate's machine: its own outbox (`CARGO_AI_STATE_DIR`), its own
//! identity (Alice or Bob), its own sessions, upserted one process at a time, so the newest
//! action of a session is the last one its writer issued (the CLI stamps `observed_at` when it
//! starts). An upsert exits 0 (delivered) or 9 (queued); anything else is a failure.

mod dynamo;
mod settings;
mod stack;
mod writers;

use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use sessions_e2e::{alice, bob};

use dynamo::{Item, pending_and_failed, scan_all, text};
use settings::Settings;
use stack::{chaos, up};
use writers::{Tally, Writer, outbox_counts, run, session_id, writer_loop};

pub(crate) const TABLE: &str = "workspace_management.sessions";
/// A `cargo-ai` process that takes longer than this is hung: a failure.
pub(crate) const PROCESS_LIMIT: Duration = Duration::from_secs(120);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let s = match Settings::from_env() {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    println!(
        "fault run: N={} upserts, {} sessions, {} writers, seed {} (FAULT_SEED={} reproduces the choices)",
        s.upserts, s.sessions, s.writers, s.seed, s.seed
    );
    let at = match up(&s).await {
        Ok(at) => at,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "stack: API {}, DynamoDB Local {} (on disk under {}), workspace {}",
        at.api,
        at.dynamodb,
        s.state.display(),
        at.workspace
    );

    let tally = Arc::new(Mutex::new(Tally::default()));
    let expected = Arc::new(Mutex::new(BTreeMap::new()));
    let writers: Vec<Writer> = (0..s.writers)
        .map(|i| Writer {
            index: i,
            state_dir: s.state.join("writers").join(format!("w{i}")),
            identity: if i % 2 == 0 { alice() } else { bob() },
        })
        .collect();

    let stop = Arc::new(AtomicBool::new(false));
    let chaos_task = tokio::spawn(chaos(s.clone(), at.clone(), stop.clone(), tally.clone()));
    let mut tasks = Vec::new();
    for w in &writers {
        let share = s.upserts / s.writers + usize::from(w.index < s.upserts % s.writers);
        tasks.push(tokio::spawn(writer_loop(
            s.clone(),
            at.clone(),
            Writer {
                index: w.index,
                state_dir: w.state_dir.clone(),
                identity: w.identity,
            },
            share,
            tally.clone(),
            expected.clone(),
        )));
    }
    for t in tasks {
        if let Err(e) = t.await {
            tally
                .lock()
                .await
                .failures
                .push(format!("a writer panicked: {e}"));
        }
    }
    let chaos_time = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    if let Err(e) = chaos_task.await {
        tally
            .lock()
            .await
            .failures
            .push(format!("the chaos task panicked: {e}"));
    }
    println!(
        "writers done in {:.1}s; restarting everything and flushing every outbox",
        chaos_time.as_secs_f64()
    );

    // Everything back up, then every outbox delivered.
    match up(&s).await {
        Ok(now) if now == at => {}
        Ok(now) => tally
            .lock()
            .await
            .failures
            .push(format!("the final restart moved the stack: {now:?}")),
        Err(e) => tally
            .lock()
            .await
            .failures
            .push(format!("final restart: {e}")),
    }
    let mut outbox_left = 0;
    let mut outbox_failed = 0;
    let mut flushes = 0;
    for w in &writers {
        for attempt in 0..5 {
            let f = match run(w.command(&s, &at), &["outbox", "flush"]).await {
                Ok(f) => f,
                Err(e) => {
                    tally.lock().await.failures.push(e);
                    break;
                }
            };
            flushes += 1;
            let (redelivered, superseded, refused) = outbox_counts(&f.stderr);
            {
                let mut t = tally.lock().await;
                t.redelivered += redelivered;
                t.superseded += superseded;
                t.refused += refused;
            }
            match pending_and_failed(&s, &at, w).await {
                Ok((0, _)) => break,
                Ok((pending, _)) if attempt == 4 => {
                    tally.lock().await.failures.push(format!(
                        "writer {}: {pending} entries still pending after 5 flushes: {}",
                        w.index,
                        f.stderr.trim()
                    ));
                }
                Ok(_) => tokio::time::sleep(Duration::from_millis(500)).await,
                Err(e) => {
                    tally.lock().await.failures.push(e);
                    break;
                }
            }
        }
        match pending_and_failed(&s, &at, w).await {
            Ok((pending, failed)) => {
                outbox_left += pending;
                outbox_failed += failed;
            }
            Err(e) => tally.lock().await.failures.push(e),
        }
    }

    // The proof: DynamoDB itself, read consistently.
    let client = sessions_function::aws::local_dynamodb_client(&at.dynamodb).await;
    let expected = expected.lock().await.clone();
    let mut guard = tally.lock().await;
    let t = &mut *guard;
    let items = match scan_all(&client).await {
        Ok(items) => items,
        Err(e) => {
            t.failures.push(e);
            Vec::new()
        }
    };
    let mut per_session: HashMap<String, Vec<&Item>> = HashMap::new();
    for item in &items {
        if text(item, "workspace_uuid") != Some(at.workspace.as_str()) {
            t.failures
                .push(format!("an item of another workspace: {item:?}"));
            continue;
        }
        per_session
            .entry(text(item, "session_id").unwrap_or_default().to_owned())
            .or_default()
            .push(item);
    }
    let mut lost = 0;
    let mut stale_rows = 0;
    let mut duplicates = 0;
    for (k, want) in &expected {
        let id = session_id(*k);
        let rows = per_session.remove(&id).unwrap_or_default();
        if rows.len() > 1 {
            duplicates += rows.len() - 1;
        }
        let Some(row) = rows.first() else {
            lost += 1;
            t.failures
                .push(format!("{id}: missing (newest action {})", want.title));
            continue;
        };
        let title = text(row, "title").unwrap_or_default();
        if title != want.title {
            lost += 1;
            stale_rows += 1;
            t.failures.push(format!(
                "{id}: row says {title:?}, newest action was {:?}",
                want.title
            ));
        }
        if text(row, "summary") != Some(want.summary.as_str()) {
            t.failures.push(format!(
                "{id}: summary {:?}, expected {:?}",
                text(row, "summary"),
                want.summary
            ));
        }
        if text(row, "finished_at").is_some() != want.finished {
            t.failures.push(format!(
                "{id}: finished_at {:?}, newest action (v{}) finished: {}",
                text(row, "finished_at"),
                want.version,
                want.finished
            ));
        }
        if text(row, "user_arn") != Some(want.owner) {
            t.failures.push(format!(
                "{id}: owner {:?}, expected {}",
                text(row, "user_arn"),
                want.owner
            ));
        }
        let stored = (
            text(row, "uuid").unwrap_or_default().to_owned(),
            text(row, "created_at").unwrap_or_default().to_owned(),
        );
        if let Some(seen) = t.identities.get(&id)
            && let Some(other) = seen.iter().find(|seen| **seen != stored)
        {
            let message = format!(
                "{id}: a delivered upsert printed uuid/created_at {other:?}, the row has {stored:?} (created twice?)"
            );
            t.failures.push(message);
        }
    }
    for id in per_session.keys() {
        duplicates += 1;
        t.failures.push(format!("an unexpected item: {id}"));
    }
    if outbox_left > 0 {
        t.failures
            .push(format!("{outbox_left} entries left in the outboxes"));
    }
    if outbox_failed > 0 || t.refused > 0 {
        t.failures.push(format!(
            "{outbox_failed} entries refused for good ({} reported during delivery)",
            t.refused
        ));
    }
    // Every queued entry ended somewhere: delivered, superseded, refused or still pending.
    let accounted = t.redelivered + t.superseded + t.refused + outbox_left;
    if accounted != t.queued {
        t.failures.push(format!(
            "queued {} but redelivered {} + superseded {} + refused {} + left {} = {accounted}",
            t.queued, t.redelivered, t.superseded, t.refused, outbox_left
        ));
    }

    let issued = t.direct + t.queued;
    let rows = [
        ("upserts issued (N)", issued.to_string()),
        ("sessions", s.sessions.to_string()),
        ("writers (outboxes)", s.writers.to_string()),
        ("seed", s.seed.to_string()),
        ("kills of DynamoDB Local", t.kills_dynamodb.to_string()),
        ("kills of sessions-local", t.kills_server.to_string()),
        ("restarts (same ports)", t.restarts.to_string()),
        (
            "time with a process down",
            format!("{:.1}s", t.outage.as_secs_f64()),
        ),
        ("delivered directly (exit 0)", t.direct.to_string()),
        ("queued (exit 9)", t.queued.to_string()),
        ("redelivered from the outbox", t.redelivered.to_string()),
        (
            "stale on redelivery (409 superseded)",
            t.superseded.to_string(),
        ),
        ("refused for good", t.refused.to_string()),
        ("final flushes", flushes.to_string()),
        ("items in DynamoDB", items.len().to_string()),
        ("rows not at their newest action", stale_rows.to_string()),
        ("duplicates", duplicates.to_string()),
        ("outbox entries left", outbox_left.to_string()),
        (
            "other failures",
            (t.failures.len().saturating_sub(lost)).to_string(),
        ),
        ("lost", lost.to_string()),
        (
            "slowest cargo-ai process",
            format!("{:.1}s", t.slowest.as_secs_f64()),
        ),
        (
            "wall time",
            format!("{:.1}s", started.elapsed().as_secs_f64()),
        ),
    ];
    println!();
    println!("| fault run | |");
    println!("|---|---|");
    for (name, value) in rows {
        println!("| {name} | {value} |");
    }
    if issued != s.upserts {
        t.failures
            .push(format!("issued {issued} of {} upserts", s.upserts));
    }
    if t.failures.is_empty() {
        println!(
            "\nOK: every session's row is its newest action; nothing lost, nothing duplicated, every outbox empty"
        );
        ExitCode::SUCCESS
    } else {
        println!("\nFAILED ({} problems):", t.failures.len());
        for f in t.failures.iter().take(50) {
            println!("  - {f}");
        }
        ExitCode::FAILURE
    }
}
