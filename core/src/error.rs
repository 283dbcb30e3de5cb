//! The API's error codes and their HTTP statuses: the one table both sides agree on.

use std::fmt;

/// Every error the API can answer with. The code string is part of the wire contract
/// (`{"error":{"code":...}}`); the HTTP status follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidJson,
    UnknownField,
    MissingField,
    InvalidWorkspaceUuid,
    InvalidSessionId,
    InvalidTitle,
    InvalidSummary,
    InvalidTimestamp,
    InvalidFact,
    InvalidQuery,
    Unauthenticated,
    InvalidSignature,
    RequestExpired,
    UnknownAccessKey,
    NotOwner,
    WorkspaceNotAllowed,
    NotFound,
    RouteNotFound,
    MethodNotAllowed,
    Stale,
    AlreadyExists,
    PayloadTooLarge,
    UnsupportedMediaType,
    Throttled,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 26] = [
        ErrorCode::InvalidJson,
        ErrorCode::UnknownField,
        ErrorCode::MissingField,
        ErrorCode::InvalidWorkspaceUuid,
        ErrorCode::InvalidSessionId,
        ErrorCode::InvalidTitle,
        ErrorCode::InvalidSummary,
        ErrorCode::InvalidTimestamp,
        ErrorCode::InvalidFact,
        ErrorCode::InvalidQuery,
        ErrorCode::Unauthenticated,
        ErrorCode::InvalidSignature,
        ErrorCode::RequestExpired,
        ErrorCode::UnknownAccessKey,
        ErrorCode::NotOwner,
        ErrorCode::WorkspaceNotAllowed,
        ErrorCode::NotFound,
        ErrorCode::RouteNotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Stale,
        ErrorCode::AlreadyExists,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Throttled,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::UnknownField => "unknown_field",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::InvalidWorkspaceUuid => "invalid_workspace_uuid",
            ErrorCode::InvalidSessionId => "invalid_session_id",
            ErrorCode::InvalidTitle => "invalid_title",
            ErrorCode::InvalidSummary => "invalid_summary",
            ErrorCode::InvalidTimestamp => "invalid_timestamp",
            ErrorCode::InvalidFact => "invalid_fact",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidSignature => "invalid_signature",
            ErrorCode::RequestExpired => "request_expired",
            ErrorCode::UnknownAccessKey => "unknown_access_key",
            ErrorCode::NotOwner => "not_owner",
            ErrorCode::WorkspaceNotAllowed => "workspace_not_allowed",
            ErrorCode::NotFound => "not_found",
            ErrorCode::RouteNotFound => "route_not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Stale => "stale",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Throttled => "throttled",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == code)
    }

    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidJson
            | ErrorCode::UnknownField
            | ErrorCode::MissingField
            | ErrorCode::InvalidWorkspaceUuid
            | ErrorCode::InvalidSessionId
            | ErrorCode::InvalidTitle
            | ErrorCode::InvalidSummary
            | ErrorCode::InvalidTimestamp
            | ErrorCode::InvalidFact
            | ErrorCode::InvalidQuery => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::InvalidSignature
            | ErrorCode::RequestExpired
            | ErrorCode::UnknownAccessKey
            | ErrorCode::NotOwner
            | ErrorCode::WorkspaceNotAllowed => 403,
            ErrorCode::NotFound | ErrorCode::RouteNotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Stale => 409,
            ErrorCode::AlreadyExists => 412,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::Throttled => 429,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as the API reports it: a code and a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn only_internal_is_a_server_fault() {
        let fives: Vec<_> = ErrorCode::ALL
            .into_iter()
            .filter(|c| c.status() == 500)
            .collect();
        assert_eq!(fives, vec![ErrorCode::Internal]);
    }
}
