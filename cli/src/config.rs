//! Where requests go, as whom, and what the hooks capture, layered in one place: flags >
//! environment > the project file (`.cargo-ai.toml`, found walking up from the directory the
//! caller names: a command's working directory, a hook's session directory; teams commit it
//! beside `.claude/`) > the user file
//! (`<config dir>/cargo-ai/config.toml`). Every value remembers where it came from, for
//! `cargo-ai config show` and for error messages.

use std::fmt;
use std::path::{Path, PathBuf};

use reqwest::Url;
use serde::Deserialize;
use sessions_core::WorkspaceId;
use toml::Spanned;

use crate::error::{CliError, Kind};

mod capture;
pub use capture::Capture;
use capture::parse_capture;

pub const PROJECT_FILE: &str = ".cargo-ai.toml";
pub const ENDPOINT_ENV: &str = "CARGO_AI_ENDPOINT";
pub const WORKSPACE_ENV: &str = "CARGO_AI_WORKSPACE";
pub const PROFILE_ENV: &str = "CARGO_AI_PROFILE";
pub const CAPTURE_ENV: &str = "CARGO_AI_CAPTURE";
pub const MIRROR_ENV: &str = "CARGO_AI_MIRROR";

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    File {
        path: PathBuf,
        line: usize,
    },
    /// Recorded with an outbox entry when it was queued.
    Outbox,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(var) => write!(f, "environment {var}"),
            Source::File { path, line } => write!(f, "{}:{line}", path.display()),
            Source::Outbox => f.write_str("the queued entry"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

/// The effective settings. Values are validated when read, wherever they come from.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub endpoint: Option<Setting<Url>>,
    pub workspace: Option<Setting<WorkspaceId>>,
    /// The AWS profile to sign with (`CARGO_AI_PROFILE`; else the AWS chain's own `AWS_PROFILE`).
    pub profile: Option<Setting<String>>,
    /// The AWS region to sign for, when the files set it (else the AWS chain decides).
    pub region: Option<Setting<String>>,
    /// What the hooks record; unset means `Capture::Full`.
    pub capture: Option<Setting<Capture>>,
    /// Whether reads keep and use a local mirror; unset means on.
    pub mirror: Option<Setting<bool>>,
    /// How many days of sessions the mirror keeps; unset means `DEFAULT_MIRROR_DAYS`.
    pub mirror_days: Option<Setting<u32>>,
    /// The config files that were looked for, and whether each exists.
    pub files: Vec<(PathBuf, bool)>,
}

/// What a config file may hold. Unknown keys are errors: a typo must not be ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileValues {
    endpoint: Option<Spanned<String>>,
    workspace: Option<Spanned<String>>,
    profile: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
    capture: Option<Spanned<String>>,
    mirror: Option<Spanned<String>>,
    mirror_days: Option<Spanned<u32>>,
}

/// The settings flags every command accepts: the top layer, above the environment and files.
#[derive(Debug, Default, clap::Args)]
pub struct Flags {
    /// The sessions API endpoint [env: CARGO_AI_ENDPOINT]
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Your team's workspace UUID [env: CARGO_AI_WORKSPACE]
    #[arg(long, global = true, value_name = "UUID")]
    pub workspace: Option<String>,

    /// The AWS profile to sign with [env: CARGO_AI_PROFILE, AWS_PROFILE]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// The AWS region of the endpoint [env: AWS_REGION]
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
}

/// Where config files are looked for.
pub struct Places {
    /// Where the search for the project file starts.
    pub start: PathBuf,
    pub user_file: Option<PathBuf>,
}

impl Places {
    /// The project file from `start` upward, and this user's file.
    pub fn from(start: &Path) -> Self {
        Places {
            start: start.to_owned(),
            user_file: dirs::config_dir().map(|d| d.join("cargo-ai").join("config.toml")),
        }
    }
}

