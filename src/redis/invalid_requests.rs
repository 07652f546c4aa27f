//! The fleet's count of invalid requests to Discord (answers 401, 403 and
//! 429): Discord bans the IP for a while once it sees 10,000 of them in 10
//! minutes, and every process of the fleet shares that IP's budget, so each
//! counts into Redis and reads the fleet's total back.
//!
//! One counter per minute (`INCR`, expiring once out of the window); the
//! window's total is the sum of the last ten. Losing Redis loses the count,
//! never a request: counting is best effort.

use std::time::{SystemTime, UNIX_EPOCH};

use deadpool_redis::redis;

use super::keys::Keys;
use super::{RedisError, RedisPool};

/// Discord's window, in minutes.
const WINDOW_MINUTES: u64 = 10;
/// A minute's counter outlives the window it counts toward by a minute.
const EXPIRY_SECONDS: u64 = (WINDOW_MINUTES + 1) * 60;

#[derive(Clone)]
pub struct InvalidRequests {
    pool: RedisPool,
    keys: Keys,
}

fn this_minute() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() / 60).unwrap_or_default()
}

impl InvalidRequests {
    pub fn new(pool: RedisPool, keys: Keys) -> Self {
        Self { pool, keys }
    }

    /// Counts one invalid request; returns the fleet's total over the window.
    pub async fn record(&self) -> Result<u64, RedisError> {
        let minute = this_minute();
        let key = self.keys.discord_invalid_requests(minute);
        let mut conn = self.pool.get().await?;
        let _: () = redis::pipe()
            .cmd("INCR")
            .arg(&key)
            .ignore()
            .cmd("EXPIRE")
            .arg(&key)
            .arg(EXPIRY_SECONDS)
            .ignore()
            .query_async(&mut conn)
            .await?;
        self.total_at(&mut conn, minute).await
    }

    /// The fleet's invalid requests over the last 10 minutes.
    pub async fn last_ten_minutes(&self) -> Result<u64, RedisError> {
        let mut conn = self.pool.get().await?;
        self.total_at(&mut conn, this_minute()).await
    }

    async fn total_at(&self, conn: &mut deadpool_redis::Connection, minute: u64) -> Result<u64, RedisError> {
        let keys: Vec<String> =
            (0..WINDOW_MINUTES).map(|back| self.keys.discord_invalid_requests(minute.saturating_sub(back))).collect();
        let counts: Vec<Option<u64>> = redis::cmd("MGET").arg(&keys).query_async(conn).await?;
        Ok(counts.into_iter().flatten().sum())
    }
}
