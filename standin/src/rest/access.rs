//! What the bot may do: lookups that answer like Discord when something is
//! unknown or hidden (10003/10004/50001) and permission checks (50013).

use crate::error::{ApiError, ApiResult};
use crate::perms;
use crate::state::{App, Channel, State};

/// A channel the bot can see at all: unknown → 10003, a guild the bot is
/// not in → 50001.
pub fn channel(app: &App, st: &State, channel_id: u64) -> ApiResult<Channel> {
    let c = st.world.channels.get(&channel_id).ok_or_else(ApiError::unknown_channel)?;
    if let Some(g) = c.guild_id {
        if !st.world.bot_in(g, app.bot_id()) {
            return Err(ApiError::missing_access());
        }
    }
    Ok(c.clone())
}

/// Requires `bits` in a channel: no VIEW_CHANNEL → 50001, otherwise a
/// missing bit → 50013.
pub fn require(app: &App, st: &State, c: &Channel, bits: u64) -> ApiResult<u64> {
    let have = perms::in_channel(&st.world, c, app.bot_id());
    if have & perms::VIEW_CHANNEL == 0 {
        return Err(ApiError::missing_access());
    }
    if have & bits != bits {
        return Err(ApiError::missing_permissions());
    }
    Ok(have)
}

/// A guild the bot is in: otherwise 10004.
pub fn guild(app: &App, st: &State, guild_id: u64) -> ApiResult<()> {
    if st.world.bot_in(guild_id, app.bot_id()) {
        Ok(())
    } else {
        Err(ApiError::unknown_guild())
    }
}

/// Requires guild-level `bits`; returns the bot's guild permissions.
pub fn require_guild(app: &App, st: &State, guild_id: u64, bits: u64) -> ApiResult<u64> {
    guild(app, st, guild_id)?;
    let have = perms::base(&st.world, guild_id, app.bot_id());
    if have & bits != bits {
        return Err(ApiError::missing_permissions());
    }
    Ok(have)
}

/// Overwrites need MANAGE_ROLES, and (unless ADMINISTRATOR) may only allow
/// or deny permissions the bot itself has — Discord's rule.
pub fn check_grantable(have: u64, overwrites: &[crate::state::Overwrite]) -> ApiResult<()> {
    if overwrites.is_empty() || have == perms::ALL {
        return Ok(());
    }
    if have & perms::MANAGE_ROLES == 0 {
        return Err(ApiError::missing_permissions());
    }
    let asked = overwrites.iter().fold(0, |acc, o| acc | o.allow | o.deny);
    if asked & !have != 0 {
        return Err(ApiError::missing_permissions());
    }
    Ok(())
}
