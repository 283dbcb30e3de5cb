//! Replacing a file's content so that a crash leaves the old content or the new, never a torn
//! mix, and the new content survives a power loss once the call returns. The outbox, the
//! hooks' open-session records and Claude Code settings files are all written this way.

use std::fs::{self, File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Writes `bytes` to `path` through a temporary file in the same directory (named `.tmp-*`,
/// which no reader of these directories takes for an entry): fsync the file, rename it over
/// `path`, fsync the directory. An existing file keeps its permissions; a new one gets what
/// `fs::write` would give it.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let permissions = fs::metadata(path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| Permissions::from_mode(0o666));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .permissions(permissions)
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_content_and_keeps_the_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        write(&path, b"{}\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{}\n");
        fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        write(&path, b"{\"a\": 1}\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{\"a\": 1}\n");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["settings.json"], "no temporary file is left");
    }
}
