//! Tracing set up once per process: JSON lines in Lambda (CloudWatch), plain text locally.

use tracing_subscriber::EnvFilter;

/// `SESSIONS_LOG_LEVEL` (or `RUST_LOG`) picks the level; `info` by default.
pub fn init(json: bool) {
    let filter = std::env::var("SESSIONS_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false);
    if json {
        builder.json().without_time().init();
    } else {
        builder.init();
    }
}
