//! Control API: building the world — users, guilds, roles, channels,
//! memberships and adding or removing the bot.

use super::{body, need_id, sf, CtlError, CtlResult};
use crate::json;
use crate::ops;
use crate::perms::{self, parse_bits};
use crate::state::{App, User};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

/// Discord avatars are image hashes (32 hex digits, `a_` for animated);
/// anything else would break twilight's parsing, so it is dropped.
fn avatar_hash(v: Option<&str>) -> Option<String> {
    let v = v?;
    let hex = v.strip_prefix("a_").unwrap_or(v);
    (hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())).then(|| v.to_lowercase())
}

pub async fn create_user(State(app): State<App>, b: Bytes) -> CtlResult {
    let b = body(&b)?;
    let username = b.get("username").and_then(Value::as_str).unwrap_or("").trim().to_string();
    if username.is_empty() || username.chars().count() > 32 {
        return Err(CtlError::bad("username must be 1-32 characters"));
    }
    let id = app.ids.next();
    let user = User {
        id,
        username,
        global_name: b.get("global_name").and_then(Value::as_str).map(str::to_string),
        avatar: avatar_hash(b.get("avatar").and_then(Value::as_str)),
        bot: b.get("bot").and_then(Value::as_bool).unwrap_or(false),
        dms_closed: b.get("dms_closed").and_then(Value::as_bool).unwrap_or(false),
    };
    let v = json::user(&user);
    app.state.lock().world.users.insert(id, user);
    Ok(Json(v))
}

pub async fn patch_user(State(app): State<App>, Path(u): Path<String>, b: Bytes) -> CtlResult {
    let uid = sf(&u, "user id")?;
    let b = body(&b)?;
    let mut st = app.state.lock();
    let user = st.world.users.get_mut(&uid).ok_or_else(|| CtlError::not_found("unknown user"))?;
    if let Some(c) = b.get("dms_closed").and_then(Value::as_bool) {
        user.dms_closed = c;
    }
    if let Some(n) = b.get("global_name") {
        user.global_name = n.as_str().map(str::to_string);
    }
    let mut v = json::user(user);
    v["dms_closed"] = json!(user.dms_closed);
    Ok(Json(v))
}

pub async fn create_guild(State(app): State<App>, b: Bytes) -> CtlResult {
    let b = body(&b)?;
    let name = b.get("name").and_then(Value::as_str).unwrap_or("").to_string();
    if name.chars().count() < 2 || name.chars().count() > 100 {
        return Err(CtlError::bad("guild name must be 2-100 characters"));
    }
    let owner = need_id(&b, "owner_id")?;
    let mut st = app.state.lock();
    let id = ops::guilds::create(&app, &mut st, &name, owner)?;
    Ok(Json(json::guild(&st.world, &st.world.guilds[&id])))
}

pub async fn create_role(State(app): State<App>, Path(g): Path<String>, b: Bytes) -> CtlResult {
    let gid = sf(&g, "guild id")?;
    let b = body(&b)?;
    let name = b.get("name").and_then(Value::as_str).unwrap_or("new role").to_string();
    let permissions = parse_bits(b.get("permissions")).unwrap_or(0);
    let mut st = app.state.lock();
    let id = ops::guilds::create_role(&app, &mut st, gid, &name, permissions, None)?;
    if let Some(r) = st.world.roles.get_mut(&id) {
        r.color = b.get("color").and_then(Value::as_u64).unwrap_or(0) as u32;
        r.hoist = b.get("hoist").and_then(Value::as_bool).unwrap_or(false);
        r.mentionable = b.get("mentionable").and_then(Value::as_bool).unwrap_or(false);
    }
    Ok(Json(json::role(&st.world.roles[&id])))
}

/// `{name?, owner_id?}`: the owner renames the guild or transfers it.
pub async fn update_guild(State(app): State<App>, Path(g): Path<String>, b: Bytes) -> CtlResult {
    let gid = sf(&g, "guild id")?;
    let b = body(&b)?;
    let name = b.get("name").and_then(Value::as_str);
    let owner = ops::id_field(&b, "owner_id");
    let mut st = app.state.lock();
    ops::guilds::update(&app, &mut st, gid, name, owner)?;
    Ok(Json(json::guild(&st.world, &st.world.guilds[&gid])))
}

/// `{name?, permissions?}`: an admin edits a role in the client.
pub async fn update_role(State(app): State<App>, Path((g, r)): Path<(String, String)>, b: Bytes) -> CtlResult {
    let gid = sf(&g, "guild id")?;
    let rid = sf(&r, "role id")?;
    let b = body(&b)?;
    let name = b.get("name").and_then(Value::as_str);
    let permissions = parse_bits(b.get("permissions"));
    let mut st = app.state.lock();
    ops::guilds::update_role(&app, &mut st, gid, rid, name, permissions)?;
    Ok(Json(json::role(&st.world.roles[&rid])))
}

