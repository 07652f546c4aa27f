//! `GET /metrics`: the Prometheus text exposition of this process's metrics.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::PrometheusHandle;

/// The content type of Prometheus's text format, version 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// Renders every metric recorded in this process. Works in any router whose
/// state can hand out the [`PrometheusHandle`] (see `FromRef` in `api/mod.rs`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn metrics(State(handle): State<PrometheusHandle>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], handle.render())
}
