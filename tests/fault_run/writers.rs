//! The simulated teammates: each upserts its sessions one `cargo-ai` process at a time, with
//! an outbox and an identity of its own, and the run tallies what happened.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use sessions_e2e::Key as LocalKey;
use tokio::process::Command;
use tokio::sync::Mutex;

use crate::PROCESS_LIMIT;
use crate::settings::{Rng, Settings};
use crate::stack::Endpoints;

/// A simulated teammate: an outbox of its own and an identity.
pub(crate) struct Writer {
    pub(crate) index: usize,
    pub(crate) state_dir: PathBuf,
    pub(crate) identity: &'static LocalKey,
}

impl Writer {
    pub(crate) fn command(&self, s: &Settings, at: &Endpoints) -> Command {
        let mut cmd = Command::new(s.bin_dir.join("cargo-ai"));
        cmd.env_clear()
            .current_dir(&s.state)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", s.state.join("home"))
            .env("CARGO_AI_STATE_DIR", &self.state_dir)
            .env("CARGO_AI_ENDPOINT", &at.api)
            .env("CARGO_AI_WORKSPACE", &at.workspace)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", self.identity.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", self.identity.secret_access_key)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        cmd
    }
}

pub(crate) struct Finished {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) elapsed: Duration,
}

pub(crate) async fn run(mut cmd: Command, args: &[&str]) -> Result<Finished, String> {
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
pub(crate) fn outbox_counts(stderr: &str) -> (usize, usize, usize) {
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
pub(crate) struct Tally {
    pub(crate) direct: usize,
    pub(crate) queued: usize,
    pub(crate) redelivered: usize,
    pub(crate) superseded: usize,
    pub(crate) refused: usize,
    pub(crate) failures: Vec<String>,
    pub(crate) kills_dynamodb: usize,
    pub(crate) kills_server: usize,
    pub(crate) restarts: usize,
    /// Time from each kill until `infra/local/up` had everything back.
    pub(crate) outage: Duration,
    pub(crate) slowest: Duration,
    /// Per session: every (uuid, created_at) a delivered upsert printed.
    pub(crate) identities: HashMap<String, Vec<(String, String)>>,
}

/// The newest action of each session, as its writer issued it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Expected {
    pub(crate) version: usize,
    pub(crate) title: String,
    pub(crate) summary: String,
    pub(crate) finished: bool,
    pub(crate) owner: &'static str,
}

pub(crate) fn session_id(k: usize) -> String {
    format!("fault-s{k:04}")
}

pub(crate) async fn writer_loop(
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
                owner: writer.identity.arn,
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
