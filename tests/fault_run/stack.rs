//! The private local stack: started and restarted through infra/local/up, and SIGKILLed at
//! random moments by the chaos task.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::process::Command;
use tokio::sync::Mutex;

use crate::settings::{Rng, Settings};
use crate::writers::Tally;

/// What `infra/local/up` printed: where the stack is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoints {
    pub(crate) api: String,
    pub(crate) dynamodb: String,
    pub(crate) workspace: String,
}

/// Starts whatever of the private stack is not running (`infra/local/up`, on-disk storage).
pub(crate) async fn up(s: &Settings) -> Result<Endpoints, String> {
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
pub(crate) fn pid_of(s: &Settings, name: &str) -> Option<String> {
    std::fs::read_to_string(s.state.join(format!("{name}.pid")))
        .ok()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
}

/// SIGKILLs DynamoDB Local and/or the server at random moments, restarting them after a random
/// pause, until `stop` is set.
pub(crate) async fn chaos(
    s: Arc<Settings>,
    at: Endpoints,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
) {
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
