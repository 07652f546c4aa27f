//! Message routes: create (JSON or multipart, nonce, allowed_mentions,
//! length limits), list with before/after/around, get, edit, delete,
//! bulk delete.

use super::{access, body_json, files, no_content, sf};
use crate::error::{ApiError, ApiResult};
use crate::gateway::hub;
use crate::json;
use crate::ops::{self, messages::NewMessage, validate};
use crate::perms;
use crate::state::{App, State as World};
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;

/// A message as REST returns it.
pub fn render(app: &App, st: &World, id: u64) -> Value {
    json::message(&st.world, &app.base_url, &st.world.messages[&id], true)
}

/// Checks the bot may post in `channel_id` (guild permissions, or for a
/// DM that the user accepts DMs and shares a guild with the bot).
pub fn check_send(app: &App, st: &World, channel_id: u64, with_files: bool) -> ApiResult<()> {
    let ch = access::channel(app, st, channel_id)?;
    match ch.guild_id {
        Some(_) => {
            let mut need = perms::SEND_MESSAGES;
            if with_files {
                need |= perms::ATTACH_FILES;
            }
            access::require(app, st, &ch, need)?;
        }
        None => {
            let user = ch.recipient.and_then(|u| st.world.users.get(&u)).ok_or_else(ApiError::cannot_dm)?;
            let bot = app.bot_id();
            let mutual = st.world.guilds.values().any(|g| g.has_member(bot) && g.has_member(user.id));
            if user.dms_closed || user.bot || !mutual {
                return Err(ApiError::cannot_dm());
            }
        }
    }
    Ok(())
}

pub async fn create(State(app): State<App>, Path(c): Path<String>, req: Request) -> ApiResult<Json<Value>> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let (body, files) = files::message_body(req).await?;
    validate::message(&body)?;
    let mut st = app.state.lock();
    check_send(&app, &st, cid, !files.is_empty())?;
    let mut m = NewMessage::from_body(cid, app.bot_id(), &body);
    m.files = files;
    if let Some(r) = &m.message_reference {
        let rid = ops::id_field(r, "message_id");
        let exists = rid.and_then(|r| st.world.messages.get(&r)).is_some_and(|o| o.channel_id == cid && !o.deleted);
        let must = r.get("fail_if_not_exists").and_then(Value::as_bool).unwrap_or(true);
        if !exists && must {
            return Err(ApiError::form("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"));
        }
        if exists {
            m.kind = 19;
        }
    }
    let id = ops::messages::create(&app, &mut st, m)?;
    Ok(Json(render(&app, &st, id)))
}

/// `GET /channels/{id}/messages`: newest first, like Discord.
pub async fn list(
    State(app): State<App>,
    Path(c): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 50,
        Some(Ok(l)) if (1..=100).contains(&l) => l,
        Some(_) => return Err(ApiError::form("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")),
    };
    let anchor = |k: &str| q.get(k).and_then(|v| v.parse::<u64>().ok());
    let st = app.state.lock();
    let ch = access::channel(&app, &st, cid)?;
    let have = access::require(&app, &st, &ch, 0)?;
    if have & perms::READ_MESSAGE_HISTORY == 0 {
        return Ok(Json(json!([])));
    }
    let ids = ops::messages::live_ids(&st, cid);
    let picked: Vec<u64> = if let Some(b) = anchor("before") {
        let older: Vec<u64> = ids.into_iter().filter(|i| *i < b).collect();
        older[older.len().saturating_sub(limit)..].to_vec()
    } else if let Some(a) = anchor("after") {
        ids.into_iter().filter(|i| *i > a).take(limit).collect()
    } else if let Some(x) = anchor("around") {
        let pos = ids.iter().position(|i| *i >= x).unwrap_or(ids.len());
        let start = pos.saturating_sub(limit / 2);
        ids[start..(start + limit).min(ids.len())].to_vec()
    } else {
        ids[ids.len().saturating_sub(limit)..].to_vec()
    };
    Ok(Json(Value::Array(picked.iter().rev().map(|i| render(&app, &st, *i)).collect())))
}

