//! Claude Code settings files: merging our two hooks in (and out) without touching anything
//! else. Idempotent: installing twice leaves the file byte-for-byte the same.

use serde_json::{Map, Value, json};

/// The hook events we install, with the `cargo-ai hooks` subcommand each runs and its timeout
/// (seconds). Claude Code kills a hook past its timeout; ours return long before.
pub const OUR_HOOKS: [(&str, &str, u64); 2] = [
    ("SessionStart", "session-start", 10),
    ("SessionEnd", "session-end", 5),
];

/// A word as a POSIX shell reads it back: bare when that is unambiguous, else quoted.
/// `None` for a word no shell can be given (one holding a NUL byte).
pub fn shell_quote(word: &str) -> Option<String> {
    shlex::try_quote(word).ok().map(|q| q.into_owned())
}

/// The words of a simple shell command, with quotes and backslashes undone as `sh` would
/// (no expansions: `$HOME/x` stays as written). Empty when the quoting is unbalanced.
pub fn shell_words(command: &str) -> Vec<String> {
    shlex::split(command).unwrap_or_default()
}

/// The program a hook command runs: its first word, unquoted.
fn program_of(command: &str) -> Option<String> {
    shell_words(command).into_iter().next()
}

/// Whether a hook command is one of ours: `cargo-ai hooks <subcommand>`, the program named
/// plainly or by a path, quoted or not.
pub fn is_ours(command: &str, subcommand: &str) -> bool {
    let words = shell_words(command);
    let [program, hooks, sub, ..] = words.as_slice() else {
        return false;
    };
    std::path::Path::new(program)
        .file_name()
        .is_some_and(|name| name == "cargo-ai")
        && hooks == "hooks"
        && sub == subcommand
}

/// The programs our hook commands in a settings value run, each once.
pub fn our_programs(settings: &Value) -> Vec<String> {
    let mut programs: Vec<String> = Vec::new();
    for (event, subcommand, _) in OUR_HOOKS {
        let commands = settings["hooks"][event]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g["hooks"].as_array())
            .flatten()
            .filter_map(|h| h["command"].as_str())
            .filter(|c| is_ours(c, subcommand));
        for program in commands.filter_map(program_of) {
            if !programs.contains(&program) {
                programs.push(program);
            }
        }
    }
    programs
}

fn groups_mut<'a>(settings: &'a mut Map<String, Value>, event: &str) -> Option<&'a mut Vec<Value>> {
    settings
        .get_mut("hooks")?
        .as_object_mut()?
        .get_mut(event)?
        .as_array_mut()
}

/// Adds (or updates in place) our hooks; returns an error if the file's shape is not what
/// Claude Code reads, so we never overwrite something we do not understand.
pub fn merge(settings: &mut Value, program: &str) -> Result<(), String> {
    let root = settings
        .as_object_mut()
        .ok_or("the settings file is not a JSON object")?;
    let hooks = root.entry("hooks").or_insert_with(|| json!({}));
    let hooks = hooks.as_object_mut().ok_or("\"hooks\" is not an object")?;
    for (event, subcommand, timeout) in OUR_HOOKS {
        let command = format!("{program} hooks {subcommand}");
        let ours = json!({"type": "command", "command": command, "timeout": timeout});
        let groups = hooks.entry(event).or_insert_with(|| json!([]));
        let groups = groups
            .as_array_mut()
            .ok_or(format!("\"hooks.{event}\" is not a list"))?;
        let mut found = false;
        for group in groups.iter_mut() {
            let Some(list) = group.get_mut("hooks").and_then(Value::as_array_mut) else {
                continue;
            };
            for hook in list.iter_mut() {
                let is_it = hook
                    .get("command")
                    .and_then(Value::as_str)
                    .is_some_and(|c| is_ours(c, subcommand));
                if is_it {
                    if found {
                        // A second copy would run the hook twice.
                        *hook = Value::Null;
                    } else {
                        *hook = ours.clone();
                        found = true;
                    }
                }
            }
            list.retain(|h| !h.is_null());
        }
        groups.retain(|g| {
            g.get("hooks")
                .and_then(Value::as_array)
                .is_none_or(|l| !l.is_empty())
        });
        if !found {
            groups.push(json!({"hooks": [ours]}));
        }
    }
    Ok(())
}

