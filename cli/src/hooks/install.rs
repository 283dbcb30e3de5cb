//! `cargo-ai hooks install|uninstall|doctor`: put our hooks into a Claude Code settings file
//! (keeping everything else, with a backup and a `--dry-run` diff), take them out again, and
//! check the whole setup end to end. Each returns what it did or found; the command says it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::{settings, summarize};
use crate::atomic_file;
use crate::config::Capture;
use crate::context::Context;
use crate::error::{CliError, Kind};
use crate::git;
use crate::outbox::Outbox;

/// Which settings file: the team's (committed), the project's local one, or the user's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scope {
    Project,
    Local,
    User,
}

/// The project root: the nearest directory (from the current one up) with `.claude/`, or the
/// top of the git work tree, whichever is nearer; else the current directory.
fn project_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let claude = cwd.ancestors().find(|d| d.join(".claude").is_dir());
    let repo = git::Repo::discover(&cwd);
    let work_tree = repo.as_ref().map(git::Repo::work_tree);
    // Both are ancestors of `cwd`: the nearer one is the longer path.
    [claude, work_tree]
        .into_iter()
        .flatten()
        .max_by_key(|d| d.components().count())
        .map_or(cwd.clone(), Path::to_path_buf)
}

fn user_claude_dir() -> Option<PathBuf> {
    std::env::var_os("CLAUDE_CONFIG_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".claude")))
}

pub fn settings_path(scope: Scope) -> Result<PathBuf, CliError> {
    Ok(match scope {
        Scope::Project => project_root().join(".claude").join("settings.json"),
        Scope::Local => project_root().join(".claude").join("settings.local.json"),
        Scope::User => user_claude_dir()
            .ok_or_else(|| {
                CliError::new(Kind::Config, "no home directory for the user settings")
                    .help("set HOME")
            })?
            .join("settings.json"),
    })
}

/// `cargo-ai` as the shell finds it on PATH, resolved.
fn cargo_ai_on_path() -> Option<PathBuf> {
    which::which("cargo-ai").ok()?.canonicalize().ok()
}

/// How the hooks in `scope`'s file call us, and what the user should know about it. The
/// shared project file always says `cargo-ai`: a path there would be one machine's path in
/// everyone's settings. The personal files name this binary by its path when `cargo-ai` on
/// PATH is not it, quoted for the shell Claude Code runs the command in.
fn program(scope: Scope) -> (String, Option<String>) {
    let me = std::env::current_exe().and_then(|p| p.canonicalize()).ok();
    let on_path = cargo_ai_on_path();
    if scope == Scope::Project {
        let warning = on_path.is_none().then(|| {
            "cargo-ai is not on PATH, and the hooks in the shared settings call `cargo-ai`: \
             put it on PATH (`cargo install --path cli`), here and on every teammate's machine"
                .to_owned()
        });
        return ("cargo-ai".to_owned(), warning);
    }
    match me {
        Some(me) if on_path.as_ref() != Some(&me) => match me
            .to_str()
            .and_then(|path| Some((path, settings::shell_quote(path)?)))
        {
            Some((path, quoted)) => (
                quoted,
                Some(format!(
                    "{}: the hooks call {path}, a path on this machine only \
                     (put cargo-ai on PATH and install again to call it by name)",
                    if on_path.is_some() {
                        "cargo-ai on PATH is another binary"
                    } else {
                        "cargo-ai is not on PATH"
                    }
                )),
            ),
            None => (
                "cargo-ai".to_owned(),
                Some(format!(
                    "this binary's path is not UTF-8 ({}), so the hooks call `cargo-ai`: \
                     put it on PATH",
                    me.display()
                )),
            ),
        },
        _ => ("cargo-ai".to_owned(), None),
    }
}

fn read_settings(path: &Path) -> Result<(String, Value), CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok((text, Value::Object(Default::default()))),
        Ok(text) => {
            let value = serde_json::from_str(&text).map_err(|e| {
                CliError::new(
                    Kind::Config,
                    format!("{} is not valid JSON ({e})", path.display()),
                )
                .help("fix the file (Claude Code cannot read it either), then run this again")
            })?;
            Ok((text, value))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok((String::new(), Value::Object(Default::default())))
        }
        Err(e) => Err(CliError::new(
            Kind::Config,
            format!("cannot read {}: {e}", path.display()),
        )),
    }
}

