//! Guild-level changes: creating guilds and roles, members joining,
//! changing roles and leaving, and the bot being added or removed — each
//! with its gateway event (GUILD_CREATE/UPDATE/DELETE, GUILD_ROLE_CREATE/UPDATE/DELETE,
//! GUILD_MEMBER_ADD/UPDATE/REMOVE).

use crate::error::{ApiError, ApiResult};
use crate::gateway::hub::{self, Target};
use crate::ids;
use crate::json;
use crate::ops::guild_event;
use crate::perms;
use crate::state::{App, Guild, Member, Role, State};
use serde_json::json;

/// Creates a guild with its @everyone role (id = guild id); the owner
/// becomes its first member.
pub fn create(app: &App, st: &mut State, name: &str, owner_id: u64) -> ApiResult<u64> {
    if !st.world.users.contains_key(&owner_id) {
        return Err(ApiError::unknown_user());
    }
    let id = app.ids.next();
    st.world.roles.insert(
        id,
        Role {
            id,
            guild_id: id,
            name: "@everyone".into(),
            permissions: perms::EVERYONE_DEFAULT,
            position: 0,
            color: 0,
            hoist: false,
            managed: false,
            mentionable: false,
            bot_id: None,
        },
    );
    let mut members = std::collections::BTreeMap::new();
    members.insert(owner_id, Member { user_id: owner_id, roles: vec![], nick: None, joined_at: ids::timestamp_now() });
    st.world.guilds.insert(
        id,
        Guild { id, name: name.to_string(), owner_id, roles: vec![id], members, channels: vec![], bot_role: None },
    );
    Ok(id)
}

/// Renames the guild or transfers its ownership (to a member, as Discord
/// requires): GUILD_UPDATE with the whole guild.
pub fn update(app: &App, st: &mut State, guild_id: u64, name: Option<&str>, owner_id: Option<u64>) -> ApiResult<()> {
    let Some(g) = st.world.guilds.get_mut(&guild_id) else {
        return Err(ApiError::unknown_guild());
    };
    if let Some(owner) = owner_id {
        if !g.members.contains_key(&owner) {
            return Err(ApiError::unknown_member());
        }
        g.owner_id = owner;
    }
    if let Some(name) = name {
        g.name = name.to_string();
    }
    let d = json::guild(&st.world, &st.world.guilds[&guild_id]);
    guild_event(app, st, guild_id, "GUILD_UPDATE", hub::GUILDS, d);
    Ok(())
}

/// Adds a role at the top of the list and dispatches GUILD_ROLE_CREATE.
pub fn create_role(
    app: &App,
    st: &mut State,
    guild_id: u64,
    name: &str,
    permissions: u64,
    managed_for: Option<u64>,
) -> ApiResult<u64> {
    let Some(g) = st.world.guilds.get_mut(&guild_id) else {
        return Err(ApiError::unknown_guild());
    };
    let id = app.ids.next();
    let position = g.roles.len() as i64;
    g.roles.push(id);
    let role = Role {
        id,
        guild_id,
        name: name.to_string(),
        permissions,
        position,
        color: 0,
        hoist: false,
        managed: managed_for.is_some(),
        mentionable: false,
        bot_id: managed_for,
    };
    let d = json!({"guild_id": json::id(guild_id), "role": json::role(&role)});
    st.world.roles.insert(id, role);
    guild_event(app, st, guild_id, "GUILD_ROLE_CREATE", hub::GUILDS, d);
    Ok(id)
}

/// Renames a role or replaces its permissions, as an admin would in the
/// client: GUILD_ROLE_UPDATE with the whole role.
pub fn update_role(
    app: &App,
    st: &mut State,
    guild_id: u64,
    role_id: u64,
    name: Option<&str>,
    permissions: Option<u64>,
) -> ApiResult<()> {
    let Some(role) = st.world.roles.get_mut(&role_id).filter(|r| r.guild_id == guild_id) else {
        return Err(ApiError::unknown_role());
    };
    if let Some(name) = name {
        role.name = name.to_string();
    }
    if let Some(permissions) = permissions {
        role.permissions = permissions;
    }
    let d = json!({"guild_id": json::id(guild_id), "role": json::role(role)});
    guild_event(app, st, guild_id, "GUILD_ROLE_UPDATE", hub::GUILDS, d);
    Ok(())
}

/// Deletes a role: members lose it (Discord sends no member updates for
/// that) and GUILD_ROLE_DELETE carries only the ids. @everyone and managed
/// roles cannot be deleted.
pub fn delete_role(app: &App, st: &mut State, guild_id: u64, role_id: u64) -> ApiResult<()> {
    let Some(role) = st.world.roles.get(&role_id).filter(|r| r.guild_id == guild_id) else {
        return Err(ApiError::unknown_role());
    };
    if role_id == guild_id || role.managed {
        return Err(ApiError::new(axum::http::StatusCode::BAD_REQUEST, 50028, "Invalid Role"));
    }
    st.world.roles.remove(&role_id);
    if let Some(g) = st.world.guilds.get_mut(&guild_id) {
        g.roles.retain(|r| *r != role_id);
        for member in g.members.values_mut() {
            member.roles.retain(|r| *r != role_id);
        }
    }
    let d = json!({"guild_id": json::id(guild_id), "role_id": json::id(role_id)});
    guild_event(app, st, guild_id, "GUILD_ROLE_DELETE", hub::GUILDS, d);
    Ok(())
}

