//! The repo and branch of a working directory, read from its `.git` files without running git.

// Reading three small files is all it takes, and unlike a `git` process it cannot hang on a
// lock, a hook, a credential prompt or a slow filesystem monitor. Every file is read only if it
// is a small regular file.

use std::path::{Path, PathBuf};

use super::files::read_small;
use super::remote;

/// `.git` files, `HEAD` and `commondir` hold one line.
const MAX_POINTER_BYTES: u64 = 4 * 1024;
/// A config with every remote and branch of a big project is a few kilobytes.
const MAX_CONFIG_BYTES: u64 = 256 * 1024;
/// The digits of a detached HEAD kept, as `git rev-parse --short` does.
const SHORT_SHA: usize = 7;

/// What git says about a working directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitFacts {
    /// The `origin` remote (else the first remote with a URL) as `host/owner/name`.
    pub repo: Option<String>,
    /// The checked-out branch, or the short commit id of a detached HEAD.
    pub branch: Option<String>,
}

/// Reads the repo and branch of the working tree that contains `dir`. Nothing known outside
/// a working tree.
pub fn git_facts(dir: &Path) -> GitFacts {
    let Some(git_dir) = find_git_dir(dir) else {
        return GitFacts::default();
    };
    // A linked worktree keeps its own HEAD, and the repository's config in the common dir.
    let common_dir = read_small(&git_dir.join("commondir"), MAX_POINTER_BYTES)
        .map(|rel| git_dir.join(rel.trim()))
        .unwrap_or_else(|| git_dir.clone());
    GitFacts {
        repo: read_small(&common_dir.join("config"), MAX_CONFIG_BYTES)
            .and_then(|config| remote_url(&config))
            .and_then(|url| remote::normalize(&url)),
        branch: read_small(&git_dir.join("HEAD"), MAX_POINTER_BYTES).and_then(|h| branch(&h)),
    }
}

/// The git directory of the working tree `dir` is in: the nearest `.git` walking up, a
/// directory, or a file `gitdir: <path>` (linked worktrees, submodules).
fn find_git_dir(dir: &Path) -> Option<PathBuf> {
    for candidate in dir.ancestors() {
        let dot_git = candidate.join(".git");
        let Ok(meta) = dot_git.metadata() else {
            continue;
        };
        if meta.is_dir() {
            return Some(dot_git);
        }
        let pointer = read_small(&dot_git, MAX_POINTER_BYTES)?;
        let target = pointer.trim().strip_prefix("gitdir:")?.trim();
        return Some(candidate.join(target));
    }
    None
}

