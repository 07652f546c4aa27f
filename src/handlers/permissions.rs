//! Whether a member has Manage Server, from the gateway cache: no REST call.
//! Interactions carry computed permissions; guild messages carry only roles.

use twilight_cache_inmemory::DefaultInMemoryCache;
use twilight_model::guild::Permissions;
use twilight_model::id::marker::{GuildMarker, RoleMarker, UserMarker};
use twilight_model::id::Id;

pub fn can_manage_guild(
    cache: &DefaultInMemoryCache,
    guild: Id<GuildMarker>,
    user: Id<UserMarker>,
    roles: &[Id<RoleMarker>],
) -> bool {
    if cache.guild(guild).is_some_and(|g| g.owner_id() == user) {
        return true;
    }
    // @everyone's role id is the guild id.
    let permissions = std::iter::once(guild.cast())
        .chain(roles.iter().copied())
        .filter_map(|role| cache.role(role).map(|r| r.resource().permissions))
        .fold(Permissions::empty(), |all, p| all | p);
    permissions.intersects(Permissions::ADMINISTRATOR | Permissions::MANAGE_GUILD)
}
