//! A stand-in for the Anthropic Messages API on loopback, and a `claude` command aimed at it,
//! so tests drive the real Claude Code CLI (pinned in infra/claude-code) offline.
//!
//! `claude -p "..."` (Claude Code 2.1.330 to 2.1.332) makes exactly one call here when
//! `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`: `POST /v1/messages?beta=true` with
//! `"stream": true`, authenticated by `x-api-key`, carrying the session id in
//! `x-claude-code-session-id`. Nothing else is needed for `-p` mode: no `~/.claude.json`, no
//! onboarding, no workspace trust (project hooks in `.claude/settings.json` run in `-p` mode
//! without it), no `--dangerously-skip-permissions` when the model asks for no tools.
//!
//! Told to (`FakeAnthropic::call_tool`), it answers the first turn with a `tool_use` block
//! calling a tool the request offers (an MCP tool is offered as `mcp__<server>__<tool>`, a
//! plugin's as `mcp__plugin_<plugin>_<server>__<tool>`), and records the `tool_result` Claude
//! Code sends back in the next request's last user message (`FakeAnthropic::tool_results`).
//!
//! Told to (`FakeAnthropic::script`), it answers a call with the model and usage the test
//! chooses for it (input, output, cache reads, 5-minute and 1-hour cache writes), so that a
//! test knows exactly what Claude Code is billed for.
//!
//! The server runs on its own threads (plain blocking sockets, one thread per connection), so it
//! answers while a test blocks on a child process, whatever async runtime the test uses.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

type ReplyFn = dyn Fn(&Value) -> String + Send + Sync;
type ScriptFn = dyn Fn(&Request) -> Option<Scripted> + Send + Sync;

/// What the stand-in answered one Messages API call with: the model and the usage it reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The text the caller asked (`Request::user_text`), to tell the calls apart.
    pub asked: String,
    pub model: String,
    pub usage: Usage,
}

/// The token counts of an answer, as its final usage reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub cache_creation_input_tokens: u64,
}

/// The usage of an answer as the API bills it: cache writes split by how long they live.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Billed {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
}

impl Billed {
    /// The `usage` object of a message (the API's field names, the writes also in total).
    fn json(&self) -> Value {
        json!({
            "input_tokens": self.input,
            "output_tokens": self.output,
            "cache_creation_input_tokens": self.cache_write_5m + self.cache_write_1h,
            "cache_read_input_tokens": self.cache_read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache_write_5m,
                "ephemeral_1h_input_tokens": self.cache_write_1h,
            },
        })
    }
}

/// What the stand-in answers one call with, in place of its own counts (`FakeAnthropic::script`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scripted {
    /// The model the answer names; `None`: the one the request asked for.
    pub model: Option<String>,
    pub usage: Billed,
}

/// Cache tokens every answer reports, so that a reader of the usage is seen to count them.
const CACHE_READ_TOKENS: u64 = 2048;
const CACHE_CREATION_TOKENS: u64 = 128;

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path without the query (`/v1/messages` for `/v1/messages?beta=true`).
    pub path: String,
    /// The request-target as received, query included.
    pub target: String,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON, `Value::Null` when it is empty or not JSON.
    pub body: Value,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Is this a Messages API call (`POST /v1/messages`)?
    pub fn is_message(&self) -> bool {
        self.method == "POST" && self.path == "/v1/messages"
    }

    /// The text of the user turns of a Messages API body, joined by newlines: what the
    /// caller asked (Claude Code adds its own `<system-reminder>` blocks there too).
    pub fn user_text(&self) -> String {
        user_text(&self.body)
    }

    /// The names of the tools the request offers the model, in order.
    pub fn tool_names(&self) -> Vec<String> {
        offered_tools(&self.body)
            .filter_map(|t| t["name"].as_str().map(str::to_owned))
            .collect()
    }
}

fn offered_tools(body: &Value) -> impl Iterator<Item = &Value> {
    body["tools"].as_array().into_iter().flatten()
}

/// A tool call the stand-in makes on the first turn of a conversation.
#[derive(Debug, Clone)]
struct ToolCall {
    /// The end of the tool's name (`__search_sessions`): MCP tools are offered under a name
    /// that depends on how the server was configured.
    name_suffix: String,
    input: Value,
}

/// A `tool_result` Claude Code sent back for the stand-in's tool call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    /// The full name of the tool that was called, as the request offered it.
    pub tool_name: String,
    /// The input the stand-in called it with.
    pub input: Value,
    pub is_error: bool,
    /// The text blocks of the result, joined by newlines (a plain string content as it is).
    pub text: String,
}