fn live_message(st: &World, cid: u64, mid: u64) -> ApiResult<()> {
    match st.world.messages.get(&mid) {
        Some(m) if m.channel_id == cid && !m.deleted && !m.ephemeral => Ok(()),
        _ => Err(ApiError::unknown_message()),
    }
}

pub async fn get_message(State(app): State<App>, Path((c, m)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let mid = sf(&m, ApiError::unknown_message)?;
    let st = app.state.lock();
    let ch = access::channel(&app, &st, cid)?;
    access::require(&app, &st, &ch, perms::READ_MESSAGE_HISTORY)?;
    live_message(&st, cid, mid)?;
    Ok(Json(render(&app, &st, mid)))
}

/// Edits one of the bot's own messages (others' → 50005).
pub async fn edit(
    State(app): State<App>,
    Path((c, m)): Path<(String, String)>,
    req: Request,
) -> ApiResult<Json<Value>> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let mid = sf(&m, ApiError::unknown_message)?;
    let (body, _files) = files::message_body(req).await?;
    validate::message(&body)?;
    let mut st = app.state.lock();
    let ch = access::channel(&app, &st, cid)?;
    access::require(&app, &st, &ch, 0)?;
    live_message(&st, cid, mid)?;
    if st.world.messages[&mid].author_id != app.bot_id() {
        return Err(ApiError::cannot_edit_others());
    }
    ops::messages::edit(&app, &mut st, mid, &body)?;
    Ok(Json(render(&app, &st, mid)))
}

/// Deletes a message: own freely, others' with MANAGE_MESSAGES (guilds only).
pub async fn delete_message(State(app): State<App>, Path((c, m)): Path<(String, String)>) -> ApiResult<Response> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let mid = sf(&m, ApiError::unknown_message)?;
    let mut st = app.state.lock();
    let ch = access::channel(&app, &st, cid)?;
    access::require(&app, &st, &ch, 0)?;
    live_message(&st, cid, mid)?;
    if st.world.messages[&mid].author_id != app.bot_id() {
        if ch.guild_id.is_none() {
            return Err(ApiError::new(StatusCode::FORBIDDEN, 50003, "Cannot execute action on a DM channel"));
        }
        access::require(&app, &st, &ch, perms::MANAGE_MESSAGES)?;
    }
    ops::messages::delete(&app, &mut st, mid)?;
    Ok(no_content())
}

/// `POST /channels/{id}/messages/bulk-delete {"messages":[…]}` (2–100).
pub async fn bulk_delete(State(app): State<App>, Path(c): Path<String>, body: Bytes) -> ApiResult<Response> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let body = body_json(&body)?;
    let ids: Vec<u64> = body
        .get("messages")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().and_then(crate::ids::parse)).collect())
        .unwrap_or_default();
    if !(2..=100).contains(&ids.len()) {
        return Err(ApiError::form("messages", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length."));
    }
    let mut st = app.state.lock();
    let ch = access::channel(&app, &st, cid)?;
    let Some(gid) = ch.guild_id else {
        return Err(ApiError::new(StatusCode::FORBIDDEN, 50003, "Cannot execute action on a DM channel"));
    };
    access::require(&app, &st, &ch, perms::MANAGE_MESSAGES)?;
    let mut deleted = Vec::new();
    for id in ids {
        if let Some(m) = st.world.messages.get_mut(&id).filter(|m| m.channel_id == cid && !m.deleted) {
            m.deleted = true;
            deleted.push(id);
        }
    }
    let d = json!({"ids": json::ids(&deleted), "channel_id": json::id(cid), "guild_id": json::id(gid)});
    ops::guild_event(&app, &mut st, gid, "MESSAGE_DELETE_BULK", hub::GUILD_MESSAGES, d);
    Ok(no_content())
}
