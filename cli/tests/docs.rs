//! The docs cannot rot: every `cargo-ai` command in README.md and docs/*.md parses with the real
//! CLI, every script they run exists and is executable, and every relative link resolves.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ sits in the workspace")
        .to_path_buf()
}

/// README.md and every docs/*.md, with their text.
fn doc_files() -> Vec<(PathBuf, String)> {
    let root = workspace_root();
    let mut paths = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("read docs/")
        .map(|entry| entry.expect("docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            (path, text)
        })
        .collect()
}

/// The commands of a document's ```bash and ```console blocks: in a console block only the
/// `$ ` lines (the rest is output); backslash continuations joined.
fn commands(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut fence: Option<String> = None;
    let mut pending = String::new();
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            fence = match fence {
                Some(_) => None,
                None => Some(info.trim().to_string()),
            };
            pending.clear();
            continue;
        }
        let command = match fence.as_deref() {
            Some("bash") => line,
            Some("console") if !pending.is_empty() => line,
            Some("console") => match trimmed.strip_prefix("$ ") {
                Some(command) => command,
                None => continue,
            },
            _ => continue,
        };
        match command.trim_end().strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(command);
                found.push(std::mem::take(&mut pending));
            }
        }
    }
    found
}

/// A synopsis written for people (`[--json | --jsonl]`, `7d|2026-11-01`, `<title>`, `N`) made
/// into one concrete command line: the first alternative, and a sample value for each
/// placeholder.
fn concrete(synopsis: &str) -> String {
    let mut line = synopsis.to_string();
    while let Some(open) = line.find('[') {
        let Some(close) = line[open..].find(']').map(|at| open + at) else {
            break;
        };
        let first = line[open + 1..close].split(" | ").next().unwrap_or("");
        line = format!("{}{}{}", &line[..open], first.trim(), &line[close + 1..]);
    }
    line
}

fn placeholder_value(word: &str) -> String {
    if word.starts_with('<') && word.ends_with('>') {
        return "sample".to_string();
    }
    match word {
        "N" => "10".to_string(),
        "DATE" => "2026-11-01".to_string(),
        "R" => "github.com/acme/uploader".to_string(),
        _ => word.split('|').next().unwrap_or(word).to_string(),
    }
}

/// The simple commands of a shell line: split at pipes, redirections and `;`/`&&`/`||`, with
/// leading `VAR=value` assignments and `eval "$(...)"` unwrapped.
fn simple_commands(line: &str) -> Vec<Vec<String>> {
    let Some(words) = shlex::split(&concrete(line)) else {
        return vec![vec![format!("unbalanced quotes: {line}")]];
    };
    let mut commands = vec![Vec::new()];
    let mut redirect_target = false;
    for word in words {
        let current = commands.last_mut().expect("one command at least");
        if redirect_target {
            redirect_target = false;
            continue;
        }
        if ["|", "&&", "||", ";"].contains(&word.as_str()) {
            commands.push(Vec::new());
        } else if [">", ">>", "2>", "<"].contains(&word.as_str()) {
            redirect_target = true;
        } else if word.starts_with('>') || word.starts_with("2>") {
        } else if let Some(head) = word.strip_suffix(';') {
            current.push(head.to_string());
            commands.push(Vec::new());
        } else if let Some(inner) = word
            .strip_prefix("$(")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            commands.extend(simple_commands(inner));
            commands.push(Vec::new());
        } else if current.is_empty() && is_assignment(&word) || current.is_empty() && word == "eval"
        {
        } else {
            current.push(word);
        }
    }
    commands.retain(|command| !command.is_empty());
    commands
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
    })
}

/// What is wrong with one simple command, if anything.
fn check_command(cargo_ai: &Path, command: &[String]) -> Option<String> {
    let program = command.first()?;
    let args: Vec<String> = if program == "cargo-ai" || program.ends_with("/cargo-ai") {
        command[1..].iter().map(|w| placeholder_value(w)).collect()
    } else if program == "cargo" && command.get(1).is_some_and(|w| w == "ai") {
        command[2..].iter().map(|w| placeholder_value(w)).collect()
    } else if program.starts_with("infra/") || program.starts_with(".ci/") {
        return check_script(program);
    } else {
        return None;
    };
    let out = Command::new(cargo_ai)
        .args(&args)
        .arg("--help")
        .env_clear()
        .output()
        .expect("run cargo-ai");
    (!out.status.success()).then(|| {
        format!(
            "`cargo-ai {}` does not parse: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )
    })
}

fn check_script(script: &str) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(workspace_root().join(script)) {
        Err(e) => Some(format!(
            "`{script}` is named as a command but cannot be read: {e}"
        )),
        Ok(meta) if meta.permissions().mode() & 0o111 == 0 => Some(format!(
            "`{script}` is named as a command but is not executable (chmod +x {script})"
        )),
        Ok(_) => None,
    }
}

/// Every problem in the commands of one document.
fn command_problems(markdown: &str) -> Vec<String> {
    let cargo_ai = Path::new(env!("CARGO_BIN_EXE_cargo-ai"));
    commands(markdown)
        .iter()
        .flat_map(|line| simple_commands(line))
        .filter_map(|command| check_command(cargo_ai, &command))
        .collect()
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The relative links of a document, outside code blocks.
fn links(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
                found.push(target.to_string());
            }
            rest = &rest[end..];
        }
    }
    found
}

fn link_problem(doc: &Path, target: &str) -> Option<String> {
    let (file, fragment) = target.split_once('#').unwrap_or((target, ""));
    let path = if file.is_empty() {
        doc.to_path_buf()
    } else {
        doc.parent().expect("a doc sits in a directory").join(file)
    };
    if !path.exists() {
        return Some(format!(
            "{}: link to a missing file: {target}",
            doc.display()
        ));
    }
    if fragment.is_empty() || path.extension().is_none_or(|ext| ext != "md") {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let found = text
        .lines()
        .filter_map(|line| line.strip_prefix('#'))
        .any(|heading| anchor(heading.trim_start_matches('#')) == fragment);
    (!found).then(|| format!("{}: link to a missing heading: {target}", doc.display()))
}

#[test]
fn every_cargo_ai_command_in_the_docs_parses_and_every_script_exists() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (path, text) in doc_files() {
        checked += commands(&text)
            .iter()
            .flat_map(|line| simple_commands(line))
            .filter(|command| command[0] == "cargo-ai" || command[0].ends_with("/cargo-ai"))
            .count();
        for problem in command_problems(&text) {
            problems.push(format!("{}: {problem}", path.display()));
        }
    }
    assert!(
        checked > 40,
        "only {checked} cargo-ai commands found in the docs"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let mut problems = Vec::new();
    for (path, text) in doc_files() {
        for target in links(&text) {
            problems.extend(link_problem(&path, &target));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_catches_a_made_up_flag_a_missing_script_and_a_dead_link() {
    let doc = "```console\n$ cargo-ai search retries --no-such-flag | head\n```\n\n\
               ```bash\ninfra/no-such-script --quick\ncargo-ai workspaceManagement session list \\\n  --limit N [--mine | --user ARN]\n```\n";
    let problems = command_problems(doc);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("--no-such-flag"), "{problems:?}");
    assert!(problems[1].contains("infra/no-such-script"), "{problems:?}");

    let readme = workspace_root().join("README.md");
    assert!(link_problem(&readme, "docs/no-such-file.md").is_some());
    assert!(link_problem(&readme, "docs/cli.md#no-such-heading").is_some());
    assert!(link_problem(&readme, "docs/cli.md#configuration").is_none());
}
