//! `cargo-ai config show`: each setting's effective value and where it came from.

use clap::Subcommand;
use serde_json::json;

use crate::config::Source;
use crate::context::Context;
use crate::error::CliError;
use crate::render;

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

fn show(ctx: &Context, as_json: bool) -> Result<(), CliError> {
    let c = &ctx.config;
    let entry =
        |value: Option<String>, source: Option<&Source>, fallback: &str| match (value, source) {
            (Some(v), Some(s)) => (v, s.to_string()),
            _ => ("-".to_owned(), fallback.to_owned()),
        };
    let rows = [
        (
            "endpoint",
            entry(
                c.endpoint.as_ref().map(|s| s.value.to_string()),
                c.endpoint.as_ref().map(|s| &s.source),
                "not set",
            ),
        ),
        (
            "workspace",
            entry(
                c.workspace.as_ref().map(|s| s.value.to_string()),
                c.workspace.as_ref().map(|s| &s.source),
                "not set",
            ),
        ),
        (
            "profile",
            entry(
                c.profile.as_ref().map(|s| s.value.clone()),
                c.profile.as_ref().map(|s| &s.source),
                "AWS default chain",
            ),
        ),
        (
            "region",
            entry(
                c.region.as_ref().map(|s| s.value.clone()),
                c.region.as_ref().map(|s| &s.source),
                "AWS profile or default chain",
            ),
        ),
    ];
    if as_json {
        let settings: serde_json::Map<String, serde_json::Value> = rows
            .iter()
            .map(|(k, (v, s))| {
                (
                    (*k).to_owned(),
                    json!({"value": (v != "-").then_some(v), "source": s}),
                )
            })
            .collect();
        let files: Vec<_> = c
            .files
            .iter()
            .map(|(p, exists)| json!({"path": p, "exists": exists}))
            .collect();
        return render::json(&json!({"settings": settings, "files": files}));
    }
    for (key, (value, source)) in &rows {
        println!("{key:<10} {value:<40} ({source})");
    }
    println!("\nconfig files, lowest precedence first (flags and environment override them):");
    for (path, exists) in &c.files {
        println!(
            "  {} {}",
            path.display(),
            if *exists { "" } else { "(not found)" }
        );
    }
    Ok(())
}
