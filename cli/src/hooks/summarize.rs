//! Asking `claude -p` for a session's title and summary, safely, and finding them in its reply.

// The child runs with hooks disabled, no session persistence, our recursion guard set (so if
// hooks fire anyway, ours return at once) and a time limit; its reply is searched, not trusted.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Set in the environment of the `claude` child: our hooks return immediately when they see it.
pub const GUARD_ENV: &str = "CARGO_AI_HOOK_CHILD";
/// The `claude` binary to use instead of the one on PATH.
pub const CLAUDE_ENV: &str = "CARGO_AI_CLAUDE";
/// How long the summarizing `claude -p` may take.
pub const LLM_TIMEOUT: Duration = Duration::from_secs(90);
/// Replies longer than this are not the JSON we asked for.
const MAX_REPLY_BYTES: u64 = 256 * 1024;

/// What `claude -p` is asked. The whole team reads the title and summary, so it is told to
/// keep secrets out of them; its reply is redacted before it is sent all the same.
pub const PROMPT: &str = "Read the Claude Code transcript on stdin and reply with a single JSON object: \
{\"title\":\"<5-8 word title>\",\"summary\":\"<1-2 sentence summary>\"}. \
The whole team reads them: leave out any secret, token, password, key or credential the \
transcript shows (say what was done with it, never its value). JSON only.";

/// Whether this process runs inside a `claude` that one of our hooks started.
pub fn guarded() -> bool {
    std::env::var_os(GUARD_ENV).is_some_and(|v| !v.is_empty())
}

/// The `claude` to ask: `CARGO_AI_CLAUDE`, else `claude` on PATH.
pub fn find_claude() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(CLAUDE_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    which::which("claude").ok()
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
            // No MCP server (ours included) starts for a summary: it needs no tools, and a
            // server would be one more process per session end.
            "--strict-mcp-config",
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

/// The object the prompt asks for; other keys are ignored.
#[derive(Deserialize)]
struct Reply {
    title: String,
    summary: String,
}

/// Finds the `{"title": ..., "summary": ...}` object in an LLM's reply, whether bare, inside
/// prose or inside a code fence, with or without other keys. Returns both strings as they are.
pub fn parse_llm_reply(reply: &str) -> Option<(String, String)> {
    reply.match_indices('{').find_map(|(i, _)| {
        let Reply { title, summary } = serde_json::Deserializer::from_str(&reply[i..])
            .into_iter::<Reply>()
            .next()?
            .ok()?;
        (!title.trim().is_empty() && !summary.trim().is_empty()).then_some((title, summary))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llm_replies_yield_their_title_and_summary() {
        let expected = Some(("Retry uploads".to_owned(), "Added backoff.".to_owned()));
        let bare = r#"{"title": "Retry uploads", "summary": "Added backoff."}"#;
        assert_eq!(parse_llm_reply(bare), expected);
        let prose = format!("Here is the JSON you asked for: {bare} Hope it helps {{:");
        assert_eq!(parse_llm_reply(&prose), expected);
        let fenced = format!("Sure.\n```json\n{bare}\n```\n");
        assert_eq!(parse_llm_reply(&fenced), expected);
        let extra = r#"{"title": "Retry uploads", "tags": ["a"], "meta": {"x": 1}, "summary": "Added backoff."}"#;
        assert_eq!(parse_llm_reply(extra), expected);
        let braces =
            r#"{"title": "Fix {x} in \"fmt\"", "summary": "Replaced `{}` with `{:?}`; see }{."}"#;
        assert_eq!(
            parse_llm_reply(braces),
            Some((
                "Fix {x} in \"fmt\"".to_owned(),
                "Replaced `{}` with `{:?}`; see }{.".to_owned()
            ))
        );
        let nested = r#"{"result": {"title": "Retry uploads", "summary": "Added backoff."}}"#;
        assert_eq!(parse_llm_reply(nested), expected);
        let example_first = format!(r#"Format: {{"title": "..."}}. Answer: {bare}"#);
        assert_eq!(parse_llm_reply(&example_first), expected);
    }

    #[test]
    fn the_prompt_asks_to_leave_secrets_out() {
        for word in [
            "secret",
            "token",
            "password",
            "key",
            "credential",
            "JSON only",
        ] {
            assert!(PROMPT.contains(word), "{word}: {PROMPT}");
        }
    }

    #[test]
    fn llm_replies_without_both_fields_yield_nothing() {
        for reply in [
            "",
            "I could not summarize this session.",
            "{{{{ not json }",
            r#"{"title": "Retry uploads"}"#,
            r#"{"title": "Retry uploads", "summary": ""}"#,
            r#"{"title": "  ", "summary": "Added backoff."}"#,
            r#"{"title": 3, "summary": "Added backoff."}"#,
            r#"["title", "summary"]"#,
            r#"{"title": "Retry uploads", "summary": "Added back"#,
        ] {
            assert_eq!(parse_llm_reply(reply), None, "{reply:?}");
        }
    }
}
