//! The hooks store no secret that a person pasted into a prompt, whether the summary comes
//! from `claude -p` (which may echo it) or from the transcript alone, and none rests in the
//! hooks' state directory (log, outbox, open sessions). Every case of the secret corpus.

use std::sync::Arc;

use serde_json::{Value, json};
use sessions_e2e::{Stack, files_under, new_workspace};
use sessions_redact::testdata::{self, SecretCase};

use super::{Project, hook, wait_for};

/// How many sessions run at once: their end workers are detached processes.
const AT_ONCE: usize = 12;

/// A transcript whose one prompt is the case's text, answered once.
fn write_transcript(p: &Project, prompt: &str) {
    let base = json!({
        "isSidechain": false,
        "sessionId": p.session_id,
        "cwd": p.root.display().to_string(),
        "version": "2.1.239",
    });
    let mut user = base.clone();
    user["type"] = "user".into();
    user["uuid"] = "u1".into();
    user["timestamp"] = "2026-11-20T09:00:05.000Z".into();
    user["message"] = json!({"role": "user", "content": prompt});
    let mut assistant = base;
    assistant["type"] = "assistant".into();
    assistant["uuid"] = "a1".into();
    assistant["parentUuid"] = "u1".into();
    assistant["timestamp"] = "2026-11-20T09:00:09.000Z".into();
    assistant["requestId"] = "req_1".into();
    assistant["message"] = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Done, using what you gave me."}],
        "usage": {"input_tokens": 12, "output_tokens": 7},
    });
    std::fs::write(&p.transcript, format!("{user}\n{assistant}\n")).unwrap();
}

/// A stand-in `claude` that echoes what was pasted back in its title (too long for one: it is
/// cut) and its summary, as a careless summarizer would.
fn echoing_claude(p: &Project, case: &SecretCase) -> std::path::PathBuf {
    let reply = json!({
        "title": format!("Follow-up: {}", case.text),
        "summary": format!("The user pasted this: {}", case.text),
    });
    let reply_file = p.root.join("claude-reply.json");
    std::fs::write(&reply_file, format!("```json\n{reply}\n```\n")).unwrap();
    let path = p.root.join("echoing-claude");
    std::fs::write(
        &path,
        format!(
            "#!/bin/bash\ncat > /dev/null\ncat '{}'\n",
            reply_file.display()
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).unwrap();
    path
}

/// One session per case, started and ended by the real hooks; checks the stored row and the
/// state directory once its end worker is done.
async fn run_case(stack: &Stack, ws: &str, case: &SecretCase, with_claude: bool) {
    let p = Project::new(stack, ws);
    write_transcript(&p, &case.text);
    let claude = with_claude.then(|| echoing_claude(&p, case));
    let start = p.input("hook-session-start-startup.json", |_| {});
    let (code, _, _) = hook(stack, ws, &p, "session-start", &start, claude.as_deref()).await;
    assert_eq!(code, 0, "{}: session-start", case.kind);
    let end = p.input("hook-session-end-logout.json", |_| {});
    let (code, _, _) = hook(stack, ws, &p, "session-end", &end, claude.as_deref()).await;
    assert_eq!(code, 0, "{}: session-end", case.kind);
    let row = wait_for(stack, ws, &p.session_id, "the summarized row", |r| {
        r.get("finished_at").is_some() && r["summary"] != "Session in progress."
    })
    .await;
    let how = if with_claude {
        "with claude"
    } else {
        "without claude"
    };
    let Value::Object(row) = row else {
        unreachable!()
    };
    for (name, value) in &row {
        let value = value.as_str().unwrap_or_default();
        assert!(
            !value.contains(&case.secret),
            "hooks {how}: the {} secret was stored in `{name}`: {value}",
            case.kind
        );
    }
    if with_claude {
        assert!(
            row["summary"]
                .as_str()
                .unwrap_or_default()
                .contains("[REDACTED:"),
            "hooks {how}: the echoed {} secret left no marker: {}",
            case.kind,
            row["summary"]
        );
    }
    for (path, text) in files_under(&p.state) {
        assert!(
            !text.contains(&case.secret),
            "hooks {how}: the {} secret rests on disk in {}",
            case.kind,
            path.display()
        );
    }
}

async fn every_case(with_claude: bool) {
    let stack = Arc::new(Stack::start().await);
    let ws = Arc::new(new_workspace());
    let cases = testdata::secrets();
    for batch in cases.chunks(AT_ONCE) {
        let mut runs = tokio::task::JoinSet::new();
        for case in batch {
            let (stack, ws, case) = (stack.clone(), ws.clone(), case.clone());
            runs.spawn(async move { run_case(&stack, &ws, &case, with_claude).await });
        }
        while let Some(done) = runs.join_next().await {
            if let Err(e) = done {
                std::panic::resume_unwind(e.into_panic());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_with_claude_store_no_secret_from_a_prompt_or_its_echo() {
    every_case(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_without_claude_store_no_secret_from_a_prompt() {
    every_case(false).await;
}
