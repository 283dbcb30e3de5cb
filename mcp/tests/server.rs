//! The server in process, fed raw JSON-RPC lines through a pipe: the log is read off the async
//! thread, and a log that fails or panics is a tool error while the server keeps answering.

use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use rmcp::ServiceExt;
use serde_json::{Value, json};
use sessions_core::{Session, SessionId};
use sessions_mcp::{
    Caller, Freshness, Hit, LogError, RecentQuery, SearchQuery, TeamLog, TeamMemory,
};
use tokio::io::{
    AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf,
};

/// Records the thread of every read; panics on `get`, fails `recent`.
struct Probe {
    threads: Arc<Mutex<Vec<ThreadId>>>,
}

impl TeamLog for Probe {
    fn search(&self, _: &SearchQuery) -> Result<Vec<Hit>, LogError> {
        self.threads
            .lock()
            .unwrap()
            .push(std::thread::current().id());
        Ok(Vec::new())
    }
    fn get(&self, _: &SessionId) -> Result<Option<Session>, LogError> {
        panic!("the probe's get panics");
    }
    fn recent(&self, _: &RecentQuery) -> Result<Vec<Session>, LogError> {
        Err(LogError::new("the mirror is locked by another process"))
    }
    fn freshness(&self) -> Result<Freshness, LogError> {
        self.threads
            .lock()
            .unwrap()
            .push(std::thread::current().id());
        Ok(Freshness::default())
    }
}

struct Client {
    writer: WriteHalf<DuplexStream>,
    lines: Lines<BufReader<ReadHalf<DuplexStream>>>,
    next_id: u64,
}

impl Client {
    /// Serves `log` on one end of an in-memory pipe and initializes a session from the other.
    async fn start(log: impl TeamLog) -> Client {
        let (client_end, server_end) = tokio::io::duplex(64 * 1024);
        let memory = TeamMemory::new(log, Caller::new(Some("me-1"), None));
        tokio::spawn(async move {
            if let Ok(running) = memory.serve(server_end).await {
                let _ = running.waiting().await;
            }
        });
        let (read, writer) = tokio::io::split(client_end);
        let mut client = Client {
            writer,
            lines: BufReader::new(read).lines(),
            next_id: 0,
        };
        let init = client
            .request(
                "initialize",
                json!({"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "test", "version": "0"}}),
            )
            .await;
        assert_eq!(init["result"]["serverInfo"]["name"], "sessions", "{init}");
        client
            .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        client
    }

    async fn send(&mut self, message: Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.writer.write_all(line.as_bytes()).await.unwrap();
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        loop {
            let line = self.lines.next_line().await.unwrap().expect("a reply");
            let reply: Value = serde_json::from_str(&line).expect("JSON-RPC from the server");
            if reply["id"] == json!(id) {
                return reply;
            }
        }
    }

    /// A tool call's (isError, text).
    async fn call(&mut self, tool: &str, arguments: Value) -> (bool, String) {
        let reply = self
            .request("tools/call", json!({"name": tool, "arguments": arguments}))
            .await;
        let result = &reply["result"];
        assert!(
            result.is_object(),
            "a tool result, not a protocol error: {reply}"
        );
        let text = result["content"][0]["text"].as_str().unwrap_or_default();
        (result["isError"] == json!(true), text.to_owned())
    }
}

// One thread runs every task of this runtime: a read on it would show up as this test's thread.
#[tokio::test(flavor = "current_thread")]
async fn the_log_is_read_off_the_async_thread_and_its_failures_are_tool_errors() {
    let threads = Arc::new(Mutex::new(Vec::new()));
    let mut client = Client::start(Probe {
        threads: Arc::clone(&threads),
    })
    .await;

    let (is_error, text) = client
        .call("search_sessions", json!({"query": "login"}))
        .await;
    assert!(!is_error, "{text}");
    assert!(
        text.starts_with("No teammate's session matches \"login\""),
        "{text}"
    );
    let reads = threads.lock().unwrap().clone();
    assert_eq!(reads.len(), 2, "search and freshness");
    assert!(
        reads.iter().all(|t| *t != std::thread::current().id()),
        "the log was read on the async thread"
    );

    let (is_error, text) = client
        .call("get_session", json!({"session_id": "s-1"}))
        .await;
    assert!(is_error, "{text}");
    assert!(
        text.starts_with("The team log failed while reading"),
        "{text}"
    );

    let (is_error, text) = client.call("recent_sessions", json!({})).await;
    assert!(is_error, "{text}");
    assert_eq!(
        text,
        "The team log cannot be read: the mirror is locked by another process. Carry on without it, and tell the user if they asked for it."
    );

    // Still serving after a panic and a failure.
    let (is_error, _) = client.call("search_sessions", json!({"query": "x"})).await;
    assert!(!is_error);
    let (is_error, text) = client
        .call("get_session", json!({"session_id": "me-1"}))
        .await;
    assert!(!is_error);
    assert_eq!(
        text,
        "me-1 is this session itself; the team log answers about other sessions."
    );
}
