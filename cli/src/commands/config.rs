//! `cargo-ai config show`: each setting's effective value and where it came from.

use std::path::PathBuf;

use clap::Subcommand;
use serde::Serialize;

use crate::commands::print::{self, Report};
use crate::config::{Config, Setting};
use crate::context::Context;
use crate::error::CliError;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print each setting's effective value and where it came from.
    #[command(after_help = "Example:\n  cargo-ai config show\n  cargo-ai config show --json")]
    Show {
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Context, command: ConfigCommand) -> Result<(), CliError> {
    match command {
        ConfigCommand::Show { json } => show(ctx, json),
    }
}

/// Each setting's effective value and source, and the files looked at.
#[derive(Serialize)]
struct Shown {
    settings: Settings,
    files: Vec<File>,
}

/// In the order they are shown.
#[derive(Serialize)]
struct Settings {
    endpoint: Row,
    workspace: Row,
    profile: Row,
    region: Row,
    capture: Row,
    mirror: Row,
    mirror_days: Row,
    /// Where this endpoint and workspace's mirror lives, when both are set.
    mirror_file: Option<PathBuf>,
}

#[derive(Serialize)]
struct Row {
    /// `None`: not set by any of our layers.
    value: Option<String>,
    /// Where the value came from, or who decides without one.
    source: String,
}

#[derive(Serialize)]
struct File {
    path: PathBuf,
    exists: bool,
}

fn row<T: ToString>(setting: Option<&Setting<T>>, unset: &str) -> Row {
    match setting {
        Some(s) => Row {
            value: Some(s.value.to_string()),
            source: s.source.to_string(),
        },
        None => Row {
            value: None,
            source: unset.to_owned(),
        },
    }
}

/// A setting that always has a value: `default` when nothing sets it.
fn defaulted_row<T: ToString>(setting: Option<&Setting<T>>, default: impl ToString) -> Row {
    let mut shown = row(setting, "default");
    shown.value.get_or_insert_with(|| default.to_string());
    shown
}

fn mirror_row(c: &Config) -> Row {
    let mut shown = defaulted_row(c.mirror.as_ref(), "on");
    shown.value = Some(if c.mirror_on() { "on" } else { "off" }.to_owned());
    shown
}

impl Report for Shown {
    fn human(&self) -> String {
        let s = &self.settings;
        let mut out = String::new();
        for (key, row) in [
            ("endpoint", &s.endpoint),
            ("workspace", &s.workspace),
            ("profile", &s.profile),
            ("region", &s.region),
            ("capture", &s.capture),
            ("mirror", &s.mirror),
            ("mirror_days", &s.mirror_days),
        ] {
            let value = row.value.as_deref().unwrap_or("-");
            out.push_str(&format!("{key:<11} {value:<40} ({})\n", row.source));
        }
        if let Some(file) = &s.mirror_file {
            out.push_str(&format!("{:<11} {}\n", "mirror file", file.display()));
        }
        out.push_str(
            "\nconfig files, lowest precedence first (flags and environment override them):\n",
        );
        for file in &self.files {
            let found = if file.exists { "" } else { "(not found)" };
            out.push_str(&format!("  {} {found}\n", file.path.display()));
        }
        out
    }
}

fn show(ctx: &Context, as_json: bool) -> Result<(), CliError> {
    let c = &ctx.config;
    let shown = Shown {
        settings: Settings {
            endpoint: row(c.endpoint.as_ref(), "not set"),
            workspace: row(c.workspace.as_ref(), "not set"),
            profile: row(c.profile.as_ref(), "AWS default chain"),
            region: row(c.region.as_ref(), "AWS profile or default chain"),
            capture: defaulted_row(c.capture.as_ref(), c.capture()),
            mirror: mirror_row(c),
            mirror_days: defaulted_row(c.mirror_days.as_ref(), c.mirror_days()),
            mirror_file: crate::mirror::place(c).ok(),
        },
        files: c
            .files
            .iter()
            .map(|(path, exists)| File {
                path: path.clone(),
                exists: *exists,
            })
            .collect(),
    };
    print::report(&shown, as_json)
}
