//! The Lambda adapter: real API Gateway (HTTP API, payload 2.0) events, as API Gateway sends
//! them, through `lambda_http`'s own event decoding into our handler, against DynamoDB Local.

use base64::Engine;
use serde_json::Value;
use sessions_e2e::Stack;
use sessions_function::lambda;

use sessions_e2e::fixtures::{
    APIGW_PUT_IAM as WITH_IAM, APIGW_PUT_NO_AUTHORIZER as WITHOUT_AUTHORIZER,
};
const WORKSPACE: &str = "0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60";
const SESSION: &str = "7f3c2a10-4b5e-4c1d-9a77-2e1f0c9b8d01";

async fn invoke(stack: &Stack, event: &str) -> (u16, Value) {
    let request = lambda_http::request::from_str(event).expect("lambda_http decodes the event");
    let response = lambda::handle(&stack.api, request).await;
    let status = response.status().as_u16();
    let body = match response.body() {
        lambda_http::Body::Text(t) => t.clone(),
        other => panic!("expected a text body, got {other:?}"),
    };
    (status, serde_json::from_str(&body).expect("JSON body"))
}

fn edit(event: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(event).expect("fixture is JSON");
    change(&mut v);
    v.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_caller_upserts_and_is_recorded() {
    let stack = Stack::start().await;
    let (status, session) = invoke(&stack, WITH_IAM).await;
    assert_eq!(status, 201, "{session}");
    let arn = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0123456789abcdef/alice@example.com";
    assert_eq!(session["user_arn"], arn);
    assert_eq!(
        session["user_uuid"],
        sessions_core::user_uuid(arn).to_string()
    );
    assert_eq!(session["title"], "Add jittered retry to S3 uploader");
    assert_eq!(session["finished_at"], "2026-11-20T09:03:30.000Z");
    assert!(stack.raw_item(WORKSPACE, SESSION).await.is_some());

    // API Gateway may deliver the same event twice: the second is stale, the row unchanged.
    let before = stack.raw_item(WORKSPACE, SESSION).await;
    let (status, error) = invoke(&stack, WITH_IAM).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (409, Some("stale"))
    );
    assert_eq!(stack.raw_item(WORKSPACE, SESSION).await, before);

    // A GET through the same adapter.
    let get = edit(WITH_IAM, |v| {
        v["routeKey"] = "GET /v1/workspaces/{workspace_uuid}/sessions/{session_id}".into();
        v["requestContext"]["http"]["method"] = "GET".into();
        v["body"] = Value::Null;
    });
    let (status, got) = invoke(&stack, &get).await;
    assert_eq!(status, 200);
    assert_eq!(got, session);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base64_bodies_are_decoded() {
    let stack = Stack::start().await;
    let event = edit(WITH_IAM, |v| {
        let body = v["body"].as_str().expect("body").to_owned();
        v["body"] = base64::engine::general_purpose::STANDARD
            .encode(body)
            .into();
        v["isBase64Encoded"] = true.into();
    });
    let (status, session) = invoke(&stack, &event).await;
    assert_eq!(status, 201, "{session}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_iam_identity_it_fails_closed() {
    let stack = Stack::start().await;
    let (status, error) = invoke(&stack, WITHOUT_AUTHORIZER).await;
    assert_eq!(status, 401);
    assert_eq!(error["error"]["code"], "unauthenticated");
    // An authorizer block without an ARN is no identity either.
    let empty_arn = edit(WITH_IAM, |v| {
        v["requestContext"]["authorizer"]["iam"]["userArn"] = "".into()
    });
    assert_eq!(invoke(&stack, &empty_arn).await.0, 401);
    assert_eq!(
        stack.item_count().await,
        0,
        "nothing written without an identity"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_the_same_answers_as_locally() {
    let stack = Stack::start().await;
    let event = edit(WITH_IAM, |v| {
        v["body"] = r#"{"title":"","summary":"s","observed_at":"2026-11-20T09:03:30Z"}"#.into()
    });
    let (status, error) = invoke(&stack, &event).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (400, Some("invalid_title"))
    );
    let event = edit(WITH_IAM, |v| {
        v["headers"]["content-type"] = "text/plain".into()
    });
    assert_eq!(invoke(&stack, &event).await.0, 415);
    assert_eq!(stack.item_count().await, 0);
}
