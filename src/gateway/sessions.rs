//! Gateway sessions saved across restarts: every few seconds a running shard
//! writes a checkpoint (`gateway::checkpoint`), and on shutdown it closes with
//! the RESUME code and writes its session (`{id, sequence}`) and resume URL
//! once more; the next start takes them (once: GETDEL) and resumes, so Discord
//! replays what was missed and no identify is spent — after a crash as after
//! a deploy. Losing them only costs an identify.

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
