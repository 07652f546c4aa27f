//! A Redis lock: `SET key token NX PX ttl`, released by a Lua compare-and-delete
//! so a holder whose lock expired never deletes someone else's.
//!
//! A Redis lock only saves duplicate work; the real guarantees are database
//! constraints. A holder that dies leaves the lock to expire after its TTL,
//! unless the process that replaces it finds it first: every token names its
//! owner (the process's slot, such as `host/gateway-0`, and its start time),
//! and a process takes over the locks of an older process of its own slot,
//! which cannot be running any more (one process per slot). So a cluster
//! killed mid-opening does not stall its users for the lock's TTL.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// Deletes the key only if it still holds the given (dead owner's) token.
const TAKE_OVER: &str = RELEASE;

/// This process, as lock tokens name it.
struct Owner {
    slot: String,
    started_ms: u128,
}

static OWNER: OnceLock<Owner> = OnceLock::new();

fn owner() -> &'static Owner {
    OWNER.get_or_init(|| {
        // Without a slot (API processes, tools) the slot is unique to this
        // process, so nobody ever takes its locks over.
        let slot = format!("{}/pid-{}", host_name(), std::process::id());
        Owner { slot, started_ms: now_ms() }
    })
}

/// Names this process's slot for lock ownership: one process per slot at a
/// time (a gateway cluster index on a host). Only the first call counts;
/// call it before taking any lock.
pub fn set_process_slot(role: &str) {
    let _ = OWNER.set(Owner { slot: format!("{}/{role}", host_name()), started_ms: now_ms() });
}

/// This process's owner prefix in lock tokens (`slot@start-ms`).
pub fn process_owner() -> String {
    let owner = owner();
    format!("{}@{}", owner.slot, owner.started_ms)
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

fn now_ms() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}

/// Whether a token was written by an earlier process of this process's slot.
fn left_by_predecessor(token: &str) -> bool {
    let Some((holder, _)) = token.rsplit_once('/') else {
        return false;
    };
    let Some((slot, started)) = holder.rsplit_once('@') else {
        return false;
    };
    let me = owner();
    slot == me.slot && started.parse::<u128>().is_ok_and(|started| started < me.started_ms)
}

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
        let token = format!("{}/{:032x}", process_owner(), rand::rng().random::<u128>());
        let mut conn = pool.get().await?;
        for _ in 0..2 {
            let set: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(ttl.as_millis() as u64)
                .query_async(&mut conn)
                .await?;
            if set.is_some() {
                return Ok(Some(Lock { pool: pool.clone(), key, token, ttl }));
            }
            let holder: Option<String> = redis::cmd("GET").arg(&key).query_async(&mut conn).await?;
            let Some(holder) = holder.filter(|h| left_by_predecessor(h)) else {
                return Ok(None);
            };
            // Our slot's previous process held it and is gone: take it over
            // (only that exact token, so a lock taken meanwhile is kept).
            let taken: i64 = Script::new(TAKE_OVER).key(&key).arg(&holder).invoke_async(&mut conn).await?;
            if taken == 1 {
                tracing::info!(lock = lock_name(&key), "took over a lock left by this slot's previous process");
            }
        }
        Ok(None)
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
    } else if key.contains(":guild-facts-refill:") {
        "guild_facts_refill"
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_older_process_of_this_slot_is_a_predecessor() {
        let me = owner();
        let older = format!("{}@{}/abc", me.slot, me.started_ms - 1);
        let same = format!("{}@{}/abc", me.slot, me.started_ms);
        let other_slot = format!("{}-other@{}/abc", me.slot, me.started_ms - 1);
        assert!(left_by_predecessor(&older));
        assert!(!left_by_predecessor(&same), "this very process is alive");
        assert!(!left_by_predecessor(&other_slot), "another slot may be alive");
        assert!(!left_by_predecessor("0123456789abcdef"), "tokens without an owner are never taken");
    }
}