/// The process's working directory, where a command run by a person looks for the project
/// file; `.` when it cannot be read (it was removed), which then finds none.
pub fn working_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Config {
    /// The settings as seen from `start`: its project file, the user's, the environment and
    /// `flags`. Nothing here reads or changes the process's working directory.
    pub fn load(flags: &Flags, start: &Path) -> Result<Config, CliError> {
        Config::load_from(flags, &env, &Places::from(start))
    }

    pub fn load_from(
        flags: &Flags,
        env: &dyn Fn(&str) -> Option<String>,
        places: &Places,
    ) -> Result<Config, CliError> {
        let mut config = Config::default();
        // Lowest precedence first; each layer overwrites what it sets.
        let project_file = find_upwards(&places.start, PROJECT_FILE);
        let files = places.user_file.iter().cloned().chain(project_file.clone());
        for path in files {
            let exists = path.is_file();
            config.files.push((path.clone(), exists));
            if exists {
                config.apply_file(&path)?;
            }
        }
        if project_file.is_none() {
            config.files.push((places.start.join(PROJECT_FILE), false));
        }
        if let Some(v) = env(ENDPOINT_ENV) {
            config.endpoint = Some(parse_endpoint(&v, Source::Env(ENDPOINT_ENV))?);
        }
        if let Some(v) = env(WORKSPACE_ENV) {
            config.workspace = Some(parse_workspace(&v, Source::Env(WORKSPACE_ENV))?);
        }
        if let Some(v) = env(PROFILE_ENV) {
            config.profile = Some(Setting {
                value: v,
                source: Source::Env(PROFILE_ENV),
            });
        } else if let Some(v) = env("AWS_PROFILE") {
            config.profile = Some(Setting {
                value: v,
                source: Source::Env("AWS_PROFILE"),
            });
        }
        if let Some(v) = env(CAPTURE_ENV) {
            config.capture = Some(parse_capture(&v, Source::Env(CAPTURE_ENV))?);
        }
        if let Some(v) = env(MIRROR_ENV) {
            config.mirror = Some(parse_mirror(&v, Source::Env(MIRROR_ENV))?);
        }
        for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if let Some(v) = env(var) {
                config.region = Some(Setting {
                    value: v,
                    source: Source::Env(var),
                });
                break;
            }
        }
        if let Some(v) = flags
            .endpoint
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            config.endpoint = Some(parse_endpoint(v, Source::Flag("--endpoint"))?);
        }
        if let Some(v) = flags
            .workspace
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            config.workspace = Some(parse_workspace(v, Source::Flag("--workspace"))?);
        }
        if let Some(v) = flags
            .profile
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            config.profile = Some(Setting {
                value: v.to_owned(),
                source: Source::Flag("--profile"),
            });
        }
        if let Some(v) = flags
            .region
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            config.region = Some(Setting {
                value: v.to_owned(),
                source: Source::Flag("--region"),
            });
        }
        Ok(config)
    }

    fn apply_file(&mut self, path: &Path) -> Result<(), CliError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::new(Kind::Config, format!("cannot read {}: {e}", path.display()))
                .help("fix the file's permissions or remove it")
        })?;
        let values: FileValues = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(1, |span| line_of(&text, span.start));
            CliError::new(
                Kind::Config,
                format!("{}:{line}: {}", path.display(), e.message().trim()),
            )
            .help("the keys are endpoint, workspace, profile, region, capture and mirror, each a string, and mirror_days, a number, e.g. workspace = \"0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60\"")
        })?;
        let at = |start: usize| Source::File {
            path: path.to_owned(),
            line: line_of(&text, start),
        };
        let source = |v: &Spanned<String>| at(v.span().start);
        if let Some(v) = &values.endpoint {
            self.endpoint = Some(parse_endpoint(v.get_ref(), source(v))?);
        }
        if let Some(v) = &values.workspace {
            self.workspace = Some(parse_workspace(v.get_ref(), source(v))?);
        }
        if let Some(v) = &values.profile {
            self.profile = Some(Setting {
                value: v.get_ref().clone(),
                source: source(v),
            });
        }
        if let Some(v) = &values.region {
            self.region = Some(Setting {
                value: v.get_ref().clone(),
                source: source(v),
            });
        }
        if let Some(v) = &values.capture {
            self.capture = Some(parse_capture(v.get_ref(), source(v))?);
        }
        if let Some(v) = &values.mirror {
            self.mirror = Some(parse_mirror(v.get_ref(), source(v))?);
        }
        if let Some(v) = &values.mirror_days {
            self.mirror_days = Some(parse_mirror_days(*v.get_ref(), at(v.span().start))?);
        }
        Ok(())
    }

    pub fn endpoint(&self) -> Result<&Url, CliError> {
        self.endpoint.as_ref().map(|s| &s.value).ok_or_else(|| {
            CliError::new(Kind::Config, "no endpoint configured").help(format!(
                "pass --endpoint URL, set {ENDPOINT_ENV}, or put endpoint = \"https://...\" in {PROJECT_FILE} (locally: eval \"$(infra/local/up)\")"
            ))
        })
    }

    pub fn workspace(&self) -> Result<&WorkspaceId, CliError> {
        self.workspace.as_ref().map(|s| &s.value).ok_or_else(|| {
            CliError::new(Kind::Config, "no workspace configured").help(format!(
                "pass --workspace UUID, set {WORKSPACE_ENV}, or put workspace = \"<your team's UUID>\" in {PROJECT_FILE}"
            ))
        })
    }

    /// Whether reads use the local mirror: the setting, else on.
    pub fn mirror_on(&self) -> bool {
        self.mirror.as_ref().is_none_or(|s| s.value)
    }

    /// How many days of sessions the mirror keeps: the setting, else the default.
    pub fn mirror_days(&self) -> u32 {
        self.mirror_days
            .as_ref()
            .map_or(sessions_mirror::DEFAULT_MIRROR_DAYS, |s| s.value)
    }

    /// What the hooks record: the setting, else `full`.
    pub fn capture(&self) -> Capture {
        self.capture
            .as_ref()
            .map_or(Capture::default(), |s| s.value)
    }
}