/// The `tool_result` blocks of a request's last user message.
fn tool_result_blocks(body: &Value) -> Vec<&Value> {
    let last_user = body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .find(|m| m["role"] == "user");
    last_user
        .and_then(|m| m["content"].as_array())
        .into_iter()
        .flatten()
        .filter(|b| b["type"] == "tool_result")
        .collect()
}

/// The text of a `tool_result` block's content: a string, or text blocks joined by newlines.
fn tool_result_text(block: &Value) -> String {
    match &block["content"] {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter(|p| p["type"] == "text")
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The required properties of a tool's input schema that `input` lacks.
fn missing_required(schema: &Value, input: &Value) -> Vec<String> {
    schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|name| input.get(name).is_none())
        .map(str::to_owned)
        .collect()
}

/// The text of the user turns of a Messages API request body, joined by newlines.
pub fn user_text(body: &Value) -> String {
    let mut out = Vec::new();
    for message in body["messages"].as_array().into_iter().flatten() {
        if message["role"] != "user" {
            continue;
        }
        match &message["content"] {
            Value::String(text) => out.push(text.clone()),
            Value::Array(blocks) => out.extend(
                blocks
                    .iter()
                    .filter(|b| b["type"] == "text")
                    .filter_map(|b| b["text"].as_str().map(str::to_owned)),
            ),
            _ => {}
        }
    }
    out.join("\n")
}

struct State {
    reply: Box<ReplyFn>,
    script: Mutex<Option<Arc<ScriptFn>>>,
    tool_call: Mutex<Option<ToolCall>>,
    tool_results: Mutex<Vec<ToolResult>>,
    requests: Mutex<Vec<Request>>,
    answers: Mutex<Vec<Answer>>,
    delay: Mutex<Duration>,
    stop: AtomicBool,
    next_id: AtomicU64,
}

/// The stand-in Anthropic Messages API, listening on 127.0.0.1 until dropped.
pub struct FakeAnthropic {
    addr: SocketAddr,
    state: Arc<State>,
}

impl FakeAnthropic {
    /// Starts answering on a free loopback port. Every `POST /v1/messages` is answered with
    /// the text `reply_text` returns for the request body: as a server-sent-event stream when
    /// the body says `"stream": true` (message_start, content_block_start, ping,
    /// content_block_delta with a text_delta, content_block_stop, message_delta with
    /// stop_reason end_turn and usage, message_stop), as one JSON message otherwise.
    pub fn start(reply_text: impl Fn(&Value) -> String + Send + Sync + 'static) -> FakeAnthropic {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("bound address");
        let state = Arc::new(State {
            reply: Box::new(reply_text),
            script: Mutex::new(None),
            tool_call: Mutex::new(None),
            tool_results: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            answers: Mutex::new(Vec::new()),
            delay: Mutex::new(Duration::ZERO),
            stop: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
        });
        let accept_state = state.clone();
        thread::Builder::new()
            .name("fake-anthropic".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if accept_state.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let state = accept_state.clone();
                    let _ = thread::Builder::new()
                        .name("fake-anthropic-conn".into())
                        .spawn(move || {
                            if let Err(e) = serve_connection(stream, &state)
                                && !matches!(
                                    e.kind(),
                                    io::ErrorKind::BrokenPipe
                                        | io::ErrorKind::ConnectionReset
                                        | io::ErrorKind::UnexpectedEof
                                )
                            {
                                eprintln!("fake-anthropic: connection error: {e}");
                            }
                        });
                }
            })
            .expect("spawn the fake Anthropic API thread");
        FakeAnthropic { addr, state }
    }

    /// Like `start`, always answering `text`.
    pub fn replying(text: &str) -> FakeAnthropic {
        let text = text.to_owned();
        FakeAnthropic::start(move |_| text.clone())
    }

    /// The base URL for `ANTHROPIC_BASE_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits this long before answering each Messages API call (a slow model).
    pub fn set_delay(&self, delay: Duration) {
        *self.state.delay.lock().expect("delay lock") = delay;
    }

    /// From now on, answers a request that offers a tool whose name ends with `name_suffix`
    /// (`__search_sessions`) and carries no `tool_result` yet with a `tool_use` block calling
    /// that tool with `input`, which must hold every property the tool's input schema
    /// requires. The request that brings the result back gets the usual text answer.
    /// Claude Code (2.1.332) offers an MCP tool in the first request only with
    /// `ENABLE_TOOL_SEARCH=false` (else only `ToolSearch`), and in `-p` mode runs the call only
    /// when `--allowedTools` names the tool exactly.
    pub fn call_tool(&self, name_suffix: &str, input: Value) {
        *self.state.tool_call.lock().expect("tool call lock") = Some(ToolCall {
            name_suffix: name_suffix.to_owned(),
            input,
        });
    }

    /// From now on, answers each Messages API call for which `script` says something with
    /// that model and usage (a call it returns `None` for gets the usual counts).
    pub fn script(&self, script: impl Fn(&Request) -> Option<Scripted> + Send + Sync + 'static) {
        *self.state.script.lock().expect("script lock") = Some(Arc::new(script));
    }

    /// The `tool_result`s Claude Code sent back for the stand-in's tool calls, in order.
    pub fn tool_results(&self) -> Vec<ToolResult> {
        self.state
            .tool_results
            .lock()
            .expect("tool results lock")
            .clone()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().expect("requests lock").clone()
    }

    /// The model and usage of every Messages API call answered so far, in order.
    pub fn answers(&self) -> Vec<Answer> {
        self.state.answers.lock().expect("answers lock").clone()
    }

    /// The Messages API calls received so far, in order.
    pub fn messages(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(Request::is_message)
            .collect()
    }
}

