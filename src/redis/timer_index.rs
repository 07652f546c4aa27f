//! The fast path for timers: a sorted set of pending timer ids scored by due
//! time (milliseconds since the epoch). Workers pop due ids atomically; the
//! timer's row in PostgreSQL decides whether it still fires. Losing this set
//! (a Redis restart) loses nothing: it is rebuilt from PostgreSQL.

use chrono::{DateTime, Utc};
use deadpool_redis::redis::{self, Script};

use super::{RedisError, RedisPool};

/// Pops up to ARGV[2] ids due at or before ARGV[1], in one atomic step, so two
/// workers never pop the same id.
const CLAIM_DUE: &str = r#"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #due > 0 then
    redis.call('ZREM', KEYS[1], unpack(due))
end
return due
"#;

#[derive(Clone)]
pub struct TimerIndex {
    pool: RedisPool,
    key: String,
}

impl TimerIndex {
    pub fn new(pool: RedisPool, key: String) -> Self {
        Self { pool, key }
    }

    /// Indexes (or re-indexes) timers; adding one again only updates its score.
    pub async fn add(&self, timers: &[(i64, DateTime<Utc>)]) -> Result<(), RedisError> {
        if timers.is_empty() {
            return Ok(());
        }
        let mut conn = self.pool.get().await?;
        let mut cmd = redis::cmd("ZADD");
        cmd.arg(&self.key);
        for (id, due) in timers {
            cmd.arg(due.timestamp_millis()).arg(id);
        }
        let _: i64 = cmd.query_async(&mut conn).await?;
        Ok(())
    }

    pub async fn remove(&self, id: i64) -> Result<(), RedisError> {
        let mut conn = self.pool.get().await?;
        let _: i64 = redis::cmd("ZREM").arg(&self.key).arg(id).query_async(&mut conn).await?;
        Ok(())
    }

    /// Takes the ids due by `now` off the index (at most `limit`).
    pub async fn pop_due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<i64>, RedisError> {
        let mut conn = self.pool.get().await?;
        let ids: Vec<i64> = Script::new(CLAIM_DUE)
            .key(&self.key)
            .arg(now.timestamp_millis())
            .arg(limit)
            .invoke_async(&mut conn)
            .await?;
        Ok(ids)
    }
}
