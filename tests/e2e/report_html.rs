//! `cargo-ai report --html FILE` in a real browser (Debian's headless chromium driven by
//! playwright-core, tests/browser): a report of two people's sessions from DynamoDB Local shows
//! every session, search, the person and repository filters and the column sorts work, titles
//! and summaries are text (never markup that runs), nothing is fetched, nothing errs, dark mode
//! changes the page and the screenshot is not blank. Commits: the totals and the People and
//! Repositories tables count them (sessions without commit facts unknown, not zero), a title
//! expands to its session's commits, a commit's SHA finds its session, and the Commits column sorts. A deliberately broken page proves the
//! browser run notices each of those failures.

mod driver;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use sessions_e2e::{Key, Stack, alice, bob, cargo_ai, new_workspace, repo_root, run};

use super::team_view::seed;
use driver::{Observed, drive, png_size};

const UPLOADER: &str = "github.com/acme/uploader";
const BILLING: &str = "gitlab.example.com/acme/billing";

/// The title whose script must show as text, and the summary whose markup must too.
const SCRIPT_TITLE: &str = "<script>alert(\"title\")</script> Escape \"quotes\" & <b>tags</b>";
const MARKUP_SUMMARY: &str =
    "<img src=x onerror=alert('summary')> naïve café — 日本語 ✓\nsecond line & 'quotes'";

/// The commits Alice's a1 and Bob's b3 made.
const A1_RETRY: &str = "9f1c2a3b4d5e6f708192a3b4c5d6e7f8091a2b3c";
const A1_DOCS: &str = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";
const B3_EXPORT: &str = "c0ffee4d5e6f708192a3b4c5d6e7f8091a2b3c4d";

/// One session of the window, as seeded.
struct Seeded {
    id: &'static str,
    key: &'static Key,
    started: &'static str,
    title: &'static str,
    summary: &'static str,
    facts: Value,
}

/// Alice's and Bob's sessions in the window, with every fact, some or none.
fn sessions() -> [Seeded; 5] {
    let session = |id, key, started, [title, summary]: [&'static str; 2], facts| Seeded {
        id,
        key,
        started,
        title,
        summary,
        facts,
    };
    [
        session(
            "a1",
            alice(),
            "2026-11-20T09:00:00.000Z",
            [
                "Retry with Jitter & backoff",
                "Backoff doubles; \"max\" is 30 s.",
            ],
            json!({"repo": UPLOADER, "branch": "main", "active_s": 3600, "input_tokens": 1000, "output_tokens": 500, "cost_usd": 1.5,
            "commit_count": 2, "lines_added": 52, "lines_removed": 9, "commits": [
                {"sha": A1_RETRY, "subject": "Retry <uploads> with backoff", "added": 40, "removed": 7, "claude": true},
                {"sha": A1_DOCS, "subject": "Document the backoff", "added": 5, "removed": 2, "claude": false},
            ]}),
        ),
        session(
            "a2",
            alice(),
            "2026-11-21T15:00:00.000Z",
            [SCRIPT_TITLE, MARKUP_SUMMARY],
            json!({"repo": BILLING, "branch": "fix/escape", "active_s": 1800, "cost_usd": 0.25}),
        ),
        session(
            "b1",
            bob(),
            "2026-11-22T10:00:00.000Z",
            ["Uploads, part 2", "Added JITTER to the uploader's retries."],
            json!({"repo": UPLOADER, "active_s": 600, "cost_usd": 0.05, "commit_count": 0, "lines_added": 3, "lines_removed": 1, "commits": []}),
        ),
        session(
            "b2",
            bob(),
            "2026-11-23T08:00:00.000Z",
            ["Ünïcödé names in exports 🚀", "No facts for this one."],
            json!({}),
        ),
        session(
            "b3",
            bob(),
            "2026-11-19T12:00:00.000Z",
            ["Billing export", "CSV for finance."],
            json!({"repo": BILLING, "cost_usd": 3.0, "commit_count": 1, "lines_added": 120, "lines_removed": 0, "commits": [
                {"sha": B3_EXPORT, "subject": "Export billing as CSV", "added": 120, "removed": 0, "claude": false},
            ]}),
        ),
    ]
}

