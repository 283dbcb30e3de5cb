//! Test harness for the end-to-end tests: DynamoDB Local (started through the same infra
//! script as the local stack), one fresh table (or, for logic that needs no DynamoDB, an
//! in-memory store) and one local API server on a random port per test, a SigV4 signer built
//! on `aws-sigv4` exactly as a client would sign, and the path of the real `cargo-ai` binary.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use aws_sdk_dynamodb::types::AttributeValue;
use sessions_function::auth::{LOCAL_KEYS, LocalKey, LocalVerifier};
use sessions_function::router::Api;
use sessions_function::settings::AllowList;
use sessions_function::store::{DynamoStore, MemoryStore, SessionStore, table};
use tokio::sync::oneshot;

pub mod fake_anthropic;
pub mod fixtures;

pub use sessions_function::auth::LocalKey as Key;

/// Alice and Bob, the local server's documented identities.
pub fn alice() -> &'static LocalKey {
    &LOCAL_KEYS[0]
}

pub fn bob() -> &'static LocalKey {
    &LOCAL_KEYS[1]
}

pub const REGION: &str = "us-east-1";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The DynamoDB Local endpoint: `SESSIONS_TEST_DYNAMODB` when the test command started one,
/// otherwise `infra/local/up --dynamodb-only` starts (or reuses) the local stack's.
pub fn dynamodb_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        if let Ok(endpoint) = std::env::var("SESSIONS_TEST_DYNAMODB") {
            return endpoint;
        }
        let out = Command::new(repo_root().join("infra/local/up"))
            .arg("--dynamodb-only")
            .output()
            .expect("cannot run infra/local/up; the end-to-end tests need DynamoDB Local (Java 17 + npm)");
        assert!(
            out.status.success(),
            "infra/local/up --dynamodb-only failed; the end-to-end tests need DynamoDB Local.\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("export AWS_ENDPOINT_URL_DYNAMODB="))
            .expect("infra/local/up printed no AWS_ENDPOINT_URL_DYNAMODB")
            .trim()
            .to_owned()
    })
}

/// A plain HTTP client for the tests' own requests, with the TLS setup every client of ours has.
pub fn http_client() -> reqwest::Client {
    sessions_aws::tls::install_rustls_provider();
    reqwest::Client::new()
}

/// A DynamoDB client for DynamoDB Local that ignores the caller's environment.
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    sessions_function::aws::local_dynamodb_client(dynamodb_endpoint()).await
}

/// Where a test's sessions live behind the API: DynamoDB Local (`Dynamo`), or the in-memory
/// store (`Memory`) with the same semantics.
pub trait Backend: Send + Sync + 'static {
    type Store: SessionStore;
}

/// A fresh DynamoDB Local table, for tests of what DynamoDB does (and `raw_item`, to see what
/// it stores).
pub struct Dynamo {
    pub table: String,
    pub dynamodb: aws_sdk_dynamodb::Client,
}

impl Backend for Dynamo {
    type Store = DynamoStore;
}

/// The in-memory store, for tests of logic that needs no DynamoDB: no Java to start, and the
/// same real socket, SigV4 and `cargo-ai`.
pub struct Memory;

impl Backend for Memory {
    type Store = MemoryStore;
}

/// One test's world: the local API server, on a random port, in front of its own store (a
/// fresh DynamoDB Local table by default).
pub struct Stack<B: Backend = Dynamo> {
    pub url: String,
    pub api: Arc<Api<B::Store>>,
    backend: B,
    stop: Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>,
}

impl Stack<Dynamo> {
    pub async fn start() -> Stack {
        Stack::with_allow_list(AllowList::any()).await
    }

    pub async fn with_allow_list(allow_list: AllowList) -> Stack {
        let dynamodb = dynamodb_client().await;
        let table = format!("test-{}", uuid::Uuid::new_v4());
        table::create_if_missing(&dynamodb, &table)
            .await
            .expect("cannot create the test table in DynamoDB Local");
        let store = DynamoStore::new(dynamodb.clone(), &table);
        Stack::serving(store, allow_list, Dynamo { table, dynamodb }).await
    }

