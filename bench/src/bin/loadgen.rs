//! The load generator and timer behind `infra/bench/run`. Every mode prints one JSON object.
//!
//!   loadgen load  --endpoint URL --workspace UUID --concurrency 8 --requests 5000
//!       closed loop: N workers, each on its own keep-alive connection, send SigV4-signed
//!       upserts (distinct sessions) until the fixed count is done; requests/s, p50/p99, errors
//!   loadgen added --endpoint URL --workspace UUID --requests 10000
//!       the same upsert, interleaved: directly through `DynamoStore::upsert` (the function's
//!       store call, client built once) and through the local server; latency of each, and
//!       what the function adds at p50/p99
//!   loadgen seed  --workspace UUID --sessions 10000 --people 8 --repos 6 --days 7
//!       a team's week of sessions written through `DynamoStore::upsert`, deterministic for a
//!       seed, `--concurrency` writes in flight (see `sessions_bench::seed`); rows/s
//!   loadgen init  --port P --request whoami|upsert|hello -- BIN ARGS...
//!       time from spawning BIN until it answered the first request on 127.0.0.1:P
//!   loadgen lambda-init --event FILE -- BIN
//!       time from spawning BIN (a Lambda bootstrap) until it posted its answer to the one
//!       event of a stand-in Lambda Runtime API
//!
//! The load modes run on one thread (a current-thread runtime), so the generator never takes
//! more than one core from the server it measures; each mode reports its own CPU time.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Parser, Subcommand};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use sessions_bench::seed::Plan;
use sessions_bench::{
    Connection, alice, authority, exchange_blocking, hello_request, self_cpu_seconds, summary,
    upsert_request, whoami_request,
};
use sessions_core::{SessionId, Summary, Timestamp, Title, UpsertBody, WorkspaceId};
use sessions_function::domain::{Caller, UpsertCommand, WriteMode};
use sessions_function::store::{DynamoStore, SessionStore, table};
use tokio::sync::Mutex;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Closed-loop load on the local server.
    Load {
        #[arg(long, env = "CARGO_AI_ENDPOINT")]
        endpoint: String,
        #[arg(long, env = "CARGO_AI_WORKSPACE")]
        workspace: String,
        #[arg(long)]
        concurrency: usize,
        #[arg(long)]
        requests: usize,
        /// Session ids are `<prefix>-<n>`: give each run its own.
        #[arg(long, default_value = "load")]
        prefix: String,
    },
    /// Direct store upserts vs upserts through the local server, interleaved.
    Added {
        #[arg(long, env = "CARGO_AI_ENDPOINT")]
        endpoint: String,
        #[arg(long, env = "CARGO_AI_WORKSPACE")]
        workspace: String,
        #[arg(long, env = "SESSIONS_TABLE", default_value = table::DEFAULT_TABLE_NAME)]
        table: String,
        #[arg(long, default_value_t = 10_000)]
        requests: usize,
        /// Untimed pairs first (connections, caches).
        #[arg(long, default_value_t = 200)]
        warmup: usize,
        #[arg(long, default_value = "added")]
        prefix: String,
    },
    /// Fills a workspace with generated sessions, straight through the store.
    Seed {
        #[arg(long, env = "CARGO_AI_WORKSPACE")]
        workspace: String,
        #[arg(long, env = "SESSIONS_TABLE", default_value = table::DEFAULT_TABLE_NAME)]
        table: String,
        #[arg(long, default_value_t = 10_000)]
        sessions: usize,
        #[arg(long, default_value_t = 8)]
        people: usize,
        #[arg(long, default_value_t = 6)]
        repos: usize,
        /// Sessions start within this many days before now.
        #[arg(long, default_value_t = 7)]
        days: u32,
        #[arg(long, default_value_t = 14)]
        seed: u64,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// Process start to first answer of a local server.
    Init {
        #[arg(long)]
        port: u16,
        #[arg(long, value_parser = ["hello", "whoami", "upsert"])]
        request: String,
        #[arg(long, env = "CARGO_AI_WORKSPACE")]
        workspace: Option<String>,
        /// The server and its arguments.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Process start to first answer of a Lambda bootstrap, against a stand-in Runtime API.
    LambdaInit {
        /// The event (API Gateway payload 2.0 JSON) to hand the function.
        #[arg(long)]
        event: PathBuf,
        /// The bootstrap and its arguments.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.mode {
        Mode::Init {
            port,
            request,
            workspace,
            command,
        } => init(port, &request, workspace.as_deref(), &command),
        mode => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async_mode(mode))
        }
    };
    match result {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn async_mode(mode: Mode) -> Result<Value, String> {
    match mode {
        Mode::Load {
            endpoint,
            workspace,
            concurrency,
            requests,
            prefix,
        } => load(&endpoint, &workspace, concurrency, requests, &prefix).await,
        Mode::Added {
            endpoint,
            workspace,
            table,
            requests,
            warmup,
            prefix,
        } => added(&endpoint, &workspace, &table, requests, warmup, &prefix).await,
        Mode::Seed {
            workspace,
            table,
            sessions,
            people,
            repos,
            days,
            seed,
            concurrency,
        } => {
            let plan = Plan {
                workspace: workspace_id(&workspace)?,
                sessions,
                people,
                repos,
                days,
                seed,
            };
            let store = DynamoStore::new(sessions_function::aws::dynamodb_client().await, table);
            sessions_bench::seed::seed(store, plan, concurrency).await
        }
        Mode::LambdaInit { event, command } => lambda_init(&event, &command).await,
        Mode::Init { .. } => unreachable!("init runs without a runtime"),
    }
}

fn session(prefix: &str, n: usize) -> SessionId {
    SessionId::parse(&format!("{prefix}-{n}")).expect("a valid session id")
}

fn workspace_id(raw: &str) -> Result<WorkspaceId, String> {
    WorkspaceId::parse(raw).map_err(|e| e.message)
}

// --- load ------------------------------------------------------------------------------------

async fn load(
    endpoint: &str,
    workspace: &str,
    concurrency: usize,
    requests: usize,
    prefix: &str,
) -> Result<Value, String> {
    let authority = authority(endpoint)?;
    let workspace = workspace_id(workspace)?;
    let next = Arc::new(AtomicUsize::new(0));
    let first_error: Arc<Mutex<Option<String>>> = Arc::default();
    let cpu_before = self_cpu_seconds();
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (authority, prefix) = (authority.clone(), prefix.to_owned());
        let (next, first_error) = (next.clone(), first_error.clone());
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let mut conn = None;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= requests {
                    break;
                }
                let request = upsert_request(
                    &authority,
                    &workspace,
                    &session(&prefix, n),
                    "Load test session",
                );
                let sent = Instant::now();
                let outcome = match conn.as_mut() {
                    Some(c) => Connection::exchange(c, &request).await,
                    None => match Connection::open(&authority).await {
                        Ok(mut c) => {
                            let answer = c.exchange(&request).await;
                            conn = Some(c);
                            answer
                        }
                        Err(e) => Err(format!("connect: {e}")),
                    },
                };
                let problem = match outcome {
                    Ok(answer) if answer.is_success() => None,
                    Ok(answer) => Some(format!("HTTP {}: {}", answer.status, answer.body_text())),
                    Err(e) => {
                        conn = None;
                        Some(e)
                    }
                };
                match problem {
                    None => latencies.push(sent.elapsed()),
                    Some(problem) => {
                        errors += 1;
                        first_error.lock().await.get_or_insert(problem);
                    }
                }
            }
            (latencies, errors)
        });
    }
    let mut latencies = Vec::with_capacity(requests);
    let mut errors = 0;
    while let Some(done) = workers.join_next().await {
        let (l, e) = done.map_err(|e| format!("worker: {e}"))?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(json!({
        "mode": "load",
        "concurrency": concurrency,
        "requests": requests,
        "ok": latencies.len(),
        "errors": errors,
        "first_error": *first_error.lock().await,
        "elapsed_s": elapsed,
        "rps": latencies.len() as f64 / elapsed,
        "latency": summary(&latencies),
        "loadgen_cpu_s": self_cpu_seconds() - cpu_before,
    }))
}

