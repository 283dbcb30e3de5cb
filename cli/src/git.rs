//! The one git reader: a repository found from a directory and read from its `.git` files, never by running git.

// A few small files are all it takes, and unlike a `git` process the reads cannot hang on a lock,
// a hook, a credential prompt or a slow filesystem monitor. Every file is opened only if it is a
// regular file and read only up to a size bound; a filesystem that stalls is the caller's
// deadline's business: these are blocking reads, for `blocking::within`. Opened once, a `Repo`
// answers many questions (where it is, HEAD, the remote, what a ref points to).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::files::{open_regular, read_small};

mod commit;
mod diff;
mod history;
mod objects;
mod revision;
mod worktree;

pub use history::{SessionChange, Start};
pub use revision::CommitInfo;

/// `.git` files, `HEAD`, `commondir` and loose refs hold one line.
const MAX_POINTER_BYTES: u64 = 4 * 1024;
/// A config with every remote and branch of a big project is a few kilobytes.
const MAX_CONFIG_BYTES: u64 = 256 * 1024;
/// `packed-refs` of a repository with a hundred thousand tags is a few megabytes.
const MAX_PACKED_REFS_BYTES: u64 = 64 * 1024 * 1024;
/// Symbolic refs followed before giving up, as git does.
const MAX_SYMREF_DEPTH: usize = 5;
/// The digits of a detached HEAD people see, as `git rev-parse --short` gives them.
pub const SHORT_SHA: usize = 7;

/// A git repository as its files show it, seen from one of its work trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// The directory holding `.git`.
    work_tree: PathBuf,
    /// This work tree's git directory: its own `HEAD` (a linked work tree's own one).
    git_dir: PathBuf,
    /// Where the config, the shared refs and the objects are: the git directory itself, or
    /// the main one that a linked work tree's `commondir` names.
    common_dir: PathBuf,
}

/// What `HEAD` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// A branch, without `refs/heads/` (a ref elsewhere keeps its full name).
    Branch(String),
    /// A detached HEAD: the full object id, lowercase.
    Detached(String),
}

impl Head {
    /// The branch, or the short commit id of a detached HEAD: how people say where they are.
    pub fn short_name(&self) -> &str {
        match self {
            Head::Branch(name) => name,
            Head::Detached(id) => &id[..SHORT_SHA],
        }
    }
}

/// What a ref file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ref {
    Symbolic(String),
    Object(String),
}

impl Repo {
    /// The repository whose work tree holds `dir`: the nearest `.git` walking up, a directory,
    /// or a file `gitdir: <path>` (linked work trees, submodules). A `.git` that is neither
    /// ends the search with nothing, as it does for git: the repository further up is not
    /// this directory's.
    pub fn discover(dir: &Path) -> Option<Repo> {
        for candidate in dir.ancestors() {
            let dot_git = candidate.join(".git");
            let Ok(meta) = dot_git.metadata() else {
                continue;
            };
            let git_dir = if meta.is_dir() {
                dot_git
            } else {
                let pointer = read_small(&dot_git, MAX_POINTER_BYTES)?;
                candidate.join(pointer.trim().strip_prefix("gitdir:")?.trim())
            };
            let common_dir = read_small(&git_dir.join("commondir"), MAX_POINTER_BYTES)
                .map(|relative| git_dir.join(relative.trim()))
                .unwrap_or_else(|| git_dir.clone());
            return Some(Repo {
                work_tree: candidate.to_owned(),
                git_dir,
                common_dir,
            });
        }
        None
    }

    /// The directory holding `.git`: the top of this work tree.
    pub fn work_tree(&self) -> &Path {
        &self.work_tree
    }

    /// The branch checked out, or the commit of a detached HEAD. `None` when HEAD cannot be
    /// read or names nothing: a reftable repository keeps its refs in binary tables and only a
    /// placeholder (`refs/heads/.invalid`) in HEAD, which is no branch.
    pub fn head(&self) -> Option<Head> {
        let text = read_small(&self.git_dir.join("HEAD"), MAX_POINTER_BYTES)?;
        match parse_ref(&text)? {
            Ref::Object(id) => Some(Head::Detached(id)),
            Ref::Symbolic(target) => {
                let name = target.strip_prefix("refs/heads/").unwrap_or(&target);
                (!name.is_empty() && name != ".invalid").then(|| Head::Branch(name.to_owned()))
            }
        }
    }

