//! Commits and trees as git writes them, and the walk over the commits between two points of history.

use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

use super::objects::{Kind, Objects, Oid, ReadError};

/// A commit is a few hundred bytes; a message pasted with a whole log is still under this.
pub const MAX_COMMIT_BYTES: u64 = 1024 * 1024;
/// A tree of a directory with a hundred thousand entries.
pub const MAX_TREE_BYTES: u64 = 16 * 1024 * 1024;

/// What a commit says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub id: Oid,
    pub tree: Oid,
    pub parents: Vec<Oid>,
    pub author_email: String,
    /// When it was made (its committer's time, seconds since the epoch): an amend or a
    /// rebase keeps the author's time but makes the commit anew.
    pub committed_at: i64,
    pub message: String,
}

impl Commit {
    pub fn read(objects: &Objects, id: Oid) -> Result<Commit, ReadError> {
        let data = objects.read_kind(id, Kind::Commit, MAX_COMMIT_BYTES)?;
        let mut commit = parse_commit(id, &data)
            .ok_or_else(|| ReadError::Corrupt(format!("commit {id} is malformed")))?;
        if objects.is_shallow(id) {
            commit.parents.clear();
        }
        Ok(commit)
    }

    /// The message's first line.
    pub fn subject(&self) -> &str {
        self.message.lines().next().unwrap_or_default().trim()
    }

    /// Whether the message ends with a `Co-Authored-By: Claude ...` trailer, as Claude Code
    /// writes it (any case, any model named after `Claude`).
    pub fn co_authored_by_claude(&self) -> bool {
        let trailers = self
            .message
            .trim_end()
            .rsplit("\n\n")
            .next()
            .unwrap_or_default();
        trailers.lines().any(|line| {
            line.split_once(':').is_some_and(|(key, value)| {
                key.trim().eq_ignore_ascii_case("co-authored-by")
                    && value
                        .trim_start()
                        .to_ascii_lowercase()
                        .starts_with("claude")
            })
        })
    }

    pub fn is_merge(&self) -> bool {
        self.parents.len() > 1
    }
}

fn parse_commit(id: Oid, data: &[u8]) -> Option<Commit> {
    let text = String::from_utf8_lossy(data);
    let (headers, message) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut tree = None;
    let mut parents = Vec::new();
    let mut author_email = None;
    let mut committed_at = None;
    for line in headers.lines() {
        if let Some(hex) = line.strip_prefix("tree ") {
            tree = Oid::from_hex(hex.trim());
        } else if let Some(hex) = line.strip_prefix("parent ") {
            parents.push(Oid::from_hex(hex.trim())?);
        } else if let Some(who) = line.strip_prefix("author ") {
            author_email = Some(email_of(who)?);
        } else if let Some(who) = line.strip_prefix("committer ") {
            committed_at = Some(time_of(who)?);
        }
    }
    Some(Commit {
        id,
        tree: tree?,
        parents,
        author_email: author_email?,
        committed_at: committed_at?,
        message: message.to_owned(),
    })
}

/// `Name <email> 1700000000 +0100`: the email.
fn email_of(who: &str) -> Option<String> {
    let start = who.find('<')? + 1;
    let end = start + who[start..].find('>')?;
    Some(who[start..end].to_owned())
}

/// `Name <email> 1700000000 +0100`: the time.
fn time_of(who: &str) -> Option<i64> {
    let after = &who[who.rfind('>')? + 1..];
    after.split_whitespace().next()?.parse().ok()
}

/// One entry of a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    pub mode: u32,
    pub name: Vec<u8>,
    pub id: Oid,
}

impl TreeEntry {
    pub fn is_tree(&self) -> bool {
        self.mode == 0o040000
    }
}

/// The entries of tree `id`, in git's order.
pub fn read_tree(objects: &Objects, id: Oid) -> Result<Vec<TreeEntry>, ReadError> {
    let data = objects.read_kind(id, Kind::Tree, MAX_TREE_BYTES)?;
    parse_tree(&data).ok_or_else(|| ReadError::Corrupt(format!("tree {id} is malformed")))
}

