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
use crate::telemetry::RequestIds;

/// The caller API Gateway's IAM authorizer vouched for, if any.
fn caller_of(req: &Request) -> Option<Caller> {
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

/// Lambda's request id, and API Gateway's from `requestContext.requestId`. Outside the Lambda
/// runtime (an event decoded by hand) API Gateway's id stands in for Lambda's.
fn request_ids_of(req: &Request) -> RequestIds {
    let api_request_id = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
    .filter(|id| !id.is_empty());
    let request_id = req
        .lambda_context_ref()
        .map(|ctx| ctx.request_id.clone())
        .filter(|id| !id.is_empty())
        .or_else(|| api_request_id.clone())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    RequestIds {
        request_id,
        api_request_id,
    }
}

pub async fn handle<S: SessionStore>(api: &Api<S>, req: Request) -> Response<Body> {
    let ids = request_ids_of(&req);
    let response = match caller_of(&req) {
        Some(caller) => {
            let (mut parts, body) = req.into_parts();
            parts.extensions.insert(ids);
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
            let response = error_response(&ApiError::new(
                ErrorCode::Unauthenticated,
                "no IAM identity on the request; the API must be called through API Gateway with IAM auth",
            ));
            tracing::warn!(
                request_id = %ids.request_id,
                api_request_id = ids.api_request_id.as_deref(),
                method = %req.method(),
                path = req.uri().path(),
                status = response.status().as_u16(),
                "request without an IAM identity refused"
            );
            response
        }
    };
    // Our bodies are always JSON text.
    response.map(|b| Body::Text(String::from_utf8_lossy(&b).into_owned()))
}