fn write_settings(path: &Path, old: &str, new: &str) -> Result<Option<PathBuf>, CliError> {
    let fail = |e: std::io::Error| {
        CliError::new(
            Kind::Config,
            format!("cannot write {}: {e}", path.display()),
        )
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let backup = if old.is_empty() {
        None
    } else {
        let backup = path.with_extension("json.bak");
        atomic_file::write(&backup, old.as_bytes()).map_err(fail)?;
        Some(backup)
    };
    atomic_file::write(path, new.as_bytes()).map_err(fail)?;
    Ok(backup)
}

/// What `install` or `uninstall` did to a settings file.
#[derive(Debug)]
pub struct Change {
    pub path: PathBuf,
    /// What the change is: "hooks installed" or "hooks removed".
    pub verb: &'static str,
    pub outcome: Outcome,
    /// What the user should know about how the hooks call us.
    pub warning: Option<String>,
}

#[derive(Debug)]
pub enum Outcome {
    /// The file already says it.
    Unchanged,
    /// `--dry-run`: the change as a unified diff, not written.
    WouldChange { diff: String },
    /// Written; the previous version kept here, if there was one.
    Written { backup: Option<PathBuf> },
}

fn change(
    scope: Scope,
    dry_run: bool,
    edit: impl FnOnce(&mut Value) -> Result<(), String>,
    verb: &'static str,
) -> Result<Change, CliError> {
    change_file(settings_path(scope)?, dry_run, edit, verb)
}

fn change_file(
    path: PathBuf,
    dry_run: bool,
    edit: impl FnOnce(&mut Value) -> Result<(), String>,
    verb: &'static str,
) -> Result<Change, CliError> {
    let (old_text, old_value) = read_settings(&path)?;
    let mut value = old_value.clone();
    edit(&mut value).map_err(|why| {
        CliError::new(Kind::Config, format!("{}: {why}", path.display())).help(
            "fix the file's shape (see Claude Code's hooks documentation), then run this again",
        )
    })?;
    let new_text = settings::render(&value);
    // The same settings, however the file happens to be laid out, are left alone.
    let outcome = if value == old_value {
        Outcome::Unchanged
    } else if dry_run {
        Outcome::WouldChange {
            diff: settings::diff(&old_text, &new_text),
        }
    } else {
        Outcome::Written {
            backup: write_settings(&path, &old_text, &new_text)?,
        }
    };
    Ok(Change {
        path,
        verb,
        outcome,
        warning: None,
    })
}

/// Installs our hooks in `scope`'s settings file; with `approve_server`, approves the
/// project's team-log server there too (one write, one backup of the file as it was).
pub fn install(scope: Scope, dry_run: bool, approve_server: bool) -> Result<Change, CliError> {
    let (program, warning) = program(scope);
    let change = change(
        scope,
        dry_run,
        |v| {
            settings::merge(v, &program)?;
            if approve_server && scope != Scope::User {
                settings::approve_server(v, true)?;
            }
            Ok(())
        },
        "hooks installed",
    )?;
    Ok(Change { warning, ..change })
}

/// Removes our hooks, and the approval of our server, from `scope`'s settings file.
pub fn uninstall(scope: Scope, dry_run: bool) -> Result<Change, CliError> {
    change(
        scope,
        dry_run,
        |v| {
            settings::remove(v)?;
            settings::approve_server(v, false)
        },
        "hooks removed",
    )
}

/// The file that registers MCP servers for `scope`, as Claude Code reads them: the project's
/// `.mcp.json` (shared, or approved only in the local settings), or the user's
/// `~/.claude.json` (every project).
fn servers_path(scope: Scope) -> Result<PathBuf, CliError> {
    match scope {
        Scope::Project | Scope::Local => Ok(project_root().join(".mcp.json")),
        Scope::User => {
            let config_dir = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty());
            config_dir
                .map(PathBuf::from)
                .or_else(dirs::home_dir)
                .map(|dir| dir.join(".claude.json"))
                .ok_or_else(|| {
                    CliError::new(Kind::Config, "no home directory for the user's MCP servers")
                        .help("set HOME")
                })
        }
    }
}

/// `hooks install --mcp`: registers `cargo-ai mcp` as the `team-log` MCP server where
/// `scope` says (`install` approves a project's server in the settings file).
pub fn install_server(scope: Scope, dry_run: bool) -> Result<Change, CliError> {
    // Claude Code starts a server's command without a shell: the program unquoted.
    let (program, _) = program(scope);
    let program = settings::shell_words(&program)
        .into_iter()
        .next()
        .unwrap_or_else(|| "cargo-ai".to_owned());
    change_file(
        servers_path(scope)?,
        dry_run,
        |v| settings::merge_server(v, &program),
        "team-log MCP server registered",
    )
}

