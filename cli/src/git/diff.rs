//! What a commit changed: its files, lines added and removed, and its stable patch id as `git patch-id --stable` computes it.

// The patch id is computed the way git computes it from `git show`'s output: the patch each
// file would show (`diff --git` header, mode lines, `---`/`+++`, hunks with 3 lines of
// context) is fed line by line to a port of builtin/patch-id.c, which hashes each file's
// lines with whitespace removed, skips `index` lines and hunk headers, and sums the files'
// SHA-1s byte by byte. Going through the text keeps git's quirks (a mode-only change is hashed
// with the file after it). Where git's output cannot be reproduced exactly, no id is given
// rather than a wrong one: a binary file (git hashes the abbreviated ids of its `index` line,
// whose length depends on the repository) or a file over the size bound.
// Hunks come from `similar`'s Myers diff: the same hunks as git's for ordinary edits; where
// several alignments are equally short, git's indent heuristic may slide a hunk differently.

use std::collections::BTreeSet;
use std::time::Instant;

use similar::{Algorithm, DiffOp};

use super::commit::{Commit, TreeEntry, read_tree};
use super::objects::{Kind, Objects, Oid, ReadError};

/// Lines of files over this size are not counted (nor is the commit's patch id given).
pub const MAX_BLOB_BYTES: u64 = 1024 * 1024;
/// Git's lines of context.
const CONTEXT: usize = 3;
/// Git looks for a NUL in this many leading bytes to call a file binary.
const BINARY_PROBE: usize = 8000;
const GITLINK: u32 = 0o160000;

/// One path a change touched: its mode and object before and after (none: absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: Vec<u8>,
    pub old: Option<(u32, Oid)>,
    pub new: Option<(u32, Oid)>,
}

/// The lines a change added and removed, over how many files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineCounts {
    pub added: u64,
    pub removed: u64,
    /// The paths changed.
    pub paths: BTreeSet<Vec<u8>>,
    /// Text files over the size bound: their lines are not in the counts.
    pub uncounted: u64,
}

/// A commit's change against its first parent (a root commit's against nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitChange {
    pub lines: LineCounts,
    /// `git patch-id --stable`, when it can be computed exactly.
    pub patch_id: Option<String>,
}

/// Reads `commit`'s change: its files, their lines, its patch id.
pub fn commit_change(
    objects: &Objects,
    commit: &Commit,
    deadline: Instant,
) -> Result<CommitChange, ReadError> {
    let parent_tree = match commit.parents.first() {
        Some(parent) => Some(Commit::read(objects, *parent)?.tree),
        None => None,
    };
    let files = tree_changes(objects, parent_tree, Some(commit.tree))?;
    let mut lines = LineCounts::default();
    let mut patch = PatchId::default();
    let mut exact = true;
    for file in &files {
        lines.paths.insert(file.path.clone());
        let old = side(objects, file.old)?;
        let new = side(objects, file.new)?;
        let (Some(old), Some(new)) = (old, new) else {
            lines.uncounted += 1;
            exact = false;
            continue;
        };
        if is_binary(&old) || is_binary(&new) {
            exact = false;
            continue;
        }
        let ops = line_ops(&old, &new, deadline);
        let (added, removed) = counts(&ops);
        lines.added += added;
        lines.removed += removed;
        for line in file_patch(file, &split_lines(&old), &split_lines(&new), &ops) {
            patch.line(&line);
        }
    }
    Ok(CommitChange {
        lines,
        patch_id: exact.then(|| patch.finish()).flatten(),
    })
}

/// The content of one side of a change: empty when absent, a submodule's line for a gitlink,
/// `None` when over the size bound.
fn side(objects: &Objects, side: Option<(u32, Oid)>) -> Result<Option<Vec<u8>>, ReadError> {
    match side {
        None => Ok(Some(Vec::new())),
        Some((GITLINK, id)) => Ok(Some(format!("Subproject commit {id}\n").into_bytes())),
        Some((_, id)) => match objects.read_kind(id, Kind::Blob, MAX_BLOB_BYTES) {
            Ok(data) => Ok(Some(data)),
            Err(ReadError::TooLarge { .. }) => Ok(None),
            Err(e) => Err(e),
        },
    }
}

