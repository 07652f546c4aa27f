//! Redis: the connection pool, the lock helper and the key scheme.
//!
//! Redis holds only what can be rebuilt from PostgreSQL or safely lost (locks,
//! caches, gateway resume sessions, identify pacing); see docs/ARCHITECTURE.md.

pub mod channel_counts;
pub mod guild_facts;
pub mod held_queue;
pub mod invalid_requests;
pub mod invalidation;
pub mod keys;
pub mod lock;
pub mod member_request_slot;
pub mod timer_index;

pub use deadpool_redis::Pool as RedisPool;

/// Any failure talking to Redis.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("no connection from the pool: {0}")]
    Pool(#[from] deadpool_redis::PoolError),
    #[error("command failed: {0}")]
    Command(#[from] deadpool_redis::redis::RedisError),
}

/// Builds a pool; connections are made lazily, so this fails only on a bad URL.
pub fn connect(url: &str) -> anyhow::Result<RedisPool> {
    let pool = deadpool_redis::Config::from_url(url)
        .builder()?
        .max_size(32)
        .wait_timeout(Some(std::time::Duration::from_secs(5)))
        .runtime(deadpool_redis::Runtime::Tokio1)
        .build()?;
    Ok(pool)
}