// --- added -----------------------------------------------------------------------------------

/// The command the router builds for a `PUT` by Alice, observed now.
fn direct_command(workspace: &WorkspaceId, session_id: SessionId) -> UpsertCommand {
    let now = Timestamp::now();
    UpsertCommand {
        workspace: *workspace,
        session_id,
        fields: UpsertBody {
            title: Title::parse("Direct store session").expect("a valid title"),
            summary: Summary::parse("Benchmark session: one upsert through the API.")
                .expect("a valid summary"),
            finished_at: None,
            observed_at: now,
            facts: Default::default(),
        },
        caller: Caller::from_arn(alice().arn),
        mode: WriteMode::Upsert,
        new_uuid: uuid::Uuid::new_v4(),
        now,
    }
}

async fn added(
    endpoint: &str,
    workspace: &str,
    table: &str,
    requests: usize,
    warmup: usize,
    prefix: &str,
) -> Result<Value, String> {
    let authority = authority(endpoint)?;
    let workspace = workspace_id(workspace)?;
    let store = DynamoStore::new(sessions_function::aws::dynamodb_client().await, table);
    let mut conn = Connection::open(&authority)
        .await
        .map_err(|e| format!("connect to {authority}: {e}"))?;
    let mut direct = Vec::with_capacity(requests);
    let mut through = Vec::with_capacity(requests);
    let cpu_before = self_cpu_seconds();
    for n in 0..warmup + requests {
        // Alternate which path goes first, so neither always runs on a warmer cache.
        for path in if n % 2 == 0 { [0, 1] } else { [1, 0] } {
            let started = Instant::now();
            if path == 0 {
                let command = direct_command(&workspace, session(&format!("{prefix}-direct"), n));
                store
                    .upsert(&command)
                    .await
                    .map_err(|e| format!("direct upsert {n}: {e:?}"))?;
                if n >= warmup {
                    direct.push(started.elapsed());
                }
            } else {
                let request = upsert_request(
                    &authority,
                    &workspace,
                    &session(&format!("{prefix}-api"), n),
                    "Through the API session",
                );
                let answer = conn.exchange(&request).await?;
                if !answer.is_success() {
                    return Err(format!(
                        "upsert {n} through the API: HTTP {}: {}",
                        answer.status,
                        answer.body_text()
                    ));
                }
                if n >= warmup {
                    through.push(started.elapsed());
                }
            }
        }
    }
    let direct_summary = summary(&direct);
    let through_summary = summary(&through);
    let added = |key: &str| {
        through_summary[key].as_f64().unwrap_or(0.0) - direct_summary[key].as_f64().unwrap_or(0.0)
    };
    Ok(json!({
        "mode": "added",
        "requests": requests,
        "direct": direct_summary,
        "function": through_summary,
        "added_p50_ms": added("p50_ms"),
        "added_p99_ms": added("p99_ms"),
        "loadgen_cpu_s": self_cpu_seconds() - cpu_before,
    }))
}

