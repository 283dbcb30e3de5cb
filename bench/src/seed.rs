//! A team's week of sessions, generated and written straight through `DynamoStore::upsert`
//! (the function's own store call): `loadgen seed` fills a workspace so that `cargo-ai report`
//! can be timed over thousands of realistic rows. Deterministic: session `n` of a seed is
//! always the same row, whatever the concurrency, apart from its times, which are offsets
//! from now so the rows always fall inside a report's window.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde_json::{Value, json};
use sessions_core::facts::{Facts, Usd};
use sessions_core::{SessionId, Summary, Timestamp, Title, UpsertBody, WorkspaceId};
use sessions_function::domain::{Caller, UpsertCommand, WriteMode};
use sessions_function::store::{DynamoStore, SessionStore};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    pub workspace: WorkspaceId,
    pub sessions: usize,
    pub people: usize,
    pub repos: usize,
    pub days: u32,
    pub seed: u64,
}

const NAMES: [&str; 12] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "oscar",
];
const REPOS: [&str; 10] = [
    "uploader", "billing", "web", "infra", "mobile", "search", "auth", "reports", "ingest", "docs",
];
const BRANCHES: [&str; 8] = [
    "main",
    "fix/retry-backoff",
    "feat/csv-export",
    "chore/bump-deps",
    "fix/flaky-upload-test",
    "feat/team-report",
    "refactor/store-trait",
    "release/1.4",
];
const VERBS: [&str; 10] = [
    "Fix", "Add", "Refactor", "Speed up", "Document", "Test", "Debug", "Remove", "Rename", "Review",
];
const OBJECTS: [&str; 12] = [
    "the retry loop",
    "CSV export",
    "the S3 multipart upload",
    "session pagination",
    "the login redirect",
    "flaky integration tests",
    "the billing webhook",
    "dark mode colours",
    "the DynamoDB query",
    "error messages",
    "the release workflow",
    "the search index",
];
const PLACES: [&str; 8] = [
    "in the uploader",
    "for large workspaces",
    "behind the feature flag",
    "on Windows",
    "in the CLI",
    "after the migration",
    "for the EU region",
    "",
];
const SENTENCES: [&str; 14] = [
    "Read the failing test's output and traced the error to a missing timeout on the client.",
    "Added a regression test that reproduces the bug with a slow fake server.",
    "Moved the retry policy into one place so that the uploader and the sync job share it.",
    "The query now reads the newest rows first and stops at the window's start.",
    "Benchmarked before and after: the median dropped by about a third on a busy machine.",
    "Updated the README and the --help text with an example people can paste.",
    "Left a note in the issue about the edge case with empty summaries; not fixed yet.",
    "Reviewed the pull request, asked for a smaller diff and a clearer commit message.",
    "Bumped the pinned crates, ran clippy and the whole test suite, all green.",
    "Split the 900-line module into three files along the lines the callers already use.",
    "Replaced the hand-rolled CSV writer with the csv crate; quotes and newlines now round-trip.",
    "Found that the cache key ignored the branch, so two branches overwrote each other.",
    "Checked the change in the browser in light and dark mode and in the print preview.",
    "Paired on the design of the cursor format; it stays opaque to clients.",
];
const MODELS: [&str; 3] = ["claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5"];
const END_REASONS: [&str; 5] = ["prompt_input_exit", "clear", "logout", "other", "caught_up"];

fn pick<'a>(rng: &mut fastrand::Rng, from: &[&'a str]) -> &'a str {
    from[rng.usize(..from.len())]
}

/// A number between `low` and `high` whose logarithm is uniform: many small, a few large.
fn log_uniform(rng: &mut fastrand::Rng, low: f64, high: f64) -> f64 {
    (low.ln() + rng.f64() * (high.ln() - low.ln())).exp()
}

/// Person `i`'s IAM ARN: the first twelve have names, the others numbers.
fn person_arn(i: usize) -> String {
    let name = NAMES
        .get(i)
        .map_or_else(|| format!("dev{i}"), |n| (*n).to_owned());
    format!("arn:aws:iam::000000000000:user/{name}")
}

