//! Listing by repository (through the `by_repo_created` index, with other repos and another
//! workspace present), by branch and by creator, through the API and `cargo-ai`'s filters.

use sessions_e2e::{Run, Signed, Stack, alice, bob, cargo_ai, new_workspace, run};

use super::{BILLING, UPLOADER, seed};

async fn listed(stack: &Stack, ws: &str, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}/v1/workspaces/{ws}/sessions?{query}", stack.url);
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let reply = Signed::new("GET", url).send_as(alice()).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.json);
        for s in reply.json["sessions"].as_array().expect("sessions") {
            ids.push(s["session_id"].as_str().expect("id").to_owned());
        }
        match reply.json["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

fn encoded(value: &str) -> String {
    value.replace(':', "%3A").replace('/', "%2F")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_by_repo_branch_and_user() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let other_ws = new_workspace();
    let main = Some("main");
    seed(
        &stack,
        &ws,
        alice(),
        "a-up-main",
        "2026-11-20T09:00:00.000Z",
        Some(UPLOADER),
        main,
    )
    .await;
    seed(
        &stack,
        &ws,
        bob(),
        "b-up-feat",
        "2026-11-20T10:00:00.000Z",
        Some(UPLOADER),
        Some("feat"),
    )
    .await;
    seed(
        &stack,
        &ws,
        alice(),
        "a-bill-main",
        "2026-11-20T11:00:00.000Z",
        Some(BILLING),
        main,
    )
    .await;
    seed(
        &stack,
        &ws,
        alice(),
        "a-none",
        "2026-11-20T12:00:00.000Z",
        None,
        None,
    )
    .await;
    seed(
        &stack,
        &other_ws,
        alice(),
        "elsewhere",
        "2026-11-20T13:00:00.000Z",
        Some(UPLOADER),
        main,
    )
    .await;

    let repo = format!("repo={}", encoded(UPLOADER));
    let bob_arn = format!("user={}", encoded(bob().arn));
    assert_eq!(listed(&stack, &ws, &repo).await, ["b-up-feat", "a-up-main"]);
    assert_eq!(
        listed(&stack, &ws, &format!("limit=1&{repo}")).await,
        ["b-up-feat", "a-up-main"],
        "paged one by one through the repo index"
    );
    assert_eq!(
        listed(&stack, &ws, &format!("branch=main&{repo}")).await,
        ["a-up-main"]
    );
    assert_eq!(
        listed(&stack, &ws, &format!("{repo}&{bob_arn}")).await,
        ["b-up-feat"]
    );
    assert_eq!(
        listed(&stack, &ws, &format!("mine=true&{repo}")).await,
        ["a-up-main"]
    );
    assert_eq!(listed(&stack, &ws, &bob_arn).await, ["b-up-feat"]);
    assert_eq!(
        listed(&stack, &ws, "branch=main").await,
        ["a-bill-main", "a-up-main"]
    );
    assert_eq!(listed(&stack, &other_ws, &repo).await, ["elsewhere"]);
    assert!(
        listed(&stack, &ws, "repo=github.com%2Facme%2Fnone")
            .await
            .is_empty()
    );

    // A cursor of one repository's listing does not continue another's.
    let first = Signed::new(
        "GET",
        format!("{}/v1/workspaces/{ws}/sessions?limit=1&{repo}", stack.url),
    )
    .send_as(alice())
    .await;
    let cursor = first.json["next_cursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();
    Signed::new(
        "GET",
        format!(
            "{}/v1/workspaces/{ws}/sessions?cursor={cursor}&limit=1&repo={}",
            stack.url,
            encoded(BILLING)
        ),
    )
    .send_as(alice())
    .await
    .expect_error(400, "invalid_query");
    for bad in [
        "repo=uploader",
        "user=alice",
        "branch=",
        "mine=true&user=arn%3Aaws%3Aiam%3A%3A1%3Auser%2Fx",
    ] {
        Signed::new(
            "GET",
            format!("{}/v1/workspaces/{ws}/sessions?{bad}", stack.url),
        )
        .send_as(alice())
        .await
        .expect_error(400, "invalid_query");
    }

    // The CLI's filters, through the same API.
    let list = ["workspaceManagement", "session", "list", "--json"];
    let ids = |run: &Run| -> Vec<String> {
        run.json()
            .as_array()
            .expect("a JSON array")
            .iter()
            .map(|s| s["session_id"].as_str().expect("id").to_owned())
            .collect()
    };
    let by_repo = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--repo", UPLOADER]].concat(),
    )
    .await;
    assert_eq!(ids(&by_repo), ["b-up-feat", "a-up-main"]);
    let by_branch = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--repo", UPLOADER, "--branch", "main"]].concat(),
    )
    .await;
    assert_eq!(ids(&by_branch), ["a-up-main"]);
    let by_user = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--user", bob().arn]].concat(),
    )
    .await;
    assert_eq!(ids(&by_user), ["b-up-feat"]);
    let mine = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--mine", "--branch", "main"]].concat(),
    )
    .await;
    assert_eq!(ids(&mine), ["a-bill-main", "a-up-main"]);
    let bad = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--repo", "https://github.com/acme/uploader"]].concat(),
    )
    .await;
    assert_eq!(bad.code, 2, "a usage error: {}", bad.stderr);
    assert!(bad.stderr.contains("host/owner/name"), "{}", bad.stderr);
    let both = run(
        cargo_ai(&stack, &ws, alice()),
        &[&list[..], &["--mine", "--user", bob().arn]].concat(),
    )
    .await;
    assert_eq!(both.code, 2, "{}", both.stderr);
}
