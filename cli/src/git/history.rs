//! What came of a session in a repository: the commits its user made between two HEADs and in its time window, and what is left uncommitted.

// Which commits: reachable from HEAD at the end and not from HEAD at the start (`git rev-list
// end ^start`), authored by the repository's user (`user.email`) and made within the session's
// window, merges aside: a `git pull` brings a teammate's commits (another author) and a merge
// commit whose change is theirs, neither of which is the session's work. When a rebase or an
// amend rewrote the start (it is no ancestor of the end any more), the user's own commits made
// in the window on any local branch are the session's. Bounded: at most `MAX_READS` commits
// are read and `MAX_COMMITS` described, and the caller's deadline stops the work.

use std::path::PathBuf;
use std::time::Instant;

use super::commit::{self, Commit, Stopped};
use super::diff::{LineCounts, commit_change};
use super::objects::{Objects, Oid};
use super::worktree::uncommitted;
use super::{MAX_CONFIG_BYTES, MAX_PACKED_REFS_BYTES, Repo, config_value, object_id};
use crate::files::read_small;

/// Commits described per session.
pub const MAX_COMMITS: usize = 100;
/// Commits read while looking for a session's: a session's own are a handful; this is the
/// history of a busy pull.
const MAX_READS: usize = 20_000;

/// One commit a session made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeCommit {
    pub id: String,
    pub patch_id: Option<String>,
    pub subject: String,
    pub added: u64,
    pub removed: u64,
    /// Files over the size bound whose lines are not counted.
    pub uncounted_files: u64,
    pub claude: bool,
}

/// A session's change to a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionChange {
    /// Its commits, newest first, at most `MAX_COMMITS`; `None` when they cannot be known.
    pub commits: Option<Vec<MadeCommit>>,
    /// How many commits it made (more than listed when over `MAX_COMMITS`).
    pub commit_count: Option<u64>,
    /// Its commits and what is left uncommitted, together.
    pub lines: Option<LineCounts>,
    /// Why something is not known, for the log.
    pub unknown: Vec<String>,
}

/// Where a session began: HEAD's commit (none on an unborn branch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    pub head: Option<String>,
    /// Seconds since the epoch.
    pub at: i64,
}

impl Repo {
    /// The repository's object database.
    pub fn objects(&self) -> Objects {
        Objects::open(&self.common_dir.join("objects"))
    }