    /// The raw DynamoDB item, read directly (consistent), bypassing the API.
    pub async fn raw_item(
        &self,
        workspace: &str,
        session_id: &str,
    ) -> Option<HashMap<String, AttributeValue>> {
        self.dynamodb
            .get_item()
            .table_name(&self.table)
            .key("workspace_uuid", AttributeValue::S(workspace.to_owned()))
            .key("session_id", AttributeValue::S(session_id.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("GetItem on DynamoDB Local")
            .item
    }

    /// How many items the table holds (a Scan: fine for a test's own small table).
    pub async fn item_count(&self) -> usize {
        self.dynamodb
            .scan()
            .table_name(&self.table)
            .send()
            .await
            .expect("Scan on DynamoDB Local")
            .items()
            .len()
    }
}

/// A DynamoDB stack reads as its table: `stack.table`, `stack.dynamodb`.
impl std::ops::Deref for Stack<Dynamo> {
    type Target = Dynamo;

    fn deref(&self) -> &Dynamo {
        &self.backend
    }
}

impl Stack<Memory> {
    /// The API over the in-memory store, accepting any workspace.
    pub async fn in_memory() -> Stack<Memory> {
        Stack::serving(MemoryStore::new(), AllowList::any(), Memory).await
    }
}

impl<B: Backend> Stack<B> {
    async fn serving(store: B::Store, allow_list: AllowList, backend: B) -> Stack<B> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("cannot bind a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("bound address"));
        let mut stack = Stack {
            url,
            api: Arc::new(Api::new(store, allow_list)),
            backend,
            stop: None,
        };
        stack.serve(listener);
        stack
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let (stop, stopped) = oneshot::channel::<()>();
        let (done, finished) = oneshot::channel::<()>();
        let api = self.api.clone();
        tokio::spawn(async move {
            sessions_function::local::serve(
                listener,
                api,
                Arc::new(LocalVerifier::default()),
                async move {
                    let _ = stopped.await;
                },
            )
            .await;
            let _ = done.send(());
        });
        self.stop = Some((stop, finished));
    }

    /// Stops the API server (the port is closed: clients get "connection refused").
    pub async fn stop_server(&mut self) {
        if let Some((stop, finished)) = self.stop.take() {
            let _ = stop.send(());
            let _ = finished.await;
        }
    }

    /// Starts the API server again on the same port.
    pub async fn restart_server(&mut self) {
        let addr = self.url.trim_start_matches("http://").to_owned();
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .expect("rebind the server's port");
        self.serve(listener);
    }

    pub fn session_url(&self, workspace: &str, session_id: &str) -> String {
        format!(
            "{}/v1/workspaces/{workspace}/sessions/{session_id}",
            self.url
        )
    }
}

impl<B: Backend> Drop for Stack<B> {
    fn drop(&mut self) {
        if let Some((stop, _)) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A request about to be signed and sent, the way any SigV4 client does it.
pub struct Signed {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Signed {
    pub fn new(method: &'static str, url: impl Into<String>) -> Self {
        Signed {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn json(mut self, body: &serde_json::Value) -> Self {
        self.body = serde_json::to_vec(body).expect("serialize test body");
        self.header("content-type", "application/json")
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Signs as `key` at `time` (the shared signer, service execute-api) and returns the headers to add.
    pub fn signature_headers(
        &self,
        key_id: &str,
        secret: &str,
        time: SystemTime,
    ) -> Vec<(String, String)> {
        let host = self
            .url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .expect("url has a host")
            .to_owned();
        let mut headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        headers.push(("host", &host));
        let request = sessions_aws::Request {
            method: self.method,
            url: &self.url,
            headers: &headers,
            body: &self.body,
        };
        let credentials = sessions_aws::static_credentials(key_id, secret);
        sessions_aws::sign_request(&credentials, REGION, time, &request)
            .expect("sign")
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
    }

    /// Sends it signed by `key` now.
    pub async fn send_as(self, key: &LocalKey) -> Reply {
        let headers =
            self.signature_headers(key.access_key_id, key.secret_access_key, SystemTime::now());
        self.send_with(headers).await
    }

    /// Sends it signed by `key` over a plain socket, with the path exactly as written
    /// (HTTP clients normalize `..` and friends away; attackers do not).
    pub async fn send_raw_as(self, key: &LocalKey) -> Reply {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let signature =
            self.signature_headers(key.access_key_id, key.secret_access_key, SystemTime::now());
        let rest = self.url.split_once("://").expect("absolute url").1;
        let (authority, path) = rest.split_at(rest.find('/').expect("url has a path"));
        let mut request = format!(
            "{} {path} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\ncontent-length: {}\r\n",
            self.method,
            self.body.len()
        );
        for (k, v) in self.headers.iter().chain(signature.iter()) {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        let mut stream = tokio::net::TcpStream::connect(authority)
            .await
            .expect("connect to the local server");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("write request");
        stream.write_all(&self.body).await.expect("write body");
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .expect("read response");
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
        let raw = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        let json = serde_json::from_str(&raw)
            .unwrap_or_else(|_| panic!("response (HTTP {status}) is not JSON: {raw}"));
        Reply {
            status,
            headers: reqwest::header::HeaderMap::new(),
            json,
            raw,
        }
    }

    /// Sends it with exactly these extra headers (none: unsigned).
    pub async fn send_with(self, extra: Vec<(String, String)>) -> Reply {
        let client = http_client();
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).expect("method");
        let mut request = client.request(method, &self.url).body(self.body);
        for (k, v) in self.headers.iter().chain(extra.iter()) {
            request = request.header(k, v);
        }
        let response = request.send().await.expect("request to the local server");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("response body");
        let json = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "response (HTTP {status}) is not JSON: {}",
                String::from_utf8_lossy(&bytes)
            )
        });
        let raw = String::from_utf8_lossy(&bytes).into_owned();
        Reply {
            status,
            headers,
            json,
            raw,
        }
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: serde_json::Value,
    /// The body as sent, for checks of field order.
    pub raw: String,
}

impl Reply {
    /// Asserts an error reply with this status and code and a message, and returns the message.
    pub fn expect_error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status, status, "status; body: {}", self.json);
        assert_eq!(
            self.json["error"]["code"], code,
            "error code; body: {}",
            self.json
        );
        let message = self.json["error"]["message"]
            .as_str()
            .expect("error.message is a string");
        assert!(message.len() > 10, "message too terse: {message:?}");
        message.to_owned()
    }
}

/// A binary of the workspace (`cargo-ai`, `sessions-local`), built by `cargo test --workspace`
/// next to this test binary.
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target profile dir");
    let bin = dir.join(name);
    assert!(
        bin.exists(),
        "{} is missing; run the tests with `cargo test --workspace` so the binaries are built",
        bin.display()
    );
    bin
}

pub fn cargo_ai_path() -> PathBuf {
    workspace_bin("cargo-ai")
}

/// A `cargo-ai` command with a clean environment aimed at `stack` as `key`.
pub fn cargo_ai<B: Backend>(
    stack: &Stack<B>,
    workspace: &str,
    key: &LocalKey,
) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(cargo_ai_path());
    cmd.env_clear()
        .current_dir(scratch_dir())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", scratch_dir().join("home"))
        .env("CARGO_AI_STATE_DIR", state_dir(workspace))
        .env("CARGO_AI_ENDPOINT", &stack.url)
        .env("CARGO_AI_WORKSPACE", workspace)
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", key.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", key.secret_access_key)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

pub fn new_workspace() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An empty directory of this test process, so no config file of the machine's is found.
pub fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"))
        .path()
}

/// The `cargo-ai` state directory (outbox) that `cargo_ai` uses for a workspace: each test
/// has its own workspace, so its own outbox.
pub fn state_dir(workspace: &str) -> PathBuf {
    scratch_dir().join("state").join(if workspace.is_empty() {
        "none"
    } else {
        workspace
    })
}

/// What a finished `cargo-ai` run left: its exit code and its output.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout of a successful run (fails the test with the stderr otherwise).
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        &self.stdout
    }

    /// The stdout of a successful run, as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok())
            .unwrap_or_else(|_| panic!("stdout is not JSON: {}", self.stdout))
    }
}

/// Runs `cmd` with `args` to completion (two minutes at most); a killed process has code -1.
pub async fn run(mut cmd: tokio::process::Command, args: &[&str]) -> Run {
    let out = tokio::time::timeout(std::time::Duration::from_secs(120), cmd.args(args).output())
        .await
        .expect("cargo-ai finished within two minutes")
        .expect("run cargo-ai");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The seed's upsert command line, for `run(cargo_ai(..), &upsert_args(..))`.
pub fn upsert_args<'a>(id: &'a str, title: &'a str, summary: &'a str) -> [&'a str; 9] {
    [
        "workspaceManagement",
        "session",
        "upsert",
        "--session-id",
        id,
        "--title",
        title,
        "--summary",
        summary,
    ]
}

/// Git in `dir` as a person has it: the repository's own config, no user-wide or system one.
/// Its trimmed stdout; a failing git fails the test.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git is installed (apt-get install git)");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Every file under `dir` (recursively) with its content as text: what rests on disk.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    out
}