/// Sessions by start, oldest first, and by cost, cheapest first (b2 knows no cost).
const BY_STARTED: [&str; 5] = ["b3", "a1", "a2", "b1", "b2"];
const BY_COST: [&str; 4] = ["b1", "a2", "a1", "b3"];
/// By commits, fewest first, among the sessions that know theirs.
const BY_COMMITS: [&str; 3] = ["b1", "b3", "a1"];

fn set(ids: &[impl AsRef<str>]) -> BTreeSet<String> {
    ids.iter().map(|id| id.as_ref().to_owned()).collect()
}

/// The order a sort should give: `ascending` as listed, `descending` reversed.
fn in_order(ascending: &[&str], order: &Value) -> Vec<String> {
    let mut ids: Vec<String> = ascending.iter().map(|&id| id.to_owned()).collect();
    match order.as_str() {
        Some("ascending") => {}
        Some("descending") => ids.reverse(),
        _ => panic!("aria-sort is {order}, not ascending or descending"),
    }
    ids
}

/// The shown ids after a sort step, keeping those in `ranked` (the sessions the column orders).
fn sorted_ids(o: &Observed, step: &str, nth: usize, ranked: &[&str]) -> (Vec<String>, Value) {
    let after = o.after(step, nth);
    let column = step.trim_start_matches("sort=");
    assert_eq!(
        after["sort"]["column"], column,
        "th[aria-sort] names the clicked column: {after}"
    );
    let shown: Vec<String> = o
        .shown(step, nth)
        .into_iter()
        .filter(|id| ranked.contains(&id.as_str()))
        .collect();
    (shown, after["sort"]["order"].clone())
}

