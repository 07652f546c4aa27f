//! Control API: people using the bot's UI — running a slash command,
//! clicking a button or choosing from a select menu, submitting a modal
//! the bot opened. Each fires INTERACTION_CREATE and returns {id, token}.

use super::{body, need_id, CtlError, CtlResult};
use crate::json;
use crate::ops::{self, interactions as ix};
use crate::state::App;
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

fn fired(r: Result<(u64, String), String>) -> CtlResult {
    let (id, token) = r.map_err(CtlError::bad)?;
    Ok(Json(json!({"id": json::id(id), "token": token})))
}

/// `{user_id, guild_id?, channel_id?, name, options?, autocomplete?}`; a DM
/// command may leave out channel_id (the user's DM with the bot is used).
pub async fn command(State(app): State<App>, b: Bytes) -> CtlResult {
    let b = body(&b)?;
    let user_id = need_id(&b, "user_id")?;
    let name = b.get("name").and_then(Value::as_str).ok_or_else(|| CtlError::bad("missing \"name\""))?;
    let options = b.get("options").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut st = app.state.lock();
    let channel_id = match ops::id_field(&b, "channel_id") {
        Some(c) => c,
        None if ops::id_field(&b, "guild_id").is_none() => {
            if !st.world.users.contains_key(&user_id) {
                return Err(CtlError::not_found("unknown user"));
            }
            ops::channels::dm_channel(&app, &mut st, user_id)
        }
        None => return Err(CtlError::bad("missing \"channel_id\"")),
    };
    let guild_id = st.world.channel_guild(channel_id);
    if let Some(g) = ops::id_field(&b, "guild_id") {
        if guild_id != Some(g) {
            return Err(CtlError::bad("channel_id is not a channel of guild_id"));
        }
    }
    // Files for attachment options (type 11): the option's value is the
    // file's index in `attachments`, as a client uploads them first.
    let files = super::attachments(&b)?;
    let uploads = ix::upload_command_files(&app, &mut st, channel_id, files);
    let data = ix::command_data(&st, name, guild_id, &options, &uploads).map_err(CtlError::bad)?;
    let kind = if b.get("autocomplete").and_then(Value::as_bool) == Some(true) { 4 } else { 2 };
    let fire = ix::Fire { kind, user_id, channel_id, message_id: None, data };
    fired(ix::fire(&app, &mut st, fire))
}

/// `{user_id, channel_id, message_id, custom_id, component_type, values?}`.
pub async fn component(State(app): State<App>, b: Bytes) -> CtlResult {
    let b = body(&b)?;
    let user_id = need_id(&b, "user_id")?;
    let channel_id = need_id(&b, "channel_id")?;
    let message_id = need_id(&b, "message_id")?;
    let custom_id = b.get("custom_id").and_then(Value::as_str).ok_or_else(|| CtlError::bad("missing \"custom_id\""))?;
    let component_type = b.get("component_type").and_then(Value::as_u64).unwrap_or(2);
    let mut st = app.state.lock();
    let msg = st
        .world
        .messages
        .get(&message_id)
        .filter(|m| m.channel_id == channel_id && !m.deleted)
        .ok_or_else(|| CtlError::not_found("unknown message in that channel"))?;
    if !ix::has_custom_id(&msg.components, custom_id) {
        return Err(CtlError::bad(format!("message {message_id} has no component with custom_id {custom_id:?}")));
    }
    let mut data = json!({"custom_id": custom_id, "component_type": component_type});
    if let Some(v) = b.get("values") {
        data["values"] = v.clone();
    } else if component_type != 2 {
        data["values"] = json!([]);
    }
    let fire = ix::Fire { kind: 3, user_id, channel_id, message_id: Some(message_id), data };
    fired(ix::fire(&app, &mut st, fire))
}

/// `{user_id, custom_id, values: {field_custom_id: text}}`: fails unless
/// the bot showed this user a modal with that custom_id.
pub async fn modal(State(app): State<App>, b: Bytes) -> CtlResult {
    let b = body(&b)?;
    let user_id = need_id(&b, "user_id")?;
    let custom_id = b.get("custom_id").and_then(Value::as_str).ok_or_else(|| CtlError::bad("missing \"custom_id\""))?;
    let values = b.get("values").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut st = app.state.lock();
    let key = (user_id, custom_id.to_string());
    let Some(open) = st.world.modals.get(&key).cloned() else {
        return Err(CtlError::bad(format!(
            "the bot never opened a modal with custom_id {custom_id:?} for user {user_id}"
        )));
    };
    let channel_id = ops::id_field(&b, "channel_id").unwrap_or(open.channel_id);
    let components = ix::modal_components(&open.data, &values);
    let data = json!({"custom_id": custom_id, "components": components});
    let message_id = st.world.interactions.get(&open.interaction_id).and_then(|i| i.message_id);
    let fire = ix::Fire { kind: 5, user_id, channel_id, message_id, data };
    let r = ix::fire(&app, &mut st, fire);
    if r.is_ok() {
        st.world.modals.remove(&key);
    }
    fired(r)
}
