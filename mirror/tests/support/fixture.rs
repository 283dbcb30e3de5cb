//! A software team's sessions for the search tests and the benchmark: a deterministic
//! background of everyday work (like the load generator's team) and a few sessions that the
//! relevance queries must find among them.

use sessions_core::{Facts, Session, Timestamp, Usd};

pub const WORKSPACE: &str = "0b6ad0a4-6a5a-4d6e-9a39-2b1f3c5d7e81";

/// A session with the fields that matter to the mirror; the rest plausible.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub person: String,
    pub repo: Option<String>,
    pub branch: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Row {
    pub fn new(id: &str, title: &str) -> Self {
        Row {
            id: id.to_owned(),
            title: title.to_owned(),
            summary: format!("Worked on: {title}."),
            person: "alice".to_owned(),
            repo: Some(repo("uploader")),
            branch: Some("main".to_owned()),
            created_at: "2026-11-20T09:00:00.000Z".to_owned(),
            updated_at: "2026-11-20T10:00:00.000Z".to_owned(),
        }
    }

    pub fn summary(mut self, summary: &str) -> Self {
        self.summary = summary.to_owned();
        self
    }

    pub fn person(mut self, person: &str) -> Self {
        self.person = person.to_owned();
        self
    }

    pub fn repo(mut self, repo: Option<&str>) -> Self {
        self.repo = repo.map(str::to_owned);
        self
    }

    pub fn branch(mut self, branch: Option<&str>) -> Self {
        self.branch = branch.map(str::to_owned);
        self
    }

    pub fn created(mut self, at: &str) -> Self {
        self.created_at = at.to_owned();
        self
    }

    pub fn updated(mut self, at: &str) -> Self {
        self.updated_at = at.to_owned();
        self
    }

    pub fn session(&self) -> Session {
        let id = |text: &str| uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, text.as_bytes());
        Session {
            uuid: id(&self.id).to_string(),
            session_id: self.id.clone(),
            user_uuid: id(&self.person).to_string(),
            workspace_uuid: WORKSPACE.to_owned(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            created_at: self.created_at.clone(),
            finished_at: Some(self.updated_at.clone()),
            updated_at: self.updated_at.clone(),
            user_arn: arn(&self.person),
            facts: Box::new(Facts {
                repo: self.repo.clone(),
                branch: self.branch.clone(),
                cwd: self.repo.as_ref().map(|r| format!("~/src/{}", short(r))),
                host: Some("laptop-7".to_owned()),
                claude_version: Some("2.1.332".to_owned()),
                models: Some(vec!["claude-sonnet-4-5".to_owned()]),
                input_tokens: Some(48_211),
                output_tokens: Some(6_020),
                cache_read_tokens: Some(512_400),
                cache_write_tokens: Some(20_000),
                cost_usd: Some(Usd::from_micros(482_633)),
                prompts: Some(12),
                tool_calls: Some(87),
                files_touched: Some(9),
                active_s: Some(2_340),
                end_reason: Some("prompt_input_exit".to_owned()),
                ..Facts::default()
            }),
        }
    }
}

pub fn arn(person: &str) -> String {
    format!("arn:aws:iam::000000000000:user/{person}")
}

pub fn repo(name: &str) -> String {
    format!("github.com/acme/{name}")
}

fn short(repo: &str) -> &str {
    repo.rsplit('/').next().unwrap_or(repo)
}

const PEOPLE: [&str; 12] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "oscar",
];
const REPOS: [&str; 8] = [
    "uploader", "billing", "web", "infra", "mobile", "search", "reports", "ingest",
];
const BRANCHES: [&str; 7] = [
    "main",
    "fix/retry-loop",
    "feat/csv-export",
    "chore/bump-deps",
    "feat/team-report",
    "refactor/store-trait",
    "release/1.4",
];
const VERBS: [&str; 10] = [
    "Fix", "Add", "Refactor", "Speed up", "Document", "Test", "Debug", "Remove", "Rename", "Review",
];
const OBJECTS: [&str; 12] = [
    "the retry loop",
    "CSV export",
    "session pagination",
    "the login page",
    "flaky integration tests",
    "the billing webhook",
    "dark mode colours",
    "the DynamoDB query",
    "error messages",
    "the release workflow",
    "the search index",
    "the metrics dashboard",
];
const PLACES: [&str; 7] = [
    "for large workspaces",
    "behind the feature flag",
    "on Windows",
    "in the CLI",
    "after the migration",
    "for the EU region",
    "",
];
const SENTENCES: [&str; 14] = [
    "Read the failing test's output and traced the error to a missing timeout on the client.",
    "Added a regression test that reproduces the bug with a slow fake server.",
    "Moved the retry policy into one place so that the sync job and the webhook share it.",
    "The query now reads the newest rows first and stops at the window's start.",
    "Benchmarked before and after: the median dropped by about a third on a busy machine.",
    "Updated the README and the --help text with an example people can paste.",
    "Left a note in the issue about the edge case with empty summaries; not fixed yet.",
    "Reviewed the pull request, asked for a smaller diff and a clearer commit message.",
    "Bumped the pinned crates, ran clippy and the whole test suite, all green.",
    "Split the 900-line module into three files along the lines the callers already use.",
    "Replaced the hand-rolled CSV writer with the csv crate; quotes and newlines now round-trip.",
    "Found that the cache key ignored the branch, so two branches overwrote each other.",
    "Checked the change in the browser in light and dark mode and in the print preview.",
    "Paired on the design of the cursor format; it stays opaque to clients.",
];