fn repo_name(i: usize) -> String {
    let name = REPOS
        .get(i)
        .map_or_else(|| format!("service{i}"), |n| (*n).to_owned());
    format!("github.com/acme/{name}")
}

/// Busy people and busy repos: index `i` of `n` weighs 1/(i+1).
fn skewed(rng: &mut fastrand::Rng, n: usize) -> usize {
    let total: f64 = (1..=n).map(|i| 1.0 / i as f64).sum();
    let mut left = rng.f64() * total;
    for i in 0..n {
        left -= 1.0 / (i + 1) as f64;
        if left <= 0.0 {
            return i;
        }
    }
    n - 1
}

fn title(rng: &mut fastrand::Rng) -> String {
    let place = pick(rng, &PLACES);
    let title = format!("{} {}", pick(rng, &VERBS), pick(rng, &OBJECTS));
    if place.is_empty() {
        title
    } else {
        format!("{title} {place}")
    }
}

/// Sentences until the text reaches a length between about 200 bytes and 4 KiB.
fn summary(rng: &mut fastrand::Rng) -> String {
    let target = log_uniform(rng, 200.0, 4096.0) as usize;
    let mut text = String::with_capacity(target + 128);
    while text.len() < target {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(pick(rng, &SENTENCES));
    }
    text
}

/// Facts as the session-end hook records them; a few sessions lack the cost (a model
/// without a price) and the active time.
fn facts(rng: &mut fastrand::Rng, repo: &str) -> Facts {
    let input = log_uniform(rng, 2_000.0, 400_000.0) as u64;
    let output = input / rng.u64(4..12);
    let cache_read = input * rng.u64(2..20);
    let cache_write = input / rng.u64(2..6);
    let partial = rng.u8(..100) < 5;
    let mut models = vec![pick(rng, &MODELS).to_owned()];
    if rng.bool() {
        models.push("claude-haiku-4-5".to_owned());
        models.dedup();
    }
    // Roughly Sonnet's prices: $3 in, $15 out, $0.30 cache read, $3.75 cache write per MTok.
    let micros = input * 3 + output * 15 + cache_read * 3 / 10 + cache_write * 15 / 4;
    let name = repo.rsplit('/').next().unwrap_or(repo);
    Facts {
        repo: Some(repo.to_owned()),
        branch: Some(pick(rng, &BRANCHES).to_owned()),
        cwd: Some(format!("~/src/{name}")),
        host: Some(format!("laptop-{}", rng.u8(1..40))),
        claude_version: Some(format!("2.0.{}", rng.u8(20..60))),
        models: Some(models),
        input_tokens: Some(input),
        output_tokens: Some(output),
        cache_read_tokens: Some(cache_read),
        cache_write_tokens: Some(cache_write),
        cost_usd: (!partial).then_some(Usd::from_micros(micros)),
        prompts: Some(rng.u64(1..60)),
        tool_calls: Some(rng.u64(0..400)),
        files_touched: Some(rng.u64(0..40)),
        active_s: (!partial).then(|| log_uniform(rng, 60.0, 4.0 * 3600.0) as u64),
        end_reason: Some(pick(rng, &END_REASONS).to_owned()),
        ..Facts::default()
    }
}

