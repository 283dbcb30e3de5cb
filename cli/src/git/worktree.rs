//! What is left uncommitted: the index and the working tree against HEAD, as `git diff HEAD --numstat` counts it.

// The paths looked at are HEAD's and the index's (untracked files are not counted, as git does
// not). A working-tree file whose size and modification time are the index's, and whose index
// entry is HEAD's blob, is unchanged without being read: git's own shortcut, which keeps this
// quick in a large checkout.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Instant;

use super::commit::{Commit, read_tree};
use super::diff::{LineCounts, MAX_BLOB_BYTES, counts, is_binary, line_ops};
use super::objects::{Kind, Objects, Oid, ReadError};
use crate::files::open_regular;

/// An index of a checkout with a few hundred thousand files.
const MAX_INDEX_BYTES: u64 = 512 * 1024 * 1024;

/// One stage-0 index entry: what `git add` recorded for a path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Staged {
    id: Oid,
    mode: u32,
    size: u32,
    mtime: (u32, u32),
}

/// Lines added and removed in the work tree and index against HEAD (`None`: an unborn
/// branch, all of whose files count as added).
pub fn uncommitted(
    objects: &Objects,
    git_dir: &Path,
    work_tree: &Path,
    head: Option<&Commit>,
    deadline: Instant,
) -> Result<LineCounts, ReadError> {
    let mut committed = BTreeMap::new();
    if let Some(head) = head {
        flatten(
            objects,
            head.tree,
            &mut Vec::new(),
            &mut committed,
            deadline,
        )?;
    }
    let staged = read_index(&git_dir.join("index")).unwrap_or_default();
    let mut paths: Vec<&Vec<u8>> = committed.keys().chain(staged.keys()).collect();
    paths.sort_unstable();
    paths.dedup();
    let mut lines = LineCounts::default();
    for path in paths {
        if Instant::now() >= deadline {
            return Err(ReadError::Corrupt("the deadline came".to_owned()));
        }
        let old = committed.get(path);
        let file = work_tree.join(std::ffi::OsStr::from_bytes(path));
        let meta = file.symlink_metadata().ok();
        if let (Some(old), Some(entry), Some(meta)) = (old, staged.get(path), &meta)
            && entry.id == old.1
            && unchanged_since_staged(entry, meta)
        {
            continue;
        }
        let old_text = match old {
            Some((mode, id)) if *mode != 0o160000 => {
                match objects.read_kind(*id, Kind::Blob, MAX_BLOB_BYTES) {
                    Ok(data) => Some(data),
                    Err(ReadError::TooLarge { .. }) => None,
                    Err(e) => return Err(e),
                }
            }
            Some(_) => continue,
            None => Some(Vec::new()),
        };
        let new_text = match &meta {
            None => Some(Vec::new()),
            Some(meta) if meta.file_type().is_symlink() => std::fs::read_link(&file)
                .ok()
                .map(|target| target.into_os_string().into_encoded_bytes()),
            Some(meta) if meta.is_file() => read_bounded(&file),
            // A directory where a submodule is: its commits are its own repository's.
            Some(_) => continue,
        };
        let (Some(old_text), Some(new_text)) = (old_text, new_text) else {
            lines.paths.insert(path.clone());
            lines.uncounted += 1;
            continue;
        };
        if old_text == new_text {
            continue;
        }
        lines.paths.insert(path.clone());
        if is_binary(&old_text) || is_binary(&new_text) {
            continue;
        }
        let (added, removed) = counts(&line_ops(&old_text, &new_text, deadline));
        lines.added += added;
        lines.removed += removed;
    }
    Ok(lines)
}

fn unchanged_since_staged(entry: &Staged, meta: &std::fs::Metadata) -> bool {
    meta.size() == u64::from(entry.size)
        && u32::try_from(meta.mtime()).ok() == Some(entry.mtime.0)
        && u32::try_from(meta.mtime_nsec()).ok() == Some(entry.mtime.1)
}

fn read_bounded(path: &Path) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    open_regular(path)
        .ok()?
        .take(MAX_BLOB_BYTES + 1)
        .read_to_end(&mut data)
        .ok()?;
    (data.len() as u64 <= MAX_BLOB_BYTES).then_some(data)
}

/// Every file of tree `id` by path, with its mode and blob.
fn flatten(
    objects: &Objects,
    id: Oid,
    prefix: &mut Vec<u8>,
    out: &mut BTreeMap<Vec<u8>, (u32, Oid)>,
    deadline: Instant,
) -> Result<(), ReadError> {
    if Instant::now() >= deadline {
        return Err(ReadError::Corrupt("the deadline came".to_owned()));
    }
    for entry in read_tree(objects, id)? {
        let len = prefix.len();
        prefix.extend_from_slice(&entry.name);
        if entry.is_tree() {
            prefix.push(b'/');
            flatten(objects, entry.id, prefix, out, deadline)?;
        } else {
            out.insert(prefix.clone(), (entry.mode, entry.id));
        }
        prefix.truncate(len);
    }
    Ok(())
}

