//! Retries for gateway handlers whose database work failed on something that
//! passes: a pool with no free connection (hundreds of GUILD_CREATEs arrive at
//! once after an identify), a dropped connection, PostgreSQL restarting.
//! Discord does not send a gateway event again, so a handler that gave up on
//! such an error would lose the event for good: a guild missing from
//! `guilds`, a member missing from the routing index, until the next identify.
//! The work retried must be idempotent, as every handler's is.

use std::future::Future;
use std::time::Duration;

/// Tries in all, the first included: 2.5 to 5 s of waiting between them, on
/// top of the pool's own acquire timeout (10 s) for each.
const ATTEMPTS: u32 = 6;
const FIRST_WAIT: Duration = Duration::from_millis(200);
const MAX_WAIT: Duration = Duration::from_secs(2);

/// Runs `work`, again after a growing wait while it fails transiently (see
/// `db::is_transient`), at most `ATTEMPTS` times; the last error otherwise.
pub async fn transient_db<T, F, Fut>(handler: &'static str, mut work: F) -> Result<T, sqlx::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, sqlx::Error>>,
{
    let mut wait = FIRST_WAIT;
    let mut attempt = 1;
    loop {
        match work().await {
            Err(e) if attempt < ATTEMPTS && crate::db::is_transient(&e) => {
                crate::metrics::handler_retried(handler);
                tracing::warn!(handler, attempt, error = %e, "database unavailable for a moment; trying again");
                // Jitter spreads hundreds of handlers that failed together.
                let jitter = rand::random_range(0.5..1.0);
                tokio::time::sleep(wait.mul_f64(jitter)).await;
                wait = (wait * 2).min(MAX_WAIT);
                attempt += 1;
            }
            result => return result,
        }
    }
}
