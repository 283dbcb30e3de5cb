//! The team view through the real `cargo-ai` and DynamoDB Local: `session list --search` and
//! `--csv` (read back with a real CSV parser), and `report` over two people's sessions.

use serde_json::{Value, json};
use sessions_e2e::{Run, Stack, alice, bob, cargo_ai, new_workspace, run};

use super::facts::{body, put};

const UPLOADER: &str = "github.com/acme/uploader";
const BILLING: &str = "github.com/acme/billing";

pub(super) async fn seed(
    stack: &Stack,
    ws: &str,
    key: &'static sessions_e2e::Key,
    id: &str,
    [title, summary, observed]: [&str; 3],
    facts: Value,
) {
    let mut body = body(title, observed, &facts);
    body["summary"] = json!(summary);
    let reply = put(stack, ws, key, id, &body).await;
    assert_eq!(reply.status, 201, "{}", reply.json);
}

fn session_ids(rows: &Value) -> Vec<&str> {
    rows.as_array()
        .expect("a JSON array")
        .iter()
        .map(|s| s["session_id"].as_str().expect("a session id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_the_word_in_title_or_summary_in_any_case_and_csv_reads_back() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    seed(
        &stack,
        &ws,
        alice(),
        "in-title",
        [
            "Fix the RETRY loop, \"again\"",
            "Backoff was wrong.",
            "2026-11-20T09:00:00.000Z",
        ],
        json!({"repo": UPLOADER, "cost_usd": 1.25}),
    )
    .await;
    seed(
        &stack,
        &ws,
        bob(),
        "in-summary",
        [
            "Uploads, part 2",
            "Added a retry with jitter,\nthen \"tested\" it.",
            "2026-11-21T09:00:00.000Z",
        ],
        json!({}),
    )
    .await;
    seed(
        &stack,
        &ws,
        alice(),
        "in-neither",
        [
            "Billing export",
            "CSV for finance.",
            "2026-11-22T09:00:00.000Z",
        ],
        json!({"repo": BILLING}),
    )
    .await;
    seed(
        &stack,
        &ws,
        alice(),
        "too-old",
        [
            "Retry, long ago",
            "Before the window.",
            "2026-10-01T09:00:00.000Z",
        ],
        json!({}),
    )
    .await;

    let list = ["workspaceManagement", "session", "list"];
    let search = |extra: &'static [&'static str]| {
        let stack = &stack;
        let ws = &ws;
        async move {
            run(
                cargo_ai(stack, ws, bob()),
                &[&list[..], extra, &["--json"]].concat(),
            )
            .await
        }
    };
    let found = search(&["--search", "retry", "--since", "2026-11-01"])
        .await
        .json();
    assert_eq!(
        session_ids(&found),
        ["in-summary", "in-title"],
        "newest first"
    );
    let everywhere = search(&["--search", "rEtRy"]).await.json();
    assert_eq!(
        session_ids(&everywhere),
        ["in-summary", "in-title", "too-old"]
    );
    let limited = search(&["--search", "retry", "--limit", "1"]).await.json();
    assert_eq!(session_ids(&limited), ["in-summary"]);
    let nothing = search(&["--search", "kubernetes"]).await.json();
    assert_eq!(session_ids(&nothing), Vec::<&str>::new());
    let table = Run::ok(
        &run(
            cargo_ai(&stack, &ws, bob()),
            &[&list[..], &["--search", "finance"]].concat(),
        )
        .await,
    )
    .to_owned();
    assert!(
        table.contains("Billing export") && !table.contains("Uploads"),
        "{table}"
    );

    let csv_run = run(
        cargo_ai(&stack, &ws, bob()),
        &[&list[..], &["--csv"]].concat(),
    )
    .await;
    let as_json = run(
        cargo_ai(&stack, &ws, bob()),
        &[&list[..], &["--json"]].concat(),
    )
    .await
    .json();
    let mut reader = csv::Reader::from_reader(Run::ok(&csv_run).as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("RFC 4180 rows");
    assert_eq!(rows.len(), 4);
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} column in {header:?}"))
    };
    for (row, session) in rows.iter().zip(as_json.as_array().expect("sessions")) {
        for (name, value) in session.as_object().expect("a session object") {
            let expected = match value {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            assert_eq!(
                row[column(name)],
                expected,
                "{name} of {}",
                session["session_id"]
            );
        }
    }
    let cell = |id: &str, name: &str| {
        rows.iter()
            .find(|r| &r[column("session_id")] == id)
            .map(|r| r[column(name)].to_owned())
            .unwrap_or_else(|| panic!("no row for {id}"))
    };
    assert_eq!(
        cell("in-summary", "summary"),
        "Added a retry with jitter,\nthen \"tested\" it."
    );
    assert_eq!(cell("in-title", "title"), "Fix the RETRY loop, \"again\"");
    assert_eq!(cell("in-title", "repo"), UPLOADER);
    assert_eq!(cell("in-title", "cost_usd"), "1.25");
    assert_eq!(
        cell("in-summary", "repo"),
        "",
        "an unknown fact is an empty cell"
    );
}