/// Session `n` of the plan, as the router would hand it to the store, `now` being the end of
/// the window.
pub fn command(plan: &Plan, n: usize, now: Timestamp) -> Result<UpsertCommand, String> {
    let mut rng =
        fastrand::Rng::with_seed(plan.seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let session_uuid = uuid::Builder::from_random_bytes(rng.u128(..).to_le_bytes()).into_uuid();
    let person = skewed(&mut rng, plan.people.max(1));
    let repo = repo_name(skewed(&mut rng, plan.repos.max(1)));
    let window_s = i64::from(plan.days.max(1)) * 86_400;
    let started = now.plus_seconds(-rng.i64(60..window_s));
    // About one session in seven predates the facts (an older hook, or no git remote).
    let facts = if rng.u8(..7) == 0 {
        Facts::default()
    } else {
        facts(&mut rng, &repo)
    };
    // Most sessions ended; the rest are still open or were never closed.
    let finished_at = (rng.u8(..10) != 0).then(|| {
        let active = facts.active_s.unwrap_or(1_800) as i64;
        started.plus_seconds(active + rng.i64(0..1_800))
    });
    let fail =
        |what: &str, e: sessions_core::ApiError| format!("{what} of session {n}: {}", e.message);
    Ok(UpsertCommand {
        workspace: plan.workspace,
        session_id: SessionId::parse(&session_uuid.to_string()).map_err(|e| fail("id", e))?,
        fields: UpsertBody {
            title: Title::parse(&title(&mut rng)).map_err(|e| fail("title", e))?,
            summary: Summary::parse(&summary(&mut rng)).map_err(|e| fail("summary", e))?,
            finished_at,
            observed_at: started,
            facts: Box::new(facts),
        },
        caller: Caller::from_arn(&person_arn(person)),
        mode: WriteMode::Upsert,
        new_uuid: uuid::Builder::from_random_bytes(rng.u128(..).to_le_bytes()).into_uuid(),
        now,
    })
}

/// Writes every session of the plan with `concurrency` upserts in flight; one JSON object
/// with what was written and how fast.
pub async fn seed(store: DynamoStore, plan: Plan, concurrency: usize) -> Result<Value, String> {
    let now = Timestamp::now();
    let next = Arc::new(AtomicUsize::new(0));
    let (store, plan) = (Arc::new(store), Arc::new(plan));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (store, plan, next) = (store.clone(), plan.clone(), next.clone());
        workers.spawn(async move {
            let (mut with_facts, mut summary_bytes) = (0usize, 0usize);
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= plan.sessions {
                    return Ok::<_, String>((with_facts, summary_bytes));
                }
                let command = command(&plan, n, now)?;
                with_facts += usize::from(!command.fields.facts.is_empty());
                summary_bytes += command.fields.summary.as_str().len();
                store
                    .upsert(&command)
                    .await
                    .map_err(|e| format!("upsert of session {n}: {e:?}"))?;
            }
        });
    }
    let (mut with_facts, mut summary_bytes) = (0, 0);
    while let Some(done) = workers.join_next().await {
        let (f, b) = done.map_err(|e| format!("worker: {e}"))??;
        with_facts += f;
        summary_bytes += b;
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(json!({
        "mode": "seed",
        "sessions": plan.sessions,
        "with_facts": with_facts,
        "people": plan.people,
        "repos": plan.repos,
        "days": plan.days,
        "seed": plan.seed,
        "summary_bytes_mean": summary_bytes / plan.sessions.max(1),
        "elapsed_s": elapsed,
        "rows_per_s": plan.sessions as f64 / elapsed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            workspace: WorkspaceId::parse("6f1d2c1e-0a6b-4c1a-9a39-0b6f4c1e2d3a").unwrap(),
            sessions: 1_000,
            people: 8,
            repos: 6,
            days: 7,
            seed: 14,
        }
    }

    #[test]
    fn same_seed_same_rows_inside_the_window() {
        let now = Timestamp::now();
        let week_ago = now.plus_seconds(-7 * 86_400);
        let mut people = std::collections::BTreeSet::new();
        let (mut bare, mut long) = (0, 0);
        for n in 0..plan().sessions {
            let a = command(&plan(), n, now).unwrap();
            let b = command(&plan(), n, now).unwrap();
            assert_eq!(a.session_id, b.session_id);
            assert_eq!(a.fields.summary, b.fields.summary);
            assert!(a.fields.observed_at > week_ago && a.fields.observed_at < now);
            people.insert(a.caller.arn);
            bare += usize::from(a.fields.facts.is_empty());
            long += usize::from(a.fields.summary.as_str().len() > 2048);
        }
        assert_eq!(people.len(), 8);
        assert!((50..300).contains(&bare), "{bare} sessions without facts");
        assert!(long > 50, "{long} summaries over 2 KiB");
    }
}
