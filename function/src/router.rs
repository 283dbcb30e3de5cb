//! The HTTP contract of the API, served identically by both adapters: routing, input rules,
//! status codes, and the one place errors become HTTP responses.

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use percent_encoding::percent_decode_str;
use sessions_core::fields::BODY_MAX_BYTES;
use sessions_core::paths::{API_PREFIX, WHOAMI_PATH};
use sessions_core::{
    ApiError, ErrorBody, ErrorCode, Identity, SessionId, Timestamp, UpsertBody, WorkspaceId,
};
use uuid::Uuid;

use crate::auth::MAX_SKEW;
use crate::domain::{Caller, Rejection, UpsertCommand, WriteMode};
use crate::settings::AllowList;
use crate::store::{SessionStore, StoreError};
use crate::telemetry::RequestIds;

/// Seconds a throttled or unavailable caller should wait before retrying.
const RETRY_AFTER_SECONDS: &str = "1";

/// The routes, named as API Gateway names them (`routeKey`) in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Session,
    Sessions,
    Changes,
    Whoami,
}

const SESSION_TEMPLATE: &str = "/v1/workspaces/{workspace_uuid}/sessions/{session_id}";
const SESSIONS_TEMPLATE: &str = "/v1/workspaces/{workspace_uuid}/sessions";
const CHANGES_TEMPLATE: &str = "/v1/workspaces/{workspace_uuid}/changes";

/// Every (method, path template) the API serves; the OpenAPI document and the template's
/// routes are checked against this list.
pub const ROUTES: [(&str, &str); 6] = [
    ("PUT", SESSION_TEMPLATE),
    ("GET", SESSION_TEMPLATE),
    ("DELETE", SESSION_TEMPLATE),
    ("GET", SESSIONS_TEMPLATE),
    ("GET", CHANGES_TEMPLATE),
    ("GET", WHOAMI_PATH),
];

impl Route {
    fn template(self) -> &'static str {
        match self {
            Route::Session => SESSION_TEMPLATE,
            Route::Sessions => SESSIONS_TEMPLATE,
            Route::Changes => CHANGES_TEMPLATE,
            Route::Whoami => WHOAMI_PATH,
        }
    }

    fn allowed_methods(self) -> String {
        let methods: Vec<&str> = ROUTES
            .iter()
            .filter(|(_, template)| *template == self.template())
            .map(|(method, _)| *method)
            .collect();
        methods.join(", ")
    }
}

pub struct Api<S> {
    store: S,
    allow_list: AllowList,
}

type Outcome = Result<(StatusCode, Vec<u8>), ApiError>;

impl<S: SessionStore> Api<S> {
    pub fn new(store: S, allow_list: AllowList) -> Self {
        Api { store, allow_list }
    }

    /// Answers one request from an authenticated caller. Never fails: every error is a response.
    pub async fn handle(&self, req: Request<Bytes>, caller: &Caller) -> Response<Bytes> {
        let started = Instant::now();
        let method = req.method().clone();
        let ids = req
            .extensions()
            .get::<RequestIds>()
            .cloned()
            .unwrap_or_default();
        let (route, outcome) = self.dispatch(&req, caller).await;
        let response = match outcome {
            Ok((status, body)) => json_response(status, body),
            Err(e) => {
                let mut response = error_response(&e);
                // RFC 9110: a 405 lists the methods the resource serves.
                if let (ErrorCode::MethodNotAllowed, Some(route)) = (e.code, route)
                    && let Ok(allow) = HeaderValue::from_str(&route.allowed_methods())
                {
                    response.headers_mut().insert(header::ALLOW, allow);
                }
                response
            }
        };
        // Never the title or summary: they are the user's words, not operational data.
        tracing::info!(
            request_id = %ids.request_id,
            api_request_id = ids.api_request_id.as_deref(),
            method = %method,
            route = route.map_or("unmatched", Route::template),
            status = response.status().as_u16(),
            latency_us = started.elapsed().as_micros() as u64,
            caller = %caller.arn,
            "request"
        );
        response
    }

