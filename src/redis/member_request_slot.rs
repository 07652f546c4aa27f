//! Discord answers one full member list request per guild per 30 s (and
//! refuses the rest with a `RATE_LIMITED` dispatch). Every process of the
//! fleet takes this slot before sending one: `SET key NX PX 30000`, kept until
//! it expires (never released: the limit counts from the request).

use std::time::Duration;

use deadpool_redis::redis;

use super::keys::Keys;
use super::{RedisError, RedisPool};
use crate::domain::ids::GuildId;

/// Discord's window between two full member requests of a guild.
pub const WINDOW: Duration = Duration::from_secs(30);

/// Takes the guild's slot: `Ok(())` when this caller may send its request
/// now, `Err(wait)` when one was sent within the window (`wait`: until the
/// slot is free again).
pub async fn take(pool: &RedisPool, keys: &Keys, guild: GuildId) -> Result<Result<(), Duration>, RedisError> {
    let key = keys.member_request_slot(guild);
    let mut conn = pool.get().await?;
    let set: Option<String> = redis::cmd("SET")
        .arg(&key)
        .arg(super::lock::process_owner())
        .arg("NX")
        .arg("PX")
        .arg(WINDOW.as_millis() as u64)
        .query_async(&mut conn)
        .await?;
    if set.is_some() {
        return Ok(Ok(()));
    }
    let left: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut conn).await?;
    // -2: expired between the two commands; -1 (no expiry) cannot happen
    // for our keys, and would be waited for a whole window, not forever.
    let wait = match left {
        -2 => Duration::ZERO,
        n if n < 0 => WINDOW,
        n => Duration::from_millis(n as u64),
    };
    Ok(Err(wait))
}

/// Discord refused a request: its own window for the guild ends in `wait`.
/// The slot is made to end then too, so the retry (and any other process)
/// goes by Discord's clock rather than by the refused request's 30 s.
pub async fn ends_in(pool: &RedisPool, keys: &Keys, guild: GuildId, wait: Duration) -> Result<(), RedisError> {
    let mut conn = pool.get().await?;
    redis::cmd("PEXPIRE")
        .arg(keys.member_request_slot(guild))
        .arg(wait.as_millis().max(1) as u64)
        .query_async::<i64>(&mut conn)
        .await?;
    Ok(())
}
