//! Two writers at once, as two `cargo-ai` processes syncing together: they take turns (one
//! write transaction at a time, the other waits), nothing is lost and the file stays sound.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use sessions_mirror::{Change, Mirror, SearchQuery};
use support::fixture::Row;

const BATCHES: usize = 20;
const PER_BATCH: usize = 50;

/// Writer `w`'s batches: sessions of its own, and a shared set that both writers keep
/// rewriting with their own times, so their transactions conflict on the same rows.
fn write_batches(path: &Path, w: usize) {
    let mut mirror = Mirror::open(path).expect("open");
    for b in 0..BATCHES {
        let own = (0..PER_BATCH)
            .map(|i| Row::new(&format!("w{w}-{b}-{i}"), "Upload retries from a writer").session());
        let shared = (0..10).map(|i| {
            let at = format!("2026-11-20T10:{b:02}:{:02}.000Z", w * 10 + i);
            Row::new(&format!("shared-{i}"), &format!("Shared by writer {w}"))
                .updated(&at)
                .session()
        });
        mirror
            .apply(own.chain(shared).map(Change::Live))
            .expect("a batch applies");
    }
}

fn assert_all_there(path: &Path) {
    let mirror = Mirror::open(path).unwrap();
    assert_eq!(mirror.notice(), None);
    let status = mirror.status().unwrap();
    assert_eq!(status.rows as usize, 2 * BATCHES * PER_BATCH + 10);
    // The newest copy of every shared row won: writer 1's, from the last batch.
    for i in 0..10 {
        let shared = mirror.get(&format!("shared-{i}")).unwrap().unwrap();
        assert_eq!(shared.title, "Shared by writer 1");
        assert_eq!(
            shared.updated_at,
            format!("2026-11-20T10:{:02}:{:02}.000Z", BATCHES - 1, 10 + i)
        );
    }
    let hits = mirror.search(&SearchQuery::new("upload retries")).unwrap();
    assert_eq!(hits.len(), 10);
    let conn = rusqlite::Connection::open(path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    conn.execute_batch("INSERT INTO sessions_fts (sessions_fts) VALUES ('integrity-check')")
        .expect("the search index matches the rows");
}

#[test]
fn two_threads_writing_at_once_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mirror.sqlite3");
    std::thread::scope(|scope| {
        for w in 0..2 {
            let path = &path;
            scope.spawn(move || write_batches(path, w));
        }
        // A reader meanwhile is never blocked by the writers (WAL).
        let path = &path;
        scope.spawn(move || {
            for _ in 0..20 {
                if let Ok(mirror) = Mirror::open(path) {
                    mirror.search(&SearchQuery::new("retries")).expect("a read");
                }
            }
        });
    });
    assert_all_there(&path);
}

const CHILD: &str = "SESSIONS_MIRROR_TEST_WRITER";

#[test]
fn two_processes_writing_at_once_take_turns() {
    // The same test, run again by the test binary as each of the two writers.
    if let Ok(job) = std::env::var(CHILD) {
        let (w, path) = job.split_once(':').expect("writer:path");
        write_batches(Path::new(path), w.parse().expect("a writer number"));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mirror.sqlite3");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|w| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "two_processes_writing_at_once_take_turns",
                    "--nocapture",
                ])
                .env(CHILD, format!("{w}:{}", path.display()))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the test binary runs again")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a writer failed: {out:?}");
    }
    assert_all_there(&path);
}
