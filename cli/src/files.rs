//! The one way a transcript or a file git keeps is opened: regular files only, so that a FIFO, a device or a socket in a path can never block a read.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// Opens `path` for reading if it is a regular file (after symlinks). Checked before opening,
/// because opening a FIFO for reading waits for a writer; opened non-blocking, so that a FIFO
/// swapped in between the check and the open returns at once; and checked again on the open
/// file, which is what gets read.
pub fn open_regular(path: &Path) -> io::Result<File> {
    if !path.metadata()?.is_file() {
        return Err(not_regular(path));
    }
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // No effect on a regular file's reads; only on what may have replaced it.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular(path));
    }
    Ok(file)
}

/// The text of a small regular file: `None` when it is missing, not a regular file, longer
/// than `cap` bytes or not UTF-8. For the small files git keeps (`HEAD`, `config`, `.git`).
pub fn read_small(path: &Path, cap: u64) -> Option<String> {
    let file = open_regular(path).ok()?;
    let mut text = String::new();
    // One byte over the cap tells a file that is too long from one that fits exactly.
    let read = file.take(cap + 1).read_to_string(&mut text).ok()?;
    (read as u64 <= cap).then_some(text)
}

fn not_regular(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{} is not a regular file", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_opened() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "0123456789").unwrap();
        assert!(open_regular(&file).is_ok());
        assert!(open_regular(dir.path()).is_err());
        assert!(open_regular(Path::new("/dev/zero")).is_err());
        assert!(open_regular(&dir.path().join("absent")).is_err());
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&file, &link).unwrap();
            assert!(open_regular(&link).is_ok());
        }

        assert_eq!(read_small(&file, 10).as_deref(), Some("0123456789"));
        assert_eq!(read_small(&file, 9), None);
        assert_eq!(read_small(Path::new("/dev/zero"), 10), None);
        std::fs::write(&file, b"\xff\xfe").unwrap();
        assert_eq!(read_small(&file, 10), None);
    }
}
