//! Sessions to put in a mirror under test, and a fresh mirror in a temporary directory.

#![allow(dead_code)] // Each test file uses its own part of this module.

pub mod fixture;

use sessions_mirror::Mirror;

/// A new mirror in its own temporary directory (kept alive by the returned guard).
pub fn mirror() -> (tempfile::TempDir, Mirror) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mirror = Mirror::open(dir.path().join("state/mirror.sqlite3")).expect("a new mirror");
    (dir, mirror)
}

pub fn ts(text: &str) -> sessions_core::Timestamp {
    text.parse().expect("a test timestamp")
}