fn assert_no_incidents(o: &Observed) {
    for kind in ["dialogs", "console_errors", "page_errors", "requests"] {
        assert_eq!(
            o.incidents(kind),
            &[] as &[Value],
            "{kind} while the report was used"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_of_two_people_searches_filters_and_sorts_in_a_real_browser() {
    let stack = Stack::start().await;
    let ws = new_workspace();
    for s in sessions() {
        seed(
            &stack,
            &ws,
            s.key,
            s.id,
            [s.title, s.summary, s.started],
            s.facts,
        )
        .await;
    }
    seed(
        &stack,
        &ws,
        alice(),
        "outside",
        ["Long ago", "Before the window.", "2026-10-01T09:00:00.000Z"],
        json!({}),
    )
    .await;

    let dir = tempfile::tempdir().expect("temp dir");
    let html = dir.path().join("report.html");
    let html_arg = html.to_str().expect("a UTF-8 temp path");
    let made = run(
        cargo_ai(&stack, &ws, bob()),
        &[
            "report",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-30",
            "--html",
            html_arg,
        ],
    )
    .await;
    assert_eq!(made.code, 0, "stderr: {}", made.stderr);

    let screenshot = dir.path().join("report.png");
    let bob_only = format!("person={}", bob().arn);
    let alice_pick = format!("pick={}", alice().arn);
    let bill_pick = format!("pickrepo={BILLING}");
    let steps = [
        "search=jitter",
        "search=",
        bob_only.as_str(),
        "search=JITTER",
        "search=",
        "person=",
        "repo=-",
        "repo=",
        "sort=cost",
        "sort=cost",
        "sort=started",
        "sort=started",
        "expand=a2",
        alice_pick.as_str(),
        "person=",
        "sort=commits",
        "expand=a1",
        "search=c0ffee4",
        "search=",
        bill_pick.as_str(),
    ];
    let o = drive(&html, &screenshot, &steps).await;
    let everyone: Vec<&str> = sessions().iter().map(|s| s.id).collect();

    // Every session of the window is a row, once; the one before it is not.
    let mut rows = o.row_ids();
    rows.sort_unstable();
    assert_eq!(rows, ["a1", "a2", "b1", "b2", "b3"], "one row per session");
    assert_eq!(set(&o.shown_at_load()), set(&everyone));
    assert_eq!(o.0["initial"]["shown_text"], "5 of 5 sessions");
    for s in sessions() {
        let row = o.row(s.id);
        assert_eq!(row["person"], s.key.arn, "{row}");
        let repo = s.facts.get("repo").cloned().unwrap_or(json!("-"));
        assert_eq!(row["repo"], repo, "{row}");
        let text = "shown as text, exactly";
        assert_eq!(row["title"], s.title, "the title is {text}: {row}");
        assert_eq!(row["summary"], s.summary, "the summary is {text}: {row}");
    }

    // Search: the word in one title (a1) and one summary (b1), in any case.
    assert_eq!(set(&o.shown("search=jitter", 1)), set(&["a1", "b1"]));
    assert_eq!(o.after("search=jitter", 1)["shown_text"], "2 of 5 sessions");
    assert_eq!(
        set(&o.shown("search=", 1)),
        set(&everyone),
        "an empty search shows all"
    );
    // The person filter, alone and with a search.
    assert_eq!(set(&o.shown(&bob_only, 1)), set(&["b1", "b2", "b3"]));
    assert_eq!(o.after(&bob_only, 1)["shown_text"], "3 of 5 sessions");
    assert_eq!(
        o.shown("search=JITTER", 1),
        ["b1"],
        "search within Bob's sessions"
    );
    assert_eq!(set(&o.shown("person=", 1)), set(&everyone));
    // A click on a person in the People table picks them in the filter.
    assert_eq!(set(&o.shown(&alice_pick, 1)), set(&["a1", "a2"]));
    assert_eq!(o.after(&alice_pick, 1)["person"], alice().arn);
    // The repository filter: "-" is the sessions that know none.
    assert_eq!(o.shown("repo=-", 1), ["b2"]);
    assert_eq!(set(&o.shown("repo=", 1)), set(&everyone));

    // Sorting: by cost among the sessions that know it, by start for all; a second click reverses.
    let (first, order) = sorted_ids(&o, "sort=cost", 1, &BY_COST);
    assert_eq!(first, in_order(&BY_COST, &order), "sorted by cost");
    let (second, reversed) = sorted_ids(&o, "sort=cost", 2, &BY_COST);
    assert_ne!(order, reversed, "a second click reverses");
    assert_eq!(
        second,
        in_order(&BY_COST, &reversed),
        "sorted by cost, reversed"
    );
    assert_eq!(o.shown("sort=cost", 2).len(), 5, "sorting hides nothing");
    let (first, order) = sorted_ids(&o, "sort=started", 1, &BY_STARTED);
    assert_eq!(first, in_order(&BY_STARTED, &order), "sorted by start");
    let (second, reversed) = sorted_ids(&o, "sort=started", 2, &BY_STARTED);
    assert_ne!(order, reversed);
    assert_eq!(
        second,
        in_order(&BY_STARTED, &reversed),
        "sorted by start, reversed"
    );

    // The summary on expand.
    let expanded = o.after("expand=a2", 1);
    assert_eq!(
        (&expanded["open"], &expanded["summary_visible"]),
        (&json!(true), &json!(true)),
        "{expanded}"
    );

    // Commits: a title expands to them, in the order the session lists them, markup as text.
    let a1 = o.row("a1");
    assert_eq!(
        a1["commits"],
        json!([
            {"sha": A1_RETRY, "text": "9f1c2a3 Retry <uploads> with backoff +40 \u{2212}7 with Claude"},
            {"sha": A1_DOCS, "text": "1a2b3c4 Document the backoff +5 \u{2212}2"},
        ]),
        "{a1}"
    );
    assert_eq!(o.row("b1")["commits"], json!([]), "no commits: none listed");
    let expanded = o.after("expand=a1", 1);
    assert_eq!(
        (&expanded["open"], &expanded["commits_visible"]),
        (&json!(true), &json!(true)),
        "{expanded}"
    );
    assert_eq!(
        o.shown("search=c0ffee4", 1),
        ["b3"],
        "a short SHA finds its session"
    );
    let (by_commits, order) = sorted_ids(&o, "sort=commits", 1, &BY_COMMITS);
    assert_eq!(
        by_commits,
        in_order(&BY_COMMITS, &order),
        "sorted by commits"
    );
    assert_eq!(
        set(&o.shown(&bill_pick, 1)),
        set(&["a2", "b3"]),
        "a click on a repository"
    );
    // Totals: 3 commits known for 3 of 5 sessions; $4.50 of the committing sessions / 3 commits.
    let tables = &o.0["tables"];
    let totals = tables["totals"].as_array().expect("the totals");
    for card in [
        json!(["3", "commits"]),
        json!(["+175 \u{2212}10", "lines"]),
        json!(["$1.50", "per commit"]),
    ] {
        assert!(totals.contains(&card), "{card} in {totals:?}");
    }
    let header = json!([
        "Who",
        "Sessions",
        "Active",
        "Tokens",
        "Cost",
        "Commits",
        "Lines",
        "Per commit"
    ]);
    assert_eq!(tables["people"][0], header, "{tables}");
    assert_eq!(
        tables["people"][2],
        json!([
            "alice",
            "2",
            "1h 30m",
            "1,500",
            "$1.75",
            "2",
            "+52 \u{2212}9",
            "$0.75"
        ]),
        "Alice: a2 knows no commits, so 2 commits for a1's $1.50"
    );
    assert_eq!(
        tables["people"][1],
        json!([
            "bob",
            "3",
            "10m",
            "-",
            "$3.05",
            "1",
            "+123 \u{2212}1",
            "$3.00"
        ]),
        "Bob: b1 made none, b2 is unknown"
    );
    assert_eq!(tables["repos"][0][0], "Repository", "{tables}");
    let billing = tables["repos"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r[0] == BILLING))
        .unwrap_or_else(|| panic!("a line for {BILLING} in {tables}"));
    assert_eq!(
        billing,
        &json!([
            BILLING,
            "2",
            "30m",
            "-",
            "$3.25",
            "1",
            "+120 \u{2212}0",
            "$3.00"
        ])
    );

    // The script in a title never ran, nothing failed, nothing was fetched.
    assert_no_incidents(&o);

    for chart in ["chart-days", "chart-repo-cost", "chart-repo-active"] {
        let marks = o.0["charts"][chart]["marks"].as_u64();
        assert!(
            marks.is_some_and(|m| m > 0),
            "svg#{chart} draws something: {}",
            o.0["charts"]
        );
    }
    let background = &o.0["background"];
    assert_ne!(
        background["light"]["effective"], background["dark"]["effective"],
        "dark mode changes the page: {background}"
    );
    assert_screenshot_not_blank(
        &o,
        &std::fs::read(&screenshot).expect("the screenshot file"),
    );
}

/// The full-page screenshot is a real PNG, viewport-wide, of a plausible size, and shows more
/// than one colour everywhere (a blank page is one colour; text alone brings dozens).
fn assert_screenshot_not_blank(o: &Observed, png: &[u8]) {
    let (width, height) = png_size(png);
    assert_eq!(width, 1280, "the viewport's width");
    assert!(height >= 800, "at least the viewport's height: {height}");
    assert!(
        (10_000..20_000_000).contains(&png.len()),
        "a screenshot of {} bytes",
        png.len()
    );
    let shot = &o.0["screenshot"];
    assert_eq!(shot["bytes"].as_u64(), Some(png.len() as u64), "{shot}");
    assert!(
        shot["colours"].as_u64().is_some_and(|c| c >= 32),
        "not blank: {shot}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_run_notices_a_script_that_runs_errors_fetches_and_a_blank_page() {
    let html = repo_root().join("tests/fixtures/report-html/broken.html");
    let dir = tempfile::tempdir().expect("temp dir");
    let screenshot = dir.path().join("broken.png");
    let o = drive(&html, &screenshot, &[]).await;

    assert_eq!(
        o.row("s1")["title"],
        "alert(\"title\")Fix it",
        "the title's markup was parsed (a script element), not shown as text"
    );
    assert_eq!(o.incidents("dialogs"), [json!("alert: title")]);
    let console = o.incidents("console_errors");
    assert!(
        console.contains(&json!("chart data missing")),
        "{console:?}"
    );
    let page_errors = o.incidents("page_errors");
    assert!(
        page_errors.len() == 1
            && page_errors[0]
                .as_str()
                .is_some_and(|e| e.contains("renderCharts")),
        "{page_errors:?}"
    );
    assert_eq!(
        o.incidents("requests"),
        [json!("https://cdn.example.com/report.css")]
    );
    let background = &o.0["background"];
    assert_eq!(
        background["light"]["effective"], background["dark"]["effective"],
        "no dark mode"
    );
    for chart in ["chart-days", "chart-repo-cost", "chart-repo-active"] {
        assert_eq!(o.0["charts"][chart], Value::Null);
    }
    let png = std::fs::read(&screenshot).expect("the screenshot file");
    assert_eq!(png_size(&png).0, 1280);
    assert_eq!(
        o.0["screenshot"]["colours"], 1,
        "a blank page is one colour: {}",
        o.0["screenshot"]
    );
}
