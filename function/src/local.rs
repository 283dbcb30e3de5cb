//! The local adapter: a plain HTTP/1.1 server that authenticates each request the way API
//! Gateway's IAM auth would (SigV4, via `auth::LocalVerifier`) and hands it to the router.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sessions_core::fields::BODY_MAX_BYTES;
use tokio::net::TcpListener;

use crate::auth::{LocalVerifier, ReceivedRequest};
use crate::router::{Api, error_response, too_large};
use crate::store::SessionStore;
use crate::telemetry::RequestIds;

/// Requests whose headers exceed this are refused by the HTTP layer.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve<S: SessionStore>(
    listener: TcpListener,
    api: Arc<Api<S>>,
    verifier: Arc<LocalVerifier>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => return,
        };
        let (stream, _) = match accepted {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let api = api.clone();
        let verifier = verifier.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let api = api.clone();
                let verifier = verifier.clone();
                async move { Ok::<_, Infallible>(answer(&api, &verifier, req).await.map(Full::new)) }
            });
            // A header line with bytes HTTP does not allow (control characters in a value, a
            // name that is not a token) is dropped, as nginx does, rather than failing the
            // whole request with hyper's bare 400: the request then gets the API's own JSON
            // answer (a dropped signed header fails the signature check).
            let _ = http1::Builder::new()
                .max_buf_size(MAX_HEADER_BYTES.max(8192))
                .ignore_invalid_headers(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Answers one request, telling the client its request id (`x-request-id`), as API Gateway
/// does with `apigw-requestid`.
async fn answer<S: SessionStore>(
    api: &Api<S>,
    verifier: &LocalVerifier,
    req: Request<Incoming>,
) -> Response<Bytes> {
    let ids = RequestIds {
        request_id: uuid::Uuid::new_v4().to_string(),
        api_request_id: None,
    };
    let request_id = http::HeaderValue::from_str(&ids.request_id).ok();
    let mut response = authenticate_and_route(api, verifier, req, ids).await;
    if let Some(id) = request_id {
        response.headers_mut().insert("x-request-id", id);
    }
    response
}

async fn authenticate_and_route<S: SessionStore>(
    api: &Api<S>,
    verifier: &LocalVerifier,
    req: Request<Incoming>,
    ids: RequestIds,
) -> Response<Bytes> {
    let declared_too_large = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > BODY_MAX_BYTES as u64);
    if declared_too_large {
        return error_response(&too_large());
    }
    let (mut parts, body) = req.into_parts();
    let body = match Limited::new(body, BODY_MAX_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return error_response(&too_large()),
    };
    let raw_target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let received = ReceivedRequest {
        method: parts.method.as_str(),
        raw_target,
        headers: &parts.headers,
        body: &body,
    };
    match verifier.verify(&received, SystemTime::now()) {
        Ok(caller) => {
            parts.extensions.insert(ids);
            api.handle(Request::from_parts(parts, body), &caller).await
        }
        Err(e) => {
            let response = error_response(&e);
            tracing::info!(
                request_id = %ids.request_id,
                method = %parts.method,
                path = %parts.uri.path(),
                status = response.status().as_u16(),
                code = %e.code,
                "refused"
            );
            response
        }
    }
}
