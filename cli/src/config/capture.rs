//! The `capture` setting: what the hooks record of a project's sessions, and how a value of it
//! is read.

use std::fmt;

use super::{Setting, Source};
use crate::error::{CliError, Kind};

/// What the hooks record of a project's sessions (`capture`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Capture {
    /// Titles and summaries made from the conversation (by `claude -p` when it is installed).
    #[default]
    Full,
    /// The project, branch, times and counts: no prompt-derived text, and `claude -p` never runs.
    Metadata,
    /// Nothing at all.
    Off,
}

impl Capture {
    pub const ALL: [Capture; 3] = [Capture::Full, Capture::Metadata, Capture::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            Capture::Full => "full",
            Capture::Metadata => "metadata",
            Capture::Off => "off",
        }
    }

    /// What the level means for the team's table, in a few words.
    pub fn meaning(self) -> &'static str {
        match self {
            Capture::Full => "the hooks send titles and summaries made from the conversation",
            Capture::Metadata => {
                "the hooks send the project, branch, times and counts, never prompt text, \
                 and never run claude -p"
            }
            Capture::Off => "the hooks record nothing for this project",
        }
    }

    /// One of `full`, `metadata`, `off`, in any case.
    pub(super) fn parse(raw: &str) -> Option<Capture> {
        Capture::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(raw.trim()))
    }
}

impl fmt::Display for Capture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(super) fn parse_capture(raw: &str, source: Source) -> Result<Setting<Capture>, CliError> {
    let value = Capture::parse(raw).ok_or_else(|| {
        CliError::new(
            Kind::Config,
            format!("capture {raw:?} (from {source}) is not one of full, metadata, off"),
        )
        .help(
            "set capture to full (titles and summaries), metadata (project, branch, times and \
             counts; no prompt text) or off (nothing recorded)",
        )
    })?;
    Ok(Setting { value, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_levels_read_in_any_case_and_nothing_else_does() {
        for capture in Capture::ALL {
            assert_eq!(Capture::parse(capture.as_str()), Some(capture));
            assert_eq!(
                Capture::parse(&capture.as_str().to_uppercase()),
                Some(capture)
            );
            assert_eq!(capture.to_string(), capture.as_str());
        }
        for bad in [
            "",
            "ful",
            "full metadata",
            "none",
            "no",
            "false",
            "0",
            "offf",
        ] {
            assert_eq!(Capture::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Capture::default(), Capture::Full);
        assert_eq!(
            Capture::Off.meaning(),
            "the hooks record nothing for this project"
        );
    }
}
