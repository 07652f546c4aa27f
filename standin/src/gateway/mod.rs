//! The gateway: a websocket at `/` and `/resume/` speaking Discord's
//! gateway v10 with JSON text frames (compression requests are ignored;
//! twilight only decompresses binary frames).

pub mod conn;
pub mod hub;
pub mod member_requests;
pub mod session;

use crate::state::App;
use axum::{routing::get, Router};

/// Websocket routes: twilight connects to `{url}/?v=10&encoding=json…` and
/// resumes at `{resume_gateway_url}/?v=10…`.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(conn::upgrade))
        .route("/resume", get(conn::upgrade))
        .route("/resume/", get(conn::upgrade))
}
