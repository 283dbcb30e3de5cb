//! What came of a session, through the real hooks in a real git repository: two commits (one
//! co-authored by Claude), a teammate's commit pulled from another clone with a merge, an amend
//! and an uncommitted edit; the row holds exactly the session's own commits with git's patch
//! ids and line counts, the uncommitted lines in `lines_added`, and no teammate's commit.

use std::collections::HashMap;
use std::process::Command;

use aws_sdk_dynamodb::types::AttributeValue;
use sessions_e2e::{Run, Stack, alice, cargo_ai, new_workspace, run};

const UPLOADER_URL: &str = "https://github.com/acme/uploader.git";

use super::*;
use sessions_e2e::git;

/// `git show <sha> | git patch-id --stable`.
fn patch_id(dir: &Path, sha: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("git show {sha} | git patch-id --stable"))
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .next()
        .expect("a patch id")
        .to_owned()
}

/// `git show --numstat`'s sums: lines added and removed.
fn numstat(dir: &Path, sha: &str) -> (u64, u64) {
    git(dir, &["show", "--format=", "--numstat", sha])
        .lines()
        .fold((0, 0), |(a, r), line| {
            let mut parts = line.split('\t');
            let added: u64 = parts.next().unwrap().parse().unwrap();
            let removed: u64 = parts.next().unwrap().parse().unwrap();
            (a + added, r + removed)
        })
}

fn identify(dir: &Path, name: &str) {
    git(dir, &["config", "user.name", name]);
    git(
        dir,
        &["config", "user.email", &format!("{name}@example.com")],
    );
}

fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A", "."]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).unwrap();
}

fn text(map: &HashMap<String, AttributeValue>, key: &str) -> String {
    map[key].as_s().unwrap().clone()
}