/// Removes our hooks and whatever they leave empty; everything else stays.
pub fn remove(settings: &mut Value) -> Result<(), String> {
    let root = settings
        .as_object_mut()
        .ok_or("the settings file is not a JSON object")?;
    for (event, subcommand, _) in OUR_HOOKS {
        if let Some(groups) = groups_mut(root, event) {
            for group in groups.iter_mut() {
                if let Some(list) = group.get_mut("hooks").and_then(Value::as_array_mut) {
                    list.retain(|h| {
                        !h.get("command")
                            .and_then(Value::as_str)
                            .is_some_and(|c| is_ours(c, subcommand))
                    });
                }
            }
            groups.retain(|g| {
                g.get("hooks")
                    .and_then(Value::as_array)
                    .is_none_or(|l| !l.is_empty())
            });
        }
        if let Some(hooks) = root.get_mut("hooks").and_then(Value::as_object_mut)
            && hooks
                .get(event)
                .and_then(Value::as_array)
                .is_some_and(|g| g.is_empty())
        {
            hooks.remove(event);
        }
    }
    if root
        .get("hooks")
        .and_then(Value::as_object)
        .is_some_and(|h| h.is_empty())
    {
        root.remove("hooks");
    }
    Ok(())
}

/// Which of our hooks a settings value has.
pub fn installed(settings: &Value) -> Vec<&'static str> {
    OUR_HOOKS
        .iter()
        .filter(|(event, subcommand, _)| {
            settings["hooks"][event].as_array().is_some_and(|groups| {
                groups.iter().any(|g| {
                    g["hooks"].as_array().is_some_and(|l| {
                        l.iter().any(|h| {
                            h["command"]
                                .as_str()
                                .is_some_and(|c| is_ours(c, subcommand))
                        })
                    })
                })
            })
        })
        .map(|(event, _, _)| *event)
        .collect()
}

/// The name the team-log server is registered under: the plugin's server's name too.
pub const SERVER_NAME: &str = "team-log";

/// Whether a registered MCP server is ours: `cargo-ai mcp` by name or by path.
fn is_our_server(server: &Value) -> bool {
    server["command"]
        .as_str()
        .is_some_and(|c| c.rsplit('/').next() == Some("cargo-ai"))
        && server["args"] == json!(["mcp"])
}

/// Registers `program mcp` under `mcpServers` (of `.mcp.json`, or of `~/.claude.json`).
/// Another server of that name that is not ours is refused, never replaced.
pub fn merge_server(servers_file: &mut Value, program: &str) -> Result<(), String> {
    let root = servers_file
        .as_object_mut()
        .ok_or("the file is not a JSON object")?;
    let servers = root
        .entry("mcpServers")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or("\"mcpServers\" is not an object")?;
    if let Some(existing) = servers.get(SERVER_NAME)
        && !is_our_server(existing)
    {
        return Err(format!(
            "an MCP server named \"{SERVER_NAME}\" that is not cargo-ai's is registered already"
        ));
    }
    servers.insert(
        SERVER_NAME.to_owned(),
        json!({ "type": "stdio", "command": program, "args": ["mcp"] }),
    );
    Ok(())
}

/// Removes our server, and `mcpServers` if that leaves it empty.
pub fn remove_server(servers_file: &mut Value) -> Result<(), String> {
    let root = servers_file
        .as_object_mut()
        .ok_or("the file is not a JSON object")?;
    if let Some(servers) = root.get_mut("mcpServers").and_then(Value::as_object_mut) {
        if servers.get(SERVER_NAME).is_some_and(is_our_server) {
            servers.remove(SERVER_NAME);
        }
        if servers.is_empty() {
            root.remove("mcpServers");
        }
    }
    Ok(())
}

/// Whether a servers file registers ours.
pub fn has_server(servers_file: &Value) -> bool {
    is_our_server(&servers_file["mcpServers"][SERVER_NAME])
}

/// Approves (or with `on` false, withdraws) the project's `.mcp.json` server in a settings
/// file (`enabledMcpjsonServers`), so Claude Code starts it without asking each person.
pub fn approve_server(settings: &mut Value, on: bool) -> Result<(), String> {
    let root = settings
        .as_object_mut()
        .ok_or("the settings file is not a JSON object")?;
    let key = "enabledMcpjsonServers";
    let list = root
        .entry(key)
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .ok_or("\"enabledMcpjsonServers\" is not a list")?;
    let listed = list.iter().any(|name| name == SERVER_NAME);
    if on && !listed {
        list.push(json!(SERVER_NAME));
    } else if !on {
        list.retain(|name| name != SERVER_NAME);
        if list.is_empty() {
            root.remove(key);
        }
    }
    Ok(())
}

