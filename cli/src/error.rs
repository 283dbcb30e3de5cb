//! Every way a command can fail, with what went wrong, why, and the fix, and the documented
//! exit code of each kind. Library layers fail with their own typed errors (the client's
//! `RequestError`, the AWS side's `NoCredentials`), which become a `CliError` where a command
//! or hook meets them, keeping them as its cause.

use std::fmt;

use sessions_core::{ApiError, ErrorCode};

pub const EXIT_USAGE: u8 = 2;
pub const EXIT_CONFIG: u8 = 3;
pub const EXIT_AUTH: u8 = 4;
pub const EXIT_INVALID: u8 = 5;
pub const EXIT_NOT_FOUND: u8 = 6;
pub const EXIT_CONFLICT: u8 = 7;
pub const EXIT_UNAVAILABLE: u8 = 8;
pub const EXIT_QUEUED: u8 = 9;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A command line that cannot be run as written (a search with no words to look for).
    Usage,
    /// Missing or invalid settings (endpoint, workspace).
    Config,
    /// No credentials, or the API refused who we are.
    Auth,
    /// The input breaks the API's rules.
    Invalid,
    NotFound,
    /// Another user's session, a newer update already stored, or create-only on an existing row.
    Conflict,
    /// The endpoint could not be reached, answered garbage, or failed.
    Unavailable,
    /// Not delivered now, kept in the outbox for a later delivery.
    Queued,
}

#[derive(Debug)]
pub struct CliError {
    pub kind: Kind,
    pub message: String,
    pub help: Option<String>,
    /// The API's error code, when the API answered with one.
    pub code: Option<ErrorCode>,
    /// Trying again later may succeed (network, timeouts, 5xx, throttling).
    pub retryable: bool,
    /// The library error this one reports, if any.
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl CliError {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        CliError {
            kind,
            message: message.into(),
            help: None,
            code: None,
            retryable: false,
            cause: None,
        }
    }

    /// This error, reporting `cause` (kept for `source()`).
    pub fn caused_by(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.cause = Some(Box::new(cause));
        self
    }

    pub fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn exit_code(&self) -> u8 {
        match self.kind {
            Kind::Usage => EXIT_USAGE,
            Kind::Config => EXIT_CONFIG,
            Kind::Auth => EXIT_AUTH,
            Kind::Invalid => EXIT_INVALID,
            Kind::NotFound => EXIT_NOT_FOUND,
            Kind::Conflict => EXIT_CONFLICT,
            Kind::Unavailable => EXIT_UNAVAILABLE,
            Kind::Queued => EXIT_QUEUED,
        }
    }

    /// An error the API answered with, classified by its code.
    pub fn from_api(e: ApiError) -> Self {
        let kind = match e.code.status() {
            401 => Kind::Auth,
            403 if matches!(e.code, ErrorCode::NotOwner) => Kind::Conflict,
            403 if matches!(e.code, ErrorCode::WorkspaceNotAllowed) => Kind::Config,
            403 => Kind::Auth,
            404 if matches!(e.code, ErrorCode::RouteNotFound) => Kind::Config,
            404 => Kind::NotFound,
            409 | 412 => Kind::Conflict,
            400 | 405 | 413 | 415 => Kind::Invalid,
            _ => Kind::Unavailable,
        };
        let help = match e.code {
            ErrorCode::InvalidSignature
            | ErrorCode::UnknownAccessKey
            | ErrorCode::Unauthenticated => Some(
                "check your AWS credentials (`aws sts get-caller-identity`) and that they may call this API",
            ),
            ErrorCode::RequestExpired => {
                Some("your clock is off; sync it and run the command again")
            }
            ErrorCode::RouteNotFound => {
                Some("check the endpoint URL (--endpoint or CARGO_AI_ENDPOINT)")
            }
            _ => None,
        };
        CliError {
            kind,
            message: e.message,
            help: help.map(str::to_owned),
            retryable: matches!(e.code.status(), 429 | 500..=599),
            code: Some(e.code),
            cause: None,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(code) = self.code {
            write!(f, " [{code}]")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\nhelp: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
