//! Discord JSON shapes for the model: what REST returns and what gateway
//! events carry. Every shape includes the fields twilight-model 0.18
//! requires (see discord-facts.md), ids as strings, permissions as strings.

use crate::state::{Channel, Guild, Member, Message, Role, User, World};
use serde_json::{json, Value};

pub fn id(v: u64) -> Value {
    Value::String(v.to_string())
}

pub fn opt_id(v: Option<u64>) -> Value {
    v.map_or(Value::Null, id)
}

pub fn ids(v: &[u64]) -> Value {
    Value::Array(v.iter().map(|i| id(*i)).collect())
}

pub fn user(u: &User) -> Value {
    json!({
        "id": id(u.id),
        "username": u.username,
        "global_name": u.global_name,
        "avatar": u.avatar,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "bot": u.bot,
        "banner": null,
        "accent_color": null,
        "avatar_decoration_data": null,
    })
}

/// A user by id; unknown ids render as a deleted user rather than failing.
pub fn user_by_id(world: &World, user_id: u64) -> Value {
    match world.users.get(&user_id) {
        Some(u) => user(u),
        None => {
            json!({"id": id(user_id), "username": "Deleted User", "discriminator": "0", "global_name": null, "avatar": null})
        }
    }
}

pub fn role(r: &Role) -> Value {
    let mut tags = json!({});
    if let Some(bot) = r.bot_id {
        tags = json!({ "bot_id": id(bot) });
    }
    json!({
        "id": id(r.id),
        "name": r.name,
        "color": r.color,
        "colors": { "primary_color": r.color, "secondary_color": null, "tertiary_color": null },
        "hoist": r.hoist,
        "icon": null,
        "unicode_emoji": null,
        "position": r.position,
        "permissions": r.permissions.to_string(),
        "managed": r.managed,
        "mentionable": r.mentionable,
        "flags": 0,
        "tags": tags,
    })
}

/// A guild member; `with_user` is false for the partial member on messages.
pub fn member(world: &World, m: &Member, with_user: bool) -> Value {
    let mut v = json!({
        "roles": ids(&m.roles),
        "nick": m.nick,
        "avatar": null,
        "banner": null,
        "joined_at": m.joined_at,
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "communication_disabled_until": null,
    });
    if with_user {
        v["user"] = user_by_id(world, m.user_id);
    }
    v
}

pub fn channel(world: &World, c: &Channel) -> Value {
    if c.kind == 1 {
        let recipients: Vec<Value> = c.recipient.iter().map(|u| user_by_id(world, *u)).collect();
        return json!({
            "id": id(c.id),
            "type": 1,
            "flags": 0,
            "last_message_id": opt_id(c.last_message_id),
            "recipients": recipients,
        });
    }
    let overwrites: Vec<Value> = c
        .overwrites
        .iter()
        .map(|o| json!({"id": id(o.id), "type": o.kind, "allow": o.allow.to_string(), "deny": o.deny.to_string()}))
        .collect();
    let mut v = json!({
        "id": id(c.id),
        "type": c.kind,
        "guild_id": opt_id(c.guild_id),
        "name": c.name,
        "position": c.position,
        "parent_id": opt_id(c.parent_id),
        "permission_overwrites": overwrites,
        "flags": 0,
        "nsfw": c.nsfw,
    });
    if c.kind != 4 {
        v["topic"] = json!(c.topic);
        v["last_message_id"] = opt_id(c.last_message_id);
        v["rate_limit_per_user"] = json!(c.rate_limit_per_user);
        v["last_pin_timestamp"] = json!(c.last_pin_timestamp);
    }
    v
}

/// The guild object of `GET /guilds/{id}` (no channels or members).
pub fn guild(world: &World, g: &Guild) -> Value {
    let roles: Vec<Value> = g.roles.iter().filter_map(|r| world.roles.get(r)).map(role).collect();
    json!({
        "id": id(g.id),
        "name": g.name,
        "icon": null,
        "icon_hash": null,
        "splash": null,
        "discovery_splash": null,
        "owner_id": id(g.owner_id),
        "afk_channel_id": null,
        "afk_timeout": 300,
        "widget_enabled": false,
        "widget_channel_id": null,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": roles,
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": null,
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "public_updates_channel_id": null,
        "safety_alerts_channel_id": null,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "max_members": 500000,
        "max_video_channel_users": 25,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": false,
        "approximate_member_count": g.members.len(),
        "approximate_presence_count": 0,
    })
}

