//! Discord's permission bits and its permission computation.
//!
//! Base permissions come from @everyone plus the member's roles (owner and
//! ADMINISTRATOR get everything); channel overwrites are then applied in
//! Discord's order: @everyone, then all role overwrites together, then the
//! member's own overwrite.

use crate::state::{Channel, World};

pub const CREATE_INSTANT_INVITE: u64 = 1 << 0;
pub const KICK_MEMBERS: u64 = 1 << 1;
pub const ADMINISTRATOR: u64 = 1 << 3;
pub const MANAGE_CHANNELS: u64 = 1 << 4;
pub const ADD_REACTIONS: u64 = 1 << 6;
pub const VIEW_CHANNEL: u64 = 1 << 10;
pub const SEND_MESSAGES: u64 = 1 << 11;
pub const MANAGE_MESSAGES: u64 = 1 << 13;
pub const EMBED_LINKS: u64 = 1 << 14;
pub const ATTACH_FILES: u64 = 1 << 15;
pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
pub const MENTION_EVERYONE: u64 = 1 << 17;
pub const USE_EXTERNAL_EMOJIS: u64 = 1 << 18;
pub const CONNECT: u64 = 1 << 20;
pub const SPEAK: u64 = 1 << 21;
pub const CHANGE_NICKNAME: u64 = 1 << 26;
pub const MANAGE_ROLES: u64 = 1 << 28;
pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;
/// Every permission bit Discord currently defines.
pub const ALL: u64 = (1 << 51) - 1;

/// What @everyone gets in a new guild (roughly Discord's defaults).
pub const EVERYONE_DEFAULT: u64 = CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS;

/// What the bot's managed role gets unless the control API says otherwise.
pub const BOT_DEFAULT: u64 = VIEW_CHANNEL
    | SEND_MESSAGES
    | MANAGE_CHANNELS
    | MANAGE_ROLES
    | MANAGE_MESSAGES
    | READ_MESSAGE_HISTORY
    | ATTACH_FILES
    | EMBED_LINKS
    | ADD_REACTIONS;

/// Guild-level permissions of `user_id` in `guild_id` (0 if not a member).
pub fn base(world: &World, guild_id: u64, user_id: u64) -> u64 {
    let Some(guild) = world.guilds.get(&guild_id) else {
        return 0;
    };
    if guild.owner_id == user_id {
        return ALL;
    }
    let Some(member) = guild.members.get(&user_id) else {
        return 0;
    };
    let mut perms = world.roles.get(&guild_id).map_or(0, |r| r.permissions);
    for role_id in &member.roles {
        if let Some(role) = world.roles.get(role_id) {
            perms |= role.permissions;
        }
    }
    if perms & ADMINISTRATOR != 0 {
        return ALL;
    }
    perms
}

/// Permissions of `user_id` in a guild channel, after overwrites. DM
/// channels grant the usual messaging permissions to their participants.
pub fn in_channel(world: &World, channel: &Channel, user_id: u64) -> u64 {
    let Some(guild_id) = channel.guild_id else {
        return VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | ATTACH_FILES | EMBED_LINKS;
    };
    let base = base(world, guild_id, user_id);
    if base & ADMINISTRATOR != 0 || base == ALL {
        return ALL;
    }
    apply_overwrites(world, channel, guild_id, user_id, base)
}

fn apply_overwrites(world: &World, channel: &Channel, guild_id: u64, user_id: u64, base: u64) -> u64 {
    let mut perms = base;
    if let Some(ow) = channel.overwrites.iter().find(|o| o.id == guild_id) {
        perms &= !ow.deny;
        perms |= ow.allow;
    }
    let roles =
        world.guilds.get(&guild_id).and_then(|g| g.members.get(&user_id)).map(|m| m.roles.clone()).unwrap_or_default();
    let (mut allow, mut deny) = (0, 0);
    for ow in channel.overwrites.iter().filter(|o| o.kind == 0 && roles.contains(&o.id)) {
        allow |= ow.allow;
        deny |= ow.deny;
    }
    perms &= !deny;
    perms |= allow;
    if let Some(ow) = channel.overwrites.iter().find(|o| o.kind == 1 && o.id == user_id) {
        perms &= !ow.deny;
        perms |= ow.allow;
    }
    // Without VIEW_CHANNEL nothing else in the channel is usable.
    if perms & VIEW_CHANNEL == 0 {
        return 0;
    }
    perms
}

/// Parses a permission string (`"2048"`) or number from JSON.
pub fn parse_bits(v: Option<&serde_json::Value>) -> Option<u64> {
    match v? {
        serde_json::Value::String(s) => s.parse().ok(),
        serde_json::Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Guild, Member, Overwrite, Role};

    fn world() -> (World, Channel) {
        let mut w = World::default();
        let (guild, staff, user, owner) = (10, 11, 20, 30);
        let role = |id, permissions| Role {
            id,
            guild_id: guild,
            name: String::new(),
            permissions,
            position: 0,
            color: 0,
            hoist: false,
            managed: false,
            mentionable: false,
            bot_id: None,
        };
        w.roles.insert(guild, role(guild, EVERYONE_DEFAULT));
        w.roles.insert(staff, role(staff, MANAGE_MESSAGES));
        let member = |user_id, roles| Member { user_id, roles, nick: None, joined_at: String::new() };
        let mut g = Guild {
            id: guild,
            name: "g".into(),
            owner_id: owner,
            roles: vec![guild, staff],
            members: Default::default(),
            channels: vec![],
            bot_role: None,
        };
        g.members.insert(user, member(user, vec![]));
        g.members.insert(21, member(21, vec![staff]));
        w.guilds.insert(guild, g);
        let channel = Channel {
            id: 50,
            kind: 0,
            guild_id: Some(guild),
            name: Some("ticket".into()),
            topic: None,
            parent_id: None,
            position: 0,
            nsfw: false,
            rate_limit_per_user: 0,
            overwrites: vec![
                Overwrite { id: guild, kind: 0, allow: 0, deny: VIEW_CHANNEL },
                Overwrite { id: staff, kind: 0, allow: VIEW_CHANNEL, deny: 0 },
            ],
            recipient: None,
            last_message_id: None,
            last_pin_timestamp: None,
        };
        (w, channel)
    }

    #[test]
    fn everyone_denied_view_hides_the_channel_but_a_role_overwrite_reopens_it() {
        let (w, c) = world();
        assert_eq!(in_channel(&w, &c, 20), 0);
        let staff = in_channel(&w, &c, 21);
        assert!(staff & VIEW_CHANNEL != 0 && staff & MANAGE_MESSAGES != 0);
    }

    #[test]
    fn a_member_overwrite_beats_role_overwrites_and_the_owner_gets_everything() {
        let (w, mut c) = world();
        c.overwrites.push(Overwrite { id: 21, kind: 1, allow: 0, deny: VIEW_CHANNEL });
        assert_eq!(in_channel(&w, &c, 21), 0);
        assert_eq!(in_channel(&w, &c, 30), ALL);
        assert_eq!(base(&w, 10, 999), 0);
    }
}