    /// The commit HEAD is at: a detached one's own, else its branch's, from the branch's file
    /// or `packed-refs`. `None` on an unborn branch, or under reftable.
    pub fn head_commit(&self) -> Option<String> {
        self.resolve("HEAD")
    }

    /// The commit `name` (`HEAD`, `refs/heads/main`, ...) points to, symbolic refs followed.
    pub fn resolve(&self, name: &str) -> Option<String> {
        let mut name = name.to_owned();
        for _ in 0..=MAX_SYMREF_DEPTH {
            match self.loose_ref(&name) {
                Some(Ref::Object(id)) => return Some(id),
                Some(Ref::Symbolic(target)) => name = target,
                None => return self.packed_ref(&name),
            }
        }
        None
    }

    /// The URL of the `origin` remote, else of the first remote that has one.
    pub fn remote_url(&self) -> Option<String> {
        read_small(&self.common_dir.join("config"), MAX_CONFIG_BYTES)
            .and_then(|config| remote_url(&config))
    }

    /// The main work tree: where a linked work tree's `commondir` leads (the directory holding
    /// the common `.git`); else this work tree. What people call the repository by.
    pub fn main_work_tree(&self) -> PathBuf {
        (self.common_dir != self.git_dir)
            .then(|| self.common_dir.canonicalize().ok())
            .flatten()
            .filter(|common| common.file_name().is_some_and(|n| n == ".git"))
            .and_then(|common| common.parent().map(Path::to_owned))
            .unwrap_or_else(|| self.work_tree.clone())
    }

    /// A ref's own file: `HEAD` and the other per-work-tree refs in this work tree's git
    /// directory, branches and tags in the common one.
    fn loose_ref(&self, name: &str) -> Option<Ref> {
        if !is_ref_name(name) {
            return None;
        }
        let shared = name.starts_with("refs/")
            && !["refs/worktree/", "refs/bisect/", "refs/rewritten/"]
                .iter()
                .any(|own| name.starts_with(own));
        let dir = if shared {
            &self.common_dir
        } else {
            &self.git_dir
        };
        parse_ref(&read_small(&dir.join(name), MAX_POINTER_BYTES)?)
    }

    /// A ref from `packed-refs` (`<id> <name>` lines; `#` opens the header, `^` a peeled tag).
    fn packed_ref(&self, name: &str) -> Option<String> {
        let file = open_regular(&self.common_dir.join("packed-refs")).ok()?;
        let packed = BufReader::new(file.take(MAX_PACKED_REFS_BYTES));
        packed.lines().map_while(Result::ok).find_map(|line| {
            let (id, line_name) = line.split_once(' ')?;
            (line_name.trim_end() == name)
                .then(|| object_id(id))
                .flatten()
        })
    }
}

/// A name that stays inside the git directory: `HEAD`-like or under `refs/`, no `..`.
fn is_ref_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// A ref file's content: `ref: <name>`, or an object id.
fn parse_ref(text: &str) -> Option<Ref> {
    let text = text.trim();
    if let Some(target) = text.strip_prefix("ref:") {
        let target = target.trim();
        return (!target.is_empty()).then(|| Ref::Symbolic(target.to_owned()));
    }
    object_id(text).map(Ref::Object)
}

/// A full object id (SHA-1 or SHA-256), lowercase. Git writes and accepts only full ids in ref
/// files (an abbreviated one makes the repository invalid to git), in either case.
fn object_id(text: &str) -> Option<String> {
    let full = text.len() == 40 || text.len() == 64;
    (full && text.bytes().all(|b| b.is_ascii_hexdigit())).then(|| text.to_ascii_lowercase())
}

/// The URL of the `origin` remote in a git config, else of the first remote that has one.
fn remote_url(config: &str) -> Option<String> {
    let mut remote: Option<String> = None;
    let mut first = None;
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            remote = remote_section(line);
            continue;
        }
        let Some(name) = &remote else {
            continue;
        };
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if !key.trim().eq_ignore_ascii_case("url") {
            continue;
        }
        let url = config_value(value);
        if name == "origin" {
            return Some(url);
        }
        first.get_or_insert(url);
    }
    first
}