/// Pretty JSON as Claude Code writes it (two spaces, trailing newline).
pub fn render(settings: &Value) -> String {
    let mut text = serde_json::to_string_pretty(settings).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

/// A line diff (`-` removed, `+` added, two lines of context, `...` between changes), for
/// `--dry-run`.
pub fn diff(old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = String::new();
    for (i, group) in diff.grouped_ops(2).iter().enumerate() {
        if i > 0 {
            out.push_str("  ...\n");
        }
        for change in group.iter().flat_map(|op| diff.iter_changes(op)) {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            };
            out.push_str(&format!("{sign} {}", change.value()));
            if change.missing_newline() {
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROGRAM: &str = "cargo-ai";

    #[test]
    fn merge_keeps_everything_else_and_is_idempotent() {
        let mut settings = json!({
            "model": "opus",
            "hooks": {
                "SessionStart": [{"matcher": "startup", "hooks": [{"type": "command", "command": "echo hi"}]}],
                "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "lint"}]}]
            },
            "permissions": {"allow": ["Bash(ls)"]}
        });
        merge(&mut settings, PROGRAM).unwrap();
        let once = render(&settings);
        merge(&mut settings, PROGRAM).unwrap();
        assert_eq!(render(&settings), once, "a second install changes nothing");
        assert_eq!(settings["model"], "opus");
        assert_eq!(
            settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
            "lint"
        );
        assert_eq!(
            settings["hooks"]["SessionStart"][0]["hooks"][0]["command"],
            "echo hi"
        );
        assert_eq!(
            settings["hooks"]["SessionStart"][1]["hooks"][0]["command"],
            "cargo-ai hooks session-start"
        );
        assert_eq!(settings["hooks"]["SessionEnd"][0]["hooks"][0]["timeout"], 5);
        assert_eq!(installed(&settings), ["SessionStart", "SessionEnd"]);
        // Keys keep their order.
        let keys: Vec<&String> = settings.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["model", "hooks", "permissions"]);

        // Another path to the binary replaces ours in place rather than adding a second.
        merge(&mut settings, "/opt/bin/cargo-ai").unwrap();
        assert_eq!(
            settings["hooks"]["SessionStart"].as_array().unwrap().len(),
            2
        );
        assert_eq!(
            settings["hooks"]["SessionStart"][1]["hooks"][0]["command"],
            "/opt/bin/cargo-ai hooks session-start"
        );

        remove(&mut settings).unwrap();
        assert!(installed(&settings).is_empty());
        assert_eq!(
            settings["hooks"]["SessionStart"][0]["hooks"][0]["command"],
            "echo hi"
        );
        assert!(
            settings["hooks"].get("SessionEnd").is_none(),
            "emptied events are removed"
        );
    }

    #[test]
    fn empty_and_odd_files() {
        let mut empty = json!({});
        merge(&mut empty, PROGRAM).unwrap();
        remove(&mut empty).unwrap();
        assert_eq!(empty, json!({}));
        assert!(merge(&mut json!([]), PROGRAM).is_err());
        assert!(merge(&mut json!({"hooks": []}), PROGRAM).is_err());
        assert!(merge(&mut json!({"hooks": {"SessionEnd": {}}}), PROGRAM).is_err());
    }

    #[test]
    fn recognizes_our_commands_only() {
        assert!(is_ours("cargo-ai hooks session-end", "session-end"));
        assert!(is_ours(
            "/home/me/.cargo/bin/cargo-ai hooks session-end",
            "session-end"
        ));
        assert!(is_ours(
            "'/home/me/my tools/cargo-ai' hooks session-end",
            "session-end"
        ));
        assert!(is_ours(
            r#""/home/me/my tools/cargo-ai" hooks session-end"#,
            "session-end"
        ));
        assert!(is_ours(
            r"/home/me/my\ tools/cargo-ai hooks session-end",
            "session-end"
        ));
        assert!(is_ours("  cargo-ai  hooks\tsession-end ", "session-end"));
        assert!(!is_ours("cargo-ai hooks session-start", "session-end"));
        assert!(!is_ours(
            "$CLAUDE_PROJECT_DIR/.claude/hooks/session-end.sh",
            "session-end"
        ));
        assert!(!is_ours("not-cargo-ai hooks session-end", "session-end"));
        assert!(!is_ours("'cargo-ai hooks session-end'", "session-end"));
        assert!(!is_ours("cargo-ai hooks", "session-end"));
        assert!(!is_ours("", "session-end"));
    }

    #[test]
    fn quoting_round_trips_through_the_shell_reading() {
        for word in [
            "cargo-ai",
            "/work/target/debug/cargo-ai",
            "/home/me/my tools/cargo-ai",
            "/tmp/it's here/cargo-ai",
            "/tmp/$HOME/`x`/\"q\"/cargo-ai",
            "",
        ] {
            let quoted = shell_quote(word).unwrap();
            assert_eq!(
                shell_words(&format!("{quoted} hooks x"))[0],
                word,
                "{quoted}"
            );
        }
        assert_eq!(
            shell_quote("/usr/bin/cargo-ai").unwrap(),
            "/usr/bin/cargo-ai"
        );
        assert_eq!(shell_quote("/a b/cargo-ai").unwrap(), "'/a b/cargo-ai'");
    }

    #[test]
    fn a_quoted_path_installs_once() {
        let program = shell_quote("/home/me/my tools/cargo-ai").unwrap();
        let mut settings = json!({"model": "opus"});
        merge(&mut settings, &program).unwrap();
        let once = render(&settings);
        merge(&mut settings, &program).unwrap();
        assert_eq!(
            render(&settings),
            once,
            "no duplicate on the second install"
        );
        assert_eq!(installed(&settings), ["SessionStart", "SessionEnd"]);
        assert_eq!(our_programs(&settings), ["/home/me/my tools/cargo-ai"]);
        merge(&mut settings, PROGRAM).unwrap();
        assert_eq!(our_programs(&settings), ["cargo-ai"], "replaced in place");
        remove(&mut settings).unwrap();
        assert_eq!(settings, json!({"model": "opus"}));
    }

    #[test]
    fn diff_shows_changes_with_context() {
        let d = diff("{\n  \"a\": 1\n}\n", "{\n  \"a\": 1,\n  \"b\": 2\n}\n");
        assert!(
            d.contains("-   \"a\": 1\n")
                && d.contains("+   \"a\": 1,\n")
                && d.contains("+   \"b\": 2\n"),
            "{d}"
        );
        assert_eq!(diff("same\n", "same\n"), "");
    }

    #[test]
    fn our_server_is_registered_once_approved_once_and_taken_out_alone() {
        let mut servers = json!({ "mcpServers": { "db": { "command": "psql-mcp" } } });
        merge_server(&mut servers, "/opt/bin/cargo-ai").unwrap();
        let once = servers.clone();
        merge_server(&mut servers, "/opt/bin/cargo-ai").unwrap();
        assert_eq!(servers, once, "idempotent");
        assert!(has_server(&servers));
        assert_eq!(
            servers["mcpServers"][SERVER_NAME],
            json!({ "type": "stdio", "command": "/opt/bin/cargo-ai", "args": ["mcp"] })
        );
        remove_server(&mut servers).unwrap();
        assert_eq!(
            servers,
            json!({ "mcpServers": { "db": { "command": "psql-mcp" } } })
        );

        let mut foreign = json!({ "mcpServers": { SERVER_NAME: { "command": "other" } } });
        let e = merge_server(&mut foreign, PROGRAM).unwrap_err();
        assert!(e.contains("not cargo-ai's"), "{e}");
        remove_server(&mut foreign).unwrap();
        assert_eq!(
            foreign["mcpServers"][SERVER_NAME]["command"], "other",
            "not ours: kept"
        );

        let mut settings = json!({ "enabledMcpjsonServers": ["db"] });
        approve_server(&mut settings, true).unwrap();
        approve_server(&mut settings, true).unwrap();
        assert_eq!(
            settings["enabledMcpjsonServers"],
            json!(["db", SERVER_NAME])
        );
        approve_server(&mut settings, false).unwrap();
        assert_eq!(settings, json!({ "enabledMcpjsonServers": ["db"] }));
        let mut empty = json!({});
        approve_server(&mut empty, false).unwrap();
        assert_eq!(empty, json!({}), "nothing to withdraw: unchanged");
    }
}