fn parse_tree(mut data: &[u8]) -> Option<Vec<TreeEntry>> {
    let mut entries = Vec::new();
    while !data.is_empty() {
        let space = data.iter().position(|&b| b == b' ')?;
        let mode = u32::from_str_radix(std::str::from_utf8(&data[..space]).ok()?, 8).ok()?;
        let rest = &data[space + 1..];
        let nul = rest.iter().position(|&b| b == 0)?;
        let name = rest[..nul].to_vec();
        let id = Oid::from_bytes(rest.get(nul + 1..nul + 21)?)?;
        entries.push(TreeEntry { mode, name, id });
        data = &rest[nul + 21..];
    }
    Some(entries)
}

/// Why a walk stopped short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// It read as many commits as it may.
    TooMany,
    /// Its deadline came.
    Deadline,
}

/// Commits reachable from `to` and not from `from`, newest first, as `git rev-list to ^from`,
/// and whether `from` is an ancestor of `to`. Commits the walk cannot read (beyond a shallow
/// clone's boundary) end their line of history. At most `max_reads` commits are read.
pub fn between(
    objects: &Objects,
    from: Option<Oid>,
    to: Oid,
    max_reads: usize,
    deadline: Instant,
) -> Result<Walk, Stopped> {
    const FROM_END: u8 = 1;
    const FROM_START: u8 = 2;
    let mut marks: HashMap<Oid, u8> = HashMap::new();
    let mut read: HashMap<Oid, Option<Commit>> = HashMap::new();
    let mut queue = BinaryHeap::new();
    let push = |queue: &mut BinaryHeap<(i64, Oid)>,
                marks: &mut HashMap<Oid, u8>,
                read: &mut HashMap<Oid, Option<Commit>>,
                id: Oid,
                mark: u8|
     -> Result<bool, Stopped> {
        let was = marks.get(&id).copied().unwrap_or(0);
        if was | mark == was {
            return Ok(false);
        }
        marks.insert(id, was | mark);
        if !read.contains_key(&id) {
            if read.len() >= max_reads {
                return Err(Stopped::TooMany);
            }
            if Instant::now() >= deadline {
                return Err(Stopped::Deadline);
            }
            read.insert(id, Commit::read(objects, id).ok());
        }
        let time = read[&id].as_ref().map_or(i64::MIN, |c| c.committed_at);
        queue.push((time, id));
        Ok(true)
    };
    push(&mut queue, &mut marks, &mut read, to, FROM_END)?;
    if let Some(from) = from {
        push(&mut queue, &mut marks, &mut read, from, FROM_START)?;
    }
    while let Some((_, id)) = queue.pop() {
        // Done when nothing left to look at can still be new: git's "everybody uninteresting".
        let open = |id: &Oid| marks.get(id).is_some_and(|m| m & FROM_START == 0);
        if !open(&id) && !queue.iter().any(|(_, q)| open(q)) {
            break;
        }
        let mark = marks[&id];
        let parents = read[&id]
            .as_ref()
            .map(|c| c.parents.clone())
            .unwrap_or_default();
        for parent in parents {
            push(&mut queue, &mut marks, &mut read, parent, mark)?;
        }
    }
    let commits: Vec<Commit> = read
        .into_iter()
        .filter(|(id, _)| marks.get(id) == Some(&FROM_END))
        .filter_map(|(_, c)| c)
        .collect();
    let commits = newest_first(commits, &[to]);
    let start_reached = from.is_none_or(|f| marks.get(&f) == Some(&(FROM_END | FROM_START)));
    Ok(Walk {
        commits,
        start_reached,
    })
}

/// What `between` found.
#[derive(Debug)]
pub struct Walk {
    /// Newest first.
    pub commits: Vec<Commit>,
    /// The start is an ancestor of the end: no rebase or amend rewrote it.
    pub start_reached: bool,
}