impl Drop for FakeAnthropic {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag and closes the port.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

/// Serves HTTP/1.1 requests on one connection until the client closes it (keep-alive).
fn serve_connection(stream: TcpStream, state: &State) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split(' ');
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        if header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
            writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        let body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            read_chunked(&mut reader)?
        } else {
            let len: usize = header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            reader.read_exact(&mut body)?;
            body
        };
        let close = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let request = Request {
            path: target.split('?').next().unwrap_or_default().to_owned(),
            target,
            method,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            headers,
        };
        state
            .requests
            .lock()
            .expect("requests lock")
            .push(request.clone());
        respond(&mut writer, state, &request)?;
        if close {
            return Ok(());
        }
    }
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size)?;
        let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        if size == 0 {
            // Trailers, then the empty line.
            loop {
                let mut t = String::new();
                if reader.read_line(&mut t)? == 0 || t.trim_end().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf)?;
    }
}

fn respond(w: &mut TcpStream, state: &State, request: &Request) -> io::Result<()> {
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/v1/messages") => {
            let delay = *state.delay.lock().expect("delay lock");
            if !delay.is_zero() {
                thread::sleep(delay);
            }
            record_tool_results(state, &request.body);
            let content = match tool_use_for(state, &request.body) {
                Some(call) => call,
                None => Content::Text((state.reply)(&request.body)),
            };
            let id = format!(
                "msg_fake_{:04}",
                state.next_id.fetch_add(1, Ordering::SeqCst)
            );
            let asked_model = request.body["model"].as_str().unwrap_or("claude-fake");
            let script = state.script.lock().expect("script lock").clone();
            let (model, billed) = match script.and_then(|script| script(request)) {
                Some(Scripted { model, usage }) => {
                    (model.unwrap_or_else(|| asked_model.to_owned()), usage)
                }
                None => (
                    asked_model.to_owned(),
                    Billed {
                        input: (request.body.to_string().len() / 4).max(1) as u64,
                        output: content.words().max(1) as u64,
                        cache_read: CACHE_READ_TOKENS,
                        cache_write_5m: CACHE_CREATION_TOKENS,
                        cache_write_1h: 0,
                    },
                ),
            };
            state.answers.lock().expect("answers lock").push(Answer {
                asked: request.user_text(),
                model: model.clone(),
                usage: Usage {
                    input_tokens: billed.input,
                    output_tokens: billed.output,
                    cache_read_input_tokens: billed.cache_read,
                    cache_creation_input_tokens: billed.cache_write_5m + billed.cache_write_1h,
                },
            });
            if request.body["stream"] == true {
                stream_message(w, &id, &model, &content, &billed)
            } else {
                let message = json!({
                    "id": id, "type": "message", "role": "assistant", "model": model,
                    "content": [content.block()],
                    "stop_reason": content.stop_reason(), "stop_sequence": null,
                    "usage": billed.json(),
                });
                write_json(w, 200, &message)
            }
        }
        ("POST", "/v1/messages/count_tokens") => {
            let tokens = (request.body.to_string().len() / 4).max(1);
            write_json(w, 200, &json!({ "input_tokens": tokens }))
        }
        (method, _) => {
            eprintln!(
                "fake-anthropic: no handler for {method} {}; answering 404",
                request.target
            );
            write_json(
                w,
                404,
                &json!({
                    "type": "error",
                    "error": {
                        "type": "not_found_error",
                        "message": format!("the stand-in Anthropic API has no {method} {}", request.path),
                    },
                }),
            )
        }
    }
}

/// The one content block of an answer.
enum Content {
    Text(String),
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
}