    /// `user.email` from the repository's config, else the user's (`~/.gitconfig`, then
    /// `$XDG_CONFIG_HOME/git/config`).
    pub fn user_email(&self) -> Option<String> {
        let home = dirs::home_dir();
        let xdg = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".config")))
            .map(|c| c.join("git/config"));
        let global = std::env::var_os("GIT_CONFIG_GLOBAL").map(PathBuf::from);
        let candidates = [
            Some(self.common_dir.join("config")),
            global.clone(),
            global
                .is_none()
                .then(|| home.map(|h| h.join(".gitconfig")))
                .flatten(),
            global.is_none().then_some(xdg).flatten(),
        ];
        candidates.into_iter().flatten().find_map(|path| {
            read_small(&path, MAX_CONFIG_BYTES).and_then(|text| config_get(&text, "user", "email"))
        })
    }

    /// The commits local branches point to.
    fn branch_tips(&self) -> Vec<Oid> {
        let mut tips = Vec::new();
        let heads = self.common_dir.join("refs/heads");
        let mut dirs = vec![heads.clone()];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if let Some(name) = path
                    .strip_prefix(&self.common_dir)
                    .ok()
                    .and_then(|p| p.to_str())
                {
                    tips.extend(self.resolve(name).as_deref().and_then(Oid::from_hex));
                }
            }
        }
        if let Some(packed) =
            read_small(&self.common_dir.join("packed-refs"), MAX_PACKED_REFS_BYTES)
        {
            for line in packed.lines() {
                if let Some((id, name)) = line.split_once(' ')
                    && name.starts_with("refs/heads/")
                {
                    tips.extend(object_id(id).as_deref().and_then(Oid::from_hex));
                }
            }
        }
        tips.extend(self.head_commit().as_deref().and_then(Oid::from_hex));
        tips.sort_unstable();
        tips.dedup();
        tips
    }

    /// The session's commits and lines, from `start` to now (`until`, seconds). Blocking
    /// reads, for `blocking::within`; stops at `deadline` with what cannot be known absent.
    pub fn session_change(
        &self,
        start: Option<&Start>,
        until: i64,
        deadline: Instant,
    ) -> SessionChange {
        let mut change = SessionChange::default();
        let objects = self.objects();
        let end = self.head_commit();
        if end.as_ref().is_some_and(|id| id.len() != 40) {
            change
                .unknown
                .push("a SHA-256 repository: its objects are not read".to_owned());
            return change;
        }
        let end = end.as_deref().and_then(Oid::from_hex);
        let head = match end.map(|id| Commit::read(&objects, id)) {
            Some(Ok(head)) => Some(head),
            Some(Err(e)) => {
                change.unknown.push(format!("HEAD: {e}"));
                return change;
            }
            None => None,
        };
        let mut lines = match uncommitted(
            &objects,
            &self.git_dir,
            &self.work_tree,
            head.as_ref(),
            deadline,
        ) {
            Ok(lines) => lines,
            Err(e) => {
                change.unknown.push(format!("uncommitted changes: {e}"));
                return change;
            }
        };
        match (start, end) {
            (None, _) => {
                // Without the start, the committed part is unknown: lines of the uncommitted
                // part alone would pass for the session's whole change.
                change
                    .unknown
                    .push("no HEAD recorded at the start: commits unknown".to_owned());
                return change;
            }
            (Some(_), None) => {
                change.commits = Some(Vec::new());
                change.commit_count = Some(0);
            }
            (Some(start), Some(end)) => {
                match self.made_commits(&objects, start, end, until, deadline) {
                    Ok(commits) => {
                        let mut described = Vec::new();
                        for commit in &commits {
                            match commit_change(&objects, commit, deadline) {
                                Ok(made) => {
                                    lines.added += made.lines.added;
                                    lines.removed += made.lines.removed;
                                    lines.uncounted += made.lines.uncounted;
                                    lines.paths.extend(made.lines.paths);
                                    if described.len() < MAX_COMMITS {
                                        described.push(MadeCommit {
                                            id: commit.id.to_hex(),
                                            patch_id: made.patch_id,
                                            subject: commit.subject().to_owned(),
                                            added: made.lines.added,
                                            removed: made.lines.removed,
                                            uncounted_files: made.lines.uncounted,
                                            claude: commit.co_authored_by_claude(),
                                        });
                                    }
                                }
                                Err(e) => {
                                    change.unknown.push(format!("commit {}: {e}", commit.id));
                                    return change;
                                }
                            }
                            if Instant::now() >= deadline {
                                change.unknown.push("the deadline came".to_owned());
                                return change;
                            }
                        }
                        change.commit_count = Some(commits.len() as u64);
                        change.commits = Some(described);
                    }
                    Err(why) => {
                        change.unknown.push(why);
                        return change;
                    }
                }
            }
        }
        change.lines = Some(lines);
        change
    }

    /// The user's own commits of the session, newest first.
    fn made_commits(
        &self,
        objects: &Objects,
        start: &Start,
        end: Oid,
        until: i64,
        deadline: Instant,
    ) -> Result<Vec<Commit>, String> {
        let Some(email) = self.user_email() else {
            return Err(
                "no user.email in git's config: whose commits are the session's is unknown"
                    .to_owned(),
            );
        };
        let from = match &start.head {
            Some(hex) => Some(Oid::from_hex(hex).ok_or("HEAD at the start is not a SHA-1 id")?),
            None => None,
        };
        let stopped = |s: Stopped| match s {
            Stopped::TooMany => format!("more than {MAX_READS} commits to read"),
            Stopped::Deadline => "the deadline came".to_owned(),
        };
        let walk = commit::between(objects, from, end, MAX_READS, deadline).map_err(stopped)?;
        let candidates = if walk.start_reached {
            walk.commits
        } else {
            // Rewritten: what the user made in the window on any branch.
            commit::made_since(objects, &self.branch_tips(), start.at, MAX_READS, deadline)
                .map_err(stopped)?
        };
        Ok(candidates
            .into_iter()
            .filter(|c| !c.is_merge())
            .filter(|c| c.author_email.eq_ignore_ascii_case(&email))
            .filter(|c| (start.at..=until).contains(&c.committed_at))
            .collect())
    }
}