/// `hooks uninstall`: takes our server out again.
pub fn uninstall_server(scope: Scope, dry_run: bool) -> Result<Change, CliError> {
    change_file(
        servers_path(scope)?,
        dry_run,
        settings::remove_server,
        "team-log MCP server removed",
    )
}

/// An enabled `cargo-ai` plugin as Claude Code installed it, with its hooks as they run.
struct Plugin {
    /// `cargo-ai@<marketplace>`.
    id: String,
    root: PathBuf,
    /// Its `hooks/hooks.json` with `${CLAUDE_PLUGIN_ROOT}` replaced by `root`.
    hooks: Value,
}

/// The `cargo-ai` plugins Claude Code has installed (`~/.claude/plugins/installed_plugins.json`)
/// and a settings file enables (`enabledPlugins`): their hooks are ours too.
fn enabled_plugins() -> Vec<Plugin> {
    let Some(dir) = user_claude_dir() else {
        return Vec::new();
    };
    let Ok((_, installed)) = read_settings(&dir.join("plugins").join("installed_plugins.json"))
    else {
        return Vec::new();
    };
    let enabled = |id: &str| {
        [Scope::Project, Scope::Local, Scope::User]
            .into_iter()
            .filter_map(|scope| read_settings(&settings_path(scope).ok()?).ok())
            .any(|(_, settings)| settings["enabledPlugins"][id] == Value::Bool(true))
    };
    let Some(plugins) = installed["plugins"].as_object() else {
        return Vec::new();
    };
    plugins
        .iter()
        .filter(|(id, _)| id.starts_with("cargo-ai@") && enabled(id))
        .filter_map(|(id, installs)| {
            let root = PathBuf::from(installs.as_array()?.first()?["installPath"].as_str()?);
            let text = std::fs::read_to_string(root.join("hooks").join("hooks.json")).ok()?;
            let text = text.replace("${CLAUDE_PLUGIN_ROOT}", root.to_str()?);
            Some(Plugin {
                id: id.clone(),
                hooks: serde_json::from_str(&text).ok()?,
                root,
            })
        })
        .collect()
}

/// Whether a hook's program can be started: a path must be an executable file; a bare name
/// must be one on PATH. `None` when it cannot be told without a shell (`$HOME/...`).
fn runnable(program: &str) -> Option<bool> {
    if program.contains('$') || program.starts_with('~') {
        return None;
    }
    Some(which::which(program).is_ok())
}

/// The `hooks install` option that names a scope's file.
fn scope_flag(scope: Scope) -> &'static str {
    match scope {
        Scope::Project => "",
        Scope::Local => " --local",
        Scope::User => " --user",
    }
}

/// One finding of `doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    Ok,
    /// The hooks cannot work until this is fixed.
    Fail,
    /// Worth knowing; the hooks work anyway.
    Warn,
}