    async fn dispatch(&self, req: &Request<Bytes>, caller: &Caller) -> (Option<Route>, Outcome) {
        let (route, workspace, session) = match match_route(req.uri().path()) {
            Ok(m) => m,
            Err(e) => return (None, Err(e)),
        };
        if route == Route::Whoami {
            return (Some(route), whoami(req, caller));
        }
        let outcome = async {
            let workspace = WorkspaceId::parse(&decode_segment(workspace, ErrorCode::InvalidWorkspaceUuid)?)?;
            if !self.allow_list.allows(&workspace) {
                return Err(ApiError::new(
                    ErrorCode::WorkspaceNotAllowed,
                    format!("workspace {workspace} is not allowed on this endpoint; use your team's workspace UUID (see the project config file)"),
                ));
            }
            match (route, req.method()) {
                (Route::Session, &Method::PUT) => {
                    let session = SessionId::parse(&decode_segment(session.unwrap_or_default(), ErrorCode::InvalidSessionId)?)?;
                    self.put(req, caller, workspace, session).await
                }
                (Route::Session, &Method::GET) => {
                    let session = SessionId::parse(&decode_segment(session.unwrap_or_default(), ErrorCode::InvalidSessionId)?)?;
                    self.get(workspace, session).await
                }
                (Route::Session, &Method::DELETE) => {
                    let session = SessionId::parse(&decode_segment(session.unwrap_or_default(), ErrorCode::InvalidSessionId)?)?;
                    self.delete(req, caller, workspace, session).await
                }
                (Route::Sessions, &Method::GET) => self.list(req, caller, workspace).await,
                (Route::Changes, &Method::GET) => self.changes(req, workspace).await,
                (route, method) => Err(ApiError::new(
                    ErrorCode::MethodNotAllowed,
                    format!("{method} is not allowed here; allowed: {}", route.allowed_methods()),
                )),
            }
        }
        .await;
        (Some(route), outcome)
    }

    async fn put(
        &self,
        req: &Request<Bytes>,
        caller: &Caller,
        workspace: WorkspaceId,
        session_id: SessionId,
    ) -> Outcome {
        require_json(req)?;
        let body = req.body();
        if body.len() > BODY_MAX_BYTES {
            return Err(too_large());
        }
        // Whatever the client (an old CLI, the seed's bash hooks, curl), no secret is stored.
        let (fields, redacted) = UpsertBody::from_json(body)?.redacted();
        if !redacted.is_empty() {
            tracing::info!(kinds = ?redacted.kinds, "secrets redacted from the upsert");
        }
        let now = Timestamp::now();
        if fields.observed_at > now.plus_seconds(MAX_SKEW.as_secs() as i64) {
            return Err(ApiError::new(
                ErrorCode::InvalidTimestamp,
                format!(
                    "observed_at {} is in the future (server time {now}); check the clock",
                    fields.observed_at
                ),
            ));
        }
        let mode = match req.headers().get(header::IF_NONE_MATCH) {
            Some(v) if v.as_bytes() == b"*" => WriteMode::CreateOnly,
            _ => WriteMode::Upsert,
        };
        let cmd = UpsertCommand {
            workspace,
            session_id,
            fields,
            caller: caller.clone(),
            mode,
            new_uuid: Uuid::new_v4(),
            now,
        };
        let upserted = self.store.upsert(&cmd).await.map_err(store_error)?;
        let status = if upserted.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((status, to_json(&upserted.session)))
    }

    async fn get(&self, workspace: WorkspaceId, session_id: SessionId) -> Outcome {
        match self
            .store
            .get(&workspace, &session_id)
            .await
            .map_err(store_error)?
        {
            Some(session) => Ok((StatusCode::OK, to_json(&session))),
            None => Err(ApiError::new(
                ErrorCode::NotFound,
                format!("no session {session_id} in workspace {workspace}"),
            )),
        }
    }
}

