//! Where results reach stdout: each command's value written in the rendering asked for. The
//! only writer of stdout besides the hooks' and the HTML page's own streams.

use std::io::{self, Write};

use serde::Serialize;
use sessions_core::{Session, Timestamp};

use crate::error::{CliError, Kind};
use crate::render::csv::CsvWriter;
use crate::render::{Format, session_detail, table_text, width};

fn write_err(e: io::Error) -> CliError {
    CliError::new(Kind::Unavailable, format!("cannot write the output: {e}"))
}

/// Prints `value` as one pretty JSON document.
pub fn json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::new(Kind::Unavailable, e.to_string()))?;
    writeln!(io::stdout(), "{text}").map_err(write_err)
}

/// Prints text for people as it is.
pub fn text(text: &str) -> Result<(), CliError> {
    write!(io::stdout(), "{text}").map_err(write_err)
}

/// A report (`whoami`, `config show`, `outbox status`): one value, printed for people or,
/// with `--json`, as the value itself.
pub trait Report: Serialize {
    /// The rendering for people.
    fn human(&self) -> String;
}

/// Prints `report` for people, or as one JSON document.
pub fn report<R: Report>(report: &R, as_json: bool) -> Result<(), CliError> {
    if as_json {
        json(report)
    } else {
        text(&report.human())
    }
}

/// Prints each item as one JSON line.
pub fn jsonl<T: Serialize>(items: &[T]) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    for item in items {
        let line = serde_json::to_string(item)
            .map_err(|e| CliError::new(Kind::Unavailable, e.to_string()))?;
        writeln!(out, "{line}").map_err(write_err)?;
    }
    Ok(())
}

pub fn sessions(items: &[Session], format: Format) -> Result<(), CliError> {
    match format {
        Format::Json => json(&items),
        Format::Jsonl => jsonl(items),
        Format::Human => text(&table_text(items, &Timestamp::now(), width())),
        Format::Csv => {
            let mut csv = CsvWriter::new(io::stdout().lock())?;
            for item in items {
                csv.session(item)?;
            }
            csv.finish()
        }
    }
}

pub fn session(item: &Session, format: Format) -> Result<(), CliError> {
    match format {
        Format::Json => json(item),
        Format::Jsonl => jsonl(std::slice::from_ref(item)),
        Format::Csv => sessions(std::slice::from_ref(item), Format::Csv),
        Format::Human => text(&session_detail(item, &Timestamp::now())),
    }
}