impl Content {
    fn block(&self) -> Value {
        match self {
            Content::Text(text) => json!({"type": "text", "text": text}),
            Content::ToolUse { id, name, input } => {
                json!({"type": "tool_use", "id": id, "name": name, "input": input})
            }
        }
    }

    fn stop_reason(&self) -> &'static str {
        match self {
            Content::Text(_) => "end_turn",
            Content::ToolUse { .. } => "tool_use",
        }
    }

    fn words(&self) -> usize {
        match self {
            Content::Text(text) => text.split_whitespace().count(),
            Content::ToolUse { input, .. } => input.to_string().split_whitespace().count(),
        }
    }

    /// The server-sent events that stream this block at `index`: its start (a tool_use starts
    /// with an empty input, as the real API does), one delta, its stop.
    fn stream_events(&self, index: usize) -> [(&'static str, Value); 3] {
        let (start, delta) = match self {
            Content::Text(text) => (
                json!({"type": "text", "text": ""}),
                json!({"type": "text_delta", "text": text}),
            ),
            Content::ToolUse { id, name, input } => (
                json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
                json!({"type": "input_json_delta", "partial_json": input.to_string()}),
            ),
        };
        [
            (
                "content_block_start",
                json!({"type": "content_block_start", "index": index, "content_block": start}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index, "delta": delta}),
            ),
            (
                "content_block_stop",
                json!({"type": "content_block_stop", "index": index}),
            ),
        ]
    }
}

/// The configured tool call, when this request is a first turn that offers the tool.
fn tool_use_for(state: &State, body: &Value) -> Option<Content> {
    let call = state.tool_call.lock().expect("tool call lock").clone()?;
    if !tool_result_blocks(body).is_empty() {
        return None;
    }
    let tool = offered_tools(body).find(|t| {
        t["name"]
            .as_str()
            .is_some_and(|n| n.ends_with(&call.name_suffix))
    })?;
    let name = tool["name"].as_str()?.to_owned();
    let missing = missing_required(&tool["input_schema"], &call.input);
    if !missing.is_empty() {
        eprintln!(
            "fake-anthropic: not calling {name}: its input schema requires {missing:?}, \
             missing from the configured input {}",
            call.input
        );
        return None;
    }
    let id = format!(
        "toolu_fake_{:04}",
        state.next_id.fetch_add(1, Ordering::SeqCst)
    );
    Some(Content::ToolUse {
        id,
        name,
        input: call.input,
    })
}

/// Keeps the `tool_result`s a request brings back for the stand-in's own tool calls.
fn record_tool_results(state: &State, body: &Value) {
    let calls: Vec<&Value> = body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "assistant")
        .filter_map(|m| m["content"].as_array())
        .flatten()
        .filter(|b| b["type"] == "tool_use")
        .collect();
    for block in tool_result_blocks(body) {
        let Some(call) = calls.iter().find(|c| c["id"] == block["tool_use_id"]) else {
            continue;
        };
        if !call["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("toolu_fake_"))
        {
            continue;
        }
        state
            .tool_results
            .lock()
            .expect("tool results lock")
            .push(ToolResult {
                tool_name: call["name"].as_str().unwrap_or_default().to_owned(),
                input: call["input"].clone(),
                is_error: block["is_error"] == true,
                text: tool_result_text(block),
            });
    }
}