/// Checks every link of the chain and hands each finding to `found` as it is made, with what
/// to fix. Fails if the hooks cannot work.
pub async fn doctor(ctx: &Context, mut found: impl FnMut(Finding, &str)) -> Result<(), CliError> {
    let mut problems = 0;
    let mut check = |ok: bool, essential: bool, what: String| {
        let finding = match (ok, essential) {
            (true, _) => Finding::Ok,
            (false, true) => Finding::Fail,
            (false, false) => Finding::Warn,
        };
        found(finding, &what);
        if finding == Finding::Fail {
            problems += 1;
        }
    };
    let on_path = cargo_ai_on_path();
    check(
        on_path.is_some(),
        false,
        match &on_path {
            Some(found) => format!("cargo-ai is on PATH ({})", found.display()),
            None => "cargo-ai is not on PATH".to_owned(),
        },
    );
    let mut installed_in = Vec::new();
    for scope in [Scope::Project, Scope::Local, Scope::User] {
        let Ok(path) = settings_path(scope) else {
            continue;
        };
        match read_settings(&path) {
            Ok((_, value)) => {
                let events = settings::installed(&value);
                if events.is_empty() {
                    continue;
                }
                installed_in.push(scope);
                check(
                    events.len() == 2,
                    true,
                    format!("{}: {}", path.display(), events.join(", ")),
                );
                for program in settings::our_programs(&value) {
                    match runnable(&program) {
                        Some(true) => check(
                            true,
                            true,
                            format!("{}: the hooks call {program}", path.display()),
                        ),
                        Some(false) if program.contains('/') => check(
                            false,
                            true,
                            format!(
                                "{}: the hooks call {program}, which does not exist or cannot \
                                 run: run `cargo-ai hooks install{}` again with the cargo-ai \
                                 to use",
                                path.display(),
                                scope_flag(scope)
                            ),
                        ),
                        Some(false) => check(
                            false,
                            true,
                            format!(
                                "{}: the hooks call `{program}`, which is not on PATH: \
                                 put it there (`cargo install --path cli`)",
                                path.display()
                            ),
                        ),
                        None => check(
                            false,
                            false,
                            format!(
                                "{}: the hooks call {program}, which only a shell can find",
                                path.display()
                            ),
                        ),
                    }
                }
            }
            Err(e) => check(false, true, e.message),
        }
    }
    let plugins = enabled_plugins();
    for plugin in &plugins {
        let events = settings::installed(&plugin.hooks);
        check(
            events.len() == 2,
            true,
            format!(
                "the {} plugin ({}): {}",
                plugin.id,
                plugin.root.display(),
                if events.is_empty() {
                    "no hooks of ours".to_owned()
                } else {
                    events.join(", ")
                }
            ),
        );
        for program in settings::our_programs(&plugin.hooks) {
            check(
                runnable(&program) != Some(false),
                true,
                format!("the {} plugin's hooks call {program}", plugin.id),
            );
        }
    }
    if !plugins.is_empty() && !installed_in.is_empty() {
        check(
            false,
            false,
            format!(
                "the hooks are installed both by the {} plugin and in settings: each session \
                 is still recorded once, but keep one (`cargo-ai hooks uninstall{}`, or \
                 `claude plugin disable {}`)",
                plugins[0].id,
                scope_flag(installed_in[0]),
                plugins[0].id
            ),
        );
    }
    let hooked = !installed_in.is_empty() || !plugins.is_empty();
    check(
        hooked,
        true,
        if !hooked {
            "hooks are not installed: run `cargo-ai hooks install` (team-wide) or `--user`"
                .to_owned()
        } else {
            "hooks are installed".to_owned()
        },
    );
    if installed_in.len() > 1 {
        let flags: Vec<String> = installed_in
            .iter()
            .map(|s| format!("`cargo-ai hooks uninstall{}`", scope_flag(*s)))
            .collect();
        check(
            false,
            false,
            format!(
                "the hooks are installed in {} settings files, so they may run twice for every \
                 session: keep one (remove the others with {})",
                installed_in.len(),
                flags.join(" or ")
            ),
        );
    }
    let configured = ctx.config.endpoint().and(ctx.config.workspace());
    check(
        configured.is_ok(),
        true,
        match &configured {
            Ok(_) => "endpoint and workspace are configured (`cargo-ai config show`)".to_owned(),
            Err(e) => format!("{}: {}", e.message, e.help.clone().unwrap_or_default()),
        },
    );
    match ctx.connect().await {
        Ok(client) => match client.timeout(Duration::from_secs(5)).whoami().await {
            Ok(id) => check(
                true,
                true,
                format!("endpoint reachable; credentials valid ({})", id.user_arn),
            ),
            Err(e) => check(false, true, format!("endpoint or credentials: {e}")),
        },
        Err(e) => check(false, true, format!("credentials: {}", e.message)),
    }
    let capture = ctx.config.capture();
    let source = ctx
        .config
        .capture
        .as_ref()
        .map_or_else(|| "default".to_owned(), |s| s.source.to_string());
    check(
        true,
        false,
        format!("capture {capture} ({source}): {}", capture.meaning()),
    );
    match summarize::find_claude() {
        _ if capture != Capture::Full => check(
            true,
            false,
            format!("claude -p is never run: capture is {capture}"),
        ),
        Some(claude) => check(
            true,
            false,
            format!(
                "claude found at {}: summaries are written by claude -p",
                claude.display()
            ),
        ),
        None => check(
            false,
            false,
            "claude is not on PATH: summaries are made from the transcript instead".to_owned(),
        ),
    }
    if let Ok(outbox) = Outbox::open() {
        let pending = outbox.pending().map(|p| p.len()).unwrap_or(0);
        let failed = outbox.failed().map(|f| f.len()).unwrap_or(0);
        check(
            pending == 0 && failed == 0,
            false,
            format!("outbox: {pending} pending, {failed} refused (`cargo-ai outbox status`)"),
        );
    }
    if problems > 0 {
        return Err(
            CliError::new(Kind::Config, format!("{problems} problem(s) found"))
                .help("fix the FAIL lines above"),
        );
    }
    Ok(())
}
