//! A cross-process identify queue: Discord allows one IDENTIFY per bucket
//! (`shard_id % max_concurrency`) per 5 seconds for the whole bot, whichever
//! cluster the shard runs in. A Redis key set with `NX PX 5000` per bucket is
//! that rule: whoever sets it may identify; the others wait for it to expire.

use std::time::Duration;

use deadpool_redis::redis;
use tokio::sync::oneshot;
use twilight_gateway::queue::Queue;

use crate::redis::{keys::Keys, RedisPool};

#[derive(Debug, Clone)]
pub struct RedisIdentifyQueue {
    redis: RedisPool,
    keys: Keys,
    max_concurrency: u32,
}

impl RedisIdentifyQueue {
    pub fn new(redis: RedisPool, keys: Keys, max_concurrency: u32) -> Self {
        Self { redis, keys, max_concurrency: max_concurrency.max(1) }
    }
}

const IDENTIFY_INTERVAL: Duration = Duration::from_secs(5);

impl Queue for RedisIdentifyQueue {
    fn enqueue(&self, shard_id: u32) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        let key = self.keys.identify_bucket(shard_id % self.max_concurrency);
        let redis = self.redis.clone();
        tokio::spawn(async move {
            loop {
                if tx.is_closed() {
                    return;
                }
                match try_claim(&redis, &key).await {
                    Ok(None) => {
                        let _ = tx.send(());
                        return;
                    }
                    Ok(Some(wait)) => tokio::time::sleep(wait).await,
                    Err(e) => {
                        tracing::warn!(error = %e, shard_id, "identify queue: Redis unavailable; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        rx
    }
}

/// `None` if we may identify now; otherwise how long until the bucket frees.
async fn try_claim(redis: &RedisPool, key: &str) -> Result<Option<Duration>, crate::redis::RedisError> {
    let mut conn = redis.get().await?;
    let set: Option<String> = redis::cmd("SET")
        .arg(key)
        .arg(1)
        .arg("NX")
        .arg("PX")
        .arg(IDENTIFY_INTERVAL.as_millis() as u64)
        .query_async(&mut conn)
        .await?;
    if set.is_some() {
        return Ok(None);
    }
    let ttl: i64 = redis::cmd("PTTL").arg(key).query_async(&mut conn).await?;
    Ok(Some(Duration::from_millis(ttl.clamp(10, 5000) as u64)))
}
