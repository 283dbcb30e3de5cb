//! `cargo-ai` when things go wrong: an error class, message and exit code for every way a
//! request can fail, fast failure without credentials, and shell completions.

use std::time::Instant;

use sessions_e2e::{Run, Stack, alice, bob, cargo_ai, new_workspace, run, scratch_dir};

use super::cli_query::seed;

/// Serves one canned HTTP response to every connection, for endpoints that are not the API.
async fn canned(response: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 65536];
            let _ = stream.read(&mut buf).await;
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    url
}

/// The refusals come from the router's logic, not from DynamoDB: the in-memory store serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_error_class_has_its_message_and_exit_code() {
    let stack = Stack::in_memory().await;
    let ws = new_workspace();
    let upsert = [
        "workspaceManagement",
        "session",
        "upsert",
        "--session-id",
        "s1",
        "--title",
        "t",
        "--summary",
        "s",
    ];

    // HTML from something that is not the API.
    let html = canned("HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: 22\r\nconnection: close\r\n\r\n<html>bad gateway</html>").await;
    let mut cmd = cargo_ai(&stack, &ws, alice());
    cmd.env("CARGO_AI_ENDPOINT", &html);
    let out = run(cmd, &upsert).await;
    assert_eq!(out.code, 8, "{}", out.stderr);
    assert!(
        out.stderr.contains("not the sessions API") && out.stderr.contains("text/html"),
        "{}",
        out.stderr
    );

    // Garbage with a success status.
    let garbage = canned("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 9\r\nconnection: close\r\n\r\n{\"a\":tru").await;
    let mut cmd = cargo_ai(&stack, &ws, alice());
    cmd.env("CARGO_AI_ENDPOINT", &garbage);
    let out = run(cmd, &["workspaceManagement", "session", "list"]).await;
    assert_eq!(out.code, 8, "{}", out.stderr);

    // API Gateway's own IAM refusal.
    let gateway = canned("HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: 23\r\nconnection: close\r\n\r\n{\"message\":\"Forbidden\"}").await;
    let mut cmd = cargo_ai(&stack, &ws, alice());
    cmd.env("CARGO_AI_ENDPOINT", &gateway);
    let out = run(cmd, &["whoami"]).await;
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("execute-api:Invoke"), "{}", out.stderr);

    // 409: a newer update is already stored (made a minute ahead through the API).
    let ahead = sessions_core::Timestamp::now().plus_seconds(60).to_string();
    seed(&stack, &ws, alice(), "s1", "newer", &ahead, None).await;
    let out = run(cargo_ai(&stack, &ws, alice()), &upsert).await;
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(
        out.stderr.contains("stale") && out.stderr.contains("newer"),
        "{}",
        out.stderr
    );

    // 403: not the owner.
    let out = run(cargo_ai(&stack, &ws, bob()), &upsert).await;
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(out.stderr.contains("not_owner"), "{}", out.stderr);

    // No workspace anywhere.
    let mut cmd = cargo_ai(&stack, &ws, alice());
    cmd.env_remove("CARGO_AI_WORKSPACE");
    let out = run(cmd, &upsert).await;
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("no workspace configured") && out.stderr.contains(".cargo-ai.toml"),
        "{}",
        out.stderr
    );

    assert!(
        !out.stderr.contains("panicked") && !out.stderr.contains("Error {"),
        "no debug output: {}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_any_credentials_it_fails_fast_with_the_fix() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let empty_home = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(sessions_e2e::cargo_ai_path());
    cmd.env_clear()
        .current_dir(scratch_dir())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", empty_home.path())
        .env("CARGO_AI_ENDPOINT", &stack.url)
        .env("CARGO_AI_WORKSPACE", &ws);
    let started = Instant::now();
    let out = run(
        cmd,
        &[
            "workspaceManagement",
            "session",
            "upsert",
            "--session-id",
            "s1",
            "--title",
            "t",
            "--summary",
            "s",
        ],
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr.contains("AWS_REGION") || out.stderr.contains("AWS_PROFILE"),
        "says what to set: {}",
        out.stderr
    );
    eprintln!("no-credentials failure took {elapsed:?}");

    // An SSO profile whose login has expired (no cached token) gets the login command.
    std::fs::create_dir_all(empty_home.path().join(".aws")).unwrap();
    std::fs::write(
        empty_home.path().join(".aws/config"),
        "[profile team]\nsso_session = team\nsso_account_id = 111122223333\nsso_role_name = Developer\nregion = us-east-1\n\n\
         [sso-session team]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    )
    .unwrap();
    let mut cmd = tokio::process::Command::new(sessions_e2e::cargo_ai_path());
    cmd.env_clear()
        .current_dir(scratch_dir())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", empty_home.path())
        .env("CARGO_AI_PROFILE", "team")
        .env("CARGO_AI_ENDPOINT", &stack.url)
        .env("CARGO_AI_WORKSPACE", &ws);
    let out = run(cmd, &["whoami"]).await;
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr.contains("aws sso login --profile team"),
        "{}",
        out.stderr
    );
    assert_eq!(stack.item_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_for_each_shell() {
    let stack = Stack::in_memory().await;
    for shell in ["bash", "zsh", "fish"] {
        let out = run(cargo_ai(&stack, "", alice()), &["completions", shell]).await;
        let script = Run::ok(&out);
        assert!(
            script.contains("workspaceManagement") && script.contains("upsert"),
            "{shell}"
        );
    }
    let out = run(cargo_ai(&stack, "", alice()), &["completions", "tcsh"]).await;
    assert_eq!(out.code, 2);
}
