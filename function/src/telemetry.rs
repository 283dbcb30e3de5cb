//! Tracing set up once per process: JSON lines in Lambda (CloudWatch), plain text locally.
//! The router writes one `info` line per request (request id, route, status, latency, caller
//! ARN); titles and summaries are never logged at `info`.

use tracing::Subscriber;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The ids a request is known by in the logs. The adapter that received the request puts
/// them in its extensions; the router's request line reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestIds {
    /// Lambda's request id (the one on its START/END/REPORT lines); the local server makes one.
    pub request_id: String,
    /// API Gateway's `requestContext.requestId`, the `requestId` of the API's access log.
    pub api_request_id: Option<String>,
}

/// `SESSIONS_LOG_LEVEL` (or `RUST_LOG`) picks the level; `info` by default.
pub fn init(json: bool) {
    let filter = std::env::var("SESSIONS_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    if json {
        json_subscriber(&filter, std::io::stderr).init();
    } else {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_target(false)
            .finish()
            .with(targets(&filter))
            .init();
    }
}

/// The Lambda format: one JSON object per line, event fields at the top level (so CloudWatch
/// Logs Insights reads `request_id`, `status`, ... directly) and no timestamp of our own
/// (CloudWatch stamps every line).
pub fn json_subscriber<W>(filter: &str, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_target(false)
        .json()
        .flatten_event(true)
        .with_span_list(false)
        .without_time()
        .finish()
        .with(targets(filter))
}

/// A level (`debug`) or per-target levels (`sessions_function=debug,info`), as `RUST_LOG`
/// writes them; anything else falls back to `info` with a note, rather than logging nothing.
fn targets(filter: &str) -> Targets {
    filter.parse().unwrap_or_else(|e| {
        eprintln!("ignoring the log filter {filter:?} ({e}); logging at info");
        Targets::new().with_default(tracing::Level::INFO)
    })
}