/// The caller as the API records it.
fn whoami(req: &Request<Bytes>, caller: &Caller) -> Outcome {
    if req.method() != Method::GET {
        return Err(ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("{} is not allowed here; allowed: GET", req.method()),
        ));
    }
    let identity = Identity {
        user_arn: caller.arn.clone(),
        user_uuid: caller.user_uuid.to_string(),
    };
    Ok((StatusCode::OK, to_json(&identity)))
}

/// Splits a path into its route and raw (still percent-encoded) parameters.
fn match_route(path: &str) -> Result<(Route, &str, Option<&str>), ApiError> {
    if path == WHOAMI_PATH {
        return Ok((Route::Whoami, "", None));
    }
    let not_found = || {
        ApiError::new(
            ErrorCode::RouteNotFound,
            format!(
                "no route {path:?}; the API serves {API_PREFIX}/{{workspace_uuid}}/sessions[/{{session_id}}], {API_PREFIX}/{{workspace_uuid}}/changes and {WHOAMI_PATH}"
            ),
        )
    };
    let rest = path
        .strip_prefix(API_PREFIX)
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(not_found)?;
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [ws, "sessions"] => Ok((Route::Sessions, ws, None)),
        [ws, "changes"] => Ok((Route::Changes, ws, None)),
        [ws, "sessions", id] => Ok((Route::Session, ws, Some(id))),
        _ => Err(not_found()),
    }
}

fn decode_segment(raw: &str, code: ErrorCode) -> Result<String, ApiError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            ApiError::new(
                code,
                format!("{raw:?} is not valid UTF-8 once percent-decoded"),
            )
        })
}

/// A query's `key=value` pairs in the order sent, each value percent-decoded; a repeated key
/// comes once per occurrence, so the last one counts where the caller assigns in order.
fn query_pairs(raw: &str) -> impl Iterator<Item = Result<(&str, String), ApiError>> {
    raw.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        Ok((key, decode_segment(value, ErrorCode::InvalidQuery)?))
    })
}

fn invalid_query(message: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidQuery, message)
}

pub fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!(
            "body is larger than {BODY_MAX_BYTES} bytes; shorten the summary (at most 16384 bytes)"
        ),
    )
}

fn require_json(req: &Request<Bytes>) -> Result<(), ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("content type {content_type:?} is not JSON; send the body as application/json"),
        ))
    }
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Rejected(Rejection::NotOwner) => ApiError::new(
            ErrorCode::NotOwner,
            "this session belongs to another user; only its creator can change it",
        ),
        StoreError::Rejected(Rejection::Stale) => ApiError::new(
            ErrorCode::Stale,
            "a newer update of this session is already stored; nothing was changed",
        ),
        StoreError::Rejected(Rejection::AlreadyExists) => ApiError::new(
            ErrorCode::AlreadyExists,
            "the session already exists and If-None-Match: * asked to create only; nothing was changed",
        ),
        StoreError::Rejected(Rejection::Absent) => ApiError::new(
            ErrorCode::NotFound,
            "no such session: it was never recorded, or it was deleted",
        ),
        StoreError::BadCursor => ApiError::new(
            ErrorCode::InvalidQuery,
            "cursor does not belong to this listing; start again without a cursor",
        ),
        StoreError::Throttled => {
            ApiError::new(ErrorCode::Throttled, "the table is busy; retry shortly")
        }
        StoreError::Unavailable(detail) => {
            tracing::error!(%detail, "store unavailable");
            ApiError::new(
                ErrorCode::Unavailable,
                "the session store is unavailable; retry shortly",
            )
        }
        StoreError::Internal(detail) => {
            tracing::error!(%detail, "store error");
            ApiError::new(ErrorCode::Internal, "internal error; it has been logged")
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // Serializing our own plain structs cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The one place an error becomes an HTTP response.
pub fn error_response(e: &ApiError) -> Response<Bytes> {
    let status = StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json_response(status, to_json(&ErrorBody::from(e)));
    if matches!(e.code, ErrorCode::Throttled | ErrorCode::Unavailable) {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECONDS),
        );
    }
    response
}

mod changes;
mod delete;
mod list;
#[cfg(test)]
mod tests;