/// Joins a user (GUILD_MEMBER_ADD) or, for a member, replaces their roles
/// (GUILD_MEMBER_UPDATE). Returns true when the user newly joined.
pub fn put_member(app: &App, st: &mut State, guild_id: u64, user_id: u64, roles: Option<Vec<u64>>) -> ApiResult<bool> {
    if !st.world.users.contains_key(&user_id) {
        return Err(ApiError::unknown_user());
    }
    let world = &mut st.world;
    let Some(g) = world.guilds.get_mut(&guild_id) else {
        return Err(ApiError::unknown_guild());
    };
    if let Some(rs) = &roles {
        if rs.iter().any(|r| !g.roles.contains(r) || *r == guild_id) {
            return Err(ApiError::unknown_role());
        }
    }
    let joined = !g.members.contains_key(&user_id);
    let m = g.members.entry(user_id).or_insert_with(|| Member {
        user_id,
        roles: vec![],
        nick: None,
        joined_at: ids::timestamp_now(),
    });
    if let Some(rs) = roles {
        m.roles = rs;
    }
    let m = m.clone();
    let mut d = json::member(world, &m, true);
    d["guild_id"] = json::id(guild_id);
    let event = if joined { "GUILD_MEMBER_ADD" } else { "GUILD_MEMBER_UPDATE" };
    guild_event(app, st, guild_id, event, hub::GUILD_MEMBERS, d);
    Ok(joined)
}

/// A member leaves or is kicked: GUILD_MEMBER_REMOVE.
pub fn remove_member(app: &App, st: &mut State, guild_id: u64, user_id: u64) -> ApiResult<()> {
    let Some(g) = st.world.guilds.get_mut(&guild_id) else {
        return Err(ApiError::unknown_guild());
    };
    if g.members.remove(&user_id).is_none() {
        return Err(ApiError::unknown_member());
    }
    let d = json!({"guild_id": json::id(guild_id), "user": json::user_by_id(&st.world, user_id)});
    guild_event(app, st, guild_id, "GUILD_MEMBER_REMOVE", hub::GUILD_MEMBERS, d);
    Ok(())
}

/// Adds the bot with a managed role holding `permissions`, then sends
/// GUILD_CREATE to the guild's shard. Re-adding updates the role instead.
pub fn add_bot(app: &App, st: &mut State, guild_id: u64, permissions: u64) -> ApiResult<()> {
    let bot = app.bot_id();
    let Some(g) = st.world.guilds.get(&guild_id) else {
        return Err(ApiError::unknown_guild());
    };
    if let (true, Some(role)) = (g.has_member(bot), g.bot_role) {
        if let Some(r) = st.world.roles.get_mut(&role) {
            r.permissions = permissions;
            let d = json!({"guild_id": json::id(guild_id), "role": json::role(r)});
            guild_event(app, st, guild_id, "GUILD_ROLE_UPDATE", hub::GUILDS, d);
        }
        return Ok(());
    }
    let role_id = create_role(app, st, guild_id, "Ticketeer", permissions, Some(bot))?;
    if let Some(g) = st.world.guilds.get_mut(&guild_id) {
        g.bot_role = Some(role_id);
        g.members
            .insert(bot, Member { user_id: bot, roles: vec![role_id], nick: None, joined_at: ids::timestamp_now() });
    }
    let State { world, hub } = st;
    if let Some(g) = world.guilds.get(&guild_id) {
        hub.dispatch(Target::Guild(guild_id), "GUILD_CREATE", Some(hub::GUILDS), |intents| {
            json::guild_create(world, g, bot, intents & hub::GUILD_MEMBERS != 0)
        });
    }
    Ok(())
}

/// Removes the bot (and its managed role): GUILD_DELETE.
pub fn remove_bot(app: &App, st: &mut State, guild_id: u64) -> ApiResult<()> {
    let bot = app.bot_id();
    let Some(g) = st.world.guilds.get_mut(&guild_id) else {
        return Err(ApiError::unknown_guild());
    };
    if g.members.remove(&bot).is_none() {
        return Err(ApiError::unknown_member());
    }
    if let Some(role) = g.bot_role.take() {
        g.roles.retain(|r| *r != role);
        st.world.roles.remove(&role);
    }
    let d = json!({"id": json::id(guild_id), "unavailable": false});
    st.hub.dispatch(Target::Guild(guild_id), "GUILD_DELETE", Some(hub::GUILDS), |_| d.clone());
    Ok(())
}