/// The remote a section header opens: `[remote "origin"]`, or the old `[remote.origin]`.
fn remote_section(header: &str) -> Option<String> {
    let inner = header.strip_prefix('[')?.split(']').next()?.trim();
    if let Some((section, name)) = inner.split_once(char::is_whitespace) {
        let name = name.trim().strip_prefix('"')?.strip_suffix('"')?;
        return section
            .eq_ignore_ascii_case("remote")
            .then(|| name.to_owned());
    }
    let (section, name) = inner.split_once('.')?;
    // The old form's subsection is case-insensitive: git lowercases it.
    section
        .eq_ignore_ascii_case("remote")
        .then(|| name.to_ascii_lowercase())
}

/// A config value: unquoted, unescaped, without a trailing comment.
fn config_value(raw: &str) -> String {
    let mut value = String::new();
    let mut quoted = false;
    let mut chars = raw.trim().chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' => match chars.next() {
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some(other) => value.push(other),
                None => {}
            },
            '#' | ';' if !quoted => break,
            c => value.push(c),
        }
    }
    value.trim().to_owned()
}

#[cfg(test)]
pub(crate) mod testing {
    //! Real repositories made with `git` for the tests of its readers.

    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// Runs git in `dir` with no user or system config; its trimmed stdout.
    pub fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git is installed (apt-get install git)");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// A repository `uploader` with one commit on `main`, in a fresh temporary directory.
    pub fn repo() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("uploader");
        std::fs::create_dir(&work).unwrap();
        init(&work, &[]);
        (dir, work)
    }

    /// `git init` with `options`, then one empty commit on `main`.
    pub fn init(work: &Path, options: &[&str]) {
        let mut args = vec!["init", "-q", "-b", "main"];
        args.extend_from_slice(options);
        git(work, &args);
        commit(work, &["--allow-empty", "-m", "first"]);
    }

    /// `git commit -q ARGS` as a test author (no user-wide config holds one).
    pub fn commit(work: &Path, args: &[&str]) -> String {
        let mut all = vec!["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q"];
        all.extend_from_slice(args);
        git(work, &all)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{git, init, repo};
    use super::*;

    fn head_of(text: &str) -> Option<Head> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git/HEAD"), text).unwrap();
        Repo::discover(dir.path())?.head()
    }

    #[test]
    fn head_is_a_branch_or_a_full_commit_id() {
        assert_eq!(
            head_of("ref: refs/heads/feat/capture\n"),
            Some(Head::Branch("feat/capture".to_owned()))
        );
        assert_eq!(
            head_of("ref: refs/remotes/origin/main\n"),
            Some(Head::Branch("refs/remotes/origin/main".to_owned()))
        );
        // The readers this one replaced disagreed on the next three. A detached HEAD is a full
        // id (40 digits, 64 in a SHA-256 repository): git writes nothing shorter there and
        // takes a repository whose HEAD holds less as no repository at all, so 7 digits are
        // not a commit. Git reads hex in either case; the id is given as git prints it,
        // lowercase. A reftable placeholder is no branch.
        let full = "ABCDEF0123456789abcdef0123456789ABCDEF01";
        assert_eq!(
            head_of(&format!("{full}\n")),
            Some(Head::Detached(full.to_ascii_lowercase()))
        );
        assert_eq!(
            head_of(&format!("{full}\n")).unwrap().short_name(),
            "abcdef0"
        );
        assert_eq!(head_of("3f2a9c1\n"), None);
        assert_eq!(head_of("ref: refs/heads/.invalid\n"), None);
        let sha256 = "3f".repeat(32);
        assert_eq!(head_of(&sha256), Some(Head::Detached(sha256.clone())));
        for garbage in ["garbage", "", "ref:", "ref: ", &"g".repeat(40)] {
            assert_eq!(head_of(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn a_real_repository_answers_as_git_does() {
        let (_dir, work) = repo();
        git(&work, &["switch", "-q", "-c", "feature/retry"]);
        let sub = work.join("src/deep");
        std::fs::create_dir_all(&sub).unwrap();
        let repo = Repo::discover(&sub).unwrap();
        assert_eq!(repo.work_tree(), work);
        assert_eq!(repo.main_work_tree(), work);
        assert_eq!(repo.head(), Some(Head::Branch("feature/retry".to_owned())));
        let commit = git(&work, &["rev-parse", "HEAD"]);
        assert_eq!(repo.head_commit().as_deref(), Some(commit.as_str()));
        assert_eq!(repo.remote_url(), None);

        // Once packed, the branch's commit is read from `packed-refs`.
        git(&work, &["pack-refs", "--all"]);
        assert!(!work.join(".git/refs/heads/feature/retry").exists());
        assert_eq!(repo.head_commit().as_deref(), Some(commit.as_str()));
        assert_eq!(
            repo.resolve("refs/heads/main").as_deref(),
            Some(commit.as_str())
        );
        assert_eq!(repo.resolve("refs/heads/absent"), None);
        assert_eq!(repo.resolve("../../etc/passwd"), None);

        git(&work, &["checkout", "-q", "--detach"]);
        assert_eq!(repo.head(), Some(Head::Detached(commit.clone())));
        assert_eq!(repo.head_commit(), Some(commit));
    }

    #[test]
    fn an_unborn_branch_has_a_name_and_no_commit() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "trunk"]);
        let repo = Repo::discover(dir.path()).unwrap();
        assert_eq!(repo.head(), Some(Head::Branch("trunk".to_owned())));
        assert_eq!(repo.head_commit(), None);
    }

    #[test]
    fn a_linked_work_tree_has_its_own_head_and_the_main_trees_name_and_remote() {
        let (dir, work) = repo();
        git(
            &work,
            &["remote", "add", "origin", "git@host.example:acme/uploader"],
        );
        let linked = dir.path().join("wt-hotfix");
        let linked_arg = linked.to_str().unwrap();
        git(
            &work,
            &["worktree", "add", "-q", "-b", "hotfix", linked_arg],
        );
        assert!(linked.join(".git").is_file());
        let repo = Repo::discover(&linked).unwrap();
        assert_eq!(repo.work_tree(), linked);
        assert_eq!(repo.head(), Some(Head::Branch("hotfix".to_owned())));
        assert_eq!(repo.main_work_tree(), work.canonicalize().unwrap());
        assert_eq!(
            repo.remote_url().as_deref(),
            Some("git@host.example:acme/uploader")
        );
        let commit = git(&linked, &["rev-parse", "HEAD"]);
        assert_eq!(repo.head_commit(), Some(commit));
    }

    #[test]
    fn a_reftable_repository_is_found_but_names_no_branch() {
        let dir = tempfile::tempdir().unwrap();
        init(dir.path(), &["--ref-format=reftable"]);
        let repo = Repo::discover(dir.path()).unwrap();
        assert_eq!(
            read_small(&dir.path().join(".git/HEAD"), 100).as_deref(),
            Some("ref: refs/heads/.invalid\n")
        );
        assert_eq!(repo.head(), None);
        assert_eq!(repo.head_commit(), None);
    }

    #[test]
    fn a_dot_git_that_is_no_repository_ends_the_search() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let inner = dir.path().join("vendored");
        std::fs::create_dir(&inner).unwrap();
        std::fs::write(inner.join(".git"), "not a pointer\n").unwrap();
        assert_eq!(Repo::discover(&inner), None);
        assert_eq!(
            Repo::discover(dir.path()).map(|r| r.work_tree().to_owned()),
            Some(dir.path().to_owned())
        );
        let outside = tempfile::tempdir().unwrap();
        assert_eq!(Repo::discover(outside.path()), None);
    }

    #[test]
    fn config_is_read_as_git_writes_it() {
        let config = "[core]\n\turl = not-a-remote\n[remote \"backup\"]\n\turl = https://h/a/backup\n\
                      [Remote \"origin\"] ; comment\n\tURL = \"git@h:a/b.git\" # trailing\n\
                      \tfetch = +refs/heads/*:refs/remotes/origin/*\n";
        assert_eq!(remote_url(config).as_deref(), Some("git@h:a/b.git"));
        assert_eq!(
            remote_url("[remote.Upstream]\nurl = x:y/z\n").as_deref(),
            Some("x:y/z")
        );
        assert_eq!(remote_url("[core]\nbare = false\n"), None);
    }
}