// --- init ------------------------------------------------------------------------------------

/// How long the server may take to answer at all.
const INIT_DEADLINE: Duration = Duration::from_secs(20);
/// Between connection attempts while the server is not listening yet.
const POLL: Duration = Duration::from_micros(200);

fn init(
    port: u16,
    request: &str,
    workspace: Option<&str>,
    command: &[String],
) -> Result<Value, String> {
    let authority = format!("127.0.0.1:{port}");
    // Signed before the clock starts: the client's own work is not the server's start-up.
    let request = match request {
        "hello" => hello_request(&authority),
        "whoami" => whoami_request(&authority),
        _ => {
            let workspace = workspace_id(workspace.ok_or("--request upsert needs --workspace")?)?;
            let id = session("init", Timestamp::now().unix_millis() as usize);
            upsert_request(&authority, &workspace, &id, "First request after start")
        }
    };
    let addr: SocketAddr = authority.parse().map_err(|e| format!("{authority}: {e}"))?;
    let started = Instant::now();
    let mut child = std::process::Command::new(&command[0])
        .args(&command[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", command[0]))?;
    let outcome = (|| {
        let mut attempts = 0u32;
        let mut stream = loop {
            attempts += 1;
            match std::net::TcpStream::connect(addr) {
                Ok(stream) => break stream,
                Err(_) if started.elapsed() < INIT_DEADLINE => {
                    if let Ok(Some(status)) = child.try_wait() {
                        return Err(format!("{} exited early: {status}", command[0]));
                    }
                    std::thread::sleep(POLL);
                }
                Err(e) => return Err(format!("{} never listened on {addr}: {e}", command[0])),
            }
        };
        let listening = started.elapsed();
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let answer = exchange_blocking(&mut stream, &request)?;
        let answered = started.elapsed();
        if !answer.is_success() {
            return Err(format!(
                "first request: HTTP {}: {}",
                answer.status,
                answer.body_text()
            ));
        }
        Ok(json!({
            "mode": "init",
            "listening_ms": listening.as_secs_f64() * 1e3,
            "first_answer_ms": answered.as_secs_f64() * 1e3,
            "status": answer.status,
            "connect_attempts": attempts,
        }))
    })();
    let _ = child.kill();
    let _ = child.wait();
    outcome
}

// --- lambda-init -----------------------------------------------------------------------------

const RUNTIME_PREFIX: &str = "/2018-06-01/runtime/";
const REQUEST_ID: &str = "c0ffee00-0000-4000-8000-00000000beef";

/// What the stand-in Runtime API saw.
#[derive(Default)]
struct Runtime {
    event: Bytes,
    handed_out: bool,
    first_poll: Option<Instant>,
    answer: Option<(Instant, Result<Value, String>)>,
    done: Option<tokio::sync::oneshot::Sender<()>>,
}

async fn runtime_api(
    state: Arc<Mutex<Runtime>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let now = Instant::now();
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let mut s = state.lock().await;
    if parts.method == Method::GET && path.ends_with("/invocation/next") {
        s.first_poll.get_or_insert(now);
        if s.handed_out {
            // Nothing more: hold the poll, as Lambda does, until the function is stopped.
            drop(s);
            std::future::pending::<()>().await;
            unreachable!();
        }
        s.handed_out = true;
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() + 10_000);
        let mut response = Response::new(Full::new(s.event.clone()));
        let headers = response.headers_mut();
        for (name, value) in [
            ("content-type", "application/json".to_owned()),
            ("lambda-runtime-aws-request-id", REQUEST_ID.to_owned()),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:111122223333:function:sessions-bench".to_owned(),
            ),
            (
                "lambda-runtime-trace-id",
                "Root=1-6740a1b2-0123456789abcdef01234567".to_owned(),
            ),
        ] {
            headers.insert(name, value.parse().expect("a header value"));
        }
        return Ok(response);
    }
    if parts.method == Method::POST && path.starts_with(RUNTIME_PREFIX) {
        let outcome = if path.ends_with("/response") {
            serde_json::from_slice::<Value>(&body).map_err(|e| format!("answer is not JSON: {e}"))
        } else {
            Err(format!(
                "the function reported an error at {path}: {}",
                String::from_utf8_lossy(&body)
            ))
        };
        s.answer.get_or_insert((now, outcome));
        if let Some(done) = s.done.take() {
            let _ = done.send(());
        }
        let mut response = Response::new(Full::new(Bytes::from_static(b"{}")));
        *response.status_mut() = StatusCode::ACCEPTED;
        return Ok(response);
    }
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NOT_FOUND;
    Ok(response)
}

