//! Rate limiting in fixed one-minute windows counted in Redis, so every API
//! process shares the count: per session or token here ([`check`]), per
//! client address on the routes without a caller (`api/ip_limit.rs`).

use std::time::Duration;

use deadpool_redis::redis;

use crate::api::{ApiState, Error};

const WINDOW: Duration = Duration::from_secs(60);

/// Counts one request of `bucket`; a 429 once the minute's budget is spent.
pub async fn check(state: &ApiState, kind: &'static str, bucket: &str) -> Result<(), Error> {
    let key = state.auth.keys.api_rate(bucket);
    match spend(state, &key, state.auth.rate_limit_per_minute).await {
        Some(retry_after) => {
            crate::metrics::api_rate_limited(kind);
            Err(Error::RateLimited { retry_after })
        }
        None => Ok(()),
    }
}

/// Counts one request under `key` in the current window; `Some(wait)` when
/// more than `limit` were counted in it, `wait` being the rest of the window.
///
/// Redis being down does not take the API down with it: the request is let
/// through (and logged), since PostgreSQL still guards every write.
pub async fn spend(state: &ApiState, key: &str, limit: u32) -> Option<Duration> {
    let counted: Result<(i64, i64), Error> = async {
        let mut conn = state.redis.get().await?;
        let (count, ttl_ms): (i64, i64) = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(key)
            .arg(0)
            .arg("PX")
            .arg(WINDOW.as_millis() as u64)
            .arg("NX")
            .ignore()
            .cmd("INCR")
            .arg(key)
            .cmd("PTTL")
            .arg(key)
            .query_async(&mut conn)
            .await?;
        Ok((count, ttl_ms))
    }
    .await;
    match counted {
        Ok((count, ttl_ms)) if count > i64::from(limit) => Some(Duration::from_millis(ttl_ms.max(1).unsigned_abs())),
        Ok(_) => None,
        Err(error) => {
            tracing::warn!(%error, "rate limit not counted: Redis unavailable");
            None
        }
    }
}
