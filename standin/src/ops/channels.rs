//! Creating, modifying and deleting guild channels and their permission
//! overwrites (with Discord's 500-per-guild and 50-per-category limits),
//! and finding or opening the bot's DM channel with a user.

use crate::error::{ApiError, ApiResult};
use crate::gateway::hub;
use crate::json;
use crate::ops::{guild_event, id_field};
use crate::perms::parse_bits;
use crate::state::{App, Channel, Overwrite, State};
use serde_json::Value;

pub const MAX_GUILD_CHANNELS: usize = 500;
pub const MAX_CATEGORY_CHILDREN: usize = 50;

/// Parses `permission_overwrites` (type as 0/1 or "role"/"member").
pub fn parse_overwrites(v: Option<&Value>) -> ApiResult<Vec<Overwrite>> {
    let Some(list) = v.and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    list.iter()
        .enumerate()
        .map(|(i, o)| {
            let id = id_field(o, "id").ok_or_else(|| {
                ApiError::form(
                    &format!("permission_overwrites.{i}.id"),
                    "NUMBER_TYPE_COERCE",
                    "Value is not snowflake.",
                )
            })?;
            Ok(Overwrite {
                id,
                kind: overwrite_kind(o.get("type")),
                allow: parse_bits(o.get("allow")).unwrap_or(0),
                deny: parse_bits(o.get("deny")).unwrap_or(0),
            })
        })
        .collect()
}

pub fn overwrite_kind(v: Option<&Value>) -> u8 {
    match v {
        Some(Value::String(s)) if s == "member" || s == "1" => 1,
        Some(Value::Number(n)) if n.as_u64() == Some(1) => 1,
        _ => 0,
    }
}

/// Discord lowercases text channel names and turns spaces into dashes.
fn normalize_name(kind: u8, name: &str) -> String {
    if matches!(kind, 0 | 5) {
        name.trim().to_lowercase().split_whitespace().collect::<Vec<_>>().join("-")
    } else {
        name.trim().to_string()
    }
}