async fn lambda_init(event: &PathBuf, command: &[String]) -> Result<Value, String> {
    let event = std::fs::read(event).map_err(|e| format!("{}: {e}", event.display()))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let (done, finished) = tokio::sync::oneshot::channel();
    let state = Arc::new(Mutex::new(Runtime {
        event: Bytes::from(event),
        done: Some(done),
        ..Runtime::default()
    }));
    let serving = state.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let state = serving.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| runtime_api(state.clone(), req));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let started = Instant::now();
    let mut child = tokio::process::Command::new(&command[0])
        .args(&command[1..])
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", command[0]))?;
    let outcome = tokio::select! {
        _ = finished => Ok(()),
        status = child.wait() => Err(format!("{} exited before answering: {status:?}", command[0])),
        () = tokio::time::sleep(INIT_DEADLINE) => Err(format!("{} did not answer in time", command[0])),
    };
    let _ = child.kill().await;
    outcome?;
    let s = state.lock().await;
    let (answered, answer) = s.answer.as_ref().ok_or("no answer recorded")?;
    let answer = answer.clone()?;
    let status = answer["statusCode"].as_u64().unwrap_or(0);
    if !(200..300).contains(&status) {
        return Err(format!("first event answered {status}: {answer}"));
    }
    Ok(json!({
        "mode": "lambda-init",
        "first_poll_ms": s.first_poll.map(|t| (t - started).as_secs_f64() * 1e3),
        "first_answer_ms": (*answered - started).as_secs_f64() * 1e3,
        "status": status,
    }))
}
