//! Liveness and readiness probes of the API.
//!
//! `/healthz` only says the process is up and serving HTTP; it must not touch
//! dependencies, or a database blip would make an orchestrator restart every API
//! pod at once. `/readyz` checks PostgreSQL and Redis with short timeouts so a
//! load balancer stops sending traffic to a pod that cannot serve it.

use std::future::Future;
use std::time::Duration;

use axum::extract::State;
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

/// `GET /readyz`: 200 `{"status":"ready","postgres":"ok","redis":"ok"}` when both
/// answer, else 503 with a message naming each dependency that is down and why.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn readyz(State(state): State<ApiState>) -> Result<Json<Value>> {
    let (postgres, redis) =
        tokio::join!(within_timeout(check_postgres(&state.db)), within_timeout(check_redis(&state.redis)),);
    metrics::dependency_up("postgres", postgres.is_ok());
    metrics::dependency_up("redis", redis.is_ok());

    let down: Vec<String> = [("postgres", &postgres), ("redis", &redis)]
        .into_iter()
        .filter_map(|(name, result)| result.as_ref().err().map(|why| format!("{name} is down: {why}")))
        .collect();
    if down.is_empty() {
        Ok(Json(json!({ "status": "ready", "postgres": "ok", "redis": "ok" })))
    } else {
        Err(Error::ServiceUnavailable { reason: down.join("; ") })
    }
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