/// Every file that differs between two trees (none: the empty tree), in path order.
pub fn tree_changes(
    objects: &Objects,
    old: Option<Oid>,
    new: Option<Oid>,
) -> Result<Vec<FileChange>, ReadError> {
    let mut changes = Vec::new();
    diff_trees(objects, &[], old, new, &mut changes)?;
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(changes)
}

fn diff_trees(
    objects: &Objects,
    prefix: &[u8],
    old: Option<Oid>,
    new: Option<Oid>,
    out: &mut Vec<FileChange>,
) -> Result<(), ReadError> {
    if old == new {
        return Ok(());
    }
    let entries = |id: Option<Oid>| -> Result<Vec<TreeEntry>, ReadError> {
        id.map_or(Ok(Vec::new()), |id| read_tree(objects, id))
    };
    let (old, new) = (entries(old)?, entries(new)?);
    let mut names: Vec<&[u8]> = old.iter().chain(&new).map(|e| e.name.as_slice()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let find = |list: &[TreeEntry]| list.iter().find(|e| e.name == name).cloned();
        let (a, b) = (find(&old), find(&new));
        let mut path = prefix.to_vec();
        path.extend_from_slice(name);
        let tree_of = |e: &Option<TreeEntry>| e.as_ref().filter(|e| e.is_tree()).map(|e| e.id);
        let file_of =
            |e: &Option<TreeEntry>| e.as_ref().filter(|e| !e.is_tree()).map(|e| (e.mode, e.id));
        let (old_tree, new_tree) = (tree_of(&a), tree_of(&b));
        if old_tree.is_some() || new_tree.is_some() {
            let mut dir = path.clone();
            dir.push(b'/');
            diff_trees(objects, &dir, old_tree, new_tree, out)?;
        }
        let (old_file, new_file) = (file_of(&a), file_of(&b));
        if old_file != new_file {
            push_file(out, path, old_file, new_file);
        }
    }
    Ok(())
}

/// A file changed from one kind to another (a file to a symlink) is a deletion and an
/// addition, as git shows it.
fn push_file(
    out: &mut Vec<FileChange>,
    path: Vec<u8>,
    old: Option<(u32, Oid)>,
    new: Option<(u32, Oid)>,
) {
    let kind = |mode: u32| mode & 0o170000;
    match (old, new) {
        (Some(o), Some(n)) if kind(o.0) != kind(n.0) => {
            out.push(FileChange {
                path: path.clone(),
                old: Some(o),
                new: None,
            });
            out.push(FileChange {
                path,
                old: None,
                new: Some(n),
            });
        }
        _ => out.push(FileChange { path, old, new }),
    }
}

/// Git's test: a NUL among the first 8000 bytes.
pub fn is_binary(data: &[u8]) -> bool {
    data.iter().take(BINARY_PROBE).any(|&b| b == 0)
}

/// Lines with their newline, as git compares them.
fn split_lines(data: &[u8]) -> Vec<&[u8]> {
    data.split_inclusive(|&b| b == b'\n').collect()
}

/// The line diff of two texts.
pub fn line_ops(old: &[u8], new: &[u8], deadline: Instant) -> Vec<DiffOp> {
    let (old, new) = (split_lines(old), split_lines(new));
    similar::capture_diff_slices_deadline(Algorithm::Myers, &old, &new, Some(deadline))
}

/// Lines added and removed.
pub fn counts(ops: &[DiffOp]) -> (u64, u64) {
    ops.iter().fold((0, 0), |(added, removed), op| match *op {
        DiffOp::Equal { .. } => (added, removed),
        DiffOp::Delete { old_len, .. } => (added, removed + old_len as u64),
        DiffOp::Insert { new_len, .. } => (added + new_len as u64, removed),
        DiffOp::Replace {
            old_len, new_len, ..
        } => (added + new_len as u64, removed + old_len as u64),
    })
}

