//! Brings gitleaks' default rule set (v8.30.1, MIT) into the build from crates.io and turns it,
//! with `rules/local.toml`, into Rust statics (`$OUT_DIR/rules.rs`, included by `src/rules.rs`):
//! no rule file is read or parsed when the scanner runs.
//!
//! The rules are the copy that the crate `keyspoor` 0.1.4 publishes as `src/builtin_rules.json`
//! (see `rules/README.md`). Its `.crate` is downloaded once into `OUT_DIR` and checked against
//! the registry's SHA-256 before anything is unpacked.
//! `SESSIONS_SECRET_RULES_CRATE=/path/to/keyspoor-0.1.4.crate` builds from a local copy (offline).

#[path = "src/config.rs"]
#[allow(dead_code)]
mod config;
#[path = "build/generate.rs"]
mod generate;
#[path = "src/pattern.rs"]
mod pattern;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use sha2::{Digest, Sha256};

const CRATE: &str = "keyspoor";
const VERSION: &str = "0.1.4";
/// The registry's checksum of the `.crate` file (the crates.io index's `cksum`).
const CRATE_SHA256: &str = "7c92c859990034fc8ded273dc681b600c5c2e04e9374d0a4e8b4776081f46cf7";
const RULES_PATH: &str = "src/builtin_rules.json";
const OFFLINE_VAR: &str = "SESSIONS_SECRET_RULES_CRATE";
const LOCAL_RULES: &str = "rules/local.toml";

fn main() {
    for input in [
        "build.rs",
        "build/generate.rs",
        "src/config.rs",
        "src/pattern.rs",
        LOCAL_RULES,
    ] {
        println!("cargo:rerun-if-changed={input}");
    }
    println!("cargo:rerun-if-env-changed={OFFLINE_VAR}");
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("cargo did not set OUT_DIR")?);
    let archive = match env::var_os(OFFLINE_VAR) {
        Some(local) => verified(PathBuf::from(local))
            .map_err(|e| format!("{e}; it was named by {OFFLINE_VAR}"))?,
        None => download(&out)?,
    };
    let json = unpack_rules(&archive, &out)?;
    let local =
        fs::read_to_string(LOCAL_RULES).map_err(|e| format!("reading {LOCAL_RULES}: {e}"))?;
    let code = generate::rust_source(&json, &local)?;
    let target = out.join("rules.rs");
    fs::write(&target, code).map_err(|e| format!("writing {}: {e}", target.display()))
}

fn url() -> String {
    format!("https://static.crates.io/crates/{CRATE}/{CRATE}-{VERSION}.crate")
}

/// The path, once its SHA-256 is the pinned one.
fn verified(path: PathBuf) -> Result<PathBuf, String> {
    let bytes = fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if digest != CRATE_SHA256 {
        return Err(format!(
            "{} has SHA-256 {digest}, not {CRATE_SHA256} ({CRATE} {VERSION} as published at {})",
            path.display(),
            url()
        ));
    }
    Ok(path)
}

/// The `.crate` in `OUT_DIR`, downloaded unless a verified copy is already there.
fn download(out: &Path) -> Result<PathBuf, String> {
    let path = out.join(format!("{CRATE}-{VERSION}.crate"));
    if path.is_file() && verified(path.clone()).is_ok() {
        return Ok(path);
    }
    let url = url();
    let partial = out.join(format!("{CRATE}-{VERSION}.crate.part"));
    let offline_help = format!(
        "the secret rules come from {url}; without network, download that file elsewhere \
         (or take it from ~/.cargo/registry/cache/*/ where cargo keeps it) and build with \
         {OFFLINE_VAR}=/path/to/{CRATE}-{VERSION}.crate"
    );
    let status = Command::new("curl")
        .args(["--silent", "--show-error", "--fail", "--location"])
        .args(["--retry", "3", "--connect-timeout", "20", "--output"])
        .arg(&partial)
        .arg(&url)
        .status()
        .map_err(|e| format!("could not run curl ({e}); {offline_help}"))?;
    if !status.success() {
        let _ = fs::remove_file(&partial);
        return Err(format!(
            "downloading failed (curl: {status}); {offline_help}"
        ));
    }
    // Checked before it takes the final name, so a bad download is never reused.
    if let Err(e) = verified(partial.clone()) {
        let _ = fs::remove_file(&partial);
        return Err(e);
    }
    fs::rename(&partial, &path).map_err(|e| format!("saving {}: {e}", path.display()))?;
    Ok(path)
}

/// The rule file's text, unpacked from the (verified) archive into `OUT_DIR` only.
fn unpack_rules(archive: &Path, out: &Path) -> Result<String, String> {
    let member = format!("{CRATE}-{VERSION}/{RULES_PATH}");
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(out)
        .arg(&member)
        .status()
        .map_err(|e| format!("could not run tar to unpack {}: {e}", archive.display()))?;
    if !status.success() {
        return Err(format!(
            "tar could not unpack {member} from {} ({status})",
            archive.display()
        ));
    }
    let path = out.join(&member);
    fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))
}
