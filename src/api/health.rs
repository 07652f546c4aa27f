//! Liveness and readiness probes of the API.
//!
//! `/healthz` only says the process is up and serving HTTP; it must not touch
//! dependencies, or a database blip would make an orchestrator restart every API
//! pod at once. `/readyz` checks PostgreSQL and Redis with short timeouts so a
//! load balancer stops sending traffic to a pod that cannot serve it; it says
//! which is down, and logs why.

use std::future::Future;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use axum::Json;
use serde_json::{json, Value};

use super::error::{Error, Result};
use super::ApiState;
use crate::metrics;

/// How long one dependency check may take before it counts as down. Probes are
/// usually given 1–5 s in total, and both checks run at the same time.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /healthz`: 200 `{"status":"ok"}` while the process serves HTTP.
#[tracing::instrument(level = "debug")]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 `{"status":"ready","postgres":"up","redis":"up"}` when
/// both answer, else 503 with the same fields (`"down"` for each dependency
/// that failed) and the API's error object. The driver's error text is
/// logged, never answered: it can name hosts, users and ports.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn readyz(State(state): State<ApiState>) -> Response {
    let (postgres, redis) =
        tokio::join!(within_timeout(check_postgres(&state.db)), within_timeout(check_redis(&state.redis)),);
    let checks = [("postgres", &postgres), ("redis", &redis)];
    for (name, result) in checks {
        metrics::dependency_up(name, result.is_ok());
        if let Err(why) = result {
            tracing::warn!(dependency = name, error = %why, "readiness check failed");
        }
    }
    let state_of = |result: &Result<(), String>| if result.is_ok() { "up" } else { "down" };
    let down: Vec<&str> = checks.iter().filter(|(_, result)| result.is_err()).map(|(name, _)| *name).collect();
    if down.is_empty() {
        return Json(json!({ "status": "ready", "postgres": "up", "redis": "up" })).into_response();
    }
    let error = Error::ServiceUnavailable { reason: format!("not ready: {} down", down.join(" and ")) };
    let body = json!({
        "status": "not_ready",
        "postgres": state_of(&postgres),
        "redis": state_of(&redis),
        "error": error.body()["error"],
    });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

/// Runs one check, turning a hang into an error.
async fn within_timeout(check: impl Future<Output = Result<(), String>>) -> Result<(), String> {
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
    }
}

/// `SELECT 1` through the pool: proves a connection can be had and used.
async fn check_postgres(db: &sqlx::PgPool) -> Result<(), String> {
    sqlx::query("SELECT 1").execute(db).await.map(drop).map_err(|error| error.to_string())
}

/// `PING` through the pool.
async fn check_redis(redis: &deadpool_redis::Pool) -> Result<(), String> {
    let mut conn = redis.get().await.map_err(|error| error.to_string())?;
    let pong: String =
        deadpool_redis::redis::cmd("PING").query_async(&mut conn).await.map_err(|error| error.to_string())?;
    if pong == "PONG" {
        Ok(())
    } else {
        Err(format!("unexpected answer to PING: {pong:?}"))
    }
}