/// The Messages API streaming format: one chunk per server-sent event.
fn stream_message(
    w: &mut TcpStream,
    id: &str,
    model: &str,
    content: &Content,
    billed: &Billed,
) -> io::Result<()> {
    let [block_start, block_delta, block_stop] = content.stream_events(0);
    let events = [
        (
            "message_start",
            json!({"type": "message_start", "message": {
                "id": id, "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": Billed { output: 1, ..*billed }.json(),
            }}),
        ),
        block_start,
        ("ping", json!({"type": "ping"})),
        block_delta,
        block_stop,
        (
            "message_delta",
            json!({"type": "message_delta",
                   "delta": {"stop_reason": content.stop_reason(), "stop_sequence": null},
                   "usage": {"output_tokens": billed.output}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ];
    // A request id of its own, as the API gives each call: transcripts key responses by it.
    write!(
        w,
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\
         request-id: req_{id}\r\ntransfer-encoding: chunked\r\n\r\n",
    )?;
    for (event, data) in events {
        let chunk = format!("event: {event}\ndata: {data}\n\n");
        write!(w, "{:x}\r\n{chunk}\r\n", chunk.len())?;
        w.flush()?;
    }
    w.write_all(b"0\r\n\r\n")?;
    w.flush()
}

fn write_json(w: &mut TcpStream, status: u16, body: &Value) -> io::Result<()> {
    let body = body.to_string();
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Unknown",
    };
    write!(
        w,
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\nrequest-id: req_fake\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    )?;
    w.flush()
}

/// A pinned Claude Code release the tests drive; `infra/claude-code/install` installs both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// The current release, pinned in infra/claude-code/package-lock.json.
    Current,
    /// The oldest release the hooks still support, pinned in infra/claude-code/oldest.
    Oldest,
}

impl Release {
    /// The npm project that pins this release.
    fn dir(self) -> PathBuf {
        let dir = crate::repo_root().join("infra/claude-code");
        match self {
            Release::Current => dir,
            Release::Oldest => dir.join("oldest"),
        }
    }

    /// The `claude` binary of this release.
    pub fn bin(self) -> PathBuf {
        let bin = self.dir().join("node_modules/.bin/claude");
        assert!(
            bin.exists(),
            "the Claude Code CLI is not installed at {}: run infra/claude-code/install \
             (infra/test does it)",
            bin.display()
        );
        bin
    }

    /// The version of this release as it writes it in its transcripts (`2.1.332`).
    pub fn version(self) -> String {
        let out = Command::new(self.bin())
            .arg("--version")
            .env("DISABLE_AUTOUPDATER", "1")
            .output()
            .expect("run claude --version");
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace()
            .next()
            .unwrap_or_else(|| panic!("claude --version said nothing: {text}"))
            .to_owned()
    }

    /// A `claude` command of this release with a clean environment, aimed at the stand-in API
    /// at `anthropic_url`: `HOME` is `home` (so `~/.claude`, `~/.claude.json` and transcripts
    /// land there), `TMPDIR` is `home/tmp` (Claude Code keeps per-session scratch files and
    /// sockets under it), any API key, no nonessential traffic (no telemetry, error reports,
    /// update checks), a PATH with node and the system tools hooks use. It starts in `home`
    /// with stdin closed (`-p` would otherwise wait for stdin); set `current_dir` to a project
    /// to pick up its `.claude/settings.json`.
    pub fn command(self, home: &Path, anthropic_url: &str) -> Command {
        let bin = self.bin();
        let tmp = home.join("tmp");
        std::fs::create_dir_all(&tmp).expect("create the temporary HOME and its tmp dir");
        let mut path: Vec<PathBuf> = Vec::new();
        if let Some(node_dir) = find_on_path("node").and_then(|n| n.parent().map(Path::to_path_buf))
        {
            path.push(node_dir);
        }
        path.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
        path.dedup();
        let mut cmd = Command::new(bin);
        cmd.env_clear()
            .current_dir(home)
            .stdin(Stdio::null())
            .env("HOME", home)
            .env("TMPDIR", &tmp)
            .env("PATH", std::env::join_paths(path).expect("PATH"))
            .env("LANG", "C.UTF-8")
            .env("ANTHROPIC_BASE_URL", anthropic_url)
            .env("ANTHROPIC_API_KEY", "sk-ant-offline-test-key")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        cmd
    }
}

/// The version of the current pinned Claude Code CLI (`Release::Current.version()`).
pub fn claude_version() -> String {
    Release::Current.version()
}

/// The current pinned Claude Code CLI (`Release::Current.bin()`).
pub fn claude_bin() -> PathBuf {
    Release::Current.bin()
}

/// A `claude` command of the current pinned release (`Release::Current.command`).
pub fn claude_command(home: &Path, anthropic_url: &str) -> Command {
    Release::Current.command(home, anthropic_url)
}

/// Puts `dir` first on a `claude` command's PATH (where hooks and MCP servers look for
/// programs).
pub fn put_first_on_path(cmd: &mut Command, dir: &Path) {
    let path = cmd
        .get_envs()
        .find(|(k, _)| *k == "PATH")
        .and_then(|(_, v)| v)
        .map(|v| v.to_owned())
        .unwrap_or_default();
    let mut dirs = vec![dir.to_path_buf()];
    dirs.extend(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(dirs).expect("PATH"));
}

/// The events `claude -p --output-format stream-json --verbose` printed, one JSON object a line.
pub fn stream_json_events(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("a stream-json line is not JSON ({e}): {l:?}"))
        })
        .collect()
}

/// The `system/init` event of a stream-json run: tools, `mcp_servers` with their status,
/// `plugins`, and `plugin_errors` when a plugin failed to load.
pub fn init_event(events: &[Value]) -> &Value {
    events
        .iter()
        .find(|e| e["type"] == "system" && e["subtype"] == "init")
        .unwrap_or_else(|| panic!("no system/init event in {events:#?}"))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