/// `section.key` in a git config, the last one set winning, as git reads it.
fn config_get(config: &str, section: &str, key: &str) -> Option<String> {
    let mut inside = false;
    let mut found = None;
    for line in config.lines() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            let name = header.split(']').next().unwrap_or_default().trim();
            inside = name.eq_ignore_ascii_case(section);
            continue;
        }
        if !inside {
            continue;
        }
        let (name, value) = line.split_once('=').unwrap_or((line, ""));
        if name.trim().eq_ignore_ascii_case(key) {
            let value = config_value(value);
            found = (!value.is_empty()).then_some(value);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::git::testing::{git, init};

    fn commit(work: &Path, who: &str, message: &str) -> String {
        git(work, &["add", "-A"]);
        let email = format!("user.email={who}@example.com");
        git(
            work,
            &["-c", "user.name=x", "-c", &email, "commit", "-qm", message],
        );
        git(work, &["rev-parse", "HEAD"])
    }

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    fn change(work: &Path, start: &Start) -> SessionChange {
        let far = Instant::now() + Duration::from_secs(60);
        Repo::discover(work)
            .unwrap()
            .session_change(Some(start), now() + 5, far)
    }

    fn ids(change: &SessionChange) -> Vec<String> {
        change
            .commits
            .iter()
            .flatten()
            .map(|c| c.id.clone())
            .collect()
    }

    /// A repository whose user is ann, with one commit made before the session.
    fn project() -> (tempfile::TempDir, std::path::PathBuf, Start) {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("p");
        std::fs::create_dir(&work).unwrap();
        init(&work, &[]);
        git(&work, &["config", "user.email", "ann@example.com"]);
        std::fs::write(work.join("f.txt"), "one\ntwo\n").unwrap();
        let head = commit(&work, "ann", "before");
        let start = Start {
            head: Some(head),
            at: now() - 1,
        };
        (dir, work, start)
    }

    #[test]
    fn the_users_commits_since_the_start_not_a_teammates_nor_a_merge() {
        let (_dir, work, start) = project();
        std::fs::write(work.join("f.txt"), "one\ntwo\nthree\n").unwrap();
        let a = commit(
            &work,
            "ann",
            "Add three\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
        );
        git(&work, &["switch", "-qc", "side", "HEAD~1"]);
        std::fs::write(work.join("g.txt"), "bob's\n").unwrap();
        let bob = commit(&work, "bob", "Bob's work");
        git(&work, &["switch", "-q", "main"]);
        git(
            &work,
            &["-c", "user.name=x", "merge", "-q", "--no-edit", "side"],
        );
        std::fs::write(work.join("h.txt"), "h\n").unwrap();
        let b = commit(&work, "ann", "Add h");
        std::fs::write(work.join("h.txt"), "h\nh2\n").unwrap();
        let b2 = commit(&work, "ann", "Add h, amended");
        git(&work, &["reset", "-q", "--soft", "HEAD~2"]);
        let amended = commit(&work, "ann", "Add h (amended)");
        std::fs::write(work.join("f.txt"), "one\n").unwrap();

        let found = change(&work, &start);
        assert_eq!(
            ids(&found),
            [amended.clone(), a.clone()],
            "not {bob}, {b}, {b2}"
        );
        let commits = found.commits.as_ref().unwrap();
        assert!(!commits[0].claude && commits[1].claude);
        assert_eq!((commits[0].added, commits[0].removed), (2, 0));
        assert_eq!((commits[1].added, commits[1].removed), (1, 0));
        let lines = found.lines.unwrap();
        // Commits 3 added; the uncommitted edit removes two lines of f.txt.
        assert_eq!((lines.added, lines.removed, lines.paths.len()), (3, 2, 2));
        assert_eq!(found.commit_count, Some(2));
    }

    #[test]
    fn a_rewritten_start_falls_back_to_the_users_commits_in_the_window() {
        let (_dir, work, start) = project();
        std::thread::sleep(Duration::from_millis(1100));
        let start = Start { at: now(), ..start };
        std::fs::write(work.join("f.txt"), "rewritten\n").unwrap();
        git(&work, &["add", "-A"]);
        git(
            &work,
            &[
                "-c",
                "user.name=x",
                "commit",
                "-q",
                "--amend",
                "-m",
                "before, amended",
            ],
        );
        let amended = git(&work, &["rev-parse", "HEAD"]);
        let found = change(&work, &start);
        assert_eq!(ids(&found), [amended]);
    }

    #[test]
    fn detached_worktree_shallow_empty_and_no_repository() {
        let (dir, work, start) = project();
        std::fs::write(work.join("d.txt"), "d\n").unwrap();
        let made = commit(&work, "ann", "on main");
        git(&work, &["checkout", "-q", "--detach"]);
        std::fs::write(work.join("e.txt"), "e\n").unwrap();
        let detached = commit(&work, "ann", "detached");
        assert_eq!(
            ids(&change(&work, &start)),
            [detached.clone(), made.clone()]
        );

        let linked = dir.path().join("linked");
        git(
            &work,
            &[
                "worktree",
                "add",
                "-q",
                "-b",
                "wt",
                linked.to_str().unwrap(),
                &made,
            ],
        );
        std::fs::write(linked.join("w.txt"), "w\n").unwrap();
        let in_linked = commit(&linked, "ann", "in the linked tree");
        assert_eq!(ids(&change(&linked, &start)), [in_linked, made.clone()]);

        let shallow = dir.path().join("shallow");
        let url = format!("file://{}", work.display());
        git(
            dir.path(),
            &[
                "clone",
                "-q",
                "--depth",
                "1",
                "--branch",
                "main",
                &url,
                shallow.to_str().unwrap(),
            ],
        );
        git(&shallow, &["config", "user.email", "ann@example.com"]);
        assert!(shallow.join(".git/shallow").exists());
        std::fs::write(shallow.join("s.txt"), "s\n").unwrap();
        let in_shallow = commit(&shallow, "ann", "in the shallow clone");
        // The start is beyond the boundary: the walk ends there, and the start counts as
        // rewritten, so the window decides.
        let found = change(&shallow, &start);
        assert_eq!(ids(&found), [in_shallow, made], "{:?}", found.unknown);

        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        git(&empty, &["init", "-q"]);
        let unborn = Start {
            head: None,
            at: now() - 1,
        };
        let nothing = change(&empty, &unborn);
        assert_eq!(nothing.commits, Some(Vec::new()));
        assert_eq!(nothing.lines.map(|l| l.added), Some(0));
        std::fs::write(empty.join("first"), "1\n2\n").unwrap();
        git(&empty, &["config", "user.email", "ann@example.com"]);
        let first = commit(&empty, "ann", "first");
        let found = change(&empty, &unborn);
        assert_eq!(ids(&found), [first]);
        assert_eq!(found.lines.map(|l| l.added), Some(2));

        let outside = tempfile::tempdir().unwrap();
        assert_eq!(Repo::discover(outside.path()), None);
    }

    #[test]
    fn a_hundred_thousand_commits_are_no_slower_to_answer() {
        let (_dir, work, _) = project();
        // 100,000 commits through fast-import, each changing one file.
        let mut stream = String::new();
        let base = now() - 100_000;
        for i in 0..100_000 {
            let data = format!("{i}\n");
            stream.push_str(&format!(
                "commit refs/heads/main\nmark :{m}\ncommitter Bob <bob@example.com> {t} +0000\ndata 1\nx\n{from}M 644 inline n.txt\ndata {len}\n{data}\n",
                m = i + 1,
                t = base + i,
                from = if i == 0 { "from refs/heads/main^0\n".to_owned() } else { String::new() },
                len = data.len(),
            ));
        }
        let mut child = std::process::Command::new("git")
            .args(["fast-import", "--quiet", "--force"])
            .current_dir(&work)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stream.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
        git(&work, &["reset", "-q", "--hard"]);
        let head = git(&work, &["rev-parse", "HEAD"]);
        let start = Start {
            head: Some(head),
            at: now() - 1,
        };
        std::fs::write(work.join("n.txt"), "mine\n").unwrap();
        let mine = commit(&work, "ann", "mine");
        let begun = Instant::now();
        let found = change(&work, &start);
        assert_eq!(ids(&found), [mine]);
        assert!(
            begun.elapsed() < Duration::from_secs(3),
            "{:?}",
            begun.elapsed()
        );

        // A start the walk would have to read all history for: stopped by its bounds, in time.
        let root = git(&work, &["rev-list", "--max-parents=0", "HEAD"]);
        let far_start = Start {
            head: Some(root.lines().next().unwrap().to_owned()),
            at: now() - 1,
        };
        let begun = Instant::now();
        let deadline = begun + Duration::from_secs(3);
        let found =
            Repo::discover(&work)
                .unwrap()
                .session_change(Some(&far_start), now() + 5, deadline);
        assert!(
            begun.elapsed() < Duration::from_secs(4),
            "{:?}",
            begun.elapsed()
        );
        assert_eq!(found.commits, None, "{:?}", found.unknown);
    }
}