fn check_name(name: Option<&str>) -> ApiResult<()> {
    match name.map(|n| n.chars().count()) {
        None | Some(0) => Err(ApiError::form("name", "BASE_TYPE_REQUIRED", "This field is required")),
        Some(n) if n > 100 => {
            Err(ApiError::form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
        }
        _ => Ok(()),
    }
}

/// Checks that `parent` can take one more child in `guild_id`.
fn check_parent(st: &State, guild_id: u64, parent: u64, kind: u8) -> ApiResult<()> {
    let ok = st.world.channels.get(&parent).is_some_and(|p| p.kind == 4 && p.guild_id == Some(guild_id));
    if !ok || kind == 4 {
        return Err(ApiError::form("parent_id", "CHANNEL_PARENT_INVALID_TYPE", "Not a category"));
    }
    if st.world.children_of(guild_id, parent) >= MAX_CATEGORY_CHILDREN {
        return Err(ApiError::form(
            "parent_id",
            "CHANNEL_PARENT_MAX_CHANNELS",
            "Maximum number of channels in category reached (50)",
        ));
    }
    Ok(())
}

/// Creates a guild channel from a Discord create-channel body.
pub fn create(app: &App, st: &mut State, guild_id: u64, body: &Value) -> ApiResult<u64> {
    let Some(guild) = st.world.guilds.get(&guild_id) else {
        return Err(ApiError::unknown_guild());
    };
    let count = guild.channels.len();
    let name = body.get("name").and_then(Value::as_str);
    check_name(name)?;
    let kind = body.get("type").and_then(Value::as_u64).unwrap_or(0) as u8;
    if !matches!(kind, 0 | 2 | 4 | 5 | 13 | 15) {
        return Err(ApiError::form("type", "BASE_TYPE_CHOICES", "Value must be one of (0, 2, 4, 5, 13, 15)."));
    }
    if count >= MAX_GUILD_CHANNELS {
        return Err(ApiError::max_guild_channels());
    }
    let parent_id = id_field(body, "parent_id");
    if let Some(p) = parent_id {
        check_parent(st, guild_id, p, kind)?;
    }
    let mut overwrites = parse_overwrites(body.get("permission_overwrites"))?;
    // Without explicit overwrites a channel starts synced to its category.
    if body.get("permission_overwrites").is_none() {
        if let Some(parent) = parent_id.and_then(|p| st.world.channels.get(&p)) {
            overwrites = parent.overwrites.clone();
        }
    }
    let id = app.ids.next();
    let channel = Channel {
        id,
        kind,
        guild_id: Some(guild_id),
        name: Some(normalize_name(kind, name.unwrap_or_default())),
        topic: body.get("topic").and_then(Value::as_str).map(str::to_string),
        parent_id,
        position: body.get("position").and_then(Value::as_i64).unwrap_or(count as i64),
        nsfw: body.get("nsfw").and_then(Value::as_bool).unwrap_or(false),
        rate_limit_per_user: body.get("rate_limit_per_user").and_then(Value::as_u64).unwrap_or(0),
        overwrites,
        recipient: None,
        last_message_id: None,
        last_pin_timestamp: None,
    };
    let d = json::channel(&st.world, &channel);
    st.world.channels.insert(id, channel);
    if let Some(g) = st.world.guilds.get_mut(&guild_id) {
        g.channels.push(id);
    }
    guild_event(app, st, guild_id, "CHANNEL_CREATE", hub::GUILDS, d);
    Ok(id)
}

/// Applies a modify-channel body and dispatches CHANNEL_UPDATE.
pub fn modify(app: &App, st: &mut State, id: u64, body: &Value) -> ApiResult<()> {
    let Some(c) = st.world.channels.get(&id).cloned() else {
        return Err(ApiError::unknown_channel());
    };
    let Some(guild_id) = c.guild_id else {
        return Err(ApiError::new(axum::http::StatusCode::BAD_REQUEST, 50003, "Cannot execute action on a DM channel"));
    };
    let mut c = c;
    if body.get("name").is_some() {
        let name = body.get("name").and_then(Value::as_str);
        check_name(name)?;
        c.name = Some(normalize_name(c.kind, name.unwrap_or_default()));
    }
    if let Some(t) = body.get("topic") {
        c.topic = t.as_str().map(str::to_string);
    }
    if let Some(p) = body.get("parent_id") {
        let new_parent = p.as_str().and_then(crate::ids::parse).or_else(|| p.as_u64());
        if new_parent.is_some() && new_parent != c.parent_id {
            check_parent(st, guild_id, new_parent.unwrap_or_default(), c.kind)?;
        }
        c.parent_id = new_parent;
        if body.get("lock_permissions").and_then(Value::as_bool) == Some(true) {
            if let Some(parent) = new_parent.and_then(|p| st.world.channels.get(&p)) {
                c.overwrites = parent.overwrites.clone();
            }
        }
    }
    if let Some(p) = body.get("position").and_then(Value::as_i64) {
        c.position = p;
    }
    if let Some(n) = body.get("nsfw").and_then(Value::as_bool) {
        c.nsfw = n;
    }
    if let Some(r) = body.get("rate_limit_per_user").and_then(Value::as_u64) {
        c.rate_limit_per_user = r;
    }
    if body.get("permission_overwrites").is_some() {
        c.overwrites = parse_overwrites(body.get("permission_overwrites"))?;
    }
    let d = json::channel(&st.world, &c);
    st.world.channels.insert(id, c);
    guild_event(app, st, guild_id, "CHANNEL_UPDATE", hub::GUILDS, d);
    Ok(())
}

/// Deletes a guild channel (children of a deleted category lose their
/// parent, as on Discord) and dispatches CHANNEL_DELETE.
pub fn delete(app: &App, st: &mut State, id: u64) -> ApiResult<Value> {
    let Some(c) = st.world.channels.get(&id).cloned() else {
        return Err(ApiError::unknown_channel());
    };
    let Some(guild_id) = c.guild_id else {
        // Closing a DM just answers with the channel.
        return Ok(json::channel(&st.world, &c));
    };
    let d = json::channel(&st.world, &c);
    st.world.channels.remove(&id);
    if let Some(g) = st.world.guilds.get_mut(&guild_id) {
        g.channels.retain(|x| *x != id);
    }
    guild_event(app, st, guild_id, "CHANNEL_DELETE", hub::GUILDS, d.clone());
    let orphans: Vec<u64> = st.world.channels.values().filter(|ch| ch.parent_id == Some(id)).map(|ch| ch.id).collect();
    for o in orphans {
        if let Some(ch) = st.world.channels.get_mut(&o) {
            ch.parent_id = None;
            let u = json::channel(&st.world, &st.world.channels[&o]);
            guild_event(app, st, guild_id, "CHANNEL_UPDATE", hub::GUILDS, u);
        }
    }
    Ok(d)
}

/// Adds or replaces one overwrite; `None` removes it.
pub fn set_overwrite(app: &App, st: &mut State, id: u64, ow_id: u64, ow: Option<Overwrite>) -> ApiResult<()> {
    let Some(c) = st.world.channels.get_mut(&id) else {
        return Err(ApiError::unknown_channel());
    };
    let Some(guild_id) = c.guild_id else {
        return Err(ApiError::unknown_channel());
    };
    let existed = c.overwrites.iter().any(|o| o.id == ow_id);
    c.overwrites.retain(|o| o.id != ow_id);
    match ow {
        Some(o) => c.overwrites.push(o),
        // Deleting a missing overwrite is a no-op on Discord.
        None if !existed => return Ok(()),
        None => {}
    }
    let d = json::channel(&st.world, &st.world.channels[&id]);
    guild_event(app, st, guild_id, "CHANNEL_UPDATE", hub::GUILDS, d);
    Ok(())
}

/// The bot's DM channel with `user_id`, opened on first use.
pub fn dm_channel(app: &App, st: &mut State, user_id: u64) -> u64 {
    if let Some(c) = st.world.dm_channels.get(&user_id) {
        return *c;
    }
    let id = app.ids.next();
    st.world.channels.insert(
        id,
        Channel {
            id,
            kind: 1,
            guild_id: None,
            name: None,
            topic: None,
            parent_id: None,
            position: 0,
            nsfw: false,
            rate_limit_per_user: 0,
            overwrites: Vec::new(),
            recipient: Some(user_id),
            last_message_id: None,
            last_pin_timestamp: None,
        },
    );
    st.world.dm_channels.insert(user_id, id);
    id
}