/// The lines `git show` prints for one file (without the `index` line, which the patch id
/// skips, and without `\ No newline at end of file`, which it skips too).
fn file_patch(file: &FileChange, old: &[&[u8]], new: &[&[u8]], ops: &[DiffOp]) -> Vec<Vec<u8>> {
    let a = quoted(b"a/", &file.path);
    let b = quoted(b"b/", &file.path);
    let mut out = vec![[b"diff --git ".as_slice(), &a, b" ", &b].concat()];
    match (file.old, file.new) {
        (None, Some((mode, _))) => out.push(format!("new file mode {mode:06o}").into_bytes()),
        (Some((mode, _)), None) => out.push(format!("deleted file mode {mode:06o}").into_bytes()),
        (Some((old_mode, _)), Some((new_mode, _))) if old_mode != new_mode => {
            out.push(format!("old mode {old_mode:06o}").into_bytes());
            out.push(format!("new mode {new_mode:06o}").into_bytes());
        }
        _ => {}
    }
    let groups = similar::group_diff_ops(ops.to_vec(), CONTEXT);
    if groups.is_empty() {
        return out;
    }
    let minus = if file.old.is_some() {
        a
    } else {
        b"/dev/null".to_vec()
    };
    let plus = if file.new.is_some() {
        b
    } else {
        b"/dev/null".to_vec()
    };
    out.push([b"--- ".as_slice(), &minus].concat());
    out.push([b"+++ ".as_slice(), &plus].concat());
    for group in groups {
        let mut body: Vec<Vec<u8>> = Vec::new();
        let line = |sign: u8, text: &[u8]| [&[sign][..], text].concat();
        for op in &group {
            // A change is its removed lines, then its added ones, as git prints it.
            let (removed, added) = match *op {
                DiffOp::Equal { old_index, len, .. } => {
                    body.extend(
                        old[old_index..old_index + len]
                            .iter()
                            .map(|l| line(b' ', l)),
                    );
                    continue;
                }
                DiffOp::Delete {
                    old_index, old_len, ..
                } => (old_index..old_index + old_len, 0..0),
                DiffOp::Insert {
                    new_index, new_len, ..
                } => (0..0, new_index..new_index + new_len),
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => (
                    old_index..old_index + old_len,
                    new_index..new_index + new_len,
                ),
            };
            body.extend(old[removed].iter().map(|l| line(b'-', l)));
            body.extend(new[added].iter().map(|l| line(b'+', l)));
        }
        let before = body.iter().filter(|l| l[0] != b'+').count();
        let after = body.iter().filter(|l| l[0] != b'-').count();
        out.push(format!("@@ -1,{before} +1,{after} @@").into_bytes());
        out.extend(body);
    }
    out
}

/// `prefix` and `path` as git prints them in a diff header: in double quotes with C escapes
/// when the path holds a control character, a quote, a backslash or a byte over 0x7f.
fn quoted(prefix: &[u8], path: &[u8]) -> Vec<u8> {
    let needs = |b: u8| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f;
    let whole = [prefix, path].concat();
    if !whole.iter().any(|&b| needs(b)) {
        return whole;
    }
    let mut out = vec![b'"'];
    for &b in &whole {
        match b {
            0x07 => out.extend(b"\\a"),
            0x08 => out.extend(b"\\b"),
            b'\t' => out.extend(b"\\t"),
            b'\n' => out.extend(b"\\n"),
            0x0b => out.extend(b"\\v"),
            0x0c => out.extend(b"\\f"),
            b'\r' => out.extend(b"\\r"),
            b'"' => out.extend(b"\\\""),
            b'\\' => out.extend(b"\\\\"),
            b if needs(b) => out.extend(format!("\\{b:03o}").into_bytes()),
            b => out.push(b),
        }
    }
    out.push(b'"');
    out
}

/// builtin/patch-id.c's `get_one_patchid` in its stable mode, over one commit's patch.
#[derive(Default)]
struct PatchId {
    sum: [u8; 20],
    file: sha1_smol::Sha1,
    length: usize,
    before: Option<i64>,
    after: i64,
    done: bool,
}

