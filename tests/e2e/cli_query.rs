//! `cargo-ai` as people and scripts use it: get, list (every rendering), whoami, and config
//! layering and its sources.

use serde_json::{Value, json};
use sessions_e2e::{Backend, Run, Signed, Stack, alice, bob, cargo_ai, new_workspace, run};

pub(super) async fn seed(
    stack: &Stack<impl Backend>,
    ws: &str,
    key: &'static sessions_e2e::Key,
    id: &str,
    title: &str,
    observed: &str,
    finished: Option<&str>,
) {
    let body = json!({"title": title, "summary": format!("summary of {id}"), "finished_at": finished, "observed_at": observed});
    let reply = Signed::new("PUT", stack.session_url(ws, id))
        .json(&body)
        .send_as(key)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_and_list_in_every_rendering() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    seed(
        &stack,
        &ws,
        alice(),
        "old",
        "An old session",
        "2026-11-01T09:00:00.000Z",
        Some("2026-11-01T10:00:00Z"),
    )
    .await;
    seed(
        &stack,
        &ws,
        bob(),
        "bobs",
        "Bob's session",
        "2026-11-20T09:00:00.000Z",
        None,
    )
    .await;
    let long_title = format!("A very long title {}", "that goes on ".repeat(15));
    seed(
        &stack,
        &ws,
        alice(),
        "new",
        long_title.trim_end(),
        "2026-11-23T09:00:00.000Z",
        None,
    )
    .await;

    let get = [
        "workspaceManagement",
        "session",
        "get",
        "--session-id",
        "old",
    ];
    let human = run(cargo_ai(&stack, &ws, bob()), &get).await;
    let text = Run::ok(&human);
    assert!(text.starts_with("An old session\n"), "{text}");
    assert!(
        text.contains("summary of old")
            && text.contains("finished")
            && text.contains("arn:aws:iam::000000000000:user/alice"),
        "{text}"
    );
    let as_json: Value = serde_json::from_str(Run::ok(
        &run(
            cargo_ai(&stack, &ws, bob()),
            &[&get[..], &["--json"]].concat(),
        )
        .await,
    ))
    .unwrap();
    assert_eq!(as_json["title"], "An old session");
    assert_eq!(as_json["finished_at"], "2026-11-01T10:00:00.000Z");
    let missing = run(
        cargo_ai(&stack, &ws, bob()),
        &[
            "workspaceManagement",
            "session",
            "get",
            "--session-id",
            "nope",
        ],
    )
    .await;
    assert_eq!(missing.code, 6, "not found: {}", missing.stderr);

    let list = ["workspaceManagement", "session", "list"];
    let mut narrow = cargo_ai(&stack, &ws, alice());
    narrow.env("COLUMNS", "80");
    let table = run(narrow, &list).await;
    let table = Run::ok(&table);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("CREATED") && lines[0].contains("TITLE"),
        "{table}"
    );
    assert_eq!(lines.len(), 4, "{table}");
    assert!(
        lines[1].contains("new") && lines[2].contains("bobs") && lines[3].contains("old"),
        "newest first: {table}"
    );
    assert!(
        lines.iter().all(|l| l.chars().count() <= 80),
        "fits 80 columns: {table}"
    );
    assert!(
        lines[1].contains('…') && lines[1].contains("in progress"),
        "{table}"
    );

    let jsonl = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--jsonl"]].concat(),
    )
    .await;
    let rows: Vec<Value> = Run::ok(&jsonl)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["new", "bobs", "old"]);
    let doc: Value = serde_json::from_str(Run::ok(
        &run(
            cargo_ai(&stack, &ws, alice()),
            &[&list[..], &["--json"]].concat(),
        )
        .await,
    ))
    .unwrap();
    assert_eq!(
        doc.as_array().expect("one JSON array"),
        &rows,
        "two renderings of one value"
    );

    let mine = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--mine", "--jsonl"]].concat(),
    )
    .await;
    assert_eq!(Run::ok(&mine).lines().count(), 2);
    let since = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--since", "2026-11-15", "--jsonl"]].concat(),
    )
    .await;
    assert_eq!(
        Run::ok(&since).lines().count(),
        2,
        "--since stops at older sessions"
    );
    let limited = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--limit", "1", "--jsonl"]].concat(),
    )
    .await;
    assert_eq!(Run::ok(&limited).lines().count(), 1);
    let bad_since = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--since", "last tuesday"]].concat(),
    )
    .await;
    assert_eq!(bad_since.code, 5, "{}", bad_since.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_transparently_past_one_page() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    for i in 0..130 {
        let observed = format!("2026-11-20T09:{:02}:{:02}.000Z", i / 60, i % 60);
        seed(
            &stack,
            &ws,
            alice(),
            &format!("s{i:03}"),
            &format!("session {i}"),
            &observed,
            None,
        )
        .await;
    }
    let out = run(
        cargo_ai(&stack, &ws, alice()),
        &[
            "workspaceManagement",
            "session",
            "list",
            "--limit",
            "1000",
            "--jsonl",
        ],
    )
    .await;
    let ids: Vec<String> = Run::ok(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["session_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let expected: Vec<String> = (0..130).rev().map(|i| format!("s{i:03}")).collect();
    assert_eq!(
        ids, expected,
        "all 130, newest first, no duplicates, across pages of 100"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoami_shows_the_arn_the_uuid_and_the_sources() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let human = run(cargo_ai(&stack, &ws, bob()), &["whoami"]).await;
    let text = Run::ok(&human);
    let uuid = sessions_core::user_uuid(bob().arn).to_string();
    assert!(text.contains(bob().arn) && text.contains(&uuid), "{text}");
    assert!(
        text.contains("environment CARGO_AI_ENDPOINT")
            && text.contains("environment CARGO_AI_WORKSPACE"),
        "{text}"
    );
    let doc: Value = serde_json::from_str(Run::ok(
        &run(cargo_ai(&stack, &ws, bob()), &["whoami", "--json"]).await,
    ))
    .unwrap();
    assert_eq!(doc["user_arn"], bob().arn);
    assert_eq!(doc["user_uuid"], uuid.as_str());
    assert_eq!(doc["region"]["value"], "us-east-1");
    // --verbose shows the signed request (never the signature), status, request id, timings;
    // --quiet adds nothing to stderr.
    let verbose = run(cargo_ai(&stack, &ws, bob()), &["--verbose", "whoami"]).await;
    assert_eq!(verbose.code, 0, "{}", verbose.stderr);
    assert!(
        verbose
            .stderr
            .contains("> authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCALBOB")
            && verbose.stderr.contains("Signature=<redacted>"),
        "{}",
        verbose.stderr
    );
    assert!(
        verbose.stderr.contains("< HTTP 200 OK in ") && !verbose.stderr.contains("request id none"),
        "{}",
        verbose.stderr
    );
    let quiet = run(cargo_ai(&stack, &ws, bob()), &["--quiet", "whoami"]).await;
    assert_eq!((quiet.code, quiet.stderr.as_str()), (0, ""));
    // The user_uuid whoami prints is the one recorded on a new session.
    seed(
        &stack,
        &ws,
        bob(),
        "s1",
        "t",
        "2026-11-20T09:00:00.000Z",
        None,
    )
    .await;
    let row = stack.raw_item(&ws, "s1").await.expect("row");
    assert_eq!(row["user_uuid"].as_s().unwrap(), &uuid);
}

/// `config show --json` run from `cwd` with `home`, and optionally a workspace in env and flag.
async fn show(
    stack: &Stack,
    home: &std::path::Path,
    cwd: &std::path::Path,
    ws_env: Option<&str>,
    flag: Option<&str>,
) -> Value {
    let mut cmd = cargo_ai(stack, "", alice());
    cmd.env_remove("CARGO_AI_ENDPOINT")
        .env_remove("CARGO_AI_WORKSPACE")
        .env("HOME", home)
        .current_dir(cwd);
    if let Some(ws) = ws_env {
        cmd.env("CARGO_AI_WORKSPACE", ws);
    }
    let mut args = vec!["config", "show", "--json"];
    if let Some(ws) = flag {
        args.extend(["--workspace", ws]);
    }
    let out = run(cmd, &args).await;
    serde_json::from_str::<Value>(Run::ok(&out)).expect("config show --json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_layers_flags_env_project_user() {
    let stack = Stack::start().await;
    let (ws_user, ws_project, ws_env, ws_flag) = (
        new_workspace(),
        new_workspace(),
        new_workspace(),
        new_workspace(),
    );
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    let project = root.path().join("team-repo");
    let nested = project.join("src/deep");
    std::fs::create_dir_all(home.join(".config/cargo-ai")).unwrap();
    std::fs::create_dir_all(project.join(".claude")).unwrap();
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(
        home.join(".config/cargo-ai/config.toml"),
        format!("endpoint = \"{}\"\nworkspace = \"{ws_user}\"\n", stack.url),
    )
    .unwrap();

    let user_only = show(&stack, &home, &nested, None, None).await;
    assert_eq!(
        user_only["settings"]["workspace"]["value"],
        ws_user.as_str()
    );
    assert!(
        user_only["settings"]["workspace"]["source"]
            .as_str()
            .unwrap()
            .ends_with("config.toml:2")
    );
    assert!(
        user_only["settings"]["endpoint"]["source"]
            .as_str()
            .unwrap()
            .ends_with("config.toml:1")
    );

    std::fs::write(
        project.join(".cargo-ai.toml"),
        format!("# committed beside .claude/\nworkspace = \"{ws_project}\"\n"),
    )
    .unwrap();
    let with_project = show(&stack, &home, &nested, None, None).await;
    assert_eq!(
        with_project["settings"]["workspace"]["value"],
        ws_project.as_str(),
        "project file beats user file"
    );
    assert!(
        with_project["settings"]["workspace"]["source"]
            .as_str()
            .unwrap()
            .ends_with(".cargo-ai.toml:2")
    );
    assert_eq!(
        with_project["settings"]["endpoint"]["value"],
        format!("{}/", stack.url),
        "unset keys fall through"
    );

    let with_env = show(&stack, &home, &nested, Some(&ws_env), None).await;
    assert_eq!(with_env["settings"]["workspace"]["value"], ws_env.as_str());
    assert_eq!(
        with_env["settings"]["workspace"]["source"],
        "environment CARGO_AI_WORKSPACE"
    );
    let with_flag = show(&stack, &home, &nested, Some(&ws_env), Some(&ws_flag)).await;
    assert_eq!(
        with_flag["settings"]["workspace"]["value"],
        ws_flag.as_str()
    );
    assert_eq!(
        with_flag["settings"]["workspace"]["source"],
        "flag --workspace"
    );

    // And the layered settings are what a real upsert uses.
    let mut upsert = cargo_ai(&stack, "", alice());
    upsert
        .env_remove("CARGO_AI_ENDPOINT")
        .env_remove("CARGO_AI_WORKSPACE")
        .env("HOME", &home)
        .current_dir(&nested);
    let out = run(
        upsert,
        &[
            "workspaceManagement",
            "session",
            "upsert",
            "--session-id",
            "cfg",
            "--title",
            "t",
            "--summary",
            "s",
        ],
    )
    .await;
    let row: Value = serde_json::from_str(Run::ok(&out)).unwrap();
    assert_eq!(row["workspace_uuid"], ws_project.as_str());

    // A bad file names file, line and key.
    std::fs::write(
        project.join(".cargo-ai.toml"),
        "endpoint = \"http://127.0.0.1:1\"\nworkspace = \"not-a-uuid\"\n",
    )
    .unwrap();
    let mut bad = cargo_ai(&stack, "", alice());
    bad.env("HOME", &home).current_dir(&nested);
    let out = run(bad, &["workspaceManagement", "session", "list"]).await;
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains(".cargo-ai.toml:2") && out.stderr.contains("not-a-uuid"),
        "{}",
        out.stderr
    );
    std::fs::write(project.join(".cargo-ai.toml"), "workspce = \"x\"\n").unwrap();
    let mut typo = cargo_ai(&stack, "", alice());
    typo.env("HOME", &home).current_dir(&nested);
    let out = run(typo, &["config", "show"]).await;
    assert_eq!(out.code, 3);
    assert!(
        out.stderr.contains(".cargo-ai.toml:1") && out.stderr.contains("workspce"),
        "{}",
        out.stderr
    );
}
