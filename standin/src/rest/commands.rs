//! Application commands: bulk overwrite, list and create, global and per
//! guild. Ids are kept across overwrites for commands with the same name
//! (as Discord does) so interactions can reference them.

use super::{body_json, sf};
use crate::error::{ApiError, ApiResult};
use crate::json;
use crate::state::{App, Command, State};
use axum::body::Bytes;
use axum::extract::{Path, State as St};
use axum::Json;
use serde_json::{json, Value};

fn check_app(app: &App, app_id: &str) -> ApiResult<()> {
    if sf(app_id, ApiError::not_found)? != app.config.application_id {
        return Err(ApiError::new(axum::http::StatusCode::FORBIDDEN, 50001, "Missing Access"));
    }
    Ok(())
}

fn render(app: &App, c: &Command) -> Value {
    let mut v = c.data.clone();
    v["id"] = json::id(c.id);
    v["application_id"] = json::id(app.config.application_id);
    v["version"] = json::id(c.id);
    v["type"] = json!(c.kind);
    if v.get("description").is_none() {
        v["description"] = json!("");
    }
    if v.get("default_member_permissions").is_none() {
        v["default_member_permissions"] = Value::Null;
    }
    if v.get("options").is_none() {
        v["options"] = json!([]);
    }
    match c.guild_id {
        Some(g) => v["guild_id"] = json::id(g),
        None => {
            if let Some(o) = v.as_object_mut() {
                o.remove("guild_id");
            }
        }
    }
    v
}

fn validate(c: &Value, i: usize) -> ApiResult<(String, u8)> {
    let name = c.get("name").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() || name.chars().count() > 32 {
        return Err(ApiError::form(
            &format!("{i}.name"),
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 32 in length.",
        ));
    }
    Ok((name.to_string(), c.get("type").and_then(Value::as_u64).unwrap_or(1) as u8))
}

/// Replaces the command set of one scope (global or one guild).
fn overwrite(app: &App, st: &mut State, guild_id: Option<u64>, list: &[Value]) -> ApiResult<Vec<Value>> {
    let mut parsed = Vec::new();
    for (i, c) in list.iter().enumerate() {
        parsed.push((validate(c, i)?, c.clone()));
    }
    let old: Vec<Command> = st.world.commands.values().filter(|c| c.guild_id == guild_id).cloned().collect();
    st.world.commands.retain(|_, c| c.guild_id != guild_id);
    let mut out = Vec::new();
    for ((name, kind), data) in parsed {
        let id = old.iter().find(|c| c.name == name && c.kind == kind).map_or_else(|| app.ids.next(), |c| c.id);
        let c = Command { id, guild_id, name, kind, data };
        out.push(render(app, &c));
        st.world.commands.insert(id, c);
    }
    Ok(out)
}

fn create_one(app: &App, st: &mut State, guild_id: Option<u64>, data: Value) -> ApiResult<Value> {
    let (name, kind) = validate(&data, 0)?;
    let id = st
        .world
        .commands
        .values()
        .find(|c| c.guild_id == guild_id && c.name == name && c.kind == kind)
        .map_or_else(|| app.ids.next(), |c| c.id);
    let c = Command { id, guild_id, name, kind, data };
    let v = render(app, &c);
    st.world.commands.insert(id, c);
    Ok(v)
}

fn list(app: &App, st: &State, guild_id: Option<u64>) -> Vec<Value> {
    st.world.commands.values().filter(|c| c.guild_id == guild_id).map(|c| render(app, c)).collect()
}

fn body_list(body: &Bytes) -> ApiResult<Vec<Value>> {
    match body_json(body)? {
        Value::Array(a) => Ok(a),
        _ => Err(ApiError::form("_root", "BASE_TYPE_ARRAY", "Must be an array.")),
    }
}

pub async fn list_global(St(app): St<App>, Path(a): Path<String>) -> ApiResult<Json<Value>> {
    check_app(&app, &a)?;
    Ok(Json(Value::Array(list(&app, &app.state.lock(), None))))
}

pub async fn overwrite_global(St(app): St<App>, Path(a): Path<String>, body: Bytes) -> ApiResult<Json<Value>> {
    check_app(&app, &a)?;
    let cmds = body_list(&body)?;
    Ok(Json(Value::Array(overwrite(&app, &mut app.state.lock(), None, &cmds)?)))
}

pub async fn create_global(St(app): St<App>, Path(a): Path<String>, body: Bytes) -> ApiResult<Json<Value>> {
    check_app(&app, &a)?;
    let data = body_json(&body)?;
    Ok(Json(create_one(&app, &mut app.state.lock(), None, data)?))
}

fn guild_scope(app: &App, st: &State, g: &str) -> ApiResult<u64> {
    let gid = sf(g, ApiError::unknown_guild)?;
    super::access::guild(app, st, gid)?;
    Ok(gid)
}

pub async fn list_guild(St(app): St<App>, Path((a, g)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    check_app(&app, &a)?;
    let st = app.state.lock();
    let gid = guild_scope(&app, &st, &g)?;
    Ok(Json(Value::Array(list(&app, &st, Some(gid)))))
}

pub async fn overwrite_guild(
    St(app): St<App>,
    Path((a, g)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    check_app(&app, &a)?;
    let cmds = body_list(&body)?;
    let mut st = app.state.lock();
    let gid = guild_scope(&app, &st, &g)?;
    Ok(Json(Value::Array(overwrite(&app, &mut st, Some(gid), &cmds)?)))
}

pub async fn create_guild(
    St(app): St<App>,
    Path((a, g)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    check_app(&app, &a)?;
    let data = body_json(&body)?;
    let mut st = app.state.lock();
    let gid = guild_scope(&app, &st, &g)?;
    Ok(Json(create_one(&app, &mut st, Some(gid), data)?))
}