fn number(map: &HashMap<String, AttributeValue>, key: &str) -> u64 {
    map[key].as_n().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_row_holds_the_sessions_own_commits_and_lines() {
    let mut stack = Stack::start().await;
    let ws = new_workspace();
    let p = Project::new(&stack, &ws);
    // The project's own files stay out of its history: only the code is tracked.
    let code = p.root.join("code");
    std::fs::create_dir(&code).unwrap();
    let origin = p.root.join("origin.git");
    git(
        &p.root,
        &["init", "-q", "--bare", "-b", "main", "origin.git"],
    );
    git(&code, &["init", "-q", "-b", "main"]);
    identify(&code, "ann");
    write(&code, "upload.rs", "fn upload() {\n    send();\n}\n");
    commit(&code, "Start");
    // The team's remote, served from a bare repository here.
    git(&code, &["remote", "add", "origin", UPLOADER_URL]);
    let served = format!("url.{}.insteadOf", origin.display());
    git(&code, &["config", &served, UPLOADER_URL]);
    git(&code, &["push", "-q", "origin", "main"]);
    let teammate = p.root.join("teammate");
    git(
        &p.root,
        &["clone", "-q", origin.to_str().unwrap(), "teammate"],
    );
    identify(&teammate, "bob");

    let start = p.input("hook-session-start-startup.json", |v| {
        v["cwd"] = code.display().to_string().into();
    });
    assert_eq!(
        hook(&stack, &ws, &p, "session-start", &start, None).await.0,
        0
    );

    write(
        &code,
        "upload.rs",
        "fn upload() {\n    retry(send);\n}\n\nfn retry() {}\n",
    );
    let with_claude = commit(
        &code,
        "Retry uploads\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
    );
    write(&teammate, "README.md", "# Uploader\n\nBob's notes.\n");
    let bobs = commit(&teammate, "Bob's readme");
    git(&teammate, &["push", "-q", "origin", "main"]);
    git(
        &code,
        &["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"],
    );
    let merge = git(&code, &["rev-parse", "HEAD"]);
    write(&code, "jitter.rs", "fn jitter() -> u32 {\n    4\n}\n");
    let before_amend = commit(&code, "Add jitter");
    write(
        &code,
        "jitter.rs",
        "fn jitter() -> u32 {\n    // chosen by dice\n    4\n}\n",
    );
    git(&code, &["add", "-A", "."]);
    git(
        &code,
        &["commit", "-q", "--amend", "-m", "Add jitter, chosen fairly"],
    );
    let amended = git(&code, &["rev-parse", "HEAD"]);
    // Left uncommitted: three lines added, one removed.
    write(
        &code,
        "upload.rs",
        "fn upload() {\n    retry(send);\n}\n\nfn retry() {\n    loop {}\n}\n",
    );
    let uncommitted = git(&code, &["diff", "HEAD", "--numstat"]);
    assert_eq!(uncommitted, "3\t1\tupload.rs");

    let end = p.input("hook-session-end-prompt_input_exit.json", |v| {
        v["cwd"] = code.display().to_string().into();
    });
    assert_eq!(hook(&stack, &ws, &p, "session-end", &end, None).await.0, 0);
    wait_for(&stack, &ws, &p.session_id, "the finished row", |r| {
        r.get("finished_at").is_some()
    })
    .await;
    let item = stack.raw_item(&ws, &p.session_id).await.expect("the row");
    let log = std::fs::read_to_string(p.state.join("hooks.log")).unwrap_or_default();
    let Some(AttributeValue::L(commits)) = item.get("commits") else {
        panic!("commits is a list: {item:?}\nhooks log: {log}");
    };
    let commits: Vec<&HashMap<String, AttributeValue>> =
        commits.iter().map(|c| c.as_m().expect("a map")).collect();
    let shas: Vec<String> = commits.iter().map(|c| text(c, "sha")).collect();
    assert_eq!(
        shas,
        [amended.clone(), with_claude.clone()],
        "not the teammate's {bobs}, the merge {merge} nor the amended-away {before_amend}"
    );
    let mut committed = (0, 0);
    for (c, claude) in commits.iter().zip([false, true]) {
        let sha = text(c, "sha");
        assert_eq!(text(c, "patch_id"), patch_id(&code, &sha), "{sha}");
        let (added, removed) = numstat(&code, &sha);
        assert_eq!((number(c, "added"), number(c, "removed")), (added, removed));
        assert_eq!(c["claude"], AttributeValue::Bool(claude));
        committed = (committed.0 + added, committed.1 + removed);
    }
    assert_eq!(text(commits[0], "subject"), "Add jitter, chosen fairly");
    assert_eq!(text(commits[1], "subject"), "Retry uploads");
    assert_eq!(committed, (3 + 4, 1));
    let n = |key: &str| number(&item, key);
    assert_eq!(n("commit_count"), 2);
    assert_eq!(n("lines_added"), committed.0 + 3);
    assert_eq!(n("lines_removed"), committed.1 + 1);
    // upload.rs and jitter.rs; not the teammate's README.md.
    assert_eq!(n("files_changed"), 2);
    // The transcript's last cost-state.
    assert_eq!(
        (n("claude_lines_added"), n("claude_lines_removed")),
        (38, 4)
    );

    // From each commit back to its session: by its id, and a cherry-picked copy by its patch
    // id; the teammate's commit has none.
    let for_commit = |rev: &str| {
        let mut cmd = cargo_ai(&stack, &ws, alice());
        cmd.current_dir(&code);
        let rev = rev.to_owned();
        async move {
            run(
                cmd,
                &[
                    "workspaceManagement",
                    "session",
                    "for-commit",
                    &rev,
                    "--json",
                ],
            )
            .await
        }
    };
    for sha in [&amended, &with_claude] {
        let found = for_commit(sha).await;
        assert_eq!(found.code, 0, "{}", found.stderr);
        let json = found.json();
        assert_eq!(json["session_id"], p.session_id.as_str());
        assert_eq!(json["matched_commit"]["matched_by"], "sha");
        assert_eq!(json["matched_commit"]["sha"], sha.as_str());
    }
    git(&code, &["switch", "-q", "-c", "copy", &with_claude]);
    git(&code, &["cherry-pick", &amended]);
    let copy = git(&code, &["rev-parse", "HEAD"]);
    assert_ne!(copy, amended);
    let found = for_commit("HEAD").await;
    assert_eq!(found.code, 0, "{}", found.stderr);
    let json = found.json();
    assert_eq!(json["session_id"], p.session_id.as_str());
    assert_eq!(json["matched_commit"]["matched_by"], "patch_id");
    assert_eq!(json["matched_commit"]["stored"]["sha"], amended.as_str());
    let Run {
        code: exit, stderr, ..
    } = for_commit(&bobs[..7]).await;
    assert_ne!(exit, 0);
    assert!(stderr.contains("no session known for"), "{stderr}");

    // With the API gone, the local mirror the lookups synced still answers, and says how old
    // it is.
    let session_id = p.session_id.clone();
    let mut cmd = cargo_ai(&stack, &ws, alice());
    cmd.current_dir(&code);
    stack.stop_server().await;
    let offline = run(
        cmd,
        &[
            "workspaceManagement",
            "session",
            "for-commit",
            &with_claude,
            "--json",
        ],
    )
    .await;
    assert_eq!(offline.code, 0, "{}", offline.stderr);
    assert_eq!(offline.json()["session_id"], session_id.as_str());
    assert!(offline.stderr.contains("ago"), "{}", offline.stderr);
}
