//! A Redis lock: `SET key token NX PX ttl`, released by a Lua compare-and-delete
//! so a holder whose lock expired never deletes someone else's.
//!
//! A Redis lock only saves duplicate work; the real guarantees are database
//! constraints. A holder that dies leaves the lock to expire after its TTL.

use std::time::Duration;

use deadpool_redis::redis::{self, Script};
use rand::Rng;

use super::{RedisError, RedisPool};

const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
else
    return 0
end
"#;

const EXTEND: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
else
    return 0
end
"#;

/// A held lock. Call [`Lock::release`]; dropping it leaves the key to expire.
#[derive(Debug)]
pub struct Lock {
    pool: RedisPool,
    key: String,
    token: String,
    ttl: Duration,
}

impl Lock {
    /// Takes the lock if nobody holds it.
    pub async fn try_acquire(pool: &RedisPool, key: String, ttl: Duration) -> Result<Option<Lock>, RedisError> {
        let token = format!("{:032x}", rand::rng().random::<u128>());
        let mut conn = pool.get().await?;
        let set: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(&token)
            .arg("NX")
            .arg("PX")
            .arg(ttl.as_millis() as u64)
            .query_async(&mut conn)
            .await?;
        Ok(set.map(|_| Lock { pool: pool.clone(), key, token, ttl }))
    }

    /// Waits up to `wait` for the lock, polling with a short, jittered backoff.
    pub async fn acquire(
        pool: &RedisPool,
        key: String,
        ttl: Duration,
        wait: Duration,
    ) -> Result<Option<Lock>, RedisError> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut backoff = Duration::from_millis(5);
        loop {
            if let Some(lock) = Self::try_acquire(pool, key.clone(), ttl).await? {
                return Ok(Some(lock));
            }
            crate::metrics::lock_contended(lock_name(&key));
            if tokio::time::Instant::now() + backoff > deadline {
                return Ok(None);
            }
            let jitter = rand::rng().random_range(0..=backoff.as_millis() as u64 / 2);
            tokio::time::sleep(backoff + Duration::from_millis(jitter)).await;
            backoff = (backoff * 2).min(Duration::from_millis(200));
        }
    }

    /// Pushes the expiry out by the lock's TTL; `false` if the lock was lost.
    pub async fn extend(&self) -> Result<bool, RedisError> {
        let mut conn = self.pool.get().await?;
        let extended: i64 = Script::new(EXTEND)
            .key(&self.key)
            .arg(&self.token)
            .arg(self.ttl.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(extended == 1)
    }

    /// Releases the lock if still ours; `false` if it had expired meanwhile.
    pub async fn release(self) -> Result<bool, RedisError> {
        let mut conn = self.pool.get().await?;
        let deleted: i64 = Script::new(RELEASE).key(&self.key).arg(&self.token).invoke_async(&mut conn).await?;
        Ok(deleted == 1)
    }

    pub fn key(&self) -> &str {
        &self.key
    }
}

/// The bounded metric label of a lock key: its kind, never the ids in it.
fn lock_name(key: &str) -> &'static str {
    if key.contains(":dm-drain:") {
        "dm_drain"
    } else if key.contains(":ticket-open:") {
        "ticket_open"
    } else if key.contains(":identify:") {
        "identify"
    } else {
        "other"
    }
}
