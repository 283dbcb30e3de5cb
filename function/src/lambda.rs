//! The Lambda adapter: API Gateway (HTTP API, IAM auth, payload 2.0) has verified the caller;
//! its identity arrives in `requestContext.authorizer.iam`. Without it we refuse (fail closed).

use bytes::Bytes;
use http::Response;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use sessions_core::{ApiError, ErrorCode};

use crate::domain::Caller;
use crate::router::{Api, error_response};
use crate::store::SessionStore;

/// The caller API Gateway's IAM authorizer vouched for, if any.
pub fn caller_of(req: &Request) -> Option<Caller> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx
            .authorizer
            .as_ref()?
            .iam
            .as_ref()?
            .user_arn
            .as_deref()
            .filter(|arn| !arn.is_empty())
            .map(Caller::from_arn),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

pub async fn handle<S: SessionStore>(api: &Api<S>, req: Request) -> Response<Body> {
    let response = match caller_of(&req) {
        Some(caller) => {
            let (parts, body) = req.into_parts();
            let bytes = match body {
                Body::Empty => Bytes::new(),
                Body::Text(text) => Bytes::from(text),
                Body::Binary(binary) => Bytes::from(binary),
                _ => Bytes::new(),
            };
            api.handle(http::Request::from_parts(parts, bytes), &caller)
                .await
        }
        None => {
            tracing::warn!("request without an IAM identity refused");
            error_response(&ApiError::new(
                ErrorCode::Unauthenticated,
                "no IAM identity on the request; the API must be called through API Gateway with IAM auth",
            ))
        }
    };
    // Our bodies are always JSON text.
    response.map(|b| Body::Text(String::from_utf8_lossy(&b).into_owned()))
}
