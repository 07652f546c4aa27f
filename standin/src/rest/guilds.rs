//! Guild routes: the guild, its channels (list and create), roles,
//! members (get, list, kick).

use super::{access, body_json, no_content, sf};
use crate::error::{ApiError, ApiResult};
use crate::json;
use crate::ops;
use crate::perms;
use crate::state::App;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use std::collections::HashMap;

pub async fn get_guild(State(app): State<App>, Path(g): Path<String>) -> ApiResult<Json<Value>> {
    let gid = sf(&g, ApiError::unknown_guild)?;
    let st = app.state.lock();
    access::guild(&app, &st, gid)?;
    Ok(Json(json::guild(&st.world, &st.world.guilds[&gid])))
}

pub async fn channels(State(app): State<App>, Path(g): Path<String>) -> ApiResult<Json<Value>> {
    let gid = sf(&g, ApiError::unknown_guild)?;
    let st = app.state.lock();
    access::guild(&app, &st, gid)?;
    let list = st.world.guilds[&gid]
        .channels
        .iter()
        .filter_map(|c| st.world.channels.get(c))
        .map(|c| json::channel(&st.world, c))
        .collect();
    Ok(Json(Value::Array(list)))
}

/// `POST /guilds/{id}/channels`: needs MANAGE_CHANNELS (and MANAGE_ROLES
/// plus the granted bits for overwrites); 500 per guild, 50 per category.
pub async fn create_channel(State(app): State<App>, Path(g): Path<String>, body: Bytes) -> ApiResult<Response> {
    let gid = sf(&g, ApiError::unknown_guild)?;
    let body = body_json(&body)?;
    let mut st = app.state.lock();
    let have = access::require_guild(&app, &st, gid, perms::MANAGE_CHANNELS)?;
    let overwrites = ops::channels::parse_overwrites(body.get("permission_overwrites"))?;
    access::check_grantable(have, &overwrites)?;
    let id = ops::channels::create(&app, &mut st, gid, &body)?;
    let v = json::channel(&st.world, &st.world.channels[&id]);
    Ok((axum::http::StatusCode::CREATED, Json(v)).into_response())
}

pub async fn roles(State(app): State<App>, Path(g): Path<String>) -> ApiResult<Json<Value>> {
    let gid = sf(&g, ApiError::unknown_guild)?;
    let st = app.state.lock();
    access::guild(&app, &st, gid)?;
    let list = st.world.guilds[&gid].roles.iter().filter_map(|r| st.world.roles.get(r)).map(json::role).collect();
    Ok(Json(Value::Array(list)))
}

pub async fn member(State(app): State<App>, Path((g, u)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    let gid = sf(&g, ApiError::unknown_guild)?;
    let uid = sf(&u, ApiError::unknown_user)?;
    let st = app.state.lock();
    access::guild(&app, &st, gid)?;
    if !st.world.users.contains_key(&uid) {
        return Err(ApiError::unknown_user());
    }
    let m = st.world.guilds[&gid].members.get(&uid).ok_or_else(ApiError::unknown_member)?;
    Ok(Json(json::member(&st.world, m, true)))
}

/// `GET /guilds/{id}/members?limit=&after=`, ordered by user id.
pub async fn members(
    State(app): State<App>,
    Path(g): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let gid = sf(&g, ApiError::unknown_guild)?;
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 1,
        Some(Ok(l)) if (1..=1000).contains(&l) => l,
        Some(_) => return Err(ApiError::form("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 1000.")),
    };
    let after = q.get("after").and_then(|a| a.parse::<u64>().ok()).unwrap_or(0);
    let st = app.state.lock();
    access::guild(&app, &st, gid)?;
    let list = st.world.guilds[&gid]
        .members
        .range(after.saturating_add(1)..)
        .take(limit)
        .map(|(_, m)| json::member(&st.world, m, true))
        .collect();
    Ok(Json(Value::Array(list)))
}

/// Kick: KICK_MEMBERS, never the owner.
pub async fn kick(State(app): State<App>, Path((g, u)): Path<(String, String)>) -> ApiResult<Response> {
    let gid = sf(&g, ApiError::unknown_guild)?;
    let uid = sf(&u, ApiError::unknown_user)?;
    let mut st = app.state.lock();
    access::require_guild(&app, &st, gid, perms::KICK_MEMBERS)?;
    if st.world.guilds[&gid].owner_id == uid {
        return Err(ApiError::missing_permissions());
    }
    ops::guilds::remove_member(&app, &mut st, gid, uid)?;
    Ok(no_content())
}