impl PatchId {
    fn line(&mut self, line: &[u8]) {
        if self.done {
            return;
        }
        if self.length == 0 && !line.starts_with(b"diff ") {
            return;
        }
        if self.before.is_none() {
            if line.starts_with(b"index ") {
                return;
            } else if line.starts_with(b"--- ") {
                self.before = Some(1);
                self.after = 1;
            } else if !line.first().is_some_and(u8::is_ascii_alphabetic) {
                self.done = true;
                return;
            }
        }
        if self.before == Some(0) && self.after == 0 {
            if line.starts_with(b"@@ -") {
                let (before, after) = hunk_counts(line);
                self.before = Some(before);
                self.after = after;
                return;
            }
            if !line.starts_with(b"diff ") {
                self.done = true;
                return;
            }
            self.flush();
            self.before = None;
        }
        if matches!(line.first(), Some(b'-' | b' ')) {
            self.before = self.before.map(|b| b - 1);
        }
        if matches!(line.first(), Some(b'+' | b' ')) {
            self.after -= 1;
        }
        let kept: Vec<u8> = line
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace() && *b != 0x0b)
            .collect();
        self.length += kept.len();
        self.file.update(&kept);
    }

    /// Adds the file's hash to the sum, as 20-byte numbers with the carry going up.
    fn flush(&mut self) {
        let hash = std::mem::take(&mut self.file).digest().bytes();
        let mut carry = 0u16;
        for (sum, byte) in self.sum.iter_mut().zip(hash) {
            carry += u16::from(*sum) + u16::from(byte);
            *sum = carry as u8;
            carry >>= 8;
        }
    }

    /// The id, or none for an empty patch (git prints nothing then).
    fn finish(mut self) -> Option<String> {
        if self.length == 0 {
            return None;
        }
        self.flush();
        Some(Oid(self.sum).to_hex())
    }
}

