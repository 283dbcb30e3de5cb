//! A revision as people write it (`HEAD`, a branch or tag, a full or short id, `~n` and `^n` after any of them) resolved to a commit, and what the session log needs to know of it.

use std::time::Instant;

use super::Repo;
use super::commit::Commit;
use super::diff::commit_change;
use super::objects::{Kind, Oid};

/// A commit, as `session for-commit` looks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: String,
    pub patch_id: Option<String>,
    pub subject: String,
    /// Seconds since the epoch.
    pub committed_at: i64,
    pub is_merge: bool,
}

impl Repo {
    /// The commit `rev` names, with its patch id; an error says what could not be resolved.
    /// Blocking reads.
    pub fn commit_info(&self, rev: &str, deadline: Instant) -> Result<CommitInfo, String> {
        let objects = self.objects();
        let id = self.revision(rev, &objects)?;
        let commit = Commit::read(&objects, id).map_err(|e| format!("{rev}: {e}"))?;
        let patch_id = commit_change(&objects, &commit, deadline)
            .ok()
            .and_then(|c| c.patch_id);
        Ok(CommitInfo {
            id: id.to_hex(),
            patch_id,
            subject: commit.subject().to_owned(),
            committed_at: commit.committed_at,
            is_merge: commit.is_merge(),
        })
    }

    fn revision(&self, rev: &str, objects: &super::objects::Objects) -> Result<Oid, String> {
        let unknown = || format!("{rev:?} names no commit in this repository");
        let base_end = rev.find(['~', '^']).unwrap_or(rev.len());
        let (base, mut steps) = rev.split_at(base_end);
        let mut id = self.name_to_id(base, objects).ok_or_else(unknown)?;
        // An annotated tag leads to its commit.
        for _ in 0..8 {
            match objects.read(id, super::commit::MAX_COMMIT_BYTES) {
                Ok(o) if o.kind == Kind::Tag => {
                    let text = String::from_utf8_lossy(&o.data);
                    id = text
                        .lines()
                        .find_map(|l| l.strip_prefix("object "))
                        .and_then(Oid::from_hex)
                        .ok_or_else(unknown)?;
                }
                _ => break,
            }
        }
        while let Some(op) = steps.chars().next() {
            steps = &steps[1..];
            let digits = steps.len() - steps.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let n: usize = if digits == 0 {
                1
            } else {
                steps[..digits].parse().map_err(|_| unknown())?
            };
            steps = &steps[digits..];
            let parent_of = |id: Oid, which: usize| -> Result<Oid, String> {
                let commit = Commit::read(objects, id).map_err(|e| format!("{rev}: {e}"))?;
                commit
                    .parents
                    .get(which)
                    .copied()
                    .ok_or_else(|| format!("{rev}: commit {id} has no parent {}", which + 1))
            };
            match op {
                '~' => {
                    for _ in 0..n {
                        id = parent_of(id, 0)?;
                    }
                }
                _ if n == 0 => {}
                _ => id = parent_of(id, n - 1)?,
            }
        }
        Ok(id)
    }

    /// A ref as git looks it up (`HEAD`, `refs/...`, a tag, a branch, a remote branch), else
    /// an object id, whole or abbreviated (at least 4 digits, unambiguous).
    fn name_to_id(&self, name: &str, objects: &super::objects::Objects) -> Option<Oid> {
        let candidates = [
            name.to_owned(),
            format!("refs/{name}"),
            format!("refs/tags/{name}"),
            format!("refs/heads/{name}"),
            format!("refs/remotes/{name}"),
            format!("refs/remotes/{name}/HEAD"),
        ];
        if let Some(id) = candidates.iter().find_map(|c| self.resolve(c)) {
            return Oid::from_hex(&id);
        }
        let hex = name.to_ascii_lowercase();
        if hex.len() < 4 || hex.len() > 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        objects.find_prefix(&hex)
    }
}
