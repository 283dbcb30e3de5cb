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

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;
use tokio::process::Command;
use tokio::sync::Mutex;

const TABLE: &str = "workspace_management.sessions";
/// A `cargo-ai` process that takes longer than this is hung: a failure.
const PROCESS_LIMIT: Duration = Duration::from_secs(120);
/// The local server's documented identities.
const IDENTITIES: [(&str, &str, &str); 2] = [
    (
        "alice",
        "AKIDLOCALALICE000000",
        "local-alice-secret-not-for-aws",
    ),
    (
        "bob",
        "AKIDLOCALBOB00000000",
        "local-bob-secret-not-for-aws",
    ),
];

/// SplitMix64: a small seeded generator, so a run's choices are reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Settings {
    upserts: usize,
    sessions: usize,
    writers: usize,
    seed: u64,
    up_ms: u64,
    down_ms: u64,
    state: PathBuf,
    bin_dir: PathBuf,
    repo: PathBuf,
}

fn env_number(name: &str, default: u64) -> Result<u64, String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| format!("{name}={v:?} is not a number")),
        _ => Ok(default),
    }
}

impl Settings {
    fn from_env() -> Result<Settings, String> {
        let clock_seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        let settings = Settings {
            upserts: env_number("FAULT_UPSERTS", 600)? as usize,
            sessions: env_number("FAULT_SESSIONS", 60)? as usize,
            writers: env_number("FAULT_WRITERS", 6)? as usize,
            seed: env_number("FAULT_SEED", clock_seed % 1_000_000_007)?,
            up_ms: env_number("FAULT_UP_MS", 4000)?,
            down_ms: env_number("FAULT_DOWN_MS", 2000)?,
            state: std::env::var_os("SESSIONS_STATE_DIR")
                .map(PathBuf::from)
                .ok_or(
                    "set SESSIONS_STATE_DIR to a private, empty directory (infra/fault/run does)",
                )?,
            bin_dir: std::env::current_exe()
                .map_err(|e| format!("cannot find this program's path: {e}"))?
                .parent()
                .ok_or("this program has no directory")?
                .to_owned(),
            repo: std::env::var_os("FAULT_REPO")
                .map(PathBuf::from)
                .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("..")),
        };
        if settings.writers == 0 || settings.sessions < settings.writers {
            return Err("need at least one writer and one session per writer".into());
        }
        if settings.upserts < settings.sessions {
            return Err(
                "need at least one upsert per session (FAULT_UPSERTS >= FAULT_SESSIONS)".into(),
            );
        }
        Ok(settings)
    }
}

/// What `infra/local/up` printed: where the stack is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoints {
    api: String,
    dynamodb: String,
    workspace: String,
}

/// Starts whatever of the private stack is not running (`infra/local/up`, on-disk storage).
async fn up(s: &Settings) -> Result<Endpoints, String> {
    let out = Command::new(s.repo.join("infra/local/up"))
        .env("SESSIONS_STATE_DIR", &s.state)
        .env("SESSIONS_DYNAMODB_PORT", "0")
        .env("SESSIONS_PORT", "0")
        .env("SESSIONS_LOCAL_BIN", s.bin_dir.join("sessions-local"))
        .env_remove("SESSIONS_DYNAMODB_IN_MEMORY")
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot run infra/local/up: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "infra/local/up failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let export = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .map(|v| v.trim().to_owned())
            .ok_or_else(|| format!("infra/local/up printed no {name}"))
    };
    Ok(Endpoints {
        api: export("CARGO_AI_ENDPOINT")?,
        dynamodb: export("AWS_ENDPOINT_URL_DYNAMODB")?,
        workspace: export("CARGO_AI_WORKSPACE")?,
    })
}

/// The pid in one of the stack's pid files.
fn pid_of(s: &Settings, name: &str) -> Option<String> {
    std::fs::read_to_string(s.state.join(format!("{name}.pid")))
        .ok()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
}

