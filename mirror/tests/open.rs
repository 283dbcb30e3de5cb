//! Opening the mirror: a private file in WAL mode with FTS5, and whatever was there before
//! (another schema version, a damaged file, someone else's database) dealt with and told.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use sessions_mirror::{Change, Mirror, Notice, SCHEMA_VERSION};
use support::fixture::Row;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn with_one_session(path: &Path) {
    let mut mirror = Mirror::open(path).unwrap();
    mirror
        .apply([Change::Live(Row::new("s1", "Add retries").session())])
        .unwrap();
}

#[test]
fn a_new_mirror_is_private_in_wal_mode_with_fts5() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep/state/mirror.sqlite3");
    let mut mirror = Mirror::open(&path).unwrap();
    assert_eq!(mirror.notice(), None);
    mirror
        .apply([Change::Live(Row::new("s1", "Add retries").session())])
        .unwrap();
    assert_eq!(mode(&path), 0o600);
    let wal = dir.path().join("deep/state/mirror.sqlite3-wal");
    assert_eq!(
        mode(&wal),
        0o600,
        "SQLite gives the WAL the database's mode"
    );
    assert_eq!(mode(&dir.path().join("deep/state")), 0o700);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let journal: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    let fts5: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM pragma_compile_options WHERE compile_options = 'ENABLE_FTS5'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(fts5, "the bundled SQLite has FTS5");
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn an_existing_file_is_made_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mirror.sqlite3");
    with_one_session(&path);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mirror = Mirror::open(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mirror.status().unwrap().rows, 1, "and kept");
}

#[test]
fn a_file_that_is_not_a_database_is_moved_aside_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mirror.sqlite3");
    let junk = b"this is not a database, it is a shopping list: eggs, milk".repeat(200);
    std::fs::write(&path, &junk).unwrap();
    let mut mirror = Mirror::open(&path).unwrap();
    let Some(Notice::SetAside { moved_to, reason }) = mirror.notice().cloned() else {
        panic!("expected a notice, got {:?}", mirror.notice());
    };
    assert!(
        moved_to
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("mirror.sqlite3.corrupt-"),
        "{moved_to:?}"
    );
    assert_eq!(
        std::fs::read(&moved_to).unwrap(),
        junk,
        "kept for a person to look at"
    );
    assert!(
        reason.contains("not a readable SQLite database"),
        "{reason}"
    );
    let told = mirror.notice().unwrap().to_string();
    assert!(told.contains(&moved_to.display().to_string()), "{told}");
    assert!(told.contains("the next sync fills it"), "{told}");
    mirror
        .apply([Change::Live(Row::new("s1", "Add retries").session())])
        .unwrap();
    assert_eq!(mirror.status().unwrap().rows, 1);
}

#[test]
fn a_damaged_mirror_is_moved_aside_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mirror.sqlite3");
    with_one_session(&path);
    // Overwrite the schema page (page 1 after the 100-byte header) with noise.
    let mut bytes = std::fs::read(&path).unwrap();
    for b in bytes.iter_mut().take(4096).skip(100) {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let mirror = Mirror::open(&path).unwrap();
    assert!(
        matches!(mirror.notice(), Some(Notice::SetAside { .. })),
        "{:?}",
        mirror.notice()
    );
    assert_eq!(mirror.status().unwrap().rows, 0);
}

#[test]
fn another_programs_database_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mirror.sqlite3");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE history (command TEXT); INSERT INTO history VALUES ('ls');")
        .unwrap();
    drop(conn);
    let mirror = Mirror::open(&path).unwrap();
    let Some(Notice::SetAside { moved_to, reason }) = mirror.notice() else {
        panic!("expected a notice, got {:?}", mirror.notice());
    };
    assert!(reason.contains("not a mirror"), "{reason}");
    let theirs = rusqlite::Connection::open(moved_to).unwrap();
    let command: String = theirs
        .query_row("SELECT command FROM history", [], |r| r.get(0))
        .unwrap();
    assert_eq!(command, "ls", "their data is intact");
}

#[test]
fn another_schema_version_is_emptied_and_rebuilt() {
    for other in [SCHEMA_VERSION - 1, SCHEMA_VERSION + 1] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mirror.sqlite3");
        with_one_session(&path);
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", other).unwrap();
        drop(conn);
        let mirror = Mirror::open(&path).unwrap();
        assert_eq!(
            mirror.notice(),
            Some(&Notice::Rebuilt {
                found_version: other
            })
        );
        assert!(mirror.notice().unwrap().to_string().contains("emptied it"));
        let status = mirror.status().unwrap();
        assert_eq!((status.rows, status.cursor), (0, None));
        drop(mirror);
        assert_eq!(Mirror::open(&path).unwrap().notice(), None, "once");
    }
}

#[test]
fn rebuild_sets_a_mirror_aside_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mirror.sqlite3");
    with_one_session(&path);
    let mirror = Mirror::open(&path).unwrap().rebuild().unwrap();
    assert!(matches!(mirror.notice(), Some(Notice::SetAside { .. })));
    assert_eq!(mirror.status().unwrap().rows, 0);
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".corrupt-"))
        .collect();
    assert!(
        aside
            .iter()
            .any(|n| !n.ends_with("-wal") && !n.ends_with("-shm")),
        "{aside:?}"
    );
}

#[test]
fn a_path_that_cannot_be_created_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let Err(err) = Mirror::open(blocker.join("mirror.sqlite3")) else {
        panic!("a directory under a file");
    };
    assert!(
        err.to_string().contains("could not create the directory"),
        "{err}"
    );
    assert!(std::error::Error::source(&err).is_some());
}
