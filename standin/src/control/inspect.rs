//! Control API: looking at what happened — channels with their
//! overwrites, every message (edits and deletions included), pins,
//! interactions and their responses, the REST request log and gateway
//! sessions.

use super::{sf, CtlError, CtlResult};
use crate::json;
use crate::state::{App, State as World};
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A message for inspection: full content plus deletion, edit history and
/// ephemeral flags.
pub fn inspect_message(app: &App, st: &World, id: u64) -> Value {
    let m = &st.world.messages[&id];
    let mut v = json::message(&st.world, &app.base_url, m, true);
    if let Some(g) = m.guild_id {
        v["guild_id"] = json::id(g);
    }
    v["deleted"] = json!(m.deleted);
    v["ephemeral"] = json!(m.ephemeral);
    v["history"] = json!(m.history);
    if let Some(i) = m.interaction_id {
        v["interaction_id"] = json::id(i);
    }
    v
}

pub async fn guild(State(app): State<App>, Path(g): Path<String>) -> CtlResult {
    let gid = sf(&g, "guild id")?;
    let st = app.state.lock();
    let guild = st.world.guilds.get(&gid).ok_or_else(|| CtlError::not_found("unknown guild"))?;
    let mut v = json::guild_create(&st.world, guild, app.bot_id(), true);
    v["bot_present"] = json!(guild.has_member(app.bot_id()));
    Ok(Json(v))
}

pub async fn guild_channels(State(app): State<App>, Path(g): Path<String>) -> CtlResult {
    let gid = sf(&g, "guild id")?;
    let st = app.state.lock();
    let guild = st.world.guilds.get(&gid).ok_or_else(|| CtlError::not_found("unknown guild"))?;
    let list: Vec<Value> =
        guild.channels.iter().filter_map(|c| st.world.channels.get(c)).map(|c| json::channel(&st.world, c)).collect();
    Ok(Json(Value::Array(list)))
}

pub async fn channel(State(app): State<App>, Path(c): Path<String>) -> CtlResult {
    let cid = sf(&c, "channel id")?;
    let st = app.state.lock();
    let ch = st.world.channels.get(&cid).ok_or_else(|| CtlError::not_found("unknown channel"))?;
    Ok(Json(json::channel(&st.world, ch)))
}

fn all_messages(app: &App, st: &World, cid: u64) -> Value {
    let ids = st.world.channel_messages.get(&cid).cloned().unwrap_or_default();
    Value::Array(ids.iter().map(|i| inspect_message(app, st, *i)).collect())
}

/// Every message of a channel, oldest first, deleted ones flagged.
pub async fn channel_messages(State(app): State<App>, Path(c): Path<String>) -> CtlResult {
    let cid = sf(&c, "channel id")?;
    let st = app.state.lock();
    // A deleted channel's messages stay readable (transcripts, tests).
    if !st.world.channels.contains_key(&cid) && !st.world.channel_messages.contains_key(&cid) {
        return Err(CtlError::not_found("unknown channel"));
    }
    Ok(Json(all_messages(&app, &st, cid)))
}

/// The user's DM channel with the bot, oldest first (empty if none yet).
pub async fn dm_messages(State(app): State<App>, Path(u): Path<String>) -> CtlResult {
    let uid = sf(&u, "user id")?;
    let st = app.state.lock();
    match st.world.dm_channels.get(&uid) {
        Some(cid) => Ok(Json(all_messages(&app, &st, *cid))),
        None => Ok(Json(json!([]))),
    }
}

pub async fn pins(State(app): State<App>, Path(c): Path<String>) -> CtlResult {
    let cid = sf(&c, "channel id")?;
    let st = app.state.lock();
    let ids = crate::ops::messages::live_ids(&st, cid);
    let list: Vec<Value> =
        ids.iter().filter(|i| st.world.messages[i].pinned).map(|i| inspect_message(&app, &st, *i)).collect();
    Ok(Json(Value::Array(list)))
}

pub async fn commands(State(app): State<App>) -> CtlResult {
    let st = app.state.lock();
    let list: Vec<Value> = st
        .world
        .commands
        .values()
        .map(|c| json!({"id": json::id(c.id), "name": c.name, "type": c.kind, "guild_id": json::opt_id(c.guild_id), "data": c.data}))
        .collect();
    Ok(Json(Value::Array(list)))
}

/// An interaction's callbacks, follow-ups and original response.
pub async fn interaction(State(app): State<App>, Path(i): Path<String>) -> CtlResult {
    let iid = sf(&i, "interaction id")?;
    let st = app.state.lock();
    let it = st.world.interactions.get(&iid).ok_or_else(|| CtlError::not_found("unknown interaction"))?;
    let followups: Vec<Value> = it.followups.iter().map(|m| inspect_message(&app, &st, *m)).collect();
    let original = it.original_id.map_or(Value::Null, |m| inspect_message(&app, &st, m));
    Ok(Json(json!({
        "id": json::id(it.id),
        "type": it.kind,
        "user_id": json::id(it.user_id),
        "channel_id": json::id(it.channel_id),
        "guild_id": json::opt_id(it.guild_id),
        "acknowledged": it.acknowledged,
        "callbacks": it.callbacks,
        "followups": followups,
        "original": original,
    })))
}

pub async fn requests(State(app): State<App>) -> CtlResult {
    let log = app.log.lock();
    Ok(Json(json!(*log)))
}

pub async fn request_counts(State(app): State<App>) -> CtlResult {
    let log = app.log.lock();
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for r in log.iter() {
        *counts.entry(r.route.as_str()).or_default() += 1;
    }
    Ok(Json(json!(counts)))
}

/// The attachment download log (`{method, route, path, status, at}`).
pub async fn downloads(State(app): State<App>) -> CtlResult {
    let log = app.downloads.lock();
    Ok(Json(json!(*log)))
}

pub async fn clear_requests(State(app): State<App>) -> CtlResult {
    app.log.lock().clear();
    Ok(Json(json!({"ok": true})))
}

/// Live (connected) gateway sessions.
pub async fn sessions(State(app): State<App>) -> CtlResult {
    let st = app.state.lock();
    let mut list: Vec<Value> = st
        .hub
        .sessions
        .values()
        .filter(|s| s.live())
        .map(|s| {
            json!({
                "session_id": s.id,
                "shard": s.shard,
                "shard_count": s.total,
                "intents": s.intents,
                "identified_at": s.identified_at,
                "seq": s.seq,
            })
        })
        .collect();
    list.sort_by_key(|v| v["shard"].as_u64());
    Ok(Json(Value::Array(list)))
}

pub async fn stats(State(app): State<App>) -> CtlResult {
    let st = app.state.lock();
    Ok(Json(json!({
        "identifies": st.hub.identifies,
        "identifies_over_budget": st.hub.identifies_over_budget,
        "token_reset": st.hub.token_reset,
        "resumes": st.hub.resumes,
        "identify_violations": st.hub.identify_violations,
        "live_sessions": st.hub.sessions.values().filter(|s| s.live()).count(),
        "full_member_requests": st.hub.full_member_requests.iter()
            .map(|(guild, n)| (guild.to_string(), json!(n)))
            .collect::<serde_json::Map<String, Value>>(),
        "member_requests_rate_limited": st.hub.member_requests_rate_limited,
    })))
}