/// The full GUILD_CREATE payload; members only with GUILD_MEMBERS, except
/// the bot's own member which Discord always includes.
pub fn guild_create(world: &World, g: &Guild, bot_id: u64, with_members: bool) -> Value {
    let mut v = guild(world, g);
    let channels: Vec<Value> =
        g.channels.iter().filter_map(|c| world.channels.get(c)).map(|c| channel(world, c)).collect();
    let members: Vec<Value> =
        g.members.values().filter(|m| with_members || m.user_id == bot_id).map(|m| member(world, m, true)).collect();
    let joined = g.members.get(&bot_id).map(|m| m.joined_at.clone());
    v["channels"] = json!(channels);
    v["threads"] = json!([]);
    v["members"] = json!(members);
    v["member_count"] = json!(g.members.len());
    v["large"] = json!(g.members.len() > 250);
    v["joined_at"] = json!(joined);
    v["unavailable"] = json!(false);
    v["lazy"] = json!(true);
    v["voice_states"] = json!([]);
    v["presences"] = json!([]);
    v["stage_instances"] = json!([]);
    v["guild_scheduled_events"] = json!([]);
    v["soundboard_sounds"] = json!([]);
    v["embedded_activities"] = json!([]);
    v
}

/// A message. `full` is false when a session lacks MESSAGE_CONTENT and the
/// message is a guild message that does not mention the bot.
pub fn message(world: &World, base_url: &str, m: &Message, full: bool) -> Value {
    let mentions: Vec<Value> = m.mentions.iter().map(|u| user_by_id(world, *u)).collect();
    let attachments: Vec<Value> = m
        .attachments
        .iter()
        .map(|a| {
            let url = format!("{base_url}/attachments/{}/{}/{}", m.channel_id, a.id, a.filename);
            json!({
                "id": id(a.id),
                "filename": a.filename,
                "description": a.description,
                "content_type": a.content_type,
                "size": a.size,
                "url": url,
                "proxy_url": url,
            })
        })
        .collect();
    let reactions: Vec<Value> = m
        .reactions
        .iter()
        .filter(|r| !r.users.is_empty())
        .map(|r| {
            json!({
                "count": r.users.len(),
                "count_details": {"burst": 0, "normal": r.users.len()},
                "me": r.users.contains(&world.bot_id),
                "me_burst": false,
                "burst_colors": [],
                "emoji": emoji_json(&r.emoji),
            })
        })
        .collect();
    let mut author = user_by_id(world, m.author_id);
    if let Some(w) = m.webhook_id {
        author["id"] = id(w);
    }
    let mut v = json!({
        "id": id(m.id),
        "channel_id": id(m.channel_id),
        "author": author,
        "content": if full { m.content.as_str() } else { "" },
        "timestamp": m.timestamp,
        "edited_timestamp": m.edited_timestamp,
        "tts": m.tts,
        "mention_everyone": m.mention_everyone,
        "mentions": mentions,
        "mention_roles": ids(&m.mention_roles),
        "attachments": if full { attachments } else { vec![] },
        "embeds": if full { m.embeds.clone() } else { vec![] },
        "components": if full { m.components.clone() } else { vec![] },
        "reactions": reactions,
        "pinned": m.pinned,
        "type": m.kind,
        "flags": m.flags,
    });
    if let Some(n) = &m.nonce {
        v["nonce"] = n.clone();
    }
    if let Some(w) = m.webhook_id {
        v["webhook_id"] = id(w);
        v["application_id"] = id(w);
    }
    if let Some(r) = &m.message_reference {
        v["message_reference"] = r.clone();
    }
    if let Some(iid) = m.interaction_id {
        if let Some(i) = world.interactions.get(&iid) {
            v["interaction_metadata"] = json!({
                "id": id(i.id),
                "type": i.kind,
                "user": user_by_id(world, i.user_id),
                "authorizing_integration_owners": {},
            });
        }
    }
    v
}

/// A reaction emoji: unicode (`👍`) or custom (`name:id`).
pub fn emoji_json(e: &str) -> Value {
    match e.split_once(':') {
        Some((name, eid)) => json!({"id": eid, "name": name}),
        None => json!({"id": null, "name": e}),
    }
}