/// The branch `HEAD` names, or the short commit id it holds.
fn branch(head: &str) -> Option<String> {
    let head = head.trim();
    if let Some(reference) = head.strip_prefix("ref:") {
        let reference = reference.trim();
        let name = reference.strip_prefix("refs/heads/").unwrap_or(reference);
        // A reftable repository keeps its refs elsewhere and this placeholder in HEAD.
        return (!name.is_empty() && name != ".invalid").then(|| name.to_owned());
    }
    let is_commit_id = head.len() >= SHORT_SHA && head.bytes().all(|b| b.is_ascii_hexdigit());
    is_commit_id.then(|| head[..SHORT_SHA].to_ascii_lowercase())
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
mod tests {
    use std::process::Command;

    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git is installed");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// A repository with one commit on `main`, in a fresh temporary directory.
    fn repo() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("uploader");
        std::fs::create_dir(&work).unwrap();
        git(&work, &["init", "-q", "-b", "main"]);
        git(
            &work,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                "first",
            ],
        );
        (dir, work)
    }

    #[test]
    fn a_remote_with_credentials_is_normalized_and_the_branch_read() {
        let (_dir, work) = repo();
        git(
            &work,
            &[
                "remote",
                "add",
                "origin",
                "https://bob:TOKEN@github.com/acme/uploader.git",
            ],
        );
        git(
            &work,
            &["remote", "add", "backup", "git@gitlab.com:acme/other.git"],
        );
        git(&work, &["switch", "-q", "-c", "feature/retry"]);
        let sub = work.join("src/deep");
        std::fs::create_dir_all(&sub).unwrap();
        let facts = git_facts(&sub);
        assert_eq!(facts.repo.as_deref(), Some("github.com/acme/uploader"));
        assert_eq!(facts.branch.as_deref(), Some("feature/retry"));
        assert!(!format!("{facts:?}").contains("TOKEN"));
    }

    #[test]
    fn an_scp_like_remote_not_named_origin_is_used_when_it_is_the_only_one() {
        let (_dir, work) = repo();
        git(
            &work,
            &[
                "remote",
                "add",
                "upstream",
                "git@GitHub.com:acme/uploader.git",
            ],
        );
        let facts = git_facts(&work);
        assert_eq!(facts.repo.as_deref(), Some("github.com/acme/uploader"));
        assert_eq!(facts.branch.as_deref(), Some("main"));
    }

    #[test]
    fn a_detached_head_is_its_short_commit_id() {
        let (_dir, work) = repo();
        let commit = git(&work, &["rev-parse", "HEAD"]);
        git(&work, &["checkout", "-q", "--detach"]);
        let facts = git_facts(&work);
        assert_eq!(facts.branch.as_deref(), Some(&commit[..7]));
        assert_eq!(facts.repo, None, "no remote, no repo");
    }

    #[test]
    fn a_linked_worktree_has_its_own_branch_and_the_repos_remote() {
        let (dir, work) = repo();
        git(
            &work,
            &[
                "remote",
                "add",
                "origin",
                "ssh://git@host.example:2222/acme/uploader",
            ],
        );
        let linked = dir.path().join("linked");
        git(
            &work,
            &[
                "worktree",
                "add",
                "-q",
                "-b",
                "hotfix",
                linked.to_str().unwrap(),
            ],
        );
        assert!(linked.join(".git").is_file());
        let facts = git_facts(&linked);
        assert_eq!(facts.repo.as_deref(), Some("host.example/acme/uploader"));
        assert_eq!(facts.branch.as_deref(), Some("hotfix"));
        assert_eq!(git_facts(&work).branch.as_deref(), Some("main"));
    }

    #[test]
    fn outside_a_repo_or_with_a_local_remote_nothing_is_made_up() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(git_facts(dir.path()), GitFacts::default());
        let (_dir, work) = repo();
        git(&work, &["remote", "add", "origin", "/srv/git/uploader.git"]);
        assert_eq!(git_facts(&work).repo, None);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_or_a_huge_file_where_git_keeps_a_file_is_not_read() {
        let (_dir, work) = repo();
        let head = work.join(".git/HEAD");
        std::fs::remove_file(&head).unwrap();
        let made = Command::new("mkfifo").arg(&head).status().unwrap();
        assert!(made.success());
        // Returns, without the branch: opening the FIFO would wait for a writer forever.
        assert_eq!(git_facts(&work).branch, None);
        std::fs::remove_file(&head).unwrap();
        std::fs::write(&head, format!("ref: refs/heads/{}\n", "x".repeat(8 * 1024))).unwrap();
        assert_eq!(git_facts(&work).branch, None);
    }

    #[test]
    fn config_and_head_are_read_as_git_writes_them() {
        let config = "[core]\n\turl = not-a-remote\n[remote \"backup\"]\n\turl = https://h/a/backup\n\
                      [Remote \"origin\"] ; comment\n\tURL = \"git@h:a/b.git\" # trailing\n\
                      \tfetch = +refs/heads/*:refs/remotes/origin/*\n";
        assert_eq!(remote_url(config).as_deref(), Some("git@h:a/b.git"));
        assert_eq!(
            remote_url("[remote.Upstream]\nurl = x:y/z\n").as_deref(),
            Some("x:y/z")
        );
        assert_eq!(remote_url("[core]\nbare = false\n"), None);
        assert_eq!(branch("ref: refs/heads/main\n").as_deref(), Some("main"));
        assert_eq!(branch("ref: refs/heads/.invalid\n"), None);
        assert_eq!(
            branch("ABCDEF0123456789abcdef0123456789abcdef01\n").as_deref(),
            Some("abcdef0")
        );
        assert_eq!(branch("garbage"), None);
    }
}