/// An admin deletes a role in the client.
pub async fn delete_role(State(app): State<App>, Path((g, r)): Path<(String, String)>) -> CtlResult {
    let gid = sf(&g, "guild id")?;
    let rid = sf(&r, "role id")?;
    let mut st = app.state.lock();
    ops::guilds::delete_role(&app, &mut st, gid, rid)?;
    Ok(Json(json!({"ok": true})))
}

/// A modify-channel body (name, parent, overwrites…) applied as a guild
/// admin would in the client: CHANNEL_UPDATE, no permission checks.
pub async fn modify_channel(State(app): State<App>, Path(c): Path<String>, b: Bytes) -> CtlResult {
    let cid = sf(&c, "channel id")?;
    let b = body(&b)?;
    let mut st = app.state.lock();
    ops::channels::modify(&app, &mut st, cid, &b)?;
    Ok(Json(json::channel(&st.world, &st.world.channels[&cid])))
}

/// Creates a channel as a guild admin would (Discord's channel limits
/// still apply; no permission checks or rate limits).
pub async fn create_channel(State(app): State<App>, Path(g): Path<String>, b: Bytes) -> CtlResult {
    let gid = sf(&g, "guild id")?;
    let b = body(&b)?;
    let mut st = app.state.lock();
    let id = ops::channels::create(&app, &mut st, gid, &b)?;
    Ok(Json(json::channel(&st.world, &st.world.channels[&id])))
}

/// `{user_id}`: who is signed in to the stand-in's "browser", so
/// `/oauth2/authorize` approves for them (`null` signs out).
pub async fn sign_in(State(app): State<App>, b: Bytes) -> CtlResult {
    let b = body(&b)?;
    let user = ops::id_field(&b, "user_id");
    let mut st = app.state.lock();
    if let Some(user) = user {
        if !st.world.users.contains_key(&user) {
            return Err(CtlError::not_found("unknown user"));
        }
    }
    st.world.oauth.signed_in = user;
    Ok(Json(json!({"ok": true})))
}

/// Someone with Manage Channels deletes a channel in the client.
pub async fn delete_channel(State(app): State<App>, Path(c): Path<String>) -> CtlResult {
    let cid = sf(&c, "channel id")?;
    let mut st = app.state.lock();
    ops::channels::delete(&app, &mut st, cid)?;
    Ok(Json(json!({"ok": true})))
}

pub async fn put_member(State(app): State<App>, Path((g, u)): Path<(String, String)>, b: Bytes) -> CtlResult {
    let gid = sf(&g, "guild id")?;
    let uid = sf(&u, "user id")?;
    let b = body(&b)?;
    let roles = match b.get("roles") {
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|r| match r {
                    Value::String(s) => crate::ids::parse(s),
                    Value::Number(n) => n.as_u64(),
                    _ => None,
                })
                .collect::<Option<Vec<u64>>>()
                .ok_or_else(|| CtlError::bad("roles must be snowflakes"))?,
        ),
        _ => None,
    };
    let mut st = app.state.lock();
    let joined = ops::guilds::put_member(&app, &mut st, gid, uid, roles)?;
    let m = &st.world.guilds[&gid].members[&uid];
    let mut v = json::member(&st.world, m, true);
    v["joined"] = json!(joined);
    Ok(Json(v))
}

pub async fn remove_member(State(app): State<App>, Path((g, u)): Path<(String, String)>) -> CtlResult {
    let gid = sf(&g, "guild id")?;
    let uid = sf(&u, "user id")?;
    let mut st = app.state.lock();
    ops::guilds::remove_member(&app, &mut st, gid, uid)?;
    Ok(Json(json!({"ok": true})))
}

pub async fn add_bot(State(app): State<App>, Path(g): Path<String>, b: Bytes) -> CtlResult {
    let gid = sf(&g, "guild id")?;
    let b = body(&b)?;
    let permissions = parse_bits(b.get("permissions")).unwrap_or(perms::BOT_DEFAULT);
    let mut st = app.state.lock();
    ops::guilds::add_bot(&app, &mut st, gid, permissions)?;
    let role = st.world.guilds[&gid].bot_role;
    Ok(Json(json!({"ok": true, "role_id": json::opt_id(role)})))
}

pub async fn remove_bot(State(app): State<App>, Path(g): Path<String>) -> CtlResult {
    let gid = sf(&g, "guild id")?;
    let mut st = app.state.lock();
    ops::guilds::remove_bot(&app, &mut st, gid)?;
    Ok(Json(json!({"ok": true})))
}

/// `{shards}`: what `GET /gateway/bot` recommends from now on, as Discord
/// raises its recommendation when a bot grows (sessions already running keep
/// their shard count, which is what a reshard changes).
pub async fn recommend_shards(State(app): State<App>, b: Bytes) -> CtlResult {
    let b = body(&b)?;
    let shards = b.get("shards").and_then(Value::as_u64).filter(|n| (1..=4096).contains(n));
    let shards = shards.ok_or_else(|| CtlError::bad("\"shards\" must be 1 to 4096"))?;
    app.state.lock().hub.recommended_shards = Some(shards as u32);
    Ok(Json(json!({"shards": shards})))
}
