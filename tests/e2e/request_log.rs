//! The function's request log as CloudWatch receives it: API Gateway events go through the
//! real Lambda adapter against DynamoDB Local, under the same JSON subscriber the `bootstrap`
//! binary installs, and each captured line is read field by field. One line per request with
//! request ids, route, status, latency and caller ARN; never the session's title or summary.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use sessions_e2e::{Signed, Stack, alice};
use sessions_function::{lambda, telemetry};

use sessions_e2e::fixtures::{
    APIGW_PUT_IAM as WITH_IAM, APIGW_PUT_NO_AUTHORIZER as WITHOUT_AUTHORIZER,
};
const ARN: &str = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0123456789abcdef/alice@example.com";
const API_REQUEST_ID: &str = "Bx1yZgHoDoEEMsw=";
const LAMBDA_REQUEST_ID: &str = "3f6f1c2e-52a8-4a7e-9b0c-7d2f1e4a9c55";
const SESSION_ROUTE: &str = "/v1/workspaces/{workspace_uuid}/sessions/{session_id}";
/// The fixture's title and summary: the user's words, which must never reach the log.
const TITLE: &str = "Add jittered retry to S3 uploader";
const SUMMARY: &str = "upload() retries 503s with backoff and jitter.";

/// Everything the subscriber writes, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("log buffer poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }

    /// Every line, each of which must be one JSON object.
    fn lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {line}"))
            })
            .collect()
    }

    /// The lines with this message.
    fn with_message(&self, message: &str) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|line| line["message"] == message)
            .collect()
    }
}

/// Logs of the current thread go to the returned buffer, formatted as in Lambda at `info`.
/// The tests run on a current-thread runtime, so every task they spawn logs here too.
fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let logs = Captured::default();
    let writer = logs.clone();
    let guard = tracing::subscriber::set_default(telemetry::json_subscriber("info", move || {
        writer.clone()
    }));
    (logs, guard)
}

/// An API Gateway event as the Lambda runtime hands it over, with Lambda's request id.
fn lambda_request(event: &str) -> lambda_http::Request {
    use lambda_http::RequestExt;
    let mut context = lambda_http::Context::default();
    context.request_id = LAMBDA_REQUEST_ID.to_owned();
    lambda_http::request::from_str(event)
        .expect("lambda_http decodes the event")
        .with_lambda_context(context)
}

fn edit(event: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(event).expect("fixture is JSON");
    change(&mut v);
    v.to_string()
}

#[tokio::test(flavor = "current_thread")]
async fn lambda_request_line_has_ids_route_status_latency_and_caller() {
    let stack = Stack::start().await;
    let (logs, _guard) = capture();

    let response = lambda::handle(&stack.api, lambda_request(WITH_IAM)).await;
    assert_eq!(response.status(), 201);

    let lines = logs.with_message("request");
    assert_eq!(lines.len(), 1, "one line per request: {}", logs.text());
    let line = &lines[0];
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["request_id"], LAMBDA_REQUEST_ID);
    assert_eq!(line["api_request_id"], API_REQUEST_ID);
    assert_eq!(line["method"], "PUT");
    assert_eq!(line["route"], SESSION_ROUTE);
    assert_eq!(line["status"], 201);
    assert!(line["latency_us"].is_u64(), "latency_us: {line}");
    assert_eq!(line["caller"], ARN);
}

#[tokio::test(flavor = "current_thread")]
async fn titles_and_summaries_never_reach_the_log() {
    let stack = Stack::start().await;
    let (logs, _guard) = capture();

    // Created, then the same delivery again (stale), then a title the API refuses: the refusal
    // names the bad title to the caller, never in the log.
    let first = lambda::handle(&stack.api, lambda_request(WITH_IAM)).await;
    assert_eq!(first.status(), 201);
    let again = lambda::handle(&stack.api, lambda_request(WITH_IAM)).await;
    assert_eq!(again.status(), 409);
    let refused_title = "Leaked\u{7} secret plan";
    let bad = edit(WITH_IAM, |v| {
        v["body"] = serde_json::json!({
            "title": refused_title,
            "summary": "A summary nobody should see in CloudWatch.",
            "observed_at": "2026-11-20T09:04:00Z",
        })
        .to_string()
        .into();
    });
    let bad = lambda::handle(&stack.api, lambda_request(&bad)).await;
    assert_eq!(bad.status(), 400);

    let statuses: Vec<Value> = logs
        .with_message("request")
        .iter()
        .map(|line| line["status"].clone())
        .collect();
    assert_eq!(statuses, [201, 409, 400]);
    let text = logs.text();
    for secret in [
        TITLE,
        SUMMARY,
        "Leaked",
        "A summary nobody should see in CloudWatch.",
    ] {
        assert!(!text.contains(secret), "{secret:?} is in the log:\n{text}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_request_without_identity_is_logged_with_its_ids() {
    let stack = Stack::start().await;
    let (logs, _guard) = capture();

    let response = lambda::handle(&stack.api, lambda_request(WITHOUT_AUTHORIZER)).await;
    assert_eq!(response.status(), 401);

    let lines = logs.with_message("request without an IAM identity refused");
    assert_eq!(lines.len(), 1, "{}", logs.text());
    assert_eq!(lines[0]["level"], "WARN");
    assert_eq!(lines[0]["request_id"], LAMBDA_REQUEST_ID);
    assert_eq!(lines[0]["status"], 401);
    assert!(!logs.text().contains(TITLE));
}

#[tokio::test(flavor = "current_thread")]
async fn the_local_server_gives_each_request_its_own_id() {
    let stack = Stack::start().await;
    let (logs, _guard) = capture();
    let url = stack.session_url("0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60", "s-1");

    for _ in 0..2 {
        let reply = Signed::new("GET", url.as_str()).send_as(alice()).await;
        assert_eq!(reply.status, 404);
    }

    let lines = logs.with_message("request");
    assert_eq!(lines.len(), 2, "{}", logs.text());
    let ids: Vec<&str> = lines
        .iter()
        .map(|line| line["request_id"].as_str().expect("request_id is a string"))
        .collect();
    for id in &ids {
        uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("request_id {id:?}: {e}"));
    }
    assert_ne!(ids[0], ids[1]);
    assert!(lines[0].get("api_request_id").is_none(), "{}", lines[0]);
    assert_eq!(lines[0]["caller"], alice().arn);
    assert_eq!(lines[0]["route"], SESSION_ROUTE);
}