/// `on` or `off`, in any case.
fn parse_mirror(raw: &str, source: Source) -> Result<Setting<bool>, CliError> {
    let value = match raw.trim().to_ascii_lowercase().as_str() {
        "on" => true,
        "off" => false,
        _ => {
            return Err(CliError::new(
                Kind::Config,
                format!("mirror {raw:?} (from {source}) is not on or off"),
            )
            .help(
                "set mirror to on (keep a local copy of the workspace's sessions: fast, \
                 offline reads) or off (every read goes to the API)",
            ));
        }
    };
    Ok(Setting { value, source })
}

fn parse_mirror_days(days: u32, source: Source) -> Result<Setting<u32>, CliError> {
    if days == 0 {
        return Err(CliError::new(
            Kind::Config,
            format!("mirror_days 0 (from {source}) keeps nothing"),
        )
        .help("set mirror_days to the number of days of sessions to keep locally, e.g. 365"));
    }
    Ok(Setting {
        value: days,
        source,
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn find_upwards(start: &Path, name: &str) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn parse_endpoint(raw: &str, source: Source) -> Result<Setting<Url>, CliError> {
    let bad = |why: &str| {
        CliError::new(Kind::Config, format!("endpoint {raw:?} (from {source}) {why}"))
            .help("use the API's base URL, like https://abc123.execute-api.eu-west-1.amazonaws.com or http://127.0.0.1:8787")
    };
    let url = Url::parse(raw).map_err(|_| bad("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad("must be an http:// or https:// URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    Ok(Setting { value: url, source })
}

fn parse_workspace(raw: &str, source: Source) -> Result<Setting<WorkspaceId>, CliError> {
    let value = WorkspaceId::parse(raw).map_err(|e| {
        CliError::new(Kind::Config, format!("{} (from {source})", e.message))
            .help("set workspace to your team's workspace UUID")
    })?;
    Ok(Setting { value, source })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const WS_A: &str = "0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60";
    const WS_B: &str = "1b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60";

    fn places(dir: &Path) -> Places {
        Places {
            start: dir.join("project/sub"),
            user_file: Some(dir.join("user/config.toml")),
        }
    }

    fn write(path: PathBuf, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cargo-ai-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("project/sub")).unwrap();
        dir
    }

    #[test]
    fn layers_in_order_and_remember_sources() {
        let dir = tempdir();
        write(
            dir.join("user/config.toml"),
            &format!("endpoint = \"http://user:1\"\nworkspace = \"{WS_B}\"\nprofile = \"me\"\n"),
        );
        write(
            dir.join("project/.cargo-ai.toml"),
            &format!("# team settings\nworkspace = \"{WS_A}\"\n"),
        );
        let none = |_: &str| None;
        let c = Config::load_from(&Flags::default(), &none, &places(&dir)).unwrap();
        assert_eq!(
            c.endpoint.as_ref().unwrap().value.as_str(),
            "http://user:1/"
        );
        assert_eq!(
            c.workspace.as_ref().unwrap().value.to_string(),
            WS_A,
            "project beats user"
        );
        assert_eq!(
            c.workspace.as_ref().unwrap().source,
            Source::File {
                path: dir.join("project/.cargo-ai.toml"),
                line: 2
            }
        );
        assert_eq!(c.profile.as_ref().unwrap().value, "me");

        let vars: HashMap<&str, &str> = [
            ("CARGO_AI_WORKSPACE", WS_B),
            ("CARGO_AI_ENDPOINT", "http://env:2"),
        ]
        .into();
        let from_env = |k: &str| vars.get(k).map(|v| v.to_string());
        let c = Config::load_from(&Flags::default(), &from_env, &places(&dir)).unwrap();
        assert_eq!(
            c.workspace.as_ref().unwrap().source,
            Source::Env("CARGO_AI_WORKSPACE"),
            "env beats files"
        );
        let flags = Flags {
            endpoint: Some("http://flag:3".into()),
            ..Flags::default()
        };
        let c = Config::load_from(&flags, &from_env, &places(&dir)).unwrap();
        assert_eq!(
            c.endpoint.as_ref().unwrap().source,
            Source::Flag("--endpoint"),
            "flags beat env"
        );
    }

    #[test]
    fn bad_files_name_file_line_and_key() {
        let dir = tempdir();
        let none = |_: &str| None;
        write(
            dir.join("project/.cargo-ai.toml"),
            "endpoint = \"http://x:1\"\n\nworkspace = \"not-a-uuid\"\n",
        );
        let e = Config::load_from(&Flags::default(), &none, &places(&dir)).unwrap_err();
        assert_eq!(e.kind, Kind::Config);
        assert!(
            e.message.contains(".cargo-ai.toml:3") && e.message.contains("not-a-uuid"),
            "{}",
            e.message
        );

        write(
            dir.join("project/.cargo-ai.toml"),
            "endpiont = \"http://x:1\"\n",
        );
        let e = Config::load_from(&Flags::default(), &none, &places(&dir)).unwrap_err();
        assert!(
            e.message.contains(".cargo-ai.toml:1") && e.message.contains("endpiont"),
            "{}",
            e.message
        );

        write(dir.join("project/.cargo-ai.toml"), "workspace = 5\n");
        let e = Config::load_from(&Flags::default(), &none, &places(&dir)).unwrap_err();
        assert!(e.message.contains(".cargo-ai.toml:1"), "{}", e.message);

        write(
            dir.join("project/.cargo-ai.toml"),
            "endpoint = \"ftp://x\"\n",
        );
        let e = Config::load_from(&Flags::default(), &none, &places(&dir)).unwrap_err();
        assert!(
            e.message.contains("ftp://x") && e.message.contains(".cargo-ai.toml:1"),
            "{}",
            e.message
        );
    }

    #[test]
    fn the_mirror_is_on_for_365_days_unless_set_and_off_from_the_environment_wins() {
        let dir = tempdir();
        let none = |_: &str| None;
        let c = Config::load_from(&Flags::default(), &none, &places(&dir)).unwrap();
        assert_eq!((c.mirror_on(), c.mirror_days()), (true, 365));

        write(
            dir.join("project/.cargo-ai.toml"),
            "mirror = \"on\"\nmirror_days = 30\n",
        );
        let off = |name: &str| (name == MIRROR_ENV).then(|| "OFF".to_owned());
        let c = Config::load_from(&Flags::default(), &off, &places(&dir)).unwrap();
        assert!(!c.mirror_on());
        assert_eq!(c.mirror.as_ref().unwrap().source, Source::Env(MIRROR_ENV));
        assert_eq!(c.mirror_days(), 30);
        assert_eq!(
            c.mirror_days.unwrap().source,
            Source::File {
                path: dir.join("project/.cargo-ai.toml"),
                line: 2
            }
        );

        for bad in [
            "mirror = \"sometimes\"\n",
            "mirror_days = 0\n",
            "mirror_days = -3\n",
        ] {
            write(dir.join("project/.cargo-ai.toml"), bad);
            let e = Config::load_from(&Flags::default(), &none, &places(&dir)).unwrap_err();
            assert_eq!(e.kind, Kind::Config, "{bad}");
            assert!(
                e.message.contains(".cargo-ai.toml:1"),
                "{bad}: {}",
                e.message
            );
        }
    }

    #[test]
    fn capture_is_full_unless_set_and_layers_like_the_rest() {
        let dir = tempdir();
        let none = |_: &str| None;
        let c = Config::load_from(&Flags::default(), &none, &places(&dir)).unwrap();
        assert_eq!((c.capture(), c.capture), (Capture::Full, None));

        write(dir.join("user/config.toml"), "capture = \"metadata\"\n");
        let c = Config::load_from(&Flags::default(), &none, &places(&dir)).unwrap();
        assert_eq!(c.capture(), Capture::Metadata);
        assert_eq!(
            c.capture.unwrap().source,
            Source::File {
                path: dir.join("user/config.toml"),
                line: 1
            }
        );

        write(
            dir.join("project/.cargo-ai.toml"),
            "# an NDA client\n\ncapture = \"off\"\n",
        );
        let c = Config::load_from(&Flags::default(), &none, &places(&dir)).unwrap();
        assert_eq!(c.capture(), Capture::Off, "project beats user");
        assert_eq!(
            c.capture.unwrap().source,
            Source::File {
                path: dir.join("project/.cargo-ai.toml"),
                line: 3
            }
        );

        let from_env = |k: &str| (k == CAPTURE_ENV).then(|| " Metadata ".to_owned());
        let c = Config::load_from(&Flags::default(), &from_env, &places(&dir)).unwrap();
        assert_eq!(c.capture(), Capture::Metadata, "env beats files; any case");
        assert_eq!(c.capture.unwrap().source, Source::Env(CAPTURE_ENV));
    }

    #[test]
    fn a_bad_capture_names_its_place_the_value_and_the_valid_ones() {
        let dir = tempdir();
        let none = |_: &str| None;
        for bad in ["ful", "none", "", "metadata,off"] {
            write(
                dir.join("project/.cargo-ai.toml"),
                &format!("\ncapture = \"{bad}\"\n"),
            );
            let e = Config::load_from(&Flags::default(), &none, &places(&dir)).unwrap_err();
            assert_eq!(e.kind, Kind::Config);
            assert!(
                e.message.contains(".cargo-ai.toml:2")
                    && e.message.contains(&format!("{bad:?}"))
                    && e.message.contains("full, metadata, off"),
                "{}",
                e.message
            );
        }
        write(dir.join("project/.cargo-ai.toml"), "capture = false\n");
        let e = Config::load_from(&Flags::default(), &none, &places(&dir)).unwrap_err();
        assert!(e.message.contains(".cargo-ai.toml:1"), "{}", e.message);

        std::fs::remove_file(dir.join("project/.cargo-ai.toml")).unwrap();
        let from_env = |k: &str| (k == CAPTURE_ENV).then(|| "metdata".to_owned());
        let e = Config::load_from(&Flags::default(), &from_env, &places(&dir)).unwrap_err();
        assert!(
            e.message.contains("environment CARGO_AI_CAPTURE")
                && e.message.contains("\"metdata\"")
                && e.message.contains("full, metadata, off"),
            "{}",
            e.message
        );
    }
}
