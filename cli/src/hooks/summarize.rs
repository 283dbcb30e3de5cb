//! Asking `claude -p` for a title and summary, safely: the child runs with hooks disabled, no
//! session persistence, our recursion guard set (so if hooks fire anyway, ours return at once),
//! a time limit, and its reply is parsed robustly.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Set in the environment of the `claude` child: our hooks return immediately when they see it.
pub const GUARD_ENV: &str = "CARGO_AI_HOOK_CHILD";
/// The `claude` binary to use instead of the one on PATH.
pub const CLAUDE_ENV: &str = "CARGO_AI_CLAUDE";
/// How long the summarizing `claude -p` may take.
pub const LLM_TIMEOUT: Duration = Duration::from_secs(90);
/// Replies longer than this are not the JSON we asked for.
const MAX_REPLY_BYTES: u64 = 256 * 1024;

pub const PROMPT: &str = "Read the Claude Code transcript on stdin and reply with a single JSON object: \
{\"title\":\"<5-8 word title>\",\"summary\":\"<1-2 sentence summary>\"}. JSON only.";

/// Whether this process runs inside a `claude` that one of our hooks started.
pub fn guarded() -> bool {
    std::env::var_os(GUARD_ENV).is_some_and(|v| !v.is_empty())
}

/// The `claude` to ask: `CARGO_AI_CLAUDE`, else `claude` on PATH.
pub fn find_claude() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(CLAUDE_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("claude"))
        .find(|candidate| candidate.is_file())
}

/// Runs `claude -p` over `conversation` and returns its raw reply.
pub async fn ask(
    claude: &Path,
    conversation: &str,
    cwd: Option<&Path>,
    timeout: Duration,
) -> Result<String, String> {
    let mut command = tokio::process::Command::new(claude);
    command
        .args([
            "-p",
            PROMPT,
            "--settings",
            r#"{"disableAllHooks":true}"#,
            "--no-session-persistence",
        ])
        .env(GUARD_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some(dir) = cwd.filter(|d| d.is_dir()) {
        command.current_dir(dir);
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", claude.display()))?;
    let mut stdin = child.stdin.take().ok_or("no stdin for claude")?;
    let input = conversation.to_owned();
    let writer = tokio::spawn(async move {
        let _ = stdin.write_all(input.as_bytes()).await;
        // Dropping stdin closes it, which tells claude the input is complete.
    });
    let mut stdout = child.stdout.take().ok_or("no stdout for claude")?;
    let read = async {
        let mut reply = Vec::new();
        (&mut stdout)
            .take(MAX_REPLY_BYTES)
            .read_to_end(&mut reply)
            .await
            .map(|_| reply)
    };
    let reply = match tokio::time::timeout(timeout, read).await {
        Ok(Ok(reply)) => reply,
        Ok(Err(e)) => return Err(format!("reading claude's reply failed: {e}")),
        Err(_) => {
            let _ = child.kill().await;
            return Err(format!(
                "claude did not answer within {} s",
                timeout.as_secs()
            ));
        }
    };
    let _ = writer.await;
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    if let Ok(Ok(status)) = status
        && !status.success()
    {
        return Err(format!("claude exited with {status}"));
    }
    Ok(String::from_utf8_lossy(&reply).into_owned())
}
