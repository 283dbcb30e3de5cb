//! What the function logs of a delete, as CloudWatch receives it: API Gateway events through
//! the real Lambda adapter against DynamoDB Local, under the JSON subscriber `bootstrap`
//! installs. One `delete` line per attempt with the workspace, session id, caller ARN and
//! outcome; never the session's title or summary.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use sessions_e2e::Stack;
use sessions_e2e::fixtures::APIGW_PUT_IAM;
use sessions_function::{lambda, telemetry};

const OWNER: &str = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0123456789abcdef/alice@example.com";
const OTHER: &str = "arn:aws:iam::111122223333:user/mallory";

/// Everything the subscriber writes.
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
}

/// The fixture's PUT turned into a DELETE of the same session by `arn`.
fn delete_event(arn: &str) -> String {
    let mut event: Value = serde_json::from_str(APIGW_PUT_IAM).expect("fixture is JSON");
    let route = "DELETE /v1/workspaces/{workspace_uuid}/sessions/{session_id}";
    event["routeKey"] = route.into();
    event["requestContext"]["routeKey"] = route.into();
    event["requestContext"]["http"]["method"] = "DELETE".into();
    event["requestContext"]["authorizer"]["iam"]["userArn"] = arn.into();
    event["headers"]
        .as_object_mut()
        .expect("headers")
        .retain(|name, _| !name.starts_with("content-"));
    event.as_object_mut().expect("event").remove("body");
    event.to_string()
}

fn request(event: &str) -> lambda_http::Request {
    lambda_http::request::from_str(event).expect("lambda_http decodes the event")
}

#[tokio::test(flavor = "current_thread")]
async fn each_delete_is_logged_with_who_and_what_and_never_the_text() {
    let stack = Stack::start().await;
    let logs = Captured::default();
    let writer = logs.clone();
    let _guard = tracing::subscriber::set_default(telemetry::json_subscriber("info", move || {
        writer.clone()
    }));

    let put: Value = serde_json::from_str(APIGW_PUT_IAM).expect("fixture is JSON");
    let body: Value = serde_json::from_str(put["body"].as_str().expect("body")).expect("JSON body");
    let created = lambda::handle(&stack.api, request(APIGW_PUT_IAM)).await;
    assert_eq!(created.status(), 201);
    for (arn, status) in [(OTHER, 403), (OWNER, 200), (OWNER, 404)] {
        let response = lambda::handle(&stack.api, request(&delete_event(arn))).await;
        assert_eq!(response.status(), status, "{arn}");
    }

    let text = logs.text();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("each log line is JSON"))
        .filter(|line: &Value| line["message"] == "delete")
        .collect();
    let seen: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["caller"].as_str().unwrap(),
                l["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [(OTHER, "not_owner"), (OWNER, "deleted"), (OWNER, "absent")],
        "{text}"
    );
    for line in &lines {
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["workspace"], put["pathParameters"]["workspace_uuid"]);
        assert_eq!(line["session_id"], put["pathParameters"]["session_id"]);
    }
    for words in [&body["title"], &body["summary"]] {
        let words = words.as_str().expect("text");
        assert!(!text.contains(words), "{words:?} is in the log:\n{text}");
    }
}