/// The line counts of a hunk header `@@ -a,b +c,d @@` (a missing count is 1).
fn hunk_counts(line: &[u8]) -> (i64, i64) {
    let text = String::from_utf8_lossy(line);
    let mut parts = text.split_whitespace().skip(1);
    let count = |part: Option<&str>| {
        part.and_then(|p| p.get(1..)).map_or(1, |p| {
            p.split_once(',').map_or(1, |(_, n)| n.parse().unwrap_or(1))
        })
    };
    (count(parts.next()), count(parts.next()))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::git::testing::{commit, git, repo};

    fn commit_all(work: &Path, message: &str) -> Oid {
        git(work, &["add", "-A"]);
        commit(work, &["-m", message]);
        Oid::from_hex(&git(work, &["rev-parse", "HEAD"])).unwrap()
    }

    /// `git show <id> | git patch-id --stable`'s id, and `git show --numstat`'s sums.
    fn what_git_says(work: &Path, id: Oid) -> (Option<String>, u64, u64) {
        let show = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("git show {id} | git patch-id --stable"))
            .current_dir(work)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&show.stdout);
        let patch_id = out.split_whitespace().next().map(str::to_owned);
        let numstat = git(work, &["show", "--format=", "--numstat", &id.to_hex()]);
        let (mut added, mut removed) = (0, 0);
        for line in numstat.lines() {
            let mut parts = line.split('\t');
            added += parts.next().unwrap().parse::<u64>().unwrap_or(0);
            removed += parts.next().unwrap().parse::<u64>().unwrap_or(0);
        }
        (patch_id, added, removed)
    }

    fn mine(work: &Path, id: Oid) -> (Option<String>, u64, u64) {
        let objects = Objects::open(&work.join(".git/objects"));
        let commit = Commit::read(&objects, id).unwrap();
        let far = Instant::now() + std::time::Duration::from_secs(60);
        let change = commit_change(&objects, &commit, far).unwrap();
        (change.patch_id, change.lines.added, change.lines.removed)
    }

    #[test]
    fn patch_ids_and_line_counts_are_gits() {
        let (_dir, work) = repo();
        let text: String = (0..40).map(|i| format!("line {i}\n")).collect();
        std::fs::write(work.join("a.txt"), &text).unwrap();
        std::fs::create_dir(work.join("src")).unwrap();
        std::fs::write(
            work.join("src/main.rs"),
            "fn main() {\n    println!(\"hi\");\n}\n",
        )
        .unwrap();
        std::fs::write(work.join("empty"), "").unwrap();
        std::fs::write(work.join("caf\u{e9} \"q\".txt"), "no newline").unwrap();
        let mut ids = vec![commit_all(&work, "first files")];

        // Two hunks in one file, one far apart and one close; a deletion; a mode change with
        // content; a mode-only change; a new file in a new directory; a symlink.
        let changed: String = text
            .lines()
            .enumerate()
            .map(|(i, l)| match i {
                2 => "changed two\n".to_owned(),
                5 => format!("{l}\ninserted\n"),
                30 => String::new(),
                _ => format!("{l}\n"),
            })
            .collect();
        std::fs::write(work.join("a.txt"), changed).unwrap();
        std::fs::remove_file(work.join("empty")).unwrap();
        std::fs::write(
            work.join("src/main.rs"),
            "fn main() {\n\tprintln!(\"bye\");\n}\n",
        )
        .unwrap();
        git(&work, &["update-index", "--chmod=+x", "src/main.rs"]);
        std::fs::write(work.join("caf\u{e9} \"q\".txt"), "no newline\nnow").unwrap();
        std::fs::create_dir_all(work.join("deep/er")).unwrap();
        std::fs::write(work.join("deep/er/x.md"), "# x\n\n  spaced   out  \n").unwrap();
        std::os::unix::fs::symlink("a.txt", work.join("link")).unwrap();
        git(&work, &["add", "-A"]);
        git(&work, &["update-index", "--chmod=+x", "src/main.rs"]);
        ids.push(commit_all(&work, "many kinds of change"));

        std::fs::write(work.join("solo"), "x\n").unwrap();
        ids.push(commit_all(&work, "one file"));
        git(&work, &["update-index", "--chmod=+x", "solo"]);
        std::fs::write(work.join("z-after"), "after the mode change\n").unwrap();
        git(&work, &["add", "z-after"]);
        ids.push(commit_all(
            &work,
            "a mode-only change hashed with the next file",
        ));

        for id in ids {
            assert_eq!(mine(&work, id), what_git_says(&work, id), "commit {id}");
        }
        // Packed, the same.
        git(&work, &["gc", "-q"]);
        let head = Oid::from_hex(&git(&work, &["rev-parse", "HEAD~1"])).unwrap();
        assert_eq!(mine(&work, head), what_git_says(&work, head));
    }

    #[test]
    fn a_binary_or_huge_file_is_counted_as_git_does_and_gives_no_id() {
        let (_dir, work) = repo();
        std::fs::write(work.join("image.png"), b"\x89PNG\0\0\x01").unwrap();
        std::fs::write(work.join("t.txt"), "one\ntwo\n").unwrap();
        let id = commit_all(&work, "binary");
        let (patch_id, added, removed) = mine(&work, id);
        assert_eq!((added, removed), (2, 0));
        assert_eq!(patch_id, None);
        let huge: String = (0..200_000).map(|i| format!("{i}\n")).collect();
        std::fs::write(work.join("huge.txt"), huge).unwrap();
        let id = commit_all(&work, "huge");
        let objects = Objects::open(&work.join(".git/objects"));
        let commit = Commit::read(&objects, id).unwrap();
        let far = Instant::now() + std::time::Duration::from_secs(60);
        let change = commit_change(&objects, &commit, far).unwrap();
        assert_eq!(change.lines.uncounted, 1);
        assert_eq!(change.patch_id, None);
    }

    #[test]
    fn quoting_is_gits() {
        assert_eq!(quoted(b"a/", b"plain name"), b"a/plain name");
        assert_eq!(
            quoted(b"a/", "caf\u{e9}".as_bytes()),
            b"\"a/caf\\303\\251\""
        );
        assert_eq!(quoted(b"b/", b"t\tq\"b\\"), b"\"b/t\\tq\\\"b\\\\\"");
    }
}
