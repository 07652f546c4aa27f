//! How many channels each guild has, as the cluster owning the guild sees it
//! in its cache, shared through Redis so that any cluster opening a ticket in
//! that guild (a DM arrives on cluster 0) can warn staff before Discord's
//! limit of 500. A cache of the owner's cache: lost with Redis, it is written
//! again at the guild's next channel event or GUILD_CREATE.

use deadpool_redis::redis;

use super::keys::Keys;
use super::{RedisError, RedisPool};
use crate::domain::ids::GuildId;

/// Long enough to outlive quiet days; a guild that changes nothing for a week
/// is far from a burst of new tickets.
const EXPIRY_SECONDS: u64 = 7 * 24 * 3600;

#[derive(Clone)]
pub struct ChannelCounts {
    pool: RedisPool,
    keys: Keys,
}

impl ChannelCounts {
    pub fn new(pool: RedisPool, keys: Keys) -> Self {
        Self { pool, keys }
    }

    pub async fn set(&self, guild: GuildId, count: usize) -> Result<(), RedisError> {
        let mut conn = self.pool.get().await?;
        let _: () = redis::cmd("SET")
            .arg(self.keys.guild_channel_count(guild))
            .arg(count)
            .arg("EX")
            .arg(EXPIRY_SECONDS)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    pub async fn get(&self, guild: GuildId) -> Result<Option<usize>, RedisError> {
        let mut conn = self.pool.get().await?;
        redis::cmd("GET").arg(self.keys.guild_channel_count(guild)).query_async(&mut conn).await.map_err(Into::into)
    }
}