/// A simulated teammate: an outbox of its own and an identity.
struct Writer {
    index: usize,
    state_dir: PathBuf,
    identity: (&'static str, &'static str, &'static str),
}

impl Writer {
    fn command(&self, s: &Settings, at: &Endpoints) -> Command {
        let mut cmd = Command::new(s.bin_dir.join("cargo-ai"));
        cmd.env_clear()
            .current_dir(&s.state)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", s.state.join("home"))
            .env("CARGO_AI_STATE_DIR", &self.state_dir)
            .env("CARGO_AI_ENDPOINT", &at.api)
            .env("CARGO_AI_WORKSPACE", &at.workspace)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", self.identity.1)
            .env("AWS_SECRET_ACCESS_KEY", self.identity.2)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        cmd
    }
}

struct Finished {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

async fn run(mut cmd: Command, args: &[&str]) -> Result<Finished, String> {
    let started = Instant::now();
    let out = tokio::time::timeout(PROCESS_LIMIT, cmd.args(args).output())
        .await
        .map_err(|_| format!("cargo-ai {args:?} hung for {PROCESS_LIMIT:?}"))?
        .map_err(|e| format!("cannot run cargo-ai: {e}"))?;
    Ok(Finished {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    })
}

/// The counts in an outbox delivery line: "delivered N queued update(s), M already superseded
/// by newer ones, K refused for good ...".
fn outbox_counts(stderr: &str) -> (usize, usize, usize) {
    let number_before = |line: &str, suffix: &str| -> usize {
        line.split(", ")
            .find_map(|part| {
                part.strip_suffix(suffix)
                    .or_else(|| part.split_once(suffix).map(|(n, _)| n))
            })
            .and_then(|n| n.trim().rsplit(' ').next().and_then(|n| n.parse().ok()))
            .unwrap_or(0)
    };
    let mut counts = (0, 0, 0);
    for line in stderr.lines().filter(|l| l.starts_with("delivered ")) {
        counts.0 += line
            .strip_prefix("delivered ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        counts.1 += number_before(line, " already superseded");
        counts.2 += number_before(line, " refused for good");
    }
    counts
}

/// Everything the run counts.
#[derive(Default)]
struct Tally {
    direct: usize,
    queued: usize,
    redelivered: usize,
    superseded: usize,
    refused: usize,
    failures: Vec<String>,
    kills_dynamodb: usize,
    kills_server: usize,
    restarts: usize,
    /// Time from each kill until `infra/local/up` had everything back.
    outage: Duration,
    slowest: Duration,
    /// Per session: every (uuid, created_at) a delivered upsert printed.
    identities: HashMap<String, Vec<(String, String)>>,
}

/// The newest action of each session, as its writer issued it.
#[derive(Debug, Clone, Default)]
struct Expected {
    version: usize,
    title: String,
    summary: String,
    finished: bool,
    owner: &'static str,
}

fn session_id(k: usize) -> String {
    format!("fault-s{k:04}")
}

async fn writer_loop(
    s: Arc<Settings>,
    at: Endpoints,
    writer: Writer,
    upserts: usize,
    tally: Arc<Mutex<Tally>>,
    expected: Arc<Mutex<BTreeMap<usize, Expected>>>,
) {
    let mut rng = Rng(s.seed ^ (writer.index as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407));
    let owned: Vec<usize> = (0..s.sessions)
        .filter(|k| k % s.writers == writer.index)
        .collect();
    let mut versions: HashMap<usize, usize> = HashMap::new();
    for n in 0..upserts {
        // Every session once first, then at random.
        let k = if n < owned.len() {
            owned[n]
        } else {
            owned[rng.below(owned.len() as u64) as usize]
        };
        let v = {
            let v = versions.entry(k).or_insert(0);
            *v += 1;
            *v
        };
        let finished = rng.below(4) == 0;
        let title = format!("s{k} v{v}");
        let summary = format!(
            "fault run: session {k}, version {v}, by writer {}",
            writer.index
        );
        let id = session_id(k);
        let mut args = vec![
            "workspaceManagement",
            "session",
            "upsert",
            "--session-id",
            &id,
            "--title",
            &title,
            "--summary",
            &summary,
        ];
        if finished {
            args.push("--finished");
        }
        // Recorded before the process starts: from then on this is the newest action.
        expected.lock().await.insert(
            k,
            Expected {
                version: v,
                title: title.clone(),
                summary: summary.clone(),
                finished,
                owner: writer.identity.0,
            },
        );
        let result = run(writer.command(&s, &at), &args).await;
        let mut t = tally.lock().await;
        match result {
            Err(e) => t
                .failures
                .push(format!("writer {} {title}: {e}", writer.index)),
            Ok(f) => {
                t.slowest = t.slowest.max(f.elapsed);
                let (redelivered, superseded, refused) = outbox_counts(&f.stderr);
                t.redelivered += redelivered;
                t.superseded += superseded;
                t.refused += refused;
                match f.code {
                    0 => {
                        t.direct += 1;
                        match serde_json::from_str::<Value>(&f.stdout) {
                            Ok(row) if row["title"] == title.as_str() => {
                                let uuid = row["uuid"].as_str().unwrap_or_default().to_owned();
                                let created =
                                    row["created_at"].as_str().unwrap_or_default().to_owned();
                                t.identities
                                    .entry(id.clone())
                                    .or_default()
                                    .push((uuid, created));
                            }
                            _ => t.failures.push(format!(
                                "writer {} {title}: exit 0 but printed another row: {}",
                                writer.index, f.stdout
                            )),
                        }
                    }
                    9 => t.queued += 1,
                    code => t.failures.push(format!(
                        "writer {} {title}: exit {code}: {}",
                        writer.index,
                        f.stderr.trim()
                    )),
                }
            }
        }
    }
}

/// SIGKILLs DynamoDB Local and/or the server at random moments, restarting them after a random
/// pause, until `stop` is set.
async fn chaos(s: Arc<Settings>, at: Endpoints, stop: Arc<AtomicBool>, tally: Arc<Mutex<Tally>>) {
    let mut rng = Rng(s.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x00C0_FFEE);
    let started = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        let up_for = Duration::from_millis(200 + rng.below(s.up_ms.max(1)));
        let until = Instant::now() + up_for;
        while Instant::now() < until && !stop.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let victims: &[&str] = match rng.below(5) {
            0 | 1 => &["dynamodb"],
            2 | 3 => &["sessions-local"],
            _ => &["dynamodb", "sessions-local"],
        };
        for victim in victims {
            let Some(pid) = pid_of(&s, victim) else {
                continue;
            };
            let killed = Command::new("kill")
                .args(["-KILL", &pid])
                .status()
                .await
                .is_ok_and(|st| st.success());
            if killed {
                let mut t = tally.lock().await;
                if *victim == "dynamodb" {
                    t.kills_dynamodb += 1;
                } else {
                    t.kills_server += 1;
                }
            }
        }
        let down_for = Duration::from_millis(rng.below(s.down_ms + 1));
        let killed_at = started.elapsed();
        tokio::time::sleep(down_for).await;
        let restarting = Instant::now();
        let restarted = up(&s).await;
        println!(
            "  {:>6.1}s  kill -9 {}; restart after {} ms took {:.1}s",
            killed_at.as_secs_f64(),
            victims.join(" + "),
            down_for.as_millis(),
            restarting.elapsed().as_secs_f64()
        );
        let mut t = tally.lock().await;
        t.outage += down_for + restarting.elapsed();
        match restarted {
            Ok(now) if now == at => t.restarts += 1,
            Ok(now) => t
                .failures
                .push(format!("the restarted stack moved: {now:?}, was {at:?}")),
            Err(e) => t.failures.push(format!("restart: {e}")),
        }
    }
}

async fn dynamodb_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "local",
            "local",
            None,
            None,
            "fault-run",
        ))
        .load()
        .await;
    aws_sdk_dynamodb::Client::new(&config)
}

type Item = HashMap<String, AttributeValue>;

/// Every item of the table (the private stack holds only this run's).
async fn scan_all(client: &aws_sdk_dynamodb::Client) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let page = client
            .scan()
            .table_name(TABLE)
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| format!("Scan: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e)))?;
        items.extend(page.items().iter().cloned());
        match page.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => break,
        }
    }
    Ok(items)
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

async fn pending_and_failed(
    s: &Settings,
    at: &Endpoints,
    w: &Writer,
) -> Result<(usize, usize), String> {
    let f = run(w.command(s, at), &["outbox", "status", "--json"]).await?;
    if f.code != 0 {
        return Err(format!("outbox status of writer {}: {}", w.index, f.stderr));
    }
    let status: Value =
        serde_json::from_str(&f.stdout).map_err(|e| format!("outbox status JSON: {e}"))?;
    let len = |key: &str| status[key].as_array().map_or(usize::MAX, Vec::len);
    Ok((len("pending"), len("failed")))
}

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
            identity: IDENTITIES[i % IDENTITIES.len()],
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
    let client = dynamodb_client(&at.dynamodb).await;
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
        if !text(row, "user_arn").is_some_and(|arn| arn.ends_with(&format!("user/{}", want.owner)))
        {
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
