//! Sessions as RFC 4180 CSV for spreadsheets: a header row, then one row per session with every
//! field of the session JSON, the facts included; an unknown fact is an empty cell. A session's
//! commits are their full ids (what `git show` and `session for-commit` take); `--json` has
//! the rest of each commit.

use std::io::Write;

use serde_json::Value;
use sessions_core::Session;

use crate::error::{CliError, Kind};

/// The session JSON's own fields, in its order; the facts (`sessions_core::facts::FIELDS`)
/// follow them.
const SESSION_FIELDS: [&str; 10] = [
    "uuid",
    "session_id",
    "user_uuid",
    "workspace_uuid",
    "title",
    "summary",
    "created_at",
    "finished_at",
    "updated_at",
    "user_arn",
];

/// Between the models of a session in its one `models` cell.
const LIST_SEPARATOR: &str = "; ";

/// The header row's names, one per column.
pub fn columns() -> impl Iterator<Item = &'static str> {
    SESSION_FIELDS
        .into_iter()
        .chain(sessions_core::facts::FIELDS)
}

/// Writes rows as they come, after the header; CRLF line ends as RFC 4180 has them.
pub struct CsvWriter<W: Write> {
    out: csv::Writer<W>,
}

fn csv_error(e: csv::Error) -> CliError {
    CliError::new(Kind::Unavailable, format!("cannot write the CSV: {e}"))
}

impl<W: Write> CsvWriter<W> {
    pub fn new(out: W) -> Result<Self, CliError> {
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        out.write_record(columns()).map_err(csv_error)?;
        Ok(CsvWriter { out })
    }

    pub fn session(&mut self, session: &Session) -> Result<(), CliError> {
        let json = serde_json::to_value(session)
            .map_err(|e| CliError::new(Kind::Unavailable, e.to_string()))?;
        let cells = columns().map(|name| match name {
            "commits" => commit_ids(session),
            _ => cell(json.get(name)),
        });
        self.out.write_record(cells).map_err(csv_error)
    }

    pub fn finish(mut self) -> Result<(), CliError> {
        self.out
            .flush()
            .map_err(|e| CliError::new(Kind::Unavailable, format!("cannot write the output: {e}")))
    }
}

/// The session's commit ids, newest first; empty when its commits are unknown.
fn commit_ids(session: &Session) -> String {
    let ids: Vec<&str> = session
        .facts
        .commits
        .iter()
        .flatten()
        .map(|c| c.sha.as_str())
        .collect();
    ids.join(LIST_SEPARATOR)
}

/// One JSON value as a cell: text as is, numbers as JSON writes them (cost in dollars with its
/// decimals), a list joined, nothing as an empty cell.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| cell(Some(item)))
            .collect::<Vec<_>>()
            .join(LIST_SEPARATOR),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sessions_core::{Facts, Usd};

    fn session() -> Session {
        Session {
            uuid: "u".into(),
            session_id: "abc-123".into(),
            user_uuid: "uu".into(),
            workspace_uuid: "w".into(),
            title: "Fix \"retry\", then ship".into(),
            summary: "line one\nline two, with a comma".into(),
            created_at: "2026-11-24T11:00:00.000Z".into(),
            finished_at: None,
            updated_at: "2026-11-24T11:00:00.000Z".into(),
            user_arn: "arn:aws:iam::1:user/alice".into(),
            facts: Box::new(Facts {
                repo: Some("github.com/acme/uploader".into()),
                models: Some(vec!["claude-opus-4-5".into(), "claude-haiku-4-5".into()]),
                input_tokens: Some(1200),
                cost_usd: Some(Usd::from_micros(1_094_521)),
                commit_count: Some(2),
                commits: Some(
                    [
                        "3f2a9c1e0b7d4a5f8c6e2d1b0a9f8e7d6c5b4a39",
                        "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",
                    ]
                    .map(|sha| sessions_core::facts::CommitFact {
                        sha: sha.into(),
                        subject: "Retry; then \"ship\"".into(),
                        ..Default::default()
                    })
                    .into(),
                ),
                ..Facts::default()
            }),
        }
    }

    #[test]
    fn every_json_field_is_a_column() {
        let mut full = session();
        full.finished_at = Some("2026-11-24T12:00:00.000Z".into());
        let every: Value = serde_json::to_value(&full).unwrap();
        for name in every.as_object().unwrap().keys() {
            assert!(columns().any(|c| c == name), "{name} has no column");
        }
        assert_eq!(columns().count(), 10 + sessions_core::facts::FIELDS.len());
    }

    #[test]
    fn quotes_commas_and_newlines_read_back() {
        let mut w = CsvWriter::new(Vec::new()).unwrap();
        w.session(&session()).unwrap();
        let bytes = w.out.into_inner().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\"Fix \"\"retry\"\", then ship\""), "{text}");
        assert!(text.ends_with("\r\n"));
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        let get = |name: &str| &rows[0][header.iter().position(|h| h == name).unwrap()];
        assert_eq!(get("title"), "Fix \"retry\", then ship");
        assert_eq!(get("summary"), "line one\nline two, with a comma");
        assert_eq!(get("finished_at"), "");
        assert_eq!(get("models"), "claude-opus-4-5; claude-haiku-4-5");
        assert_eq!(get("input_tokens"), "1200");
        assert_eq!(get("cost_usd"), "1.094521");
        assert_eq!(get("branch"), "");
        assert_eq!(
            get("commits"),
            "3f2a9c1e0b7d4a5f8c6e2d1b0a9f8e7d6c5b4a39; 1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
        );
        assert_eq!(get("commit_count"), "2");
    }
}