/// `facts` with a session's commit facts: `commits` commits (listed with made-up ids) and its
/// lines.
fn with_commits(mut facts: Value, commits: u64, [added, removed]: [u64; 2]) -> Value {
    let listed: Vec<Value> = (0..commits)
        .map(|i| json!({"sha": format!("{i:040x}"), "subject": format!("Commit {i}"), "added": 1, "removed": 0, "claude": false}))
        .collect();
    facts["commit_count"] = json!(commits);
    facts["lines_added"] = json!(added);
    facts["lines_removed"] = json!(removed);
    facts["commits"] = json!(listed);
    facts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_totals_two_peoples_sessions_per_person_and_repo() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    let facts = |repo: &str, active_s: u64, input: u64, output: u64, cost: f64| json!({"repo": repo, "active_s": active_s, "input_tokens": input, "output_tokens": output, "cost_usd": cost});
    for (key, id, observed, f) in [
        (
            alice(),
            "a1",
            "2026-11-20T09:00:00.000Z",
            with_commits(facts(UPLOADER, 3600, 1000, 500, 1.5), 2, [30, 4]),
        ),
        (
            alice(),
            "a2",
            "2026-11-20T15:00:00.000Z",
            facts(BILLING, 1800, 200, 100, 0.25),
        ),
        (
            bob(),
            "b1",
            "2026-11-21T10:00:00.000Z",
            with_commits(facts(UPLOADER, 600, 10, 20, 0.05), 0, [0, 0]),
        ),
        (bob(), "b2", "2026-11-22T10:00:00.000Z", json!({})),
        (
            alice(),
            "outside",
            "2026-10-20T10:00:00.000Z",
            facts(UPLOADER, 9, 9, 9, 9.0),
        ),
    ] {
        seed(
            &stack,
            &ws,
            key,
            id,
            [&format!("Title {id}"), "s", observed],
            f,
        )
        .await;
    }
    let window = ["report", "--since", "2026-11-01", "--until", "2026-11-30"];
    let report = run(
        cargo_ai(&stack, &ws, alice()),
        &[&window[..], &["--json"]].concat(),
    )
    .await
    .json();
    assert_eq!(
        report["window"],
        json!({"since": "2026-11-01T00:00:00.000Z", "until": "2026-12-01T00:00:00.000Z"}),
        "--until a date counts that whole day"
    );
    // Commits: a1 made 2 for $1.50, b1 none; a2 and b2 recorded no commit facts (unknown).
    assert_eq!(
        report["totals"],
        json!({"sessions": 4, "active_s": 6000, "tokens": 1830, "cost_usd": 1.8,
            "sessions_with_commit_facts": 2, "commits": 2, "lines_added": 30, "lines_removed": 4,
            "cost_per_commit": 0.75})
    );
    let alice_arn = "arn:aws:iam::000000000000:user/alice";
    let bob_arn = "arn:aws:iam::000000000000:user/bob";
    assert_eq!(
        report["people"],
        json!([
            {"name": alice_arn, "sessions": 2, "active_s": 5400, "tokens": 1800, "cost_usd": 1.75,
                "sessions_with_commit_facts": 1, "commits": 2, "lines_added": 30, "lines_removed": 4,
                "cost_per_commit": 0.75},
            {"name": bob_arn, "sessions": 2, "active_s": 600, "tokens": 30, "cost_usd": 0.05,
                "sessions_with_commit_facts": 1, "commits": 0, "lines_added": 0, "lines_removed": 0,
                "cost_per_commit": null},
        ])
    );
    assert_eq!(
        report["repos"],
        json!([
            {"name": UPLOADER, "sessions": 2, "active_s": 4200, "tokens": 1530, "cost_usd": 1.55,
                "sessions_with_commit_facts": 2, "commits": 2, "lines_added": 30, "lines_removed": 4,
                "cost_per_commit": 0.75},
            {"name": BILLING, "sessions": 1, "active_s": 1800, "tokens": 300, "cost_usd": 0.25,
                "sessions_with_commit_facts": 0, "commits": null, "lines_added": null,
                "lines_removed": null, "cost_per_commit": null},
            {"name": null, "sessions": 1, "active_s": null, "tokens": null, "cost_usd": null,
                "sessions_with_commit_facts": 0, "commits": null, "lines_added": null,
                "lines_removed": null, "cost_per_commit": null},
        ])
    );
    assert_eq!(
        report["busiest_days"][0],
        json!({"date": "2026-11-20", "sessions": 2})
    );
    assert_eq!(report["recent"][0]["title"], "Title b2");
    assert_eq!(report["recent"].as_array().map(Vec::len), Some(4));

    let bobs = run(
        cargo_ai(&stack, &ws, bob()),
        &[&window[..], &["--mine", "--json"]].concat(),
    )
    .await
    .json();
    assert_eq!(bobs["totals"]["sessions"], 2);
    let uploader = run(
        cargo_ai(&stack, &ws, bob()),
        &[&window[..], &["--repo", UPLOADER, "--json"]].concat(),
    )
    .await
    .json();
    assert_eq!(uploader["totals"]["sessions"], 2);

    let mut text_run = cargo_ai(&stack, &ws, alice());
    text_run.env("COLUMNS", "80");
    let text = run(text_run, &window).await;
    let text = Run::ok(&text);
    assert!(
        text.contains("4 sessions, 1h 40m active, 1,830 tokens, $1.80 estimated"),
        "{text}"
    );
    assert!(
        text.contains("2 commits (known for 2 of 4 sessions), +30 -4 lines, $0.75 per commit"),
        "{text}"
    );
    let bob_line = text
        .lines()
        .find(|l| l.starts_with("bob"))
        .unwrap_or_else(|| panic!("a line for bob in {text}"));
    assert!(bob_line.contains("$0.05"), "{bob_line}");
    let unknown_repo = text
        .lines()
        .find(|l| l.starts_with("- "))
        .unwrap_or_else(|| panic!("a line for sessions without a repo in {text}"));
    assert_eq!(
        unknown_repo.split_whitespace().collect::<Vec<_>>(),
        ["-", "1", "-", "-", "-", "-", "-"],
        "sessions, active, cost, commits, lines, cost per commit: at 80 columns tokens give way"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");

    let csv = run(
        cargo_ai(&stack, &ws, alice()),
        &[&window[..], &["--csv"]].concat(),
    )
    .await;
    let mut reader = csv::Reader::from_reader(Run::ok(&csv).as_bytes());
    let rows = reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .expect("CSV rows");
    assert_eq!(rows.len(), 4, "every session in the window, none outside");
    let header = reader.headers().expect("a header row").clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} column"))
    };
    let a1 = rows
        .iter()
        .find(|r| &r[column("session_id")] == "a1")
        .expect("a1's row");
    assert_eq!(
        (&a1[column("commit_count")], &a1[column("commits")]),
        ("2", &format!("{:040x}; {:040x}", 0, 1)[..]),
        "the commits cell holds their ids"
    );
}