/// Session `n` of an everyday team's work: deterministic, created within `days` before
/// `end`, with a summary of 200 bytes to 4 KiB (many short, a few long), as the load
/// generator writes them.
pub fn background(n: usize, end: Timestamp, days: u32) -> Session {
    let mut rng = fastrand::Rng::with_seed((n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 7);
    let pick = |rng: &mut fastrand::Rng, from: &[&'static str]| from[rng.usize(..from.len())];
    let place = pick(&mut rng, &PLACES);
    let title = format!(
        "{} {} {place}",
        pick(&mut rng, &VERBS),
        pick(&mut rng, &OBJECTS)
    );
    let target = (200f64.ln() + rng.f64() * (4096f64.ln() - 200f64.ln())).exp() as usize;
    let mut summary = String::new();
    while summary.len() < target {
        if !summary.is_empty() {
            summary.push(' ');
        }
        summary.push_str(pick(&mut rng, &SENTENCES));
    }
    let created = end.plus_seconds(-rng.i64(60..i64::from(days.max(1)) * 86_400));
    let updated = created.plus_seconds(rng.i64(60..4 * 3_600));
    let row = Row::new(&format!("bg-{n:06}"), title.trim_end())
        .summary(&summary)
        .person(pick(&mut rng, &PEOPLE))
        .repo(Some(&repo(pick(&mut rng, &REPOS))))
        .branch(Some(pick(&mut rng, &BRANCHES)))
        .created(&created.to_string())
        .updated(&updated.to_string());
    row.session()
}

/// The sessions the relevance queries look for, each findable only by what it says.
pub fn needles() -> Vec<Row> {
    let day = |d: u32| format!("2026-11-{d:02}T09:30:00.000Z");
    vec![
        Row::new("n-backoff", "Add exponential backoff to the S3 uploader's retries")
            .summary("The uploader retried failed parts at once and hammered S3 during an outage; it now waits with exponential backoff and full jitter, capped at 30 s.")
            .person("carol").repo(Some(&repo("uploader"))).branch(Some("fix/upload-backoff")),
        Row::new("n-histogram", "Exponential histogram buckets for latency metrics")
            .summary("Switched the latency histogram to exponential buckets. No backoff or retry logic was touched.")
            .person("ivan").repo(Some(&repo("infra"))),
        Row::new("n-webhook-retry", "Retry the Stripe webhook delivery when it times out")
            .summary("One retry with a fresh idempotency key when Stripe does not answer within 10 s.")
            .person("mallory").repo(Some(&repo("billing"))),
        Row::new("n-signin", "Fix sign-in redirect loop after password reset")
            .summary("People who reset their password were sent back to the sign-in page forever: the session cookie was set on the wrong domain.")
            .person("dave").repo(Some(&repo("web"))).branch(Some("fix/sign-in-loop")),
        Row::new("n-cpp", "Speed up the C++ build with ccache and unity builds")
            .summary("CMake now enables ccache; the clean build of the native codec dropped from 14 to 6 minutes.")
            .person("erin").repo(Some(&repo("codec"))).branch(Some("chore/ccache")),
        Row::new("n-path", "Crash when src/config/default.toml is missing")
            .summary("The CLI panicked reading src/config/default.toml on a fresh clone; it now falls back to built-in defaults and says which file it looked for.")
            .person("frank").repo(Some(&repo("cli"))),
        Row::new("n-accents", "Résumé upload rejects file names like Café Déjà Vu.pdf")
            .summary("The validator refused names with accents; names are NFC-normalised first and the check counts characters, not bytes.")
            .person("grace").repo(Some(&repo("web"))),
        Row::new("n-resumable", "Resumable uploads for the desktop app")
            .summary("Large files upload in 8 MiB parts and continue after a network drop.")
            .person("judy").repo(Some(&repo("desktop"))),
        Row::new("n-kubernetes", "Move the ingest workers to Kubernetes")
            .summary("Wrote the Helm chart, liveness probes and a kubectl runbook for the on-call.")
            .person("oscar").repo(Some(&repo("ingest"))),
        Row::new("n-heidi-flaky", "Quarantine the flaky integration tests")
            .summary("Tagged the five tests that fail one run in twenty and run them in a separate, allowed-to-fail job.")
            .person("heidi").repo(Some(&repo("search"))),
        Row::new("n-mobile-dark", "Dark mode for the mobile settings screen")
            .summary("Settings followed the system theme everywhere but here; colours now come from the theme tokens.")
            .person("bob").repo(Some(&repo("mobile"))),
        Row::new("n-mallory-invoices", "Invoice PDFs show the wrong VAT rate")
            .summary("Reverse-charge customers were billed with 20% VAT; the rate now comes from the customer's country and status.")
            .person("mallory").repo(Some(&repo("billing"))),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, row)| {
        let day = day(u32::try_from(i).unwrap_or(0) + 1);
        row.created(&day).updated(&day)
    })
    .collect()
}

/// The fixture: 240 everyday sessions over November 2026, and the needles.
pub fn sessions() -> Vec<Session> {
    let end: Timestamp = "2026-11-30T18:00:00.000Z".parse().expect("a fixed time");
    (0..240)
        .map(|n| background(n, end, 30))
        .chain(needles().iter().map(Row::session))
        .collect()
}
