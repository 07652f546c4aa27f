//! Middleware shared by every Ticketeer HTTP server: request tracing, per-route
//! metrics and a request body size limit (per route: Stripe's webhook takes
//! larger bodies than the rest).

use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse as _, Response};
use axum::Router;
use tower_http::trace::TraceLayer;

use crate::metrics;

/// The largest request body accepted. The API takes small JSON documents; the
/// limit keeps a client from making the server buffer megabytes.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// The largest Stripe event accepted. Stripe sends whole objects (a
/// subscription with its items, an invoice with its lines), which can pass
/// 64 KiB; it documents no maximum, and 1 MiB is well above what it sends.
pub const STRIPE_WEBHOOK_BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// Routes that take more than [`BODY_LIMIT_BYTES`], by route template.
const LARGER_BODIES: &[(&str, usize)] = &[("/v1/stripe/webhook", STRIPE_WEBHOOK_BODY_LIMIT_BYTES)];

/// The body limit of a route template.
pub fn body_limit_of(route: &str) -> usize {
    LARGER_BODIES.iter().find(|(template, _)| *template == route).map_or(BODY_LIMIT_BYTES, |(_, limit)| *limit)
}

/// The route label of requests that matched no route: raw paths would give
/// scanners a way to create unbounded label values.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Wraps `router` in the shared layers. `Router::layer` wraps each route, which
/// is what makes `MatchedPath` visible to the layers. The last layer added runs
/// first: tracing sees everything, metrics see the final status including a 413
/// from the body limit.
pub fn apply<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .layer(middleware::from_fn(limit_body))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(record_http_metrics))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let route = route_of(request);
            // The path, not the full URI: query strings may carry tokens.
            tracing::info_span!(
                "http_request",
                method = %request.method(),
                route,
                path = request.uri().path(),
            )
        }))
}

/// The matched route template of `request`, or [`UNMATCHED_ROUTE`].
fn route_of(request: &Request) -> &str {
    request.extensions().get::<MatchedPath>().map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
}

/// Refuses a body over its route's limit: at once when `Content-Length` says
/// so, else when reading it passes the limit (axum's body extractors answer
/// 413 on `http_body_util`'s limit error).
async fn limit_body(request: Request, next: Next) -> Response {
    let limit = body_limit_of(route_of(&request));
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return super::Error::PayloadTooLarge.into_response();
    }
    let request = request.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

/// Answers made below the handlers (the body limit's 413, the router's 405)
/// get the API's JSON error body like every other.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let error = match response.status() {
        _ if is_json => return response,
        axum::http::StatusCode::PAYLOAD_TOO_LARGE => super::Error::PayloadTooLarge,
        axum::http::StatusCode::METHOD_NOT_ALLOWED => super::Error::MethodNotAllowed,
        _ => return response,
    };
    let allow = response.headers().get(axum::http::header::ALLOW).cloned();
    let mut replaced = axum::response::IntoResponse::into_response(error);
    if let Some(allow) = allow {
        replaced.headers_mut().insert(axum::http::header::ALLOW, allow);
    }
    replaced
}

/// Records `ticketeer_http_requests_total` and the latency histogram.
async fn record_http_metrics(request: Request, next: Next) -> Response {
    let route = route_of(&request).to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics::http_request(&route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}
