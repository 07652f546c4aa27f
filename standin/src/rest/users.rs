//! Users, the application, the gateway URL and DM channels:
//! `/users/…`, `/oauth2/applications/@me`, `/gateway`, `/gateway/bot`.

use super::{body_json, sf};
use crate::error::{ApiError, ApiResult};
use crate::json;
use crate::ops::{self, id_field};
use crate::state::App;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};

pub async fn gateway(State(app): State<App>) -> Json<Value> {
    Json(json!({"url": app.ws_url()}))
}

pub async fn gateway_bot(State(app): State<App>) -> Json<Value> {
    let (used, recommended) = {
        let st = app.state.lock();
        (st.hub.starts_used, st.hub.recommended_shards.unwrap_or(app.config.shards))
    };
    let total = app.config.session_start_total;
    Json(json!({
        "url": app.ws_url(),
        "shards": recommended,
        "session_start_limit": {
            "total": total,
            "remaining": total.saturating_sub(used),
            "reset_after": 86_400_000u64,
            "max_concurrency": app.config.max_concurrency,
        }
    }))
}

/// The bot (Bot token), or the user of a Bearer token.
fn caller(app: &App, headers: &HeaderMap) -> u64 {
    let auth = headers.get("authorization").and_then(|h| h.to_str().ok());
    super::oauth::bearer_user(app, auth).map_or_else(|| app.bot_id(), |(user, _)| user)
}

pub async fn me(State(app): State<App>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let caller = caller(&app, &headers);
    let st = app.state.lock();
    let u = st.world.users.get(&caller).ok_or_else(ApiError::unknown_user)?;
    let mut v = json::user(u);
    v["verified"] = json!(true);
    v["mfa_enabled"] = json!(false);
    v["email"] = Value::Null;
    Ok(Json(v))
}

pub async fn get_user(State(app): State<App>, Path(user_id): Path<String>) -> ApiResult<Json<Value>> {
    let id = sf(&user_id, ApiError::unknown_user)?;
    let st = app.state.lock();
    let u = st.world.users.get(&id).ok_or_else(ApiError::unknown_user)?;
    Ok(Json(json::user(u)))
}

/// The caller's guilds, with whether they own each and their permissions
/// there (what a dashboard checks before letting someone manage a guild).
pub async fn my_guilds(State(app): State<App>, headers: HeaderMap) -> Json<Value> {
    let caller = caller(&app, &headers);
    let st = app.state.lock();
    let list: Vec<Value> = st
        .world
        .guilds
        .values()
        .filter(|g| g.has_member(caller))
        .map(|g| {
            json!({
                "id": json::id(g.id),
                "name": g.name,
                "icon": null,
                "banner": null,
                "owner": g.owner_id == caller,
                "permissions": crate::perms::base(&st.world, g.id, caller).to_string(),
                "features": [],
            })
        })
        .collect();
    Json(Value::Array(list))
}

pub async fn application(State(app): State<App>) -> ApiResult<Json<Value>> {
    let st = app.state.lock();
    let bot = st.world.users.get(&app.bot_id()).ok_or_else(ApiError::unknown_user)?;
    Ok(Json(json!({
        "id": json::id(app.config.application_id),
        "name": bot.username,
        "icon": null,
        "description": "",
        "bot_public": true,
        "bot_require_code_grant": false,
        "verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
        "flags": 0,
        "team": null,
        "owner": {"id": "1", "username": "owner", "discriminator": "0", "avatar": null, "global_name": null},
        "bot": json::user(bot),
        "tags": [],
        "redirect_uris": [],
        "approximate_guild_count": st.world.guilds.values().filter(|g| g.has_member(app.bot_id())).count(),
    })))
}

/// `POST /users/@me/channels {"recipient_id"}`: the same DM channel each
/// time for the same user.
pub async fn open_dm(State(app): State<App>, body: Bytes) -> ApiResult<Json<Value>> {
    let body = body_json(&body)?;
    let user = id_field(&body, "recipient_id")
        .ok_or_else(|| ApiError::form("recipient_id", "BASE_TYPE_REQUIRED", "This field is required"))?;
    let mut st = app.state.lock();
    if !st.world.users.contains_key(&user) || user == app.bot_id() {
        return Err(ApiError::new(axum::http::StatusCode::BAD_REQUEST, 50033, "Invalid Recipients"));
    }
    let id = ops::channels::dm_channel(&app, &mut st, user);
    Ok(Json(json::channel(&st.world, &st.world.channels[&id])))
}