/// The stage-0 entries of an index file (versions 2 to 4); `None` when there is none or it is
/// not one git wrote.
fn read_index(path: &Path) -> Option<BTreeMap<Vec<u8>, Staged>> {
    let mut data = Vec::new();
    open_regular(path)
        .ok()?
        .take(MAX_INDEX_BYTES)
        .read_to_end(&mut data)
        .ok()?;
    if data.get(..4)? != b"DIRC" {
        return None;
    }
    let version = u32::from_be_bytes(data.get(4..8)?.try_into().ok()?);
    let count = u32::from_be_bytes(data.get(8..12)?.try_into().ok()?);
    if !(2..=4).contains(&version) {
        return None;
    }
    let be32 = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
    };
    let mut at = 12;
    let mut previous: Vec<u8> = Vec::new();
    let mut entries = BTreeMap::new();
    for _ in 0..count {
        let start = at;
        let mtime = (be32(at + 8)?, be32(at + 12)?);
        let mode = be32(at + 24)?;
        let size = be32(at + 36)?;
        let id = Oid::from_bytes(data.get(at + 40..at + 60)?)?;
        let flags = u16::from_be_bytes(data.get(at + 60..at + 62)?.try_into().ok()?);
        at += 62;
        if flags & 0x4000 != 0 && version >= 3 {
            at += 2;
        }
        let stage = (flags >> 12) & 3;
        let path = if version == 4 {
            // The length of the previous path to drop, as a varint, then the rest of this one.
            let mut strip = 0usize;
            let mut byte = *data.get(at)?;
            at += 1;
            strip = strip * 128 + usize::from(byte & 0x7f);
            while byte & 0x80 != 0 {
                byte = *data.get(at)?;
                at += 1;
                strip = (strip + 1) * 128 + usize::from(byte & 0x7f);
            }
            let nul = at + data.get(at..)?.iter().position(|&b| b == 0)?;
            let mut path = previous.get(..previous.len().checked_sub(strip)?)?.to_vec();
            path.extend_from_slice(&data[at..nul]);
            at = nul + 1;
            path
        } else {
            let nul = at + data.get(at..)?.iter().position(|&b| b == 0)?;
            let path = data[at..nul].to_vec();
            // Entries are padded with NULs to a multiple of 8 bytes.
            at = start + (nul - start + 8) / 8 * 8;
            path
        };
        previous.clone_from(&path);
        if stage == 0 {
            entries.insert(
                path,
                Staged {
                    id,
                    mode,
                    size,
                    mtime,
                },
            );
        }
    }
    Some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testing::{commit, git, repo};

    fn numstat(work: &Path) -> (u64, u64, u64) {
        let out = git(work, &["diff", "HEAD", "--numstat"]);
        out.lines().fold((0, 0, 0), |(a, r, f), line| {
            let mut parts = line.split('\t');
            let added = parts.next().unwrap().parse().unwrap_or(0);
            let removed = parts.next().unwrap().parse().unwrap_or(0);
            (a + added, r + removed, f + 1)
        })
    }

    fn mine(work: &Path) -> (u64, u64, u64) {
        let objects = Objects::open(&work.join(".git/objects"));
        let head = Oid::from_hex(&git(work, &["rev-parse", "HEAD"])).unwrap();
        let head = Commit::read(&objects, head).unwrap();
        let far = Instant::now() + std::time::Duration::from_secs(60);
        let lines = uncommitted(&objects, &work.join(".git"), work, Some(&head), far).unwrap();
        (lines.added, lines.removed, lines.paths.len() as u64)
    }

    #[test]
    fn staged_and_unstaged_changes_count_as_git_diff_head_does() {
        for version in ["2", "3", "4"] {
            let (_dir, work) = repo();
            git(&work, &["config", "index.version", version]);
            std::fs::write(work.join("kept"), "a\nb\nc\n").unwrap();
            std::fs::write(work.join("gone"), "x\ny\n").unwrap();
            std::fs::create_dir(work.join("dir")).unwrap();
            std::fs::write(work.join("dir/staged"), "1\n").unwrap();
            git(&work, &["add", "-A"]);
            commit(&work, &["-m", "files"]);
            assert_eq!(mine(&work), (0, 0, 0));
            std::fs::write(work.join("kept"), "a\nB\nc\nd\n").unwrap();
            std::fs::remove_file(work.join("gone")).unwrap();
            std::fs::write(work.join("dir/staged"), "1\n2\n").unwrap();
            std::fs::write(work.join("new-staged"), "n\n").unwrap();
            std::fs::write(work.join("untracked"), "u\n").unwrap();
            git(&work, &["add", "dir/staged", "new-staged"]);
            // Staged, then changed again in the work tree: the work tree counts.
            std::fs::write(work.join("dir/staged"), "1\n2\n3\n").unwrap();
            assert_eq!(mine(&work), numstat(&work), "index version {version}");
            assert_eq!(mine(&work), (5, 3, 4));
        }
    }
}
