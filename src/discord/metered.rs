//! Every REST call goes through [`metered`], which records
//! `ticketeer_discord_requests_total{route,status}` and its latency, and
//! each failure once by class in `ticketeer_discord_errors_total{route,class}`.

use std::future::IntoFuture;
use std::time::Instant;

use twilight_http::error::ErrorType;
use twilight_http::Response;

/// Sends a twilight request, recording its route (a fixed name, never an id)
/// and outcome.
pub async fn metered<T, R>(route: &'static str, request: R) -> Result<Response<T>, twilight_http::Error>
where
    R: IntoFuture<Output = Result<Response<T>, twilight_http::Error>>,
{
    let started = Instant::now();
    let result = request.into_future().await;
    let status = match &result {
        Ok(response) => response.status().get(),
        Err(e) => match e.kind() {
            ErrorType::Response { status, .. } => status.get(),
            ErrorType::Unauthorized => 401,
            _ => 0,
        },
    };
    crate::metrics::discord_request(route, status, started.elapsed().as_secs_f64());
    if let Err(e) = &result {
        crate::metrics::discord_error(route, super::errors::class_of(e).as_str());
    }
    result
}
