//! Whether an API token's creator still manages the token's guild.
//!
//! A token acts with its creator's authority, so it works only while they
//! own the guild or hold Administrator or Manage Server there. The check runs
//! on every use of a token, against Discord with the bot's own token:
//! `GET /guilds/{guild}` (the owner and every role's permissions) and, unless
//! the creator is the owner, `GET /guilds/{guild}/members/{user}` (their
//! roles). Neither needs the GUILD_MEMBERS intent, and both are the truth at
//! that moment. (The bot's `guild_members` table knows who is a member but
//! not their roles, and role permissions live only in the gateway clusters'
//! memory, so answering from what the bot stored would be neither complete
//! nor current.)
//!
//! The verdict, either way, is cached in Redis per guild and creator for
//! `TICKETEER_TOKEN_AUTHORITY_CACHE_SECS` (60 s): a demoted creator's tokens
//! stop within that time, and a busy token costs Discord at most two requests
//! a period. The check takes nothing away: a creator given Manage Server
//! again finds their tokens working again. When Discord cannot be asked (an
//! outage, a 429), the token is refused with a 503 rather than trusted.
//!
//! While Redis is unreachable, each process keeps the verdicts it got for
//! the same time in memory ([`Memo`]), so a busy token does not turn every
//! request into calls to Discord and spend the bot's REST budget.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use deadpool_redis::redis::AsyncCommands as _;
use twilight_http::error::ErrorType;
use twilight_model::guild::Permissions;
use twilight_model::id::marker::{GuildMarker, RoleMarker, UserMarker};
use twilight_model::id::Id;
use twilight_util::permission_calculator::PermissionCalculator;

use crate::api::{ApiState, Error};
use crate::discord::metered::metered;
use crate::domain::ids::{GuildId, UserId};

/// Whether `user` owns `guild` or has Administrator or Manage Server there
/// (cached; see the module's documentation).
#[tracing::instrument(skip(state))]
pub async fn creator_manages(state: &ApiState, guild: u64, user: u64) -> Result<bool, Error> {
    let key = state.auth.keys.api_token_authority(GuildId(guild), UserId(user));
    let memo = &state.auth.authority_memo;
    match read_cache(state, &key).await {
        Ok(Some(cached)) => return Ok(cached),
        Ok(None) => {}
        Err(()) => {
            if let Some(remembered) = memo.get(guild, user) {
                return Ok(remembered);
            }
        }
    }
    let manages = ask_discord(state, guild, user).await?;
    memo.put(guild, user, manages);
    write_cache(state, &key, manages).await;
    Ok(manages)
}

/// This process's own verdicts, consulted only while Redis is unreachable;
/// each lives as long as the Redis cache entry would.
#[derive(Debug)]
pub struct Memo {
    ttl: Duration,
    verdicts: Mutex<HashMap<(u64, u64), (bool, Instant)>>,
}

/// Past this many verdicts, expired ones are dropped on the next insert.
const MEMO_PRUNE_AT: usize = 10_000;

impl Memo {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, verdicts: Mutex::new(HashMap::new()) }
    }

    fn get(&self, guild: u64, user: u64) -> Option<bool> {
        let verdicts = self.verdicts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        verdicts.get(&(guild, user)).filter(|(_, at)| at.elapsed() < self.ttl).map(|(manages, _)| *manages)
    }

    fn put(&self, guild: u64, user: u64, manages: bool) {
        let mut verdicts = self.verdicts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if verdicts.len() >= MEMO_PRUNE_AT {
            verdicts.retain(|_, (_, at)| at.elapsed() < self.ttl);
        }
        verdicts.insert((guild, user), (manages, Instant::now()));
    }
}

/// The member's guild-level permissions, computed from Discord's answers the
/// way Discord does (owner and Administrator: everything; else @everyone's
/// permissions and those of each of the member's roles).
async fn ask_discord(state: &ApiState, guild: u64, user: u64) -> Result<bool, Error> {
    let (Some(guild_id), Some(user_id)) = (Id::<GuildMarker>::new_checked(guild), Id::<UserMarker>::new_checked(user))
    else {
        return Ok(false);
    };
    let http = &state.auth.discord_http;
    let guild = match metered("get_guild", http.guild(guild_id)).await {
        Ok(response) => response.model().await.map_err(|e| Error::Internal(e.into()))?,
        Err(error) => return gone_or_unavailable(&error),
    };
    if guild.owner_id == user_id {
        return Ok(true);
    }
    let member = match metered("get_guild_member", http.guild_member(guild_id, user_id)).await {
        Ok(response) => response.model().await.map_err(|e| Error::Internal(e.into()))?,
        Err(error) => return gone_or_unavailable(&error),
    };
    let everyone =
        guild.roles.iter().find(|r| r.id.get() == guild_id.get()).map_or(Permissions::empty(), |r| r.permissions);
    let roles: Vec<(Id<RoleMarker>, Permissions)> = member
        .roles
        .iter()
        .filter_map(|id| guild.roles.iter().find(|r| r.id == *id).map(|r| (r.id, r.permissions)))
        .collect();
    let permissions = PermissionCalculator::new(guild_id, user_id, everyone, &roles).owner_id(guild.owner_id).root();
    Ok(permissions.intersects(Permissions::ADMINISTRATOR | Permissions::MANAGE_GUILD))
}

/// Discord's 404 (unknown guild or member: the creator left, or the guild is
/// gone) and 403 (the bot is no longer in the guild) mean the creator's
/// authority cannot be shown: not a manager. Anything else is Discord being
/// unreachable for now: the request fails, nothing is cached.
fn gone_or_unavailable(error: &twilight_http::Error) -> Result<bool, Error> {
    if let ErrorType::Response { status, .. } = error.kind() {
        if matches!(status.get(), 403 | 404) {
            return Ok(false);
        }
    }
    tracing::warn!(%error, "could not ask Discord whether a token's creator manages the guild");
    Err(Error::ServiceUnavailable {
        reason: "Discord could not confirm that this token's creator still manages the server; try again shortly"
            .to_owned(),
    })
}

/// The cached verdict, `Ok(None)` if there is none, `Err` if Redis is unreachable.
async fn read_cache(state: &ApiState, key: &str) -> Result<Option<bool>, ()> {
    let mut conn = state.redis.get().await.map_err(drop)?;
    let value: Option<String> = conn.get(key).await.map_err(drop)?;
    Ok(value.map(|v| v == "1"))
}

async fn write_cache(state: &ApiState, key: &str, manages: bool) {
    let written: Result<(), Error> = async {
        let mut conn = state.redis.get().await?;
        let seconds = state.auth.token_authority_cache.as_secs().max(1);
        let () = conn.set_ex(key, if manages { "1" } else { "0" }, seconds).await?;
        Ok(())
    }
    .await;
    if let Err(error) = written {
        tracing::warn!(%error, "could not cache a token creator's authority");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memo_forgets_a_verdict_after_the_cache_time() {
        let memo = Memo::new(Duration::from_millis(50));
        assert_eq!(memo.get(1, 2), None);
        memo.put(1, 2, true);
        memo.put(1, 3, false);
        assert_eq!((memo.get(1, 2), memo.get(1, 3), memo.get(2, 2)), (Some(true), Some(false), None));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(memo.get(1, 2), None);
    }
}
