//! Gateway sessions saved across restarts: on shutdown a shard closes with the
//! RESUME code and its session (`{id, sequence}`) and resume URL go to Redis;
//! the next start takes them (once: GETDEL) and resumes, so Discord replays
//! what was missed and no identify is spent. Losing them only costs an identify.

use deadpool_redis::redis;
use serde::{Deserialize, Serialize};
use twilight_gateway::Session;

use crate::redis::{keys::Keys, RedisError, RedisPool};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedSession {
    pub session: Session,
    pub resume_url: String,
}

/// Discord keeps a disconnected session resumable for a short while only.
const SESSION_TTL_SECONDS: u64 = 180;

pub async fn save(
    redis: &RedisPool,
    keys: &Keys,
    shard: u32,
    total: u32,
    saved: &SavedSession,
) -> Result<(), RedisError> {
    let mut conn = redis.get().await?;
    let json = serde_json::to_string(saved).unwrap_or_default();
    let _: () = redis::cmd("SET")
        .arg(keys.shard_session(shard, total))
        .arg(json)
        .arg("EX")
        .arg(SESSION_TTL_SECONDS)
        .query_async(&mut conn)
        .await?;
    Ok(())
}

pub async fn take(redis: &RedisPool, keys: &Keys, shard: u32, total: u32) -> Result<Option<SavedSession>, RedisError> {
    let mut conn = redis.get().await?;
    let json: Option<String> =
        redis::cmd("GETDEL").arg(keys.shard_session(shard, total)).query_async(&mut conn).await?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}
