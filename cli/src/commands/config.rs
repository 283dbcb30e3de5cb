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

/// Unlike the others, capture always has a value: `full` when nothing sets it.
fn capture_row(c: &Config) -> Row {
    let mut shown = row(c.capture.as_ref(), "default");
    shown.value.get_or_insert_with(|| c.capture().to_string());
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
        ] {
            let value = row.value.as_deref().unwrap_or("-");
            out.push_str(&format!("{key:<10} {value:<40} ({})\n", row.source));
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
            capture: capture_row(c),
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
