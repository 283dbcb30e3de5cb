//! Runs the browser driver (tests/browser/report.mjs: playwright-core and Debian's headless
//! chromium) on an HTML file and hands back what it observed, and reads a PNG's header.
//! A missing browser, driver or Node fails the test with the command that installs it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use sessions_e2e::repo_root;

/// The browser the driver launches: Debian's package (infra/tools/system-packages installs it).
const CHROMIUM: &str = "/usr/bin/chromium";

/// What the driver printed: see the top of tests/browser/report.mjs for its fields.
pub struct Observed(pub Value);

impl Observed {
    /// The session ids shown after the `nth` (1-based) run of `step`, e.g. `("search=jitter", 1)`.
    pub fn shown(&self, step: &str, nth: usize) -> Vec<String> {
        ids(&self.after(step, nth)["shown"])
    }

    /// The session ids shown as the page loaded.
    pub fn shown_at_load(&self) -> Vec<String> {
        ids(&self.0["initial"]["shown"])
    }

    /// The table after the `nth` (1-based) run of `step`: shown, shown_text, sort, and for an
    /// `expand=` step open and summary_visible.
    pub fn after(&self, step: &str, nth: usize) -> &Value {
        self.0["steps"]
            .as_array()
            .and_then(|steps| steps.iter().filter(|s| s["step"] == step).nth(nth - 1))
            .unwrap_or_else(|| panic!("no run {nth} of step {step:?} in {}", self.0["steps"]))
    }

    /// A rendered row by session id: id, person, repo, title and summary as text.
    pub fn row(&self, id: &str) -> &Value {
        self.0["rows"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["id"] == id))
            .unwrap_or_else(|| panic!("no row {id} in {}", self.0["rows"]))
    }

    /// The ids of every rendered row, shown or not, in page order.
    pub fn row_ids(&self) -> Vec<&str> {
        self.0["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["id"].as_str().expect("a row id"))
            .collect()
    }

    /// The entries of a list of incidents: dialogs, console_errors, page_errors, requests.
    pub fn incidents(&self, kind: &str) -> &[Value] {
        self.0[kind]
            .as_array()
            .unwrap_or_else(|| panic!("no {kind} in {}", self.0))
    }
}

/// Opens `html` in headless chromium, screenshots it to `screenshot`, runs `steps` in order
/// (`search=TEXT`, `person=ARN`, `repo=REPO`, `sort=COLUMN`, `expand=ID`) and returns what the
/// driver observed.
pub async fn drive(html: &Path, screenshot: &Path, steps: &[&str]) -> Observed {
    assert!(
        Path::new(CHROMIUM).exists(),
        "chromium is not installed at {CHROMIUM}; the HTML report is tested in a real browser.\n\
         help: run infra/tools/system-packages (it installs Debian's chromium; infra/test does it)"
    );
    let driver = driver_dir();
    assert!(
        driver
            .join("node_modules/playwright-core/package.json")
            .exists(),
        "the browser driver is not installed in {}.\n\
         help: run tests/browser/install (npm ci of the pinned playwright-core; infra/test does it)",
        driver.display()
    );
    let mut node = tokio::process::Command::new("node");
    node.arg(driver.join("report.mjs"))
        .arg(html)
        .arg("--screenshot")
        .arg(screenshot)
        .args(steps)
        .env("CHROMIUM", CHROMIUM)
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(120), node.output())
        .await
        .expect("the browser driver finished within two minutes")
        .unwrap_or_else(|e| {
            panic!("cannot run node ({e}); the browser driver needs Node.js.\nhelp: apt-get install -y nodejs npm")
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the browser driver failed ({}):\n{}\n{stdout}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Observed(
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("the driver printed no JSON object ({e}): {stdout}")),
    )
}

fn ids(shown: &Value) -> Vec<String> {
    shown
        .as_array()
        .unwrap_or_else(|| panic!("no session ids in {shown}"))
        .iter()
        .map(|id| id.as_str().expect("a session id").to_owned())
        .collect()
}

fn driver_dir() -> PathBuf {
    repo_root().join("tests/browser")
}

/// A PNG's width and height from its header, after checking its signature.
pub fn png_size(png: &[u8]) -> (u32, u32) {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    assert!(
        png.starts_with(SIGNATURE) && png.get(12..16) == Some(b"IHDR"),
        "not a PNG: {:?}",
        png.get(..16)
    );
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().expect("4 bytes"));
    (be(16), be(20))
}
