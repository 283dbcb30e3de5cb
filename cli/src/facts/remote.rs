//! A git remote URL normalized to `host/owner/name`, with no credentials, port or scheme.

use url::Url;

/// The repository a remote URL names, as `host/path` (`github.com/acme/uploader`), the same
/// whichever way it is reached: `https://bob:TOKEN@github.com/acme/uploader.git`,
/// `git@github.com:acme/uploader.git` and `ssh://git@github.com:22/acme/uploader/` are all
/// `github.com/acme/uploader`. The host is lowercased; user names, passwords, ports, queries and
/// fragments are dropped. `None` for a local path or `file://` remote: it names no shared repo.
pub fn normalize(remote: &str) -> Option<String> {
    let remote = remote.trim();
    let (host, path) = if remote.contains("://") {
        url_parts(remote)?
    } else {
        scp_parts(remote)?
    };
    let host = host.to_ascii_lowercase();
    let path = path.trim_matches('/');
    let path = path
        .strip_suffix(".git")
        .unwrap_or(path)
        .trim_end_matches('/');
    let sane = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace);
    (sane(&host) && sane(path)).then(|| format!("{host}/{path}"))
}

/// `scheme://[user[:password]@]host[:port]/path`.
fn url_parts(remote: &str) -> Option<(String, String)> {
    let url = Url::parse(remote).ok()?;
    let network = ["https", "http", "ssh", "git", "git+ssh", "ssh+git"];
    if !network.contains(&url.scheme()) {
        return None;
    }
    Some((url.host_str()?.to_owned(), url.path().to_owned()))
}

/// git's scp-like syntax, `[user@]host:path`: a colon before any slash. The user part ends at
/// the last `@` before the first slash, so that even a password there is dropped. A single letter
/// before the colon is a Windows drive (`C:\repos\x`), a local path.
fn scp_parts(remote: &str) -> Option<(String, String)> {
    let first_slash = remote.find('/').unwrap_or(remote.len());
    let rest = match remote[..first_slash].rfind('@') {
        Some(at) => &remote[at + 1..],
        None => remote,
    };
    let (host, path) = rest.split_once(':')?;
    if host.len() < 2 || host.contains(['/', '\\']) {
        return None;
    }
    Some((host.to_owned(), path.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_to_reach_a_repo_names_it_the_same() {
        for remote in [
            "https://bob:TOKEN@github.com/acme/uploader.git",
            "https://github.com/acme/uploader",
            "https://github.com/acme/uploader/",
            "https://GitHub.COM/acme/uploader.git/",
            "http://github.com/acme/uploader.git?ref=x#frag",
            "git@github.com:acme/uploader.git",
            "github.com:acme/uploader",
            "git@github.com:/acme/uploader.git",
            "ssh://git@github.com/acme/uploader",
            "ssh://git@github.com:22/acme/uploader.git",
            "git+ssh://git@github.com/acme/uploader.git",
            "git://github.com/acme/uploader.git",
            "  https://x-access-token:ghs_abc@github.com/acme/uploader.git\n",
        ] {
            assert_eq!(
                normalize(remote).as_deref(),
                Some("github.com/acme/uploader"),
                "{remote}"
            );
        }
        assert_eq!(
            normalize("ssh://git@host:2222/acme/uploader").as_deref(),
            Some("host/acme/uploader")
        );
        assert_eq!(
            normalize("https://gitlab.example.com/group/sub/name.git").as_deref(),
            Some("gitlab.example.com/group/sub/name")
        );
        assert_eq!(
            normalize("https://oauth2:glpat-SECRET@gitlab.com/acme/x.git").as_deref(),
            Some("gitlab.com/acme/x")
        );
    }

    #[test]
    fn credentials_never_survive() {
        for remote in [
            "https://bob:TOKEN@github.com/acme/uploader.git",
            "https://TOKEN@github.com/acme/uploader.git",
            "ssh://bob:TOKEN@github.com/acme/uploader.git",
            "bob:TOKEN@github.com:acme/uploader.git",
        ] {
            let repo = normalize(remote).unwrap_or_default();
            assert!(
                !repo.contains("TOKEN") && !repo.contains("bob"),
                "{remote} → {repo}"
            );
        }
    }

    #[test]
    fn local_and_broken_remotes_name_no_repo() {
        for remote in [
            "/srv/git/uploader.git",
            "../uploader",
            "./a:b",
            "file:///srv/git/uploader.git",
            "C:\\repos\\uploader",
            "c:/repos/uploader",
            "",
            "https://",
            "https://github.com/",
            "https://github.com/.git",
            "git@github.com:",
            "ftp://example.com/x",
        ] {
            assert_eq!(normalize(remote), None, "{remote:?}");
        }
    }
}
