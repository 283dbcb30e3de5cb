//! Turns gitleaks' default rule set (`rules/gitleaks.toml`, v8.30.1, MIT, committed as
//! published and checked by its SHA-256) and `rules/local.toml` into Rust statics
//! (`$OUT_DIR/rules.rs`, included by `src/rules.rs`): no rule file is read or parsed when the
//! scanner runs, and the build needs nothing but the source tree (no network, no tools).

#[path = "src/config.rs"]
#[allow(dead_code)]
mod config;
#[path = "build/generate.rs"]
mod generate;
#[path = "src/pattern.rs"]
mod pattern;

use std::path::PathBuf;
use std::{env, fs};

use sha2::{Digest, Sha256};

const GITLEAKS_RULES: &str = "rules/gitleaks.toml";
/// gitleaks v8.30.1's `config/gitleaks.toml` (commit 83d9cd684c87d95d656c1458ef04895a7f1cbd8e).
const GITLEAKS_SHA256: &str = "e163e53b9e7e8a8511e77271e2b323ed057759542a6d988258afe3a1fa329caf";
const LOCAL_RULES: &str = "rules/local.toml";

fn main() {
    for input in [
        "build.rs",
        "build/generate.rs",
        "src/config.rs",
        "src/pattern.rs",
        GITLEAKS_RULES,
        LOCAL_RULES,
    ] {
        println!("cargo:rerun-if-changed={input}");
    }
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("cargo did not set OUT_DIR")?);
    let gitleaks = verified(GITLEAKS_RULES)?;
    let local = read(LOCAL_RULES)?;
    let code = generate::rust_source((GITLEAKS_RULES, &gitleaks), (LOCAL_RULES, &local))?;
    let target = out.join("rules.rs");
    fs::write(&target, code).map_err(|e| format!("writing {}: {e}", target.display()))
}

fn read(path: &str) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))
}

/// gitleaks' file, once its SHA-256 is the pinned one: the rules are gitleaks' as released.
fn verified(path: &str) -> Result<String, String> {
    let text = read(path)?;
    let digest: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if digest != GITLEAKS_SHA256 {
        return Err(format!(
            "{path} has SHA-256 {digest}, not {GITLEAKS_SHA256} (gitleaks v8.30.1's \
             config/gitleaks.toml): restore it with `git checkout -- redact/{path}`, or, to \
             update the rules, follow redact/rules/README.md"
        ));
    }
    Ok(text)
}