/// Commits made since `since` (seconds) reachable from any of `tips`, newest first: a line of
/// history is followed back only while its commits are that recent.
pub fn made_since(
    objects: &Objects,
    tips: &[Oid],
    since: i64,
    max_reads: usize,
    deadline: Instant,
) -> Result<Vec<Commit>, Stopped> {
    let mut seen: HashMap<Oid, ()> = HashMap::new();
    let mut queue: Vec<Oid> = tips.to_vec();
    let mut found = Vec::new();
    while let Some(id) = queue.pop() {
        if seen.insert(id, ()).is_some() {
            continue;
        }
        if seen.len() > max_reads {
            return Err(Stopped::TooMany);
        }
        if Instant::now() >= deadline {
            return Err(Stopped::Deadline);
        }
        let Ok(commit) = Commit::read(objects, id) else {
            continue;
        };
        if commit.committed_at < since {
            continue;
        }
        queue.extend(commit.parents.iter().copied());
        found.push(commit);
    }
    Ok(newest_first(found, tips))
}

/// `commits` with every commit before its parents (those made in the same second too), then
/// the latest made first.
fn newest_first(commits: Vec<Commit>, tips: &[Oid]) -> Vec<Commit> {
    let mut by_id: HashMap<Oid, Commit> = commits.into_iter().map(|c| (c.id, c)).collect();
    let mut post_order = Vec::new();
    let mut visited = std::collections::HashSet::new();
    let mut roots: Vec<Oid> = tips.to_vec();
    let mut rest: Vec<Oid> = by_id.keys().copied().collect();
    rest.sort_unstable();
    roots.extend(rest);
    for root in roots {
        // Iterative depth-first search: (commit, parents already pushed).
        let mut stack = vec![(root, false)];
        while let Some((id, expanded)) = stack.pop() {
            if expanded {
                post_order.push(id);
                continue;
            }
            if !by_id.contains_key(&id) || !visited.insert(id) {
                continue;
            }
            stack.push((id, true));
            for parent in by_id[&id].parents.iter().rev() {
                stack.push((*parent, false));
            }
        }
    }
    let mut ordered: Vec<Commit> = post_order
        .into_iter()
        .rev()
        .filter_map(|id| by_id.remove(&id))
        .collect();
    ordered.sort_by_key(|c| std::cmp::Reverse(c.committed_at));
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_reads_as_git_writes_it() {
        let id = Oid([1; 20]);
        let data = format!(
            "tree {}\nparent {}\nparent {}\nauthor Ann Lee <ann@example.com> 1700000000 +0100\n\
             committer Bob <bob@example.com> 1700000100 -0500\ngpgsig -----BEGIN\n -----END\n\n\
             Retry uploads\n\nBody.\n\nCo-authored-by: Claude Opus 5 <noreply@anthropic.com>\n",
            "a".repeat(40),
            "b".repeat(40),
            "c".repeat(40)
        );
        let commit = parse_commit(id, data.as_bytes()).unwrap();
        assert_eq!(commit.tree.to_hex(), "a".repeat(40));
        assert_eq!(commit.parents.len(), 2);
        assert!(commit.is_merge());
        assert_eq!(commit.author_email, "ann@example.com");
        assert_eq!(commit.committed_at, 1_700_000_100);
        assert_eq!(commit.subject(), "Retry uploads");
        assert!(commit.co_authored_by_claude());
        let plain = data.replace("Co-authored-by: Claude", "Co-authored-by: Dana");
        assert!(
            !parse_commit(id, plain.as_bytes())
                .unwrap()
                .co_authored_by_claude()
        );
        // Named in the body, not a trailer.
        let body = data.replace("Body.", "Co-Authored-By: Claude").replace(
            "Co-authored-by: Claude Opus 5 <noreply@anthropic.com>",
            "Signed-off-by: Ann",
        );
        assert!(
            !parse_commit(id, body.as_bytes())
                .unwrap()
                .co_authored_by_claude()
        );
        assert_eq!(parse_commit(id, b"tree zz\n\nx"), None);
    }

    #[test]
    fn a_tree_reads_as_git_writes_it() {
        let mut data = b"100644 a.txt\0".to_vec();
        data.extend([3u8; 20]);
        data.extend(b"40000 src\0");
        data.extend([4u8; 20]);
        let entries = parse_tree(&data).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].mode, 0o100644);
        assert!(entries[1].is_tree());
        assert_eq!(entries[1].name, b"src");
        assert_eq!(parse_tree(&data[..data.len() - 1]), None);
    }
}
