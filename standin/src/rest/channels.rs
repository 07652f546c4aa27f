//! Channel routes: get, modify, delete, permission overwrites, typing.
//! Changes need MANAGE_CHANNELS; overwrites need MANAGE_ROLES.

use super::{access, body_json, no_content, sf};
use crate::error::{ApiError, ApiResult};
use crate::json;
use crate::ops::{self, channels::overwrite_kind};
use crate::perms::{self, parse_bits};
use crate::state::{App, Overwrite};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

pub async fn get_channel(State(app): State<App>, Path(c): Path<String>) -> ApiResult<Json<Value>> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let st = app.state.lock();
    let ch = access::channel(&app, &st, cid)?;
    access::require(&app, &st, &ch, 0)?;
    Ok(Json(json::channel(&st.world, &ch)))
}

/// Renames are limited separately (about 2 per 10 minutes per channel),
/// as on Discord, when route limits are on.
pub async fn modify(State(app): State<App>, Path(c): Path<String>, body: Bytes) -> ApiResult<Response> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let body = body_json(&body)?;
    let mut st = app.state.lock();
    let ch = access::channel(&app, &st, cid)?;
    let have = access::require(&app, &st, &ch, perms::MANAGE_CHANNELS)?;
    if body.get("permission_overwrites").is_some() {
        let ows = ops::channels::parse_overwrites(body.get("permission_overwrites"))?;
        access::check_grantable(have, &ows)?;
    }
    let renaming = body.get("name").and_then(Value::as_str).is_some_and(|n| Some(n) != ch.name.as_deref());
    if renaming && app.config.route_limits {
        if let Err(limited) = app.ratelimit.lock().rename(cid) {
            return Ok(super::too_many(limited));
        }
    }
    ops::channels::modify(&app, &mut st, cid, &body)?;
    Ok(Json(json::channel(&st.world, &st.world.channels[&cid])).into_response())
}

pub async fn delete_channel(State(app): State<App>, Path(c): Path<String>) -> ApiResult<Json<Value>> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let mut st = app.state.lock();
    let ch = access::channel(&app, &st, cid)?;
    if ch.guild_id.is_some() {
        access::require(&app, &st, &ch, perms::MANAGE_CHANNELS)?;
    }
    Ok(Json(ops::channels::delete(&app, &mut st, cid)?))
}

pub async fn put_overwrite(
    State(app): State<App>,
    Path((c, o)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let oid = sf(&o, ApiError::unknown_overwrite)?;
    let body = body_json(&body)?;
    let mut st = app.state.lock();
    let ch = access::channel(&app, &st, cid)?;
    let ow = Overwrite {
        id: oid,
        kind: overwrite_kind(body.get("type")),
        allow: parse_bits(body.get("allow")).unwrap_or(0),
        deny: parse_bits(body.get("deny")).unwrap_or(0),
    };
    let have = access::require(&app, &st, &ch, perms::MANAGE_ROLES)?;
    access::check_grantable(have, std::slice::from_ref(&ow))?;
    ops::channels::set_overwrite(&app, &mut st, cid, oid, Some(ow))?;
    Ok(no_content())
}

pub async fn delete_overwrite(State(app): State<App>, Path((c, o)): Path<(String, String)>) -> ApiResult<Response> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let oid = sf(&o, ApiError::unknown_overwrite)?;
    let mut st = app.state.lock();
    let ch = access::channel(&app, &st, cid)?;
    access::require(&app, &st, &ch, perms::MANAGE_ROLES)?;
    ops::channels::set_overwrite(&app, &mut st, cid, oid, None)?;
    Ok(no_content())
}

pub async fn typing(State(app): State<App>, Path(c): Path<String>) -> ApiResult<Response> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let st = app.state.lock();
    let ch = access::channel(&app, &st, cid)?;
    access::require(&app, &st, &ch, perms::SEND_MESSAGES)?;
    Ok(no_content())
}
