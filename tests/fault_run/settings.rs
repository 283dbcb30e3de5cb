//! The run's settings from the environment, and the seeded generator behind its choices.

use std::path::{Path, PathBuf};

/// SplitMix64: a small seeded generator, so a run's choices are reproducible from its seed.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

pub(crate) struct Settings {
    pub(crate) upserts: usize,
    pub(crate) sessions: usize,
    pub(crate) writers: usize,
    pub(crate) seed: u64,
    pub(crate) up_ms: u64,
    pub(crate) down_ms: u64,
    pub(crate) state: PathBuf,
    pub(crate) bin_dir: PathBuf,
    pub(crate) repo: PathBuf,
}

pub(crate) fn env_number(name: &str, default: u64) -> Result<u64, String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| format!("{name}={v:?} is not a number")),
        _ => Ok(default),
    }
}

impl Settings {
    pub(crate) fn from_env() -> Result<Settings, String> {
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
