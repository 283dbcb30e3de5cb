//! The repo and branch facts of a working directory, from the one git reader.

use std::path::Path;

use super::remote;
use crate::git::Repo;

/// What git says about a working directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitFacts {
    /// The `origin` remote (else the first remote with a URL) as `host/owner/name`.
    pub repo: Option<String>,
    /// The checked-out branch, or the short commit id of a detached HEAD.
    pub branch: Option<String>,
}

/// Reads the repo and branch of the working tree that contains `dir`. Nothing known outside
/// a working tree. Blocking reads: for `blocking::within`.
pub fn git_facts(dir: &Path) -> GitFacts {
    let Some(repo) = Repo::discover(dir) else {
        return GitFacts::default();
    };
    GitFacts {
        repo: repo.remote_url().and_then(|url| remote::normalize(&url)),
        branch: repo.head().map(|head| head.short_name().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;
    use crate::git::testing::{git, repo};

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
}
